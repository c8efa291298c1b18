"""reasoning-gym's procedural datasets as a task source (PyPI `reasoning-gym`, extra `rlvrgym[reasoning-gym]`).

Why not reasoning-gym's own indexing: its item i is drawn from seed + i, so two datasets built from adjacent seeds
share items (seed 0's item 1 is seed 1's item 0), and a train split and a test split built that way overlap. Here
every task is one dataset of size 1 built from its own 62-bit seed, drawn from the environment's `np_random`, and
its split is decided by a hash of the question text (`split_of`, as for our own generators): the same question
lands in the same split whatever seed drew it, so train and test can never share a problem.
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from rlvrgym.tasks.base import Split, Task, split_of

#: Appended to every question: reasoning-gym's scorers read the text between the last pair of answer tags.
ANSWER_INSTRUCTION = "Give your final answer between <answer> and </answer> tags, and nothing else inside them."
ID_PREFIX = "rg"


def require_reasoning_gym() -> Any:
    try:
        import reasoning_gym
    except ImportError as exc:
        raise ImportError("reasoning-gym tasks need the optional extra: pip install 'rlvrgym[reasoning-gym]'") \
            from exc
    return reasoning_gym


def dataset_names() -> list[str]:
    """Every dataset reasoning-gym registers (over a hundred: arithmetic, logic, puzzles, graphs, ciphers...)."""
    return sorted(require_reasoning_gym().factory.DATASETS)


def config_key(config: Mapping[str, Any] | None) -> str:
    """A canonical JSON text of a dataset config: hashable, and the same wherever it is written."""
    try:
        return json.dumps(dict(config or {}), sort_keys=True, separators=(",", ":"))
    except TypeError as exc:
        raise TypeError(f"a reasoning-gym config must be JSON values (numbers, strings, lists), got {config!r}") \
            from exc


@functools.lru_cache(maxsize=256)
def build(dataset: str, config: str, seed: int) -> tuple[Any, dict[str, Any]]:
    """The size-1 dataset of `seed` and its item. Cached (a GRPO group verifies N completions of one task), but
    not much: a few datasets carry megabytes of data per instance (arc_agi). `config` is a `config_key`."""
    rg = require_reasoning_gym()
    if dataset not in rg.factory.DATASETS:
        raise KeyError(f"unknown reasoning-gym dataset {dataset!r}; see rlvrgym.tasks.reasoning_gym.dataset_names()")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some datasets warn about their own defaults on every build
        data = rg.create_dataset(dataset, seed=seed, size=1, **json.loads(config))
        return data, data[0]


def reference_of(dataset: str, config: str, seed: int) -> dict[str, Any]:
    """What the verifier reads: where the item comes from, never the item itself (JSON-safe, regenerated there)."""
    return {"dataset": dataset, "config": json.loads(config), "seed": seed}


class ReasoningGymSource:
    """Tasks of one or more reasoning-gym datasets. Ids have the form `rg:<dataset>:<seed>`, so `get(id)` rebuilds
    any task (GRPO groups and `reset(options={"task_id": ...})` replay it)."""

    def __init__(self, datasets: str | list[str], config: Mapping[str, Any] | None = None,
                 max_redraws: int = 1000) -> None:
        rg = require_reasoning_gym()
        names = [d.strip() for d in datasets.split(",")] if isinstance(datasets, str) else list(datasets)
        unknown = [n for n in names if n not in rg.factory.DATASETS]
        if not names or unknown:
            raise ValueError(f"unknown reasoning-gym dataset(s) {unknown or names!r}; "
                             "see rlvrgym.tasks.reasoning_gym.dataset_names()")
        if config and len(names) > 1:
            raise ValueError("a dataset config applies to one dataset; give one dataset with `config`")
        self.datasets = names
        self.config = config_key(config)
        self.name = "reasoning_gym:" + ",".join(names)
        self.max_redraws = max_redraws

    def make(self, dataset: str, seed: int) -> Task:
        _, item = build(dataset, self.config, seed)
        question = str(item["question"])
        prompt = f"{question}\n\n{ANSWER_INSTRUCTION}"
        meta = {"dataset": dataset, "seed": seed, "split": split_of(question),
                "answer": item.get("answer")}  # meta is never shown to the policy; the oracle reads it
        return Task(f"{ID_PREFIX}:{dataset}:{seed}", prompt, reference_of(dataset, self.config, seed),
                    kind=dataset, difficulty=None, meta=meta)

    def sample(self, rng: np.random.Generator, split: Split | None) -> Task:
        for _ in range(self.max_redraws):
            dataset = self.datasets[int(rng.integers(len(self.datasets)))]
            task = self.make(dataset, int(rng.integers(2**62)))
            if split is None or task.meta["split"] == split:
                return task
        raise RuntimeError(f"no task of split {split!r} in {self.max_redraws} draws from {self.name}")

    def get(self, task_id: str) -> Task:
        parts = task_id.split(":")
        if len(parts) != 3 or parts[0] != ID_PREFIX or not parts[2].isdigit():
            raise KeyError(f"{task_id!r} is not a reasoning-gym task id ({ID_PREFIX}:<dataset>:<seed>)")
        if parts[1] not in self.datasets:
            raise KeyError(f"task {task_id!r} is from {parts[1]!r}, not one of this source's {self.datasets}")
        return self.make(parts[1], int(parts[2]))

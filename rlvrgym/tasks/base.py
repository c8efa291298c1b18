"""Task records and the sources environments draw them from: seeded generators and fixed record sets."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, cast, runtime_checkable

import numpy as np

Split = Literal["train", "test"]
SPLITS: tuple[str, ...] = ("train", "test")

#: Share of generated tasks that belong to the test split (by a hash of the prompt text, see `split_of`).
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Task:
    """One problem. `reference` is read only by the verifier: it never appears in `prompt`."""

    id: str
    prompt: str
    reference: Any
    kind: str = ""
    difficulty: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "prompt": self.prompt, "reference": self.reference, "kind": self.kind,
                "difficulty": self.difficulty, "meta": self.meta}


def split_of(prompt: str) -> Split:
    """The split a task belongs to, from its text alone: the same problem lands in the same split wherever it was
    generated, so train and test can never share a problem, even when two seeds draw the same one."""
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    return "test" if int.from_bytes(digest[:8], "big") / 2**64 < TEST_FRACTION else "train"


@runtime_checkable
class TaskSource(Protocol):
    """Where an environment gets its tasks. `sample` must draw only from `rng` (reproducible resets)."""

    name: str

    def sample(self, rng: np.random.Generator, split: Split | None) -> Task: ...

    def get(self, task_id: str) -> Task: ...


#: A generator maps (seed, difficulty) to a task; it must be deterministic in both.
Generator = Callable[[np.random.Generator, int], Task]


class GeneratorSource:
    """Procedural tasks. Ids have the form `gen:<generator>:<difficulty>:<seed>`, so `get(id)` rebuilds any task,
    which is how a GRPO group replays one problem N times."""

    def __init__(self, generators: Mapping[str, Generator], difficulty: int | Sequence[int] = 1,
                 name: str = "generators", max_redraws: int = 1000) -> None:
        if not generators:
            raise ValueError("GeneratorSource needs at least one generator")
        self.generators = dict(generators)
        self.difficulties = [difficulty] if isinstance(difficulty, int) else list(difficulty)
        if not self.difficulties or any(not isinstance(d, int) or d < 1 for d in self.difficulties):
            raise ValueError(f"difficulty must be a positive int or a list of them, got {difficulty!r}")
        self.name = name
        self.max_redraws = max_redraws

    def make(self, generator: str, difficulty: int, seed: int) -> Task:
        if generator not in self.generators:
            raise KeyError(f"unknown generator {generator!r}; known: {', '.join(sorted(self.generators))}")
        task = self.generators[generator](np.random.default_rng(seed), difficulty)
        meta = {**task.meta, "generator": generator, "seed": seed, "split": split_of(task.prompt)}
        return Task(f"gen:{generator}:{difficulty}:{seed}", task.prompt, task.reference,
                    task.kind or generator, difficulty, meta)

    def sample(self, rng: np.random.Generator, split: Split | None) -> Task:
        names = sorted(self.generators)
        for _ in range(self.max_redraws):
            generator = names[int(rng.integers(len(names)))]
            difficulty = self.difficulties[int(rng.integers(len(self.difficulties)))]
            seed = int(rng.integers(2**62))
            # A generator that can write its prompt cheaply (`prompt_of`, see `rlvrgym.tasks.draws.generator`) is
            # asked for the split first: a candidate of the other split is then never built (the test split turns
            # down four candidates in five). The candidate it accepts is built whole, from the same seed.
            quick = getattr(self.generators[generator], "prompt_of", None)
            if split is not None and quick is not None:
                prompt = quick(np.random.default_rng(seed), difficulty)  # None: no shortcut at this level
                if prompt is not None and split_of(prompt) != split:
                    continue
            task = self.make(generator, difficulty, seed)
            if split is None or task.meta["split"] == split:
                return task
        raise RuntimeError(f"no task of split {split!r} in {self.max_redraws} draws from {self.name}")

    def get(self, task_id: str) -> Task:
        parts = task_id.split(":")
        if len(parts) != 4 or parts[0] != "gen":
            raise KeyError(f"{task_id!r} is not a generator task id (gen:<generator>:<difficulty>:<seed>)")
        return self.make(parts[1], int(parts[2]), int(parts[3]))


class RecordSource:
    """A fixed list of tasks (a JSONL file, an HF dataset, the shipped sets). A record's own `split` field, when
    present, puts it in a split; records without one belong to every split."""

    def __init__(self, tasks: Iterable[Task], name: str = "records") -> None:
        self.tasks = list(tasks)
        if not self.tasks:
            raise ValueError(f"task source {name!r} has no tasks")
        self.by_id = {t.id: t for t in self.tasks}
        if len(self.by_id) != len(self.tasks):
            raise ValueError(f"task source {name!r} has duplicate task ids")
        self.name = name
        self._splits: dict[Split | None, list[Task]] = {}

    def __len__(self) -> int:
        return len(self.tasks)

    def in_split(self, split: Split | None) -> list[Task]:
        return [t for t in self.tasks if split is None or t.meta.get("split") in (None, split)]

    def sample(self, rng: np.random.Generator, split: Split | None) -> Task:
        if split not in self._splits:  # filtered once per split, not on every reset
            self._splits[split] = self.in_split(split)
        pool = self._splits[split]
        if not pool:
            raise ValueError(f"task source {self.name!r} has no tasks in split {split!r}")
        return pool[int(rng.integers(len(pool)))]

    def get(self, task_id: str) -> Task:
        try:
            return self.by_id[task_id]
        except KeyError:
            raise KeyError(f"no task with id {task_id!r} in {self.name!r}") from None


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Records of a JSONL file; a malformed line is an error naming the file and line."""
    records = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise ValueError(f"{path}:{lineno}: expected a JSON object, got {type(record).__name__}")
            records.append(record)
    return records


def records_to_tasks(records: Iterable[Mapping[str, Any]], *, question: str = "question", answer: str = "answer",
                     prefix: str = "task", kind: str = "") -> list[Task]:
    """Turn `{question, answer}` records (column names configurable) into tasks.

    The reasoning-chain format `{"question", "thought_chain": [...], "solution"}` is read too: `solution` is the
    answer and the chain is kept in `meta` for SFT warm-starts.
    """
    tasks = []
    for i, rec in enumerate(records):
        rec = dict(rec)
        if question not in rec:
            raise ValueError(f"record {i} has no {question!r} field (fields: {', '.join(map(str, rec))})")
        if answer in rec:
            ref = rec[answer]
        elif "solution" in rec:
            ref = rec["solution"]
        elif "reference" in rec:
            ref = rec["reference"]
        else:
            raise ValueError(f"record {i} has no {answer!r} (or 'solution') field")
        meta = {k: v for k, v in rec.items() if k not in (question, answer, "id", "kind", "difficulty")}
        tasks.append(Task(str(rec.get("id", f"{prefix}-{i}")), str(rec[question]), ref,
                          str(rec.get("kind", kind)), rec.get("difficulty"), meta))
    return tasks


def load_tasks(source: str | Path | Sequence[Mapping[str, Any]] | Any, *, question: str = "question",
               answer: str = "answer", hf_split: str = "train", kind: str = "") -> RecordSource:
    """Load a record set: a JSONL path, a list of dicts, a `datasets.Dataset`, or the name of an HF dataset."""
    if isinstance(source, (str, Path)) and str(source).endswith((".jsonl", ".json")):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"task file {path} does not exist")
        return RecordSource(records_to_tasks(read_jsonl(path), question=question, answer=answer,
                                             prefix=path.stem, kind=kind), name=str(path))
    if isinstance(source, str):
        try:
            import datasets
        except ImportError as exc:
            raise ImportError("loading a Hugging Face dataset by name needs `pip install rlvrgym[train]`") from exc
        source = datasets.load_dataset(source, split=hf_split)
    if hasattr(source, "column_names") and hasattr(source, "__iter__"):  # a datasets.Dataset, without importing it
        info = getattr(source, "info", None)
        return RecordSource(records_to_tasks(iter(source), question=question, answer=answer, kind=kind),
                            name=(info is not None and str(info.dataset_name)) or "dataset")
    if isinstance(source, Sequence) and not isinstance(source, (str, bytes)):
        records = cast(Sequence[Mapping[str, Any]], source)
        return RecordSource(records_to_tasks(records, question=question, answer=answer, kind=kind),
                            name="records")
    raise TypeError(f"cannot load tasks from {type(source).__name__}: give a .jsonl path, a list of dicts, "
                    "a datasets.Dataset or a dataset name")

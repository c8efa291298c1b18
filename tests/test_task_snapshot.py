"""Every seed draws the task it drew before: a pin on the math, proof and physics generators and on the
environments' `reset(seed=...)`.

tests/data/task_draw_snapshot.json holds, for each generator at each difficulty (one above the top level too, to
pin the clamping) and seeds 0-199, and for `reset(seed=s)` of MathAnswer-v0, MathProof-v0 and PhysicsSim-v0 in
both splits, a short hash of the whole task: id, prompt, reference, kind, difficulty and meta (the worked
solution included, which a training run learns from). It was written from the code as it stood before the
generators were refactored and sped up; a change that alters any seed's task fails here. Regenerate it
(`python tests/test_task_snapshot.py --write`) only for a change that is *meant* to change the tasks, and say so.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import rlvrgym  # noqa: F401  (registers the environments)
from rlvrgym.tasks.base import Generator, Task
from rlvrgym.tasks.math_generators import MATH_GENERATORS
from rlvrgym.tasks.physics import physics_generators
from rlvrgym.tasks.proof_generators import PROOF_GENERATORS

SNAPSHOT = Path(__file__).parent / "data" / "task_draw_snapshot.json"
SEEDS = range(200)
#: family -> (its generators, its difficulty levels; the last is one above the top level, clamped).
FAMILIES: dict[str, tuple[Mapping[str, Generator], tuple[int, ...]]] = {
    "math": (MATH_GENERATORS, (1, 2, 3, 4, 5, 6)),
    "proof": (PROOF_GENERATORS, (1, 2, 3, 4, 5, 6)),
    "physics": (physics_generators(), (1, 2, 3, 4)),
}
ENVS = ("MathAnswer-v0", "MathProof-v0", "PhysicsSim-v0")
SPLITS = ("train", "test")


def _canonical(value: Any) -> Any:
    """JSON-ready, with floats at 9 significant digits (the simulator's last bits may differ between machines)."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return f"float:{value:.9g}"
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    raise TypeError(f"unexpected {type(value).__name__} in a task: {value!r:.80}")


def fingerprint(task: Task, observation: str | None = None) -> str:
    record = [task.id, task.prompt, task.reference, task.kind, task.difficulty, task.meta, observation]
    text = json.dumps(_canonical(record), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def generator_keys() -> Iterator[tuple[str, str, int]]:
    for family, (generators, levels) in FAMILIES.items():
        for name in sorted(generators):
            for level in levels:
                yield family, name, level


def generator_prints(family: str, name: str, level: int) -> list[str]:
    generate = FAMILIES[family][0][name]
    return [fingerprint(generate(np.random.default_rng(seed), level)) for seed in SEEDS]


def env_prints(env_id: str, split: str) -> list[str]:
    env = gym.make(env_id, split=split, disable_env_checker=True)
    try:
        prints = []
        for seed in SEEDS:
            observation, info = env.reset(seed=seed)
            task = env.unwrapped.task
            assert info["task_id"] == task.id
            prints.append(fingerprint(task, observation))
        return prints
    finally:
        env.close()


def build() -> dict[str, list[str]]:
    out = {f"{family}:{name}:{level}": generator_prints(family, name, level)
           for family, name, level in generator_keys()}
    out.update({f"env:{env_id}:{split}": env_prints(env_id, split) for env_id in ENVS for split in SPLITS})
    return out


@pytest.fixture(scope="module")
def snapshot() -> dict[str, list[str]]:
    """Stored as one line per key, the seeds' hashes separated by spaces."""
    return {k: v.split() for k, v in json.loads(SNAPSHOT.read_text(encoding="utf-8")).items()}


def _mismatch(expected: list[str], got: list[str]) -> str:
    seeds = [s for s, (a, b) in enumerate(zip(expected, got, strict=True)) if a != b]
    return f"{len(seeds)} seeds draw another task, first {seeds[:10]}"


def test_snapshot_covers_every_generator_and_environment(snapshot: dict[str, list[str]]) -> None:
    keys = {f"{f}:{n}:{lv}" for f, n, lv in generator_keys()} | {f"env:{e}:{s}" for e in ENVS for s in SPLITS}
    assert set(snapshot) == keys
    assert all(len(v) == len(SEEDS) for v in snapshot.values())


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_seed_draws_the_same_generated_task(family: str, snapshot: dict[str, list[str]]) -> None:
    bad = {}
    for fam, name, level in generator_keys():
        if fam != family:
            continue
        key = f"{fam}:{name}:{level}"
        got = generator_prints(fam, name, level)
        if got != snapshot[key]:
            bad[key] = _mismatch(snapshot[key], got)
    assert not bad, bad


@pytest.mark.parametrize("env_id", ENVS)
@pytest.mark.parametrize("split", SPLITS)
def test_each_reset_seed_draws_the_same_task(env_id: str, split: str, snapshot: dict[str, list[str]]) -> None:
    key = f"env:{env_id}:{split}"
    got = env_prints(env_id, split)
    assert got == snapshot[key], _mismatch(snapshot[key], got)


def test_the_fingerprint_sees_a_change_in_the_worked_solution() -> None:
    task = MATH_GENERATORS["arithmetic"](np.random.default_rng(0), 2)
    changed = Task(task.id, task.prompt, task.reference, task.kind, task.difficulty,
                   {**task.meta, "solution": [*task.meta["solution"][:-1], "$= 0$"]})
    assert fingerprint(task) != fingerprint(changed)
    assert fingerprint(task) == fingerprint(MATH_GENERATORS["arithmetic"](np.random.default_rng(0), 2))


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_task_snapshot.py --write   (only for a change meant to change tasks)")
    stored = {k: " ".join(v) for k, v in build().items()}
    SNAPSHOT.write_text(json.dumps(stored, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")

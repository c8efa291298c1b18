"""One place that turns an environment's `tasks=` argument into a `TaskSource`, for every environment.

Every environment accepts the same shapes: a `TaskSource` (used as is), "generators" (all its seeded generators),
a generator name or a comma-separated list of them, a name of a shipped set ("curated", "shipped", "humaneval",
...), or records (a `.jsonl` path, a list of dicts, and for MathAnswer a `datasets.Dataset` or an HF dataset
name). What differs per environment is its `TaskFamily`: which generators, which named sets, how records read.

The task modules are imported lazily, from here only (this module imports them, never the other way), so
`import rlvrgym` stays cheap and the task modules have no import circle through their resolver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlvrgym.tasks.base import Generator, GeneratorSource, RecordSource, TaskSource, load_tasks, read_jsonl

#: What a `tasks=` argument may be (see the module docstring).
TaskSpec = str | Path | Sequence[Mapping[str, Any]] | TaskSource | Any


@dataclass(frozen=True)
class TaskFamily:
    """The task sources one environment knows.

    Attributes:
        name: the family, for error messages ("math", "proof", ...).
        generators: returns the family's generators by name (called lazily: they import sympy, the simulator...);
            None when the family has none.
        named: shipped record sets by name ("curated", "shipped", ...), each a factory.
        records: reads records (a path, a list of dicts, a dataset) into a source; None when the family takes none.
        generator_source_name: the `GeneratorSource.name` of "generators".
        default: the source `tasks=None` gives, when it is not "generators".
    """

    name: str
    generators: Callable[[], Mapping[str, Generator]] | None = None
    named: Mapping[str, Callable[[], TaskSource]] = field(default_factory=dict)
    records: Callable[[Any], TaskSource] | None = None
    generator_source_name: str = "generators"
    default: Callable[[], TaskSource] | None = None

    def choices(self) -> str:
        parts = ["a TaskSource"]
        if self.generators is not None:
            parts += ["'generators'", f"generator names ({', '.join(sorted(self.generators()))})"]
        parts += [repr(n) for n in self.named]
        if self.records is not None:
            parts += ["a .jsonl path", "a list of records"]
        return ", ".join(parts)


def resolve_tasks(tasks: TaskSpec | None, family: TaskFamily, difficulty: int | Sequence[int] = 1) -> TaskSource:
    """The `TaskSource` that `tasks` names for `family` (None means "generators"); `difficulty` applies to
    generators only. An argument the family cannot read is an error listing what it can."""
    if isinstance(tasks, TaskSource):
        return tasks
    levels = difficulty if isinstance(difficulty, int) else list(difficulty)
    if tasks is None and family.default is not None:
        return family.default()
    if tasks is None or tasks == "generators":
        if family.generators is None:
            raise ValueError(f"{family.name} tasks have no generators; give {family.choices()}")
        return GeneratorSource(family.generators(), levels, name=family.generator_source_name)
    if isinstance(tasks, str) and tasks in family.named:
        return family.named[tasks]()
    if isinstance(tasks, str) and family.generators is not None and not tasks.endswith((".jsonl", ".json")):
        generators = family.generators()
        names = [t.strip() for t in tasks.split(",")]
        if all(n in generators for n in names):
            return GeneratorSource({n: generators[n] for n in names}, levels, name=tasks)
    if family.records is None:
        raise ValueError(f"cannot read {family.name} tasks from {tasks!r:.80}; give {family.choices()}")
    return family.records(tasks)


# -- the families of the built-in environments --------------------------------------------------------------------
def _math_generators() -> Mapping[str, Generator]:
    from rlvrgym.tasks.math_generators import MATH_GENERATORS

    return MATH_GENERATORS


def _curated_math() -> TaskSource:
    from rlvrgym.tasks.math_answer_tasks import curated_math_tasks

    return curated_math_tasks()


def math_family(question: str = "question", answer: str = "answer") -> TaskFamily:
    """MathAnswer-v0: generators, "curated", or records (`question`/`answer` columns), a dataset or its name."""
    return TaskFamily("math", _math_generators, {"curated": _curated_math},
                      lambda tasks: load_tasks(tasks, question=question, answer=answer, kind="math"),
                      generator_source_name="math-generators")


def _proof_generators() -> Mapping[str, Generator]:
    from rlvrgym.tasks.proof_generators import PROOF_GENERATORS

    return PROOF_GENERATORS


def _shipped_proofs() -> TaskSource:
    from rlvrgym.tasks.proof_tasks import shipped_proof_tasks

    return shipped_proof_tasks()


def _proof_records(tasks: Any) -> TaskSource:
    from rlvrgym.tasks.proof_tasks import record_to_task

    if isinstance(tasks, str) and not tasks.endswith((".jsonl", ".json")):
        raise ValueError(f"unknown proof task source {tasks!r}: give {PROOF.choices()}")
    if isinstance(tasks, (str, Path)):
        path = Path(tasks)
        if not path.exists():
            raise FileNotFoundError(f"task file {path} does not exist")
        return RecordSource([record_to_task(r, i, path.stem) for i, r in enumerate(read_jsonl(path))],
                            name=str(path))
    if isinstance(tasks, Sequence):
        return RecordSource([record_to_task(r, i, "records") for i, r in enumerate(tasks)], name="records")
    raise TypeError(f"cannot load proof tasks from {type(tasks).__name__}")


#: MathProof-v0: generators (one per kind), "shipped", or proof records (schema: rlvrgym/tasks/proof_tasks.py).
PROOF = TaskFamily("proof", _proof_generators, {"shipped": _shipped_proofs}, _proof_records,
                   generator_source_name="proof-generators")


def _code_records(tasks: Any) -> TaskSource:
    from rlvrgym.tasks.code import load_code_tasks

    return load_code_tasks(tasks)


#: CodeUnitTest-v0: "humaneval", "shipped", "all", a JSONL path or records, read by `load_code_tasks`.
CODE = TaskFamily("code", None, {}, _code_records)


def physics_family(families: Sequence[str] | None = None) -> TaskFamily:
    """PhysicsSim-v0: the simulator families' generators (all, or `families`); no record sets."""

    def generators() -> Mapping[str, Generator]:
        from rlvrgym.tasks.physics import physics_generators

        return physics_generators(list(families) if families is not None else None)

    return TaskFamily("physics", generators, generator_source_name="physics")


def reasoning_gym_family(dataset: str | Sequence[str], config: Mapping[str, Any] | None = None) -> TaskFamily:
    """ReasoningGym-v0: reasoning-gym's datasets (`dataset`, `config`); `tasks=` takes a TaskSource only."""

    def default() -> TaskSource:
        from rlvrgym.tasks.reasoning_gym import ReasoningGymSource

        return ReasoningGymSource(dataset if isinstance(dataset, str) else list(dataset), config)

    return TaskFamily("reasoning-gym", default=default)

"""Proof task records for MathProof-v0: the record schema, records -> tasks and the shipped set
(`rlvrgym.tasks.resolve.PROOF` turns a `tasks=` argument into a source).

A record is `{"id", "kind", "statement", ...kind fields}`:
- identity: `lhs`, `rhs` (optional `domain`: "positive" when the identity holds for positive variables);
- equation: `equation` (two for a system, comma-separated), `variable` (or `variables`: "x, y"), `answer`;
- simplify: `expression`, `answer`; derivative: `function`, `variable`; integral: `integrand`, `variable`;
- limit: `expression`, `variable`, `point`, `answer`.
Optional: `difficulty`, `solution` (a correct derivation, one step per list item), `min_steps`.
The whole record is the verifier's reference; only `statement` reaches the observation.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any

from rlvrgym.tasks.base import RecordSource, Task, read_jsonl, split_of

SHIPPED_FILE = "proof_tasks.jsonl"
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "identity": ("lhs", "rhs"), "equation": ("equation", "answer"), "simplify": ("expression", "answer"),
    "derivative": ("function",), "integral": ("integrand",), "limit": ("expression", "point", "answer"),
}

INSTRUCTIONS = (
    "Write the derivation one step per line. A step is an equation, or a line starting with = that continues "
    "the previous line; prose lines are commentary and are not checked.\n"
    "Start from the given expression (or equation) and end at the target: the other side of an identity, the "
    "simplified form, the evaluated derivative, antiderivative or limit, or the solution set of an equation.\n"
    "Every step must follow from the one before it for all allowed values of the variables."
)


def prompt_of(statement: str) -> str:
    return f"{statement}\n\n{INSTRUCTIONS}"


def check_record(record: Mapping[str, Any], where: str = "record") -> None:
    """Fail early, naming the record, when a field the verifier needs is missing."""
    kind = record.get("kind")
    if kind not in KIND_FIELDS:
        raise ValueError(f"{where}: unknown proof kind {kind!r}; known: {', '.join(KIND_FIELDS)}")
    missing = [f for f in ("statement", *KIND_FIELDS[kind]) if f not in record]
    if missing:
        raise ValueError(f"{where}: a {kind} record needs {', '.join(missing)}")


def record_to_task(record: Mapping[str, Any], index: int = 0, prefix: str = "proof",
                   split_by_prompt: bool = False) -> Task:
    check_record(record, f"{prefix} record {index}")
    reference = {k: v for k, v in record.items() if k not in ("solution",)}
    prompt = prompt_of(str(record["statement"]))
    meta: dict[str, Any] = {"solution": list(record.get("solution", [])),
                            "min_steps": record.get("min_steps", len(record.get("solution", [])) or None)}
    if split_by_prompt:
        meta["split"] = split_of(prompt)
    elif "split" in record:
        meta["split"] = record["split"]
    difficulty = record.get("difficulty")
    return Task(str(record.get("id", f"{prefix}-{index}")), prompt, reference, str(record["kind"]),
                int(difficulty) if difficulty is not None else None, meta)


def shipped_records() -> list[dict[str, Any]]:
    with resources.as_file(resources.files("rlvrgym.tasks").joinpath("data").joinpath(SHIPPED_FILE)) as path:
        return read_jsonl(path)


def shipped_proof_tasks(*, split_by_prompt: bool = False) -> RecordSource:
    """The hand-written set (100+ tasks, difficulty 1 to 5), each with a checked solution."""
    return RecordSource([record_to_task(r, i, "shipped", split_by_prompt) for i, r in enumerate(shipped_records())],
                        name="math-proof-shipped")

"""The curated MathAnswer-v0 problem set shipped with the package (written for rlvrgym, not taken from a benchmark).

Each record of `data/math_answer_curated.jsonl` has `id`, `question`, `answer` (LaTeX, in the forms of the math
verifier's policy), `kind` (the answer's category), `topic`, `difficulty` (1 to 5), `solution` (worked steps for
warm starts) and `check` (a sympy computation that the test suite uses to confirm the answer; not shipped in tasks).
"""

from __future__ import annotations

import copy
import functools
from importlib import resources
from typing import Any

from rlvrgym.tasks.base import RecordSource, Task, read_jsonl, split_of
from rlvrgym.tasks.math_generators import INSTRUCTION

CURATED_FILE = "math_answer_curated.jsonl"

#: The answer categories of the curated set, from math.md's policy.
CATEGORIES: tuple[str, ...] = ("integer", "fraction", "decimal", "radical", "pi", "expression", "equation", "set",
                               "interval", "tuple", "matrix", "percentage", "multiple_choice", "units")


def curated_math_records() -> list[dict[str, Any]]:
    """The raw records, `check` included (the tests need it): fresh copies of the file's records, read once."""
    return copy.deepcopy(_read_curated())


@functools.cache
def _read_curated() -> list[dict[str, Any]]:
    """The file, parsed once per process: every environment built on the curated set used to parse it again."""
    with resources.as_file(resources.files("rlvrgym.tasks").joinpath("data").joinpath(CURATED_FILE)) as path:
        return read_jsonl(path)


def curated_math_tasks(*, split_by_prompt: bool = True) -> RecordSource:
    """The curated problems as tasks. With `split_by_prompt`, each problem belongs to the split `split_of` gives its
    prompt, as generated problems do, so train and test never share a problem; without it, to both splits."""
    tasks = []
    for rec in _read_curated():  # read only: every field used is copied or immutable
        prompt = f"{rec['question']}\n\n{INSTRUCTION}"
        meta: dict[str, Any] = {"answer_type": rec["kind"], "topic": rec.get("topic", ""),
                                "solution": list(rec.get("solution", []))}
        if split_by_prompt:
            meta["split"] = split_of(prompt)
        tasks.append(Task(rec["id"], prompt, rec["answer"], rec["kind"], int(rec["difficulty"]), meta))
    return RecordSource(tasks, name="math-answer-curated")

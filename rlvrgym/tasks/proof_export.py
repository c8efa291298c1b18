"""`rlvrgym export-steps`: step-labelled derivations for training a process reward model (PRM800K/ProcessBench-like).

Each JSONL record is one derivation of a generated task, correct or with one planted error:
```
{"id": "gen:identity:3:123/err", "task_id": "gen:identity:3:123", "kind": "identity", "difficulty": 3,
 "problem": "Prove the identity ...", "reference": {...task record...},
 "steps": ["(x + 2)(x - 5) = x(x - 5) + 2(x - 5)", "= x^2 - 5x - 2x - 10", ...],
 "labels": [1, -1, -1],          # per step: 1 valid, -1 wrong, 0 valid but does not advance, null undecided
 "step_scores": [0.2, 0.0, 0.0], # the verifier's process reward per step: its progress, at most 1 in total
 "first_error": 1,               # index of the first wrong step, -1 when none (ProcessBench's label)
 "error_type": "sign_flip",      # sign_flip | dropped_term | wrong_expansion | illegal_division | null
 "finished": false}              # the derivation is a complete proof
```
Errors are planted in the generators' template derivations; a planted derivation is kept only when the verifier
names the planted step as the first wrong one, so every label in the file is the verifier's.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from rlvrgym.tasks.base import GeneratorSource, Task
from rlvrgym.tasks.proof_generators import PROOF_GENERATORS
from rlvrgym.verifiers.math_proof.verifier import MathProofVerifier
from rlvrgym.verifiers.verdict import Verdict

ERROR_TYPES = ("sign_flip", "dropped_term", "wrong_expansion", "illegal_division")
MAX_TRIES = 8


def _split_target(line: str) -> tuple[str, str]:
    """(prefix kept as is, the part an error is planted in): the text after the last `=`, or the whole line."""
    depth, cut = 0, -1
    for i, c in enumerate(line):
        if c in "{([":
            depth += 1
        elif c in "})]":
            depth -= 1
        if c == "=" and depth == 0:
            cut = i
    return (line[:cut + 1], line[cut + 1:]) if cut >= 0 else ("", line)


def _top_level_ops(s: str) -> list[int]:
    depth, out = 0, []
    for i, c in enumerate(s):
        if c in "{([":
            depth += 1
        elif c in "})]":
            depth -= 1
        elif depth == 0 and c in "+-" and i > 0 and s[i - 1] == " " and i + 1 < len(s) and s[i + 1] == " ":
            out.append(i)
    return out


def plant(line: str, error: str, rng: np.random.Generator) -> str | None:
    """The line with one error of the given type, or None when the type does not apply to it."""
    head, target = _split_target(line)
    if error == "sign_flip":
        ops = [m.start() + 1 for m in re.finditer(r" [+-] ", target)]
        if ops:
            i = ops[int(rng.integers(len(ops)))]
            return head + target[:i] + ("-" if target[i] == "+" else "+") + target[i + 1:]
        stripped = target.strip()
        return head + " " + (stripped[1:] if stripped.startswith("-") else f"-{stripped}") if stripped else None
    if error == "dropped_term":
        ops = _top_level_ops(target)
        if not ops:
            return None
        k = int(rng.integers(len(ops)))
        end = ops[k + 1] - 1 if k + 1 < len(ops) else len(target)
        tail = target[end:]
        if re.search(r"\+\s*C\s*$", target[ops[k] - 1:end]):
            return None  # dropping the constant of integration is not an error
        return head + target[:ops[k] - 1] + tail
    if error == "wrong_expansion":
        numbers = list(re.finditer(r"(?<![\^_\w])\d+", target))
        if not numbers:
            return None
        m = numbers[int(rng.integers(len(numbers)))]
        return head + target[:m.start()] + str(int(m.group()) + 1) + target[m.end():]
    if error == "illegal_division":
        if not target.strip():
            return None
        return head + f" \\frac{{x({target.strip()})}}{{x}}" if head else \
            f"\\frac{{{target.strip()}}}{{x}}" if "=" not in line else None
    raise ValueError(f"unknown error type {error!r}; choose from {', '.join(ERROR_TYPES)}")


def _step_of_line(verdict: Verdict, line_number: int) -> int | None:
    for i, comp in enumerate(verdict.details.get("step_components", [])):
        if comp.get("line") == line_number:
            return i
    return None


def _label(step: Any, advances: bool) -> int | None:
    """PRM800K's labels: 1 a valid step that advances, 0 a valid one that does not (`0 = 0`, a repeat), -1 a wrong
    one, None undecided. From the verdict, not from the score (a score is progress, 0 for a valid step that does
    not bring the written form closer to the target)."""
    if step.valid is None:
        return None
    if step.valid is False:
        return -1
    return 1 if advances else 0


def record_of(task: Task, lines: Sequence[str], verdict: Verdict, error_type: str | None) -> dict[str, Any]:
    planted = error_type is not None
    components = verdict.details.get("step_components") or [{} for _ in verdict.steps]
    return {
        "id": f"{task.id}/{'err' if planted else 'ok'}", "task_id": task.id, "kind": task.kind,
        "difficulty": task.difficulty, "problem": task.reference.get("statement", ""), "reference": task.reference,
        "steps": [s.text for s in verdict.steps],
        "labels": [_label(s, c.get("advances", True)) for s, c in zip(verdict.steps, components, strict=True)],
        "step_scores": [s.score for s in verdict.steps], "first_error": verdict.details.get("first_error", -1),
        "error_type": error_type, "finished": bool(verdict.correct), "completion": "\n".join(lines),
    }


def corrupted(task: Task, verifier: MathProofVerifier, rng: np.random.Generator) -> dict[str, Any] | None:
    """The task's derivation with one planted error the verifier confirms as the first wrong step, or None."""
    lines = list(task.meta["solution"])
    candidates = [i for i, line in enumerate(lines) if not line.startswith("Let ")]
    for _ in range(MAX_TRIES):
        index = candidates[int(rng.integers(len(candidates)))]
        error = ERROR_TYPES[int(rng.integers(len(ERROR_TYPES)))]
        changed = plant(lines[index], error, rng)
        if changed is None or changed == lines[index]:
            continue
        attempt = [*lines[:index], changed, *lines[index + 1:]]
        verdict = verifier.verify("\n".join(attempt), task.reference)
        step = _step_of_line(verdict, index + 1)
        if step is not None and verdict.details.get("first_error") == step and verdict.correct is False:
            return record_of(task, attempt, verdict, error)
    return None


def export_records(kind: str, n: int, *, seed: int = 0, difficulty: Sequence[int] = (1, 2, 3, 4, 5),
                   error_rate: float = 0.5, stats: Counter[str] | None = None) -> Iterator[dict[str, Any]]:
    """`n` labelled derivations of generated tasks of `kind` ("all" mixes the kinds)."""
    if kind != "all" and kind not in PROOF_GENERATORS:
        raise ValueError(f"unknown kind {kind!r}; choose from all, {', '.join(sorted(PROOF_GENERATORS))}")
    if not 0.0 <= error_rate <= 1.0:
        raise ValueError(f"error_rate must be in [0, 1], got {error_rate}")
    stats = stats if stats is not None else Counter()
    source = GeneratorSource(PROOF_GENERATORS, list(difficulty))
    verifier = MathProofVerifier(isolation="inline")  # template derivations: trusted text, bounded sizes
    kinds = sorted(PROOF_GENERATORS) if kind == "all" else [kind]
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        task = source.make(kinds[int(rng.integers(len(kinds)))], int(rng.choice(list(difficulty))),
                           int(rng.integers(2**62)))
        if rng.random() < error_rate:
            record = corrupted(task, verifier, rng)
            if record is not None:
                stats["planted"] += 1
                stats[record["error_type"]] += 1
                yield record
                continue
            stats["no_confirmed_error"] += 1
        verdict = verifier.verify("\n".join(task.meta["solution"]), task.reference)
        stats["correct" if verdict.correct else "template_not_verified"] += 1
        yield record_of(task, task.meta["solution"], verdict, None)


def _cmd_export_steps(args: argparse.Namespace) -> int:
    stats: Counter[str] = Counter()
    levels = [int(d) for d in str(args.difficulty).split(",")]
    with open(args.out, "w", encoding="utf-8") as fh:
        for record in export_records(args.kind, args.n, seed=args.seed, difficulty=levels,
                                     error_rate=args.error_rate, stats=stats):
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {args.n} derivations to {args.out}: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.items())))
    return 0


def add_export_steps_command(subparsers: Any) -> None:
    p = subparsers.add_parser("export-steps", help="write step-labelled derivations (process-supervision data)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kind", default="identity", help="identity, equation, simplify, derivative, integral, limit "
                   "or all (default identity)")
    p.add_argument("--n", type=int, default=1000, help="number of derivations (default 1000)")
    p.add_argument("--out", required=True, help="output JSONL path")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--difficulty", default="1,2,3,4,5", help="comma-separated levels (default 1,2,3,4,5)")
    p.add_argument("--error-rate", type=float, default=0.5, help="share of derivations with a planted error")
    p.set_defaults(func=_cmd_export_steps)

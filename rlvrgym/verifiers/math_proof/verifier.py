"""`get_verifier("math-proof")`: is this derivation a proof of the task, and which of its steps are right?"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

from rlvrgym.verifiers.base import Isolation, Verifier
from rlvrgym.verifiers.bounded import BoundedPool
from rlvrgym.verifiers.math_proof.checks import Timing
from rlvrgym.verifiers.math_proof.goal import BadReference, read_goal
from rlvrgym.verifiers.math_proof.judge import Judge, Judged, StepWeights
from rlvrgym.verifiers.math_proof.lines import split_lines
from rlvrgym.verifiers.registry import register_verifier
from rlvrgym.verifiers.verdict import StepVerdict, Verdict, VerdictStatus

MAX_STEPS = 200


def first_error(steps: list[StepVerdict]) -> int:
    """Index of the first wrong step, or -1 (ProcessBench's label)."""
    return next((s.index for s in steps if s.valid is False), -1)


@register_verifier("math-proof")
class MathProofVerifier(Verifier):
    """Process verifier for step-by-step derivations (docs/math_proof.md).

    The reference is the task record (`{"kind": "identity", "lhs", "rhs"}`, `{"kind": "equation", "equation",
    "variable", "answer"}`, simplify / derivative / integral / limit). `Verdict.score` is 1 when the proof is
    complete (reaches the target, every step valid), `details["first_error"]` is the index of the first wrong step
    or -1, and each `StepVerdict.score` is the step's progress in potential times its validity weight
    (docs/math_proof.md): the scores of any derivation add up to at most 1, and to exactly 1 for a complete proof
    whose every step is fully valid, so no padding, cycle or split step earns more than the honest proof.

    Options:
        weights: `StepWeights` (or a dict of syntax / validity / facts) for the per-step score.
        max_steps: step lines beyond this are not checked and make the proof incomplete.
        timeout / isolation / pool: see `Verifier` (default bound 5 s: a proof has many steps).
    """

    name = "math-proof"
    default_timeout = 5.0

    def __init__(self, *, weights: StepWeights | Mapping[str, float] | None = None, max_steps: int = MAX_STEPS,
                 timeout: float | None = None, isolation: Isolation = "process",
                 pool: BoundedPool | None = None) -> None:
        super().__init__(timeout=timeout, isolation=isolation, pool=pool)
        self.weights = weights if isinstance(weights, StepWeights) else StepWeights(**dict(weights or {}))
        if max_steps < 1:
            raise ValueError(f"max_steps must be positive, got {max_steps}")
        self.max_steps = max_steps

    def judge(self, completion: str, reference: Any) -> Verdict:
        return self.judge_timed(completion, reference)[0]

    def judge_timed(self, completion: str, reference: Any) -> tuple[Verdict, Timing, list[float]]:
        """The verdict, with the time split (numeric test / sympy) and the seconds of each step (benchmarks)."""
        timing = Timing()
        try:
            goal = read_goal(reference)
        except BadReference as exc:
            return Verdict.error(f"the task record cannot be read: {exc}"), timing, []
        lines, overflow = split_lines(completion, self.max_steps)
        seed = hashlib.sha256(json.dumps(reference, sort_keys=True, default=str).encode()).hexdigest()[:16]
        judge = Judge(goal, seed=seed, timing=timing, statement=str(reference.get("statement", "")))
        judged: list[Judged] = []
        step_seconds: list[float] = []
        for line in lines:
            if line.kind != "step":
                continue
            t0 = time.perf_counter()
            j = judge.step(line)
            step_seconds.append(time.perf_counter() - t0)
            if j is not None:
                judged.append(j)
                judge.account(j, judged)
        complete, reason = judge.completion(judged)
        steps, total = [], 0.0
        for i, j in enumerate(judged):  # the clamp only absorbs rounding: the gains telescope to at most 1
            score = round(min(j.score(self.weights), max(0.0, 1.0 - total)), 6)
            total += score
            steps.append(StepVerdict(i, j.line.raw.strip()[:500], j.valid, score, j.reason))
        details: dict[str, Any] = {
            "kind": goal.kind, "first_error": first_error(steps), "n_steps": len(steps),
            "format_ok": bool(steps) and all(j.parses for j in judged),
            "step_components": [{"syntax": int(j.parses), "validity": int(j.follows is True), "facts": int(j.facts),
                                 "advances": j.advances, "line": j.line.number} for j in judged],
        }
        if overflow:
            details["unchecked_lines"] = overflow
            complete, reason = False, f"more than {self.max_steps} steps: {overflow} lines were not checked"
        if complete:
            return Verdict(1.0, True, VerdictStatus.CORRECT, reason, tuple(steps), details), timing, step_seconds
        if not steps:
            return (Verdict(0.0, False, VerdictStatus.UNPARSEABLE, reason, (), details), timing, step_seconds)
        undecided = details["first_error"] < 0 and any(s.valid is None for s in steps) and \
            reason.startswith("step") and "could not be checked" in reason
        if undecided:
            return Verdict(0.0, None, VerdictStatus.ERROR, reason, tuple(steps), details), timing, step_seconds
        return Verdict(0.0, False, VerdictStatus.WRONG, reason, tuple(steps), details), timing, step_seconds

"""From a Verdict to a scalar reward: the weights, step aggregation and shaping terms users tune."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from rlvrgym.verifiers.verdict import Verdict

Aggregation = Literal["min", "mean", "product", "first_error", "discounted", "sum"]
AGGREGATIONS: tuple[str, ...] = ("min", "mean", "product", "first_error", "discounted", "sum")


def aggregate_steps(scores: Sequence[float], how: Aggregation = "mean", gamma: float = 0.9) -> float:
    """Collapse per-step scores into one number in [0, 1]; no steps is 0 (nothing was shown, nothing is earned).

    `first_error`: 1 per step up to the first step scoring below 1, 0 from there on, averaged (ProcessBench's view);
    `discounted`: a gamma-weighted mean that counts early steps more;
    `sum`: the total, clipped to [0, 1], for step scores that are progress increments (MathProof-v0's potential-based
    scores add up to at most 1 over any derivation, so padding cannot raise the total).
    """
    if how not in AGGREGATIONS:
        raise ValueError(f"unknown step aggregation {how!r}; choose one of {', '.join(AGGREGATIONS)}")
    if not scores:
        return 0.0
    if how == "min":
        return float(min(scores))
    if how == "mean":
        return float(sum(scores) / len(scores))
    if how == "sum":
        return float(min(1.0, max(0.0, sum(scores))))
    if how == "product":
        return float(math.prod(scores))
    if how == "first_error":
        good = 0
        for s in scores:
            if s < 1.0:
                break
            good += 1
        return good / len(scores)
    weights = [gamma**i for i in range(len(scores))]
    return float(sum(w * s for w, s in zip(weights, scores, strict=True)) / sum(weights))


@dataclass(frozen=True)
class RewardBreakdown:
    """Each component in [0, 1] before weighting (plot them apart), and the weighted `total` the trainer sees."""

    outcome: float
    process: float
    format: float
    length: float
    total: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class RewardSpec:
    """How a Verdict becomes a reward. `total = outcome_weight*outcome + process_weight*process
    + format_weight*format - length_weight*length`.

    Attributes:
        outcome_weight: weight of `Verdict.score` (final answer correct).
        process_weight: weight of the aggregated step scores (`Verdict.steps`).
        format_weight: weight of "the answer was given in the expected form" (`details["format_ok"]`).
        aggregation: how step scores are combined: min, mean, product, first_error, discounted.
        gamma: discount for `aggregation="discounted"`.
        length_weight: weight of the overlong penalty (0 disables it).
        max_length: completion length in characters at which the penalty reaches 1.
        length_window: the penalty rises linearly over the last `length_window` characters before `max_length`
            (DAPO's soft overlong punishment), so the policy feels it before it is truncated.
    """

    outcome_weight: float = 1.0
    process_weight: float = 0.0
    format_weight: float = 0.0
    aggregation: Aggregation = "mean"
    gamma: float = 0.9
    length_weight: float = 0.0
    max_length: int = 4096
    length_window: int = 1024

    def __post_init__(self) -> None:
        if self.aggregation not in AGGREGATIONS:
            raise ValueError(f"unknown aggregation {self.aggregation!r}; choose one of {', '.join(AGGREGATIONS)}")
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError(f"gamma must be in (0, 1], got {self.gamma}")
        if self.max_length <= 0 or not 0 <= self.length_window <= self.max_length:
            raise ValueError("need max_length > 0 and 0 <= length_window <= max_length, got "
                             f"max_length={self.max_length}, length_window={self.length_window}")

    def length_penalty(self, completion: str) -> float:
        n = len(completion)
        start = self.max_length - self.length_window
        if n <= start:
            return 0.0
        if n >= self.max_length or self.length_window == 0:
            return 1.0
        return (n - start) / self.length_window

    def compute(self, verdict: Verdict, completion: str) -> RewardBreakdown:
        outcome = verdict.score
        process = aggregate_steps([s.score for s in verdict.steps], self.aggregation, self.gamma)
        fmt = 1.0 if verdict.details.get("format_ok") else 0.0
        length = self.length_penalty(completion)
        total = (self.outcome_weight * outcome + self.process_weight * process
                 + self.format_weight * fmt - self.length_weight * length)
        return RewardBreakdown(outcome=outcome, process=process, format=fmt, length=length, total=total)

"""The one road from a completion to its reward: `score` (verify, then weigh) and the `RewardSpec` it weighs with.

Every consumer of a reward goes through here: the environments' `step`, the GRPO reward functions
(`rlvrgym.train.trl_adapter`), the multi-turn rollout (which sums `step` rewards) and `rlvrgym bench` (which steps
environments). None of them re-derives a weight, a length penalty or an efficiency term, so the reward a policy is
trained on is the reward it is benchmarked on (tests/test_reward_paths.py holds them equal).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rlvrgym.verifiers.base import VerifierLike
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


#: The terms of a reward, in the order `RewardSpec.weights()` and the breakdown list them.
TERMS: tuple[str, ...] = ("outcome", "process", "format", "length", "efficiency", "exploration")

#: Task and turn facts a term reads from `score(..., context=...)` (all optional):
#: - `min_steps` (int): the task's minimal number of steps; the efficiency term needs it.
#: - `steps_from` (int): the process term counts only `verdict.steps[steps_from:]` (the steps a turn of a
#:   multi-turn derivation added; earlier turns were paid already).
#: - `step_aggregation` (str): how those steps are aggregated, instead of `RewardSpec.aggregation`.
#: - `partial` (bool): the answer goes on in later turns, so the whole-answer terms (outcome, format, efficiency)
#:   are 0 on this turn and paid on the turn that ends the episode.
#: - `exploration` (float): the completion's novelty within its GRPO group (`group_novelty`); `score_batch` fills
#:   it in from its `groups` argument, since no single completion knows it.
CONTEXT_KEYS: tuple[str, ...] = ("min_steps", "steps_from", "step_aggregation", "partial", "exploration")


@dataclass(frozen=True)
class RewardBreakdown:
    """Each term in [0, 1] before weighting (plot them apart), and the weighted `total` the trainer sees."""

    outcome: float
    process: float
    format: float
    length: float
    total: float
    efficiency: float = 0.0
    exploration: float = 0.0

    def to_dict(self) -> dict[str, float]:
        return {**{term: float(getattr(self, term)) for term in TERMS}, "total": float(self.total)}


@dataclass(frozen=True)
class RewardSpec:
    """How a Verdict becomes a reward. `total = outcome_weight*outcome + process_weight*process
    + format_weight*format - length_weight*length + efficiency_weight*efficiency
    + exploration_weight*exploration`.

    Attributes:
        outcome_weight: weight of `Verdict.score` (final answer correct).
        process_weight: weight of the aggregated step scores (`Verdict.steps`).
        format_weight: weight of "the answer was given in the expected form" (`details["format_ok"]`).
        aggregation: how step scores are combined (see `AGGREGATIONS`).
        gamma: discount for `aggregation="discounted"`.
        length_weight: weight of the overlong penalty (0 disables it).
        max_length: completion length in characters at which the penalty reaches 1.
        length_window: the penalty rises linearly over the last `length_window` characters before `max_length`
            (DAPO's soft overlong punishment), so the policy feels it before it is truncated.
        efficiency_weight: weight of `min(1, min_steps / steps used)` for a correct answer whose task knows its
            minimal number of steps (`context["min_steps"]`); 0 for anything else.
        exploration_weight: weight of the exploration term (0, the default, turns it off): `group_novelty`, the
            share of a completion's word bigrams that no other completion of its GRPO group contains. Novelty is a
            property of the group, so only `score_batch(..., groups=...)` computes it (the GRPO reward functions
            pass each completion's task as its group); a completion scored alone earns 0.
        exploration_on: which completions are paid their novelty: "correct" (the default) pays only completions
            the verifier judged correct, so the term tells correct solutions apart and never pays for being wrong
            in a new way; "all" pays every completion. Why the default: GRPO normalises rewards within a group, so
            in a group where every answer is wrong novelty is the whole advantage, however small its weight, and
            the policy learns to write gibberish (measured in `rlvrgym train study`: with "all" and weight 0.1 the
            outcome reward fell to 0 within 100 steps while novelty rose to 0.99, held-out accuracy 0%).
    """

    outcome_weight: float = 1.0
    process_weight: float = 0.0
    format_weight: float = 0.0
    aggregation: Aggregation = "mean"
    gamma: float = 0.9
    length_weight: float = 0.0
    max_length: int = 4096
    length_window: int = 1024
    efficiency_weight: float = 0.0
    exploration_weight: float = 0.0
    exploration_on: Literal["correct", "all"] = "correct"

    def __post_init__(self) -> None:
        if self.aggregation not in AGGREGATIONS:
            raise ValueError(f"unknown aggregation {self.aggregation!r}; choose one of {', '.join(AGGREGATIONS)}")
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError(f"gamma must be in (0, 1], got {self.gamma}")
        if self.max_length <= 0 or not 0 <= self.length_window <= self.max_length:
            raise ValueError("need max_length > 0 and 0 <= length_window <= max_length, got "
                             f"max_length={self.max_length}, length_window={self.length_window}")
        if self.exploration_on not in ("correct", "all"):
            raise ValueError(f"exploration_on must be 'correct' or 'all', got {self.exploration_on!r}")
        for term in TERMS:
            weight = getattr(self, f"{term}_weight")
            if not (isinstance(weight, (int, float)) and math.isfinite(weight)):
                raise ValueError(f"{term}_weight must be a finite number, got {weight!r}")

    @staticmethod
    def components() -> tuple[str, ...]:
        """The terms of every breakdown, in order: what a trainer logs as separate reward functions."""
        return TERMS

    def weights(self) -> dict[str, float]:
        """Term -> signed weight (the length penalty counts negatively): `total = sum(weight * term)`, which is
        what TRL computes from one reward function per term and `GRPOConfig.reward_weights`."""
        return {"outcome": self.outcome_weight, "process": self.process_weight, "format": self.format_weight,
                "length": -self.length_weight, "efficiency": self.efficiency_weight,
                "exploration": self.exploration_weight}

    def length_penalty(self, completion: str) -> float:
        n = len(completion)
        start = self.max_length - self.length_window
        if n <= start:
            return 0.0
        if n >= self.max_length or self.length_window == 0:
            return 1.0
        return (n - start) / self.length_window

    def breakdown(self, verdict: Verdict, completion: str, context: Mapping[str, Any] | None = None
                  ) -> RewardBreakdown:
        """Weigh a verdict: every term, whether its weight is 0 or not, and the total. `completion` is the text the
        length penalty measures; `context` holds the task and turn facts of `CONTEXT_KEYS`."""
        ctx = context or {}
        unknown = set(ctx) - set(CONTEXT_KEYS)
        if unknown:
            raise ValueError(f"unknown reward context keys {sorted(unknown)}; known: {', '.join(CONTEXT_KEYS)}")
        partial = bool(ctx.get("partial", False))
        steps = verdict.steps[int(ctx.get("steps_from", 0)):]
        process = aggregate_steps([s.score for s in steps], ctx.get("step_aggregation", self.aggregation),
                                  self.gamma)
        values = {
            "outcome": 0.0 if partial else verdict.score,
            "process": process,
            "format": 0.0 if partial or not verdict.details.get("format_ok") else 1.0,
            "length": self.length_penalty(completion),
            "efficiency": 0.0 if partial else efficiency(verdict, ctx.get("min_steps")),
            "exploration": (float(ctx.get("exploration", 0.0))
                            if self.exploration_on == "all" or verdict.correct is True else 0.0),
        }
        weights = self.weights()
        total = sum(weights[term] * values[term] for term in TERMS)
        return RewardBreakdown(total=total, **values)

    def compute(self, verdict: Verdict, completion: str, context: Mapping[str, Any] | None = None
                ) -> RewardBreakdown:
        """Another name of `breakdown`, kept for callers written before it."""
        return self.breakdown(verdict, completion, context)


def efficiency(verdict: Verdict, min_steps: Any) -> float:
    """Steps used against the task's known minimum (1 at or below it); 0 for a wrong answer, an unknown minimum
    or an answer with no judged steps."""
    used = len(verdict.steps)
    if verdict.correct is not True or not min_steps or not used:
        return 0.0
    return min(1.0, float(min_steps) / used)


@dataclass(frozen=True)
class Scored:
    """A completion's verdict and the reward the spec makes of it."""

    verdict: Verdict
    breakdown: RewardBreakdown

    @property
    def reward(self) -> float:
        return float(self.breakdown.total)


def too_long(completion: str, max_chars: int | None) -> Verdict | None:
    """The verdict for a completion over the length limit (it is never sent to the verifier), else None."""
    if max_chars is not None and len(completion) > max_chars:
        return Verdict.unparseable(f"completion has {len(completion)} characters, over the limit of {max_chars}")
    return None


def judge(completion: str, reference: Any, verifier: VerifierLike, *, max_chars: int | None = None) -> Verdict:
    """The verifier's verdict, after the length check every path applies."""
    return too_long(completion, max_chars) or verifier.verify(completion, reference)


def judge_batch(completions: Sequence[str], references: Sequence[Any], verifier: VerifierLike, *,
                max_chars: int | None = None) -> list[Verdict]:
    """`judge` over a batch, through `verifier.verify_batch` (its worker pool) when it has one."""
    if len(completions) != len(references):
        raise ValueError(f"got {len(completions)} completions but {len(references)} references")
    verdicts: list[Verdict | None] = [too_long(c, max_chars) for c in completions]
    todo = [i for i, v in enumerate(verdicts) if v is None]
    pairs = ([completions[i] for i in todo], [references[i] for i in todo])
    batch = getattr(verifier, "verify_batch", None)
    if todo:
        judged = batch(*pairs) if batch is not None else [verifier.verify(c, r) for c, r in zip(*pairs, strict=True)]
        if len(judged) != len(todo):
            raise RuntimeError(f"{verifier.name}.verify_batch returned {len(judged)} verdicts for {len(todo)} "
                               "completions")
        for i, v in zip(todo, judged, strict=True):
            verdicts[i] = v
    return [v for v in verdicts if v is not None]


def score(completion: str, reference: Any, verifier: VerifierLike, spec: RewardSpec, *,
          context: Mapping[str, Any] | None = None, max_chars: int | None = None) -> Scored:
    """Judge one completion and weigh the verdict: the reward of an environment step and of a GRPO reward
    function alike. A completion over `max_chars` is `unparseable` with a reason and never reaches the verifier."""
    verdict = judge(completion, reference, verifier, max_chars=max_chars)
    return Scored(verdict, spec.breakdown(verdict, completion, context))


def score_batch(completions: Sequence[str], references: Sequence[Any], verifier: VerifierLike, spec: RewardSpec, *,
                contexts: Sequence[Mapping[str, Any] | None] | None = None, max_chars: int | None = None,
                groups: Sequence[Hashable] | None = None) -> list[Scored]:
    """`score` over a batch, verified in one `verify_batch` call when the verifier has one (GRPO groups).

    `groups` (one key per completion, e.g. its task id) says which completions are samples of the same prompt; with
    `spec.exploration_weight` set, each completion's exploration term is its `group_novelty` among them."""
    if contexts is not None and len(contexts) != len(completions):
        raise ValueError(f"got {len(completions)} completions but {len(contexts)} contexts")
    verdicts = judge_batch(completions, references, verifier, max_chars=max_chars)
    ctxs: list[Mapping[str, Any] | None] = list(contexts) if contexts is not None else [None] * len(completions)
    if spec.exploration_weight and groups is not None:
        novelty = novelty_by_group(completions, groups)
        ctxs = [{**(ctx or {}), "exploration": nov} for ctx, nov in zip(ctxs, novelty, strict=True)]
    return [Scored(v, spec.breakdown(v, c, ctx)) for v, c, ctx in zip(verdicts, completions, ctxs, strict=True)]


def group_novelty(completions: Sequence[str], n: int = 2) -> list[float]:
    """The exploration term of each completion of one GRPO group: the share of its word n-grams that no other
    completion of the group contains (distinct-n against the group), in [0, 1].

    Why this measure: GRPO's advantage is relative to the group, and a group whose samples are all the same has no
    advantage to learn from; a bonus for saying what the siblings did not say keeps the group apart. It needs no
    log-probabilities (it works with any trainer and with vLLM generation, unlike token entropy) and is linear in
    the text length, unlike pairwise edit distances. A completion equal to a sibling scores 0; an empty one scores
    0 (nothing new was said); a lone completion has no group and scores 0.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    grams = [_ngrams(c, n) for c in completions]
    counts: dict[tuple[str, ...], int] = {}
    for g in grams:
        for gram in g:
            counts[gram] = counts.get(gram, 0) + 1
    # each completion's grams are a set, so a gram counted once overall is that completion's alone
    return [sum(counts[gram] == 1 for gram in g) / len(g) if g and len(grams) > 1 else 0.0 for g in grams]


def novelty_by_group(completions: Sequence[str], groups: Sequence[Hashable]) -> list[float]:
    """`group_novelty` within each group of the batch (completions sharing a key)."""
    if len(groups) != len(completions):
        raise ValueError(f"got {len(completions)} completions but {len(groups)} group keys")
    members: dict[Hashable, list[int]] = {}
    for i, key in enumerate(groups):
        members.setdefault(key, []).append(i)
    out = [0.0] * len(completions)
    for idx in members.values():
        for i, value in zip(idx, group_novelty([completions[i] for i in idx]), strict=True):
            out[i] = value
    return out


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = text.split()
    if 0 < len(words) < n:
        return {tuple(words)}
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}

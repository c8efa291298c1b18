"""`get_verifier("reasoning-gym")`: a reasoning-gym dataset's own `score_answer`, bounded and fail-closed.

The judgement is reasoning-gym's (each dataset knows what a right answer to its puzzles is); what this module adds
is where it runs (a killable worker, like every verifier), what it reads (the last `<answer>` tag after any
`<think>` block, as reasoning-gym's own prompts ask) and the credit policy. Many of its scorers pay partial credit
to wrong answers: 0.01 to 0.05 for any non-empty answer in some datasets, and `len(reference) / len(answer)` for an
answer that merely *contains* the reference in every dataset that keeps the base scorer, so padding the right
answer with guesses is paid. By default only a full score counts (`partial_credit=False`: the verdict's score is
1 or 0); `partial_credit=True` passes the scorer's number through (see the README for the datasets it affects).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rlvrgym.verifiers.base import Isolation, Verifier
from rlvrgym.verifiers.bounded import BoundedPool
from rlvrgym.verifiers.math.extract import strip_thinking
from rlvrgym.verifiers.registry import register_verifier
from rlvrgym.verifiers.verdict import Verdict

#: reasoning-gym's own answer convention (its `utils.extract_answer`): the last pair of tags wins.
_ANSWER = re.compile(r"<answer>\s?(.*?)\s?</answer>", re.S)
#: A scorer's number at or above this is a full score (scorers return floats such as 0.9999999).
FULL_SCORE = 1.0 - 1e-9


@register_verifier("reasoning-gym")
class ReasoningGymVerifier(Verifier):
    """Options:
        partial_credit: pay the dataset scorer's fractional scores (default False: only a full score earns).
        timeout / isolation / pool: see `Verifier`. The default bound is 5 s: a few datasets build their data
            (ARC grids, word lists) when an item is regenerated in a fresh worker.
    """

    name = "reasoning-gym"
    default_timeout = 5.0

    def __init__(self, *, partial_credit: bool = False, timeout: float | None = None,
                 isolation: Isolation = "process", pool: BoundedPool | None = None) -> None:
        super().__init__(timeout=timeout, isolation=isolation, pool=pool)
        self.partial_credit = partial_credit

    def warmup(self) -> None:
        from rlvrgym.tasks.reasoning_gym import require_reasoning_gym

        require_reasoning_gym()  # importing reasoning_gym takes about a second: not on the first job's clock

    def judge(self, completion: str, reference: Any) -> Verdict:
        from rlvrgym.tasks.reasoning_gym import build, config_key

        if not (isinstance(reference, Mapping) and isinstance(reference.get("dataset"), str)
                and isinstance(reference.get("seed"), int)):
            return Verdict.error("a reasoning-gym reference is {'dataset': name, 'config': {...}, 'seed': int}, "
                                 f"got {reference!r}")
        dataset = reference["dataset"]
        try:
            data, item = build(dataset, config_key(reference.get("config")), reference["seed"])
        except (KeyError, TypeError, ValueError) as exc:
            return Verdict.error(f"the reference cannot be rebuilt: {type(exc).__name__}: {exc}")
        text = strip_thinking(completion)
        if text is None:
            return Verdict.unparseable("a <think> block never closes: no answer was given", format_ok=False)
        answers = _ANSWER.findall(text)
        if not answers:
            return Verdict.unparseable("no <answer>...</answer> tags after the reasoning", format_ok=False)
        answer = answers[-1].strip()
        details: dict[str, Any] = {"extracted": answer, "format_ok": True, "dataset": dataset}
        raw = data.score_answer(answer, item)
        try:
            scored = float(raw)
        except (TypeError, ValueError):
            return Verdict.error(f"the {dataset} scorer returned {raw!r}, not a number", **details)
        details["scorer_score"] = scored
        if scored >= FULL_SCORE:
            return Verdict.right(f"the {dataset} scorer gives full marks", **details)
        if self.partial_credit and scored > 0:
            return Verdict.wrong(f"the {dataset} scorer gives partial credit {scored:.3g}",
                                 score=min(max(scored, 0.0), 1.0), **details)
        reason = f"the {dataset} scorer gives {scored:.3g}"
        if scored > 0:
            reason += " (partial credit, not paid: partial_credit=False)"
        return Verdict.wrong(reason, **details)

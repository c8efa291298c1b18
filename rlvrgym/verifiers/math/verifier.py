"""`get_verifier("math")`: is the completion's final answer the reference answer?"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

from rlvrgym.verifiers.base import Isolation, Verifier
from rlvrgym.verifiers.bounded import BoundedPool
from rlvrgym.verifiers.extract import hedge_after, is_hedge
from rlvrgym.verifiers.math.answers import (
    Answer,
    Choice,
    Ordered,
    ParseFailure,
    RealSet,
    Solutions,
    TextAnswer,
    TooLarge,
    describe,
    kind_of,
)
from rlvrgym.verifiers.math.compare import Policy, compare
from rlvrgym.verifiers.math.extract import extract_answer
from rlvrgym.verifiers.math.parser import choice_letter, parse_answer, parse_text_answer
from rlvrgym.verifiers.registry import register_verifier
from rlvrgym.verifiers.verdict import Verdict, VerdictStatus


def reference_text(reference: Any) -> str:
    """References may be strings, numbers, or records `{"answer": ...}` (the curated sets' format)."""
    if isinstance(reference, dict):
        for key in ("answer", "reference", "solution"):
            if key in reference:
                return reference_text(reference[key])
        raise ValueError(f"reference record has no 'answer' field: {sorted(reference)}")
    if isinstance(reference, bool):
        raise ValueError("a boolean is not a math reference")
    if isinstance(reference, (int, float)):
        return repr(reference)
    if isinstance(reference, str):
        return reference
    raise ValueError(f"unsupported reference type {type(reference).__name__}")


@lru_cache(maxsize=8192)
def parse_reference(text: str) -> Answer:
    """Parsed references are cached: a GRPO group verifies N completions against one reference."""
    letter = choice_letter(text)
    if letter is not None and len(text.strip().strip("()$")) <= 16 and letter in "ABCDEFGH" and \
            not any(c.isdigit() for c in text):
        stripped = text.replace(" ", "")
        if stripped.strip("$").strip("()") == letter or "text" in stripped or "(" in stripped:
            return Choice(letter)
    try:
        answer, _ = parse_answer(text)
        return answer
    except ParseFailure:
        words = parse_text_answer(text)
        if words is not None:
            return words
        raise


def same_value(a: str, b: str) -> bool | None:
    """The math verifier's "same value?" predicate for hedge detection: both texts parse and compare equal under
    the default policy (None when either cannot be read)."""
    try:
        left, _ = parse_answer(a)
        right, _ = parse_answer(b)
    except (ParseFailure, TooLarge):
        return None
    return compare(left, right, Policy(), seed_text=a).equal


def _is_collection(answer: Answer) -> bool:
    return isinstance(answer, (Solutions, Ordered)) or (isinstance(answer, RealSet) and len(answer.value.args) > 1)


@register_verifier("math")
class MathVerifier(Verifier):
    """Outcome verifier for math answers, following shared/design/math.md.

    Options:
        require_evaluated: reject answers that leave factorials, binomials or sums unevaluated when the reference
            is a plain number (stops a policy from echoing the question).
        timeout / isolation / pool: see `Verifier`.
    """

    name = "math"
    default_timeout = 1.0

    def __init__(self, *, require_evaluated: bool = False, timeout: float | None = None,
                 isolation: Isolation = "process", pool: BoundedPool | None = None) -> None:
        super().__init__(timeout=timeout, isolation=isolation, pool=pool)
        self.policy = Policy(require_evaluated=require_evaluated)

    def warmup(self) -> None:
        # One pair per path (decimal, expression, equation, inequality): sympy fills its caches on first use.
        for completion, reference in (("\\boxed{0.5}", "\\frac12"), ("\\boxed{(x+1)^2}", "x^2+2x+1"),
                                      ("\\boxed{2x=6}", "x=3"), ("\\boxed{x > 2}", "(2, \\infty)"),
                                      ("\\boxed{\\sqrt{2}/2}", "\\frac{1}{\\sqrt2}")):
            self.judge_safely(completion, reference)

    def judge(self, completion: str, reference: Any) -> Verdict:
        try:
            ref_text = reference_text(reference)
            ref = parse_reference(ref_text)
        except (ParseFailure, TooLarge, ValueError) as exc:
            return Verdict.error(f"the reference {reference!r} cannot be read: {exc}")
        extraction = extract_answer(completion)
        if extraction is None:
            return Verdict.unparseable("no final answer found (no \\boxed{}, no 'the answer is', no math)",
                                       format_ok=False)
        if extraction.method == "boxed_unclosed":
            return Verdict.unparseable("the \\boxed{} answer is never closed", format_ok=False)
        details: dict[str, Any] = {"extracted": extraction.text, "extraction": extraction.method,
                                   "format_ok": extraction.format_ok, "reference_kind": kind_of(ref)}
        if len(extraction.values) > 1:
            if _is_collection(ref):
                # "$x=\boxed{2}$ or $x=\boxed{6}$": several boxed solutions stated together are one answer.
                extraction = replace(extraction, text=", ".join(extraction.values))
                details["extracted"] = extraction.text
            elif is_hedge(extraction.values, same_value):
                return Verdict.wrong("a hedge: different values are stated as the answer ("
                                     + " / ".join(v[:30] for v in extraction.values) + ")", hedge=True, **details)
        hedge = hedge_after(extraction.tail, extraction.text, same_value) if extraction.tail.strip() else None
        if hedge is not None:
            return Verdict.wrong(f"a hedge: the answer is followed by another possible value ({hedge!r})",
                                 hedge=True, **details)
        if isinstance(ref, Choice):
            letter = choice_letter(extraction.text)
            if letter is None:
                return Verdict.unparseable(f"expected an option letter, got {extraction.text!r}", **details)
            details["parsed"] = letter
            if letter == ref.letter:
                return Verdict.right(f"option {letter}", method="choice", **details)
            return Verdict.wrong(f"option {letter}, the reference is {ref.letter}", method="choice", **details)
        try:
            answer, info = parse_answer(extraction.text)
            if _is_collection(ref) and not _is_collection(answer):
                # "1,234" against a list reference is a list, not one thousand two hundred and thirty-four.
                answer, info = parse_answer(extraction.text, join_thousands=False)
        except TooLarge as exc:
            return Verdict.unparseable(f"the answer is too large to check: {exc}", **details)
        except ParseFailure as exc:
            if isinstance(ref, TextAnswer):
                answer, info = parse_text_answer(extraction.text) or TextAnswer(extraction.text), None
            else:
                return Verdict.unparseable(f"the answer {extraction.text!r} cannot be read as math: {exc}",
                                           **details)
        details["answer_kind"] = kind_of(answer)
        details["parsed"] = describe(answer)
        if info is not None and info.dropped:
            details["dropped"] = info.dropped
        match = compare(ref, answer, self.policy, seed_text=ref_text)
        details["method"] = match.method
        if match.equal is None:
            return Verdict(0.0, None, VerdictStatus.ERROR, f"could not decide: {match.reason}", details=details)
        if match.equal:
            return Verdict.right(match.reason, **details)
        return Verdict.wrong(match.reason, **details)

"""`get_verifier("math")`: is the completion's final answer the reference answer?"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import Any

import sympy as sp

from rlvrgym.verifiers.base import Isolation, Verifier
from rlvrgym.verifiers.bounded import BoundedPool
from rlvrgym.verifiers.errors import BadReference
from rlvrgym.verifiers.extract import hedge_after, is_hedge
from rlvrgym.verifiers.math.answers import (
    Answer,
    Choice,
    Equation,
    Ordered,
    ParseFailure,
    RealSet,
    Scalar,
    Solutions,
    TextAnswer,
    TooLarge,
    describe,
    kind_of,
)
from rlvrgym.verifiers.math.compare import Match, Policy, compare
from rlvrgym.verifiers.math.extract import extract_answer, extract_choice
from rlvrgym.verifiers.math.normalize import normalize
from rlvrgym.verifiers.math.parser import choice_letter, parse_answer, parse_text_answer
from rlvrgym.verifiers.registry import register_verifier
from rlvrgym.verifiers.verdict import Verdict, VerdictStatus


def reference_text(reference: Any) -> str:
    """References may be strings, numbers, or records `{"answer": ...}` (the curated sets' format)."""
    if isinstance(reference, dict):
        for key in ("answer", "reference", "solution"):
            if key in reference:
                return reference_text(reference[key])
        raise BadReference(f"reference record has no 'answer' field: {sorted(reference)}")
    if isinstance(reference, bool):
        raise BadReference("a boolean is not a math reference")
    if isinstance(reference, (int, float)):
        return repr(reference)
    if isinstance(reference, str):
        return reference
    raise BadReference(f"unsupported reference type {type(reference).__name__}")


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


def _is_collection(answer: Answer) -> bool:
    return isinstance(answer, (Solutions, Ordered)) or (isinstance(answer, RealSet) and len(answer.value.args) > 1)


PERCENT_MODES = ("as_number", "as_fraction", "either")
DEGREE_MODES = ("as_number", "as_radians", "either")
_CHOICE_TAIL = re.compile(r"(?:\bor\b(?:\s+(?:possibly|maybe|perhaps|else))?"
                          r"|\b(?:could|might|may)\s+(?:also\s+|instead\s+|well\s+)?be|\balternatively,?)\s*\(?\s*([A-H])\s*\)?(?![A-Za-z])"
                          r"|(?<![A-Za-z])\(?([A-H])\)?\s+(?:is|would\s+be|seems)\s+(?:also|equally)\s+"
                          r"(?:possible|correct|valid|plausible|right)")


@lru_cache(maxsize=8192)
def _marks(text: str) -> frozenset[str]:
    """Which value-bearing marks a text carries: "percent" (`50\\%`, `50 percent`), "degrees" (`30^\\circ`, not
    inside a trigonometric function, where the angle is converted)."""
    dropped: list[str] = []
    try:
        normalize(text, dropped=dropped)
    except re.error:  # pragma: no cover - normalize is plain regex work
        return frozenset()
    found = {d for d in dropped if d in ("percent", "degrees")}
    if any(d.startswith("unit:") and d[5:].lower() in ("percent",) for d in dropped):
        found.add("percent")
    if any(d.startswith("unit:") and d[5:].lower() in ("degree", "degrees", "deg") for d in dropped):
        found.add("degrees")
    return frozenset(found)


def _scaled(answer: Answer, factor: sp.Expr) -> Answer | None:
    """The same answer with its value multiplied by `factor` (50% as 1/2, 30° as π/6); None when not a value."""
    if isinstance(answer, Scalar):
        exact_factor = factor.is_Rational
        quantum = answer.quantum * factor if answer.quantum is not None and exact_factor else None
        return Scalar(answer.expr * factor, quantum=quantum,
                      inexact=answer.inexact or (answer.quantum is not None and not exact_factor),
                      unevaluated=answer.unevaluated)
    if isinstance(answer, Equation) and answer.assigned is not None:
        return Equation(answer.assigned, answer.value * factor)
    if isinstance(answer, Solutions):
        items = [_scaled(i, factor) if isinstance(i, Answer) else None for i in answer.items]
        kept = [i for i in items if i is not None]
        return Solutions(tuple(kept)) if len(kept) == len(items) else None
    return None


def _readings(answer: Answer, marks: frozenset[str], percent: str, degrees: str) -> list[Answer]:
    """The values a marked answer may stand for under the percent and degree policies (docs/math.md)."""
    out = [answer]
    for mark, mode, factor, converted in (("percent", percent, sp.Rational(1, 100), "as_fraction"),
                                          ("degrees", degrees, sp.pi / 180, "as_radians")):
        if mark not in marks or mode == "as_number":
            continue
        scaled = [s for s in (_scaled(a, factor) for a in out) if s is not None]
        out = scaled if mode == converted and scaled else out + scaled
    return out


def same_value(a: str, b: str) -> bool | None:
    """The math verifier's "same value?" predicate for hedge detection: both texts parse and compare equal under
    some reading (`50\\%` and `0.5` state one value, not two); None when either cannot be read."""
    try:
        left, _ = parse_answer(a)
        right, _ = parse_answer(b)
    except (ParseFailure, TooLarge):
        return None
    decided: bool | None = False
    for x in _readings(left, _marks(a), "either", "either"):
        for y in _readings(right, _marks(b), "either", "either"):
            equal = compare(x, y, Policy(), seed_text=a).equal
            if equal:
                return True
            if equal is None:
                decided = None
    return decided


def _same_letter(a: str, b: str) -> bool:
    return a.strip("() ").upper() == b.strip("() ").upper()


@register_verifier("math")
class MathVerifier(Verifier):
    """Outcome verifier for math answers; the policy is docs/math.md.

    Options:
        require_evaluated: reject answers that leave factorials, binomials or sums unevaluated when the reference
            is a plain number (stops a policy from echoing the question).
        percent: what `50\\%` means. "as_number" (default): 50, the sign is a decoration; "as_fraction": 0.5
            (= 1/2, not 50); "either": both readings are accepted. Applies to the answer and the reference.
        degrees: what a final angle `30^\\circ` means. "as_number" (default): 30; "as_radians": π/6 (= 30°, not
            30); "either": both. Degrees inside a trigonometric function (`\\cos 60^\\circ`) are always angles.
        timeout / isolation / pool: see `Verifier`.
    """

    name = "math"
    default_timeout = 1.0

    def __init__(self, *, require_evaluated: bool = False, percent: str = "as_number", degrees: str = "as_number",
                 timeout: float | None = None, isolation: Isolation = "process",
                 pool: BoundedPool | None = None) -> None:
        if percent not in PERCENT_MODES:
            raise ValueError(f"percent must be one of {PERCENT_MODES}, got {percent!r}")
        if degrees not in DEGREE_MODES:
            raise ValueError(f"degrees must be one of {DEGREE_MODES}, got {degrees!r}")
        super().__init__(timeout=timeout, isolation=isolation, pool=pool)
        self.policy = Policy(require_evaluated=require_evaluated)
        self.percent = percent
        self.degrees = degrees

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
        if isinstance(ref, Choice):
            return self._judge_choice(completion, ref)
        extraction = extract_answer(completion)
        if extraction is None:
            return Verdict.unparseable("no final answer found (no \\boxed{}, no 'the answer is', no math)",
                                       format_ok=False)
        if extraction.method == "boxed_unclosed":
            return Verdict.unparseable("the \\boxed{} answer is never closed", format_ok=False)
        if extraction.method == "phrase_empty":
            return Verdict.unparseable("a final answer is announced but none follows", format_ok=False)
        details: dict[str, Any] = {"extracted": extraction.text, "extraction": extraction.method,
                                   "format_ok": extraction.format_ok, "reference_kind": kind_of(ref)}
        if len(extraction.values) > 1:
            if _is_collection(ref):
                # "$x=\boxed{2}$ or $x=\boxed{6}$", "the solutions are $x=2$ and $x=6$": one answer, several values.
                extraction = replace(extraction, text=", ".join(extraction.values))
                details["extracted"] = extraction.text
            elif is_hedge(extraction.values, same_value):
                return Verdict.wrong("a hedge: different values are stated as the answer ("
                                     + " / ".join(v[:30] for v in extraction.values) + ")", hedge=True, **details)
        hedge = hedge_after(extraction.tail, extraction.text, same_value) if extraction.tail.strip() else None
        if hedge is not None:
            return Verdict.wrong(f"a hedge: the answer is followed by another possible value ({hedge!r})",
                                 hedge=True, **details)
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
        match = self._compare(ref, ref_text, answer, extraction.text, info is not None)
        details["method"] = match.method
        if match.equal is None:
            return Verdict(0.0, None, VerdictStatus.ERROR, f"could not decide: {match.reason}", details=details)
        if match.equal:
            return Verdict.right(match.reason, **details)
        return Verdict.wrong(match.reason, **details)

    def _compare(self, ref: Answer, ref_text: str, answer: Answer, answer_text: str, parsed: bool) -> Match:
        """compare() under the percent and degree policies: any reading of the reference against any reading of
        the answer (one reading each under the defaults)."""
        if self.percent == self.degrees == "as_number":
            return compare(ref, answer, self.policy, seed_text=ref_text)
        refs = _readings(ref, _marks(ref_text), self.percent, self.degrees)
        answers = _readings(answer, _marks(answer_text), self.percent, self.degrees) if parsed else [answer]
        first: Match | None = None
        for r in refs:
            for a in answers:
                match = compare(r, a, self.policy, seed_text=ref_text)
                if match.equal:
                    return match
                first = first or match
        assert first is not None
        return first

    def _judge_choice(self, completion: str, ref: Choice) -> Verdict:
        found = extract_choice(completion)
        if found is None or found.method == "boxed_unclosed":
            return Verdict.unparseable("no option letter found" if found is None else
                                       "the \\boxed{} answer is never closed", format_ok=False)
        details: dict[str, Any] = {"extracted": found.text, "extraction": found.method, "format_ok": found.format_ok,
                                   "reference_kind": "choice"}
        if not found.letters:
            return Verdict.unparseable(f"expected an option letter, got {found.text!r}", **details)
        if len(found.letters) > 1:
            return Verdict.wrong(f"a hedge: several options are stated ({', '.join(found.letters)})", hedge=True,
                                 method="choice", **details)
        letter = found.letters[0]
        details["parsed"] = letter
        other = _CHOICE_TAIL.search(found.tail)
        if other is not None and (other.group(1) or other.group(2)) != letter:
            return Verdict.wrong(f"a hedge: option {letter} is followed by another option ({other.group().strip()!r})",
                                 hedge=True, method="choice", **details)
        hedge = hedge_after(found.tail, letter, _same_letter) if found.tail.strip() else None
        if hedge is not None:
            return Verdict.wrong(f"a hedge: the answer is followed by another possibility ({hedge!r})", hedge=True,
                                 method="choice", **details)
        if letter == ref.letter:
            return Verdict.right(f"option {letter}", method="choice", **details)
        return Verdict.wrong(f"option {letter}, the reference is {ref.letter}", method="choice", **details)

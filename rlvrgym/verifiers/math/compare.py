"""When two parsed answers are the same answer: the policy of docs/math.md, one rule per function.

Every rule returns a `Match`: equal or not, a one-sentence reason, and how it was decided (exact, numeric,
symbolic), so a verdict can always say why.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import mpmath
import sympy as sp

from rlvrgym.verifiers.math.answers import (
    Answer,
    Choice,
    Equation,
    MatrixAnswer,
    Ordered,
    RealSet,
    Scalar,
    Solutions,
    TextAnswer,
    describe,
    kind_of,
)
from rlvrgym.verifiers.math.numeric import Unsupported, close, context, evaluate, finite, numeric_equal

DECIMAL_REL_TOL = sp.Rational(1, 10**6)
EXACT_VS_DECIMAL_DIGITS = 6  # an exact reference is met by a decimal of at least this many significant digits
PRECISIONS = (60, 150, 400)


def _show(value: object) -> str:
    """Printing without term ordering: sympy's ordered printer costs more than the whole comparison."""
    return sp.sstr(value, order="none")


@dataclass(frozen=True)
class Match:
    equal: bool | None  # None: could not decide
    reason: str
    method: str = "structural"


def _yes(reason: str, method: str) -> Match:
    return Match(True, reason, method)


def _no(reason: str, method: str = "structural") -> Match:
    return Match(False, reason, method)


@dataclass(frozen=True)
class Policy:
    require_evaluated: bool = False


# -- numbers and expressions ----------------------------------------------------------------------------------
def _significant_digits(value: sp.Rational, quantum: sp.Rational) -> int:
    if value == 0:
        return 1
    return int(mpmath.floor(mpmath.log10(abs(mpmath.mpf(value.p) / value.q)))) - \
        int(mpmath.floor(mpmath.log10(mpmath.mpf(quantum.p) / quantum.q))) + 1


def compare_numbers(ref: Scalar, ans: Scalar) -> Match:
    r, a = ref.expr, ans.expr
    if r == a:
        return _yes("the same number", "exact")
    if r.is_Rational and a.is_Rational:
        if ref.quantum is None and ans.quantum is None:
            return _no(f"{a} is not {r}", "exact")
        return _compare_decimal(ref, ans, r, a)
    if not (ref.quantum is not None or ans.quantum is not None or ref.inexact or ans.inexact):
        if r.is_finite is False or a.is_finite is False:
            return _compare_infinite(r, a)
        return _exact_numeric(r, a)
    try:
        rv, _ = evaluate(r, 60)
        av, _ = evaluate(a, 60)
    except (ZeroDivisionError, ValueError, OverflowError, TypeError) as exc:
        return Match(None, f"could not evaluate the numbers: {exc}", "numeric")
    if not (finite(rv) and finite(av)):
        return _compare_infinite(r, a)
    if abs(mpmath.im(rv)) > 1e-40 or abs(mpmath.im(av)) > 1e-40:
        return Match(close(rv, av, 1e-6, 1e-12), "compared as complex decimals", "numeric")
    return _compare_decimal(ref, ans, _to_rational(mpmath.re(rv)), _to_rational(mpmath.re(av)))


def _to_rational(value: object) -> sp.Rational:
    man, exp = mpmath.mpf(value).man_exp
    return sp.Rational(man) * sp.Rational(2) ** exp


def _compare_infinite(r: sp.Expr, a: sp.Expr) -> Match:
    if r == a:
        return _yes("the same infinity", "exact")
    return _no(f"{a} is not {r}", "exact")


def _compare_decimal(ref: Scalar, ans: Scalar, r: sp.Rational, a: sp.Rational) -> Match:
    """math.md, "Decimals": two decimals agree to a relative 1e-6; a decimal reference is met by an exact answer
    that rounds to it; an exact reference by a decimal of at least 6 significant digits."""
    if r == a:
        return _yes("equal values", "exact")
    diff = abs(r - a)
    if ref.quantum is not None and ans.quantum is not None:
        if diff <= DECIMAL_REL_TOL * max(abs(r), abs(a)):
            return _yes("decimals agree to a relative 1e-6", "decimal")
        return _no(f"{float(a)} is not {float(r)} (decimals differ beyond a relative 1e-6)", "decimal")
    if ref.quantum is not None:
        if diff <= ref.quantum / 2:
            return _yes(f"the answer rounds to the reference {float(r)} at its precision", "decimal")
        return _no(f"{float(a)} does not round to the reference {float(r)}", "decimal")
    if ans.quantum is not None:
        digits = _significant_digits(a, ans.quantum)
        if digits < EXACT_VS_DECIMAL_DIGITS:
            return _no(f"the reference is exact; a decimal needs at least {EXACT_VS_DECIMAL_DIGITS} significant "
                       f"digits, the answer {float(a)} has {digits}", "decimal")
        truncated = sp.sign(r) * sp.floor(abs(r) / ans.quantum) * ans.quantum
        if diff <= ans.quantum / 2 or a == truncated:
            return _yes(f"a {digits}-digit decimal of the exact reference (rounded or truncated)", "decimal")
        return _no(f"{float(a)} is not a rounding of the exact reference {float(r)}", "decimal")
    # Decimals inside a larger expression: compare at a relative 1e-6.
    if diff <= DECIMAL_REL_TOL * max(abs(r), abs(a)):
        return _yes("values agree to a relative 1e-6", "decimal")
    return _no(f"{float(a)} is not {float(r)}", "decimal")


def _exact_numeric(r: sp.Expr, a: sp.Expr) -> Match:
    """Exact constants (math.md: "compare exactly when both sides are exact"). The difference is evaluated, not
    the two sides: 2^2006·√2 + 1 and 2^2006·√2 agree to 600 digits yet differ by 1. A difference is nonzero once
    it stands above the rounding noise of the terms that produced it; it is called zero only when it stays under
    that noise at 60, 150 and 400 digits."""
    d = r - a
    if d == 0:
        return _yes("the difference simplifies to 0", "exact")
    if d.is_Rational:
        return _no(f"{_show(a)} is not {_show(r)} (they differ by {_show(d)})", "exact")
    for dps in PRECISIONS:
        try:
            dv, terms = evaluate(d, dps)
        except (ZeroDivisionError, ValueError, OverflowError, TypeError) as exc:
            return Match(None, f"could not evaluate the difference: {exc}", "numeric")
        noise = terms * mpmath.mpf(10) ** (-(dps - 15))
        if abs(dv) > noise:
            return _no(f"{_show(a)} is not {_show(r)} (they differ by about {mpmath.nstr(dv, 6)})", "numeric")
    return _yes(f"the difference is 0 to {PRECISIONS[-1]} digits", "numeric")


def compare_scalars(ref: Scalar, ans: Scalar, policy: Policy, seed_text: str) -> Match:
    r, a = ref.expr, ans.expr
    if policy.require_evaluated and r.is_number:
        # Arithmetic (18 - 13, \sqrt{16}, \log_2 8) counts only against a plain rational reference: 3\sqrt2 or
        # \pi/4 are written with operations.
        left = set(ans.unevaluated) - (set() if r.is_Rational else {"arithmetic", "function"})
        if left:
            return _no(f"the answer leaves {', '.join(sorted(left))} unevaluated (require_evaluated=True)")
    if r.is_number and a.is_number:
        return compare_numbers(ref, ans)
    if r == a:
        return _yes("the same expression", "exact")
    # Variables are not compared by name first: sin^2 x + cos^2 x is the number 1. The functions decide.
    inexact = ref.inexact or ans.inexact or ref.quantum is not None or ans.quantum is not None
    verdict = numeric_equal(r, a, rel=1e-6 if inexact else 1e-20, seed_text=seed_text)
    if verdict is False:
        extra = sorted(map(str, a.free_symbols ^ r.free_symbols))
        note = f" (variables {', '.join(extra)} appear on one side only)" if extra else ""
        return _no(f"{_show(a)} differs from {_show(r)} at a random point{note}", "numeric")
    if verdict is True:
        return _yes("equal at random points to 20 digits", "numeric")
    diff = sp.simplify(r - a)
    if diff == 0:
        return _yes("sympy simplifies the difference to 0", "symbolic")
    return _no(f"{_show(a)} is not {_show(r)}", "symbolic")


# -- equations ------------------------------------------------------------------------------------------------
def compare_equations(ref: Equation, ans: Equation, seed_text: str) -> Match:
    f = ref.lhs - ref.rhs
    g = ans.lhs - ans.rhs
    if f.free_symbols != g.free_symbols:
        return _no("the equations have different variables")
    if not f.free_symbols:
        return _no("equations without variables are not answers to compare")
    # Same zero set when g is a nonzero constant multiple of f (2x=6 vs x=3, y=2x+1 vs 2x-y+1=0).
    ratios = _ratios(f, g, seed_text)
    if ratios:
        first = ratios[0]
        if first != 0 and all(close(q, first, 1e-15, 0) for q in ratios):
            return _yes("the equations are constant multiples of each other", "numeric")
    if len(f.free_symbols) == 1:
        (x,) = f.free_symbols
        try:
            sf = sp.solveset(f, x, domain=sp.S.Complexes)
            sg = sp.solveset(g, x, domain=sp.S.Complexes)
        except (NotImplementedError, ValueError):
            return Match(None, "could not solve the equations to compare them", "symbolic")
        if isinstance(sf, sp.FiniteSet) and isinstance(sg, sp.FiniteSet):
            return _sets_match([Scalar(v) for v in sf], [Scalar(v) for v in sg], Policy(), seed_text,
                               "solution sets")
        if sf == sg:
            return _yes("the equations have the same solution set", "symbolic")
        return Match(None, "could not compare the equations' solution sets", "symbolic")
    return _no("the equations are not multiples of each other")


def _ratios(f: sp.Expr, g: sp.Expr, seed_text: str) -> list[object] | None:
    from rlvrgym.verifiers.math.numeric import Evaluator, random_points

    symbols = sorted(f.free_symbols, key=lambda s: s.name)
    out = []
    for point in random_points(symbols, 6, seed_text):
        ctx = context(40)
        env = {s: ctx.mpf(v) for s, v in point.items()}
        try:
            fv, gv = Evaluator(ctx, env)(f), Evaluator(ctx, env)(g)
        except (ZeroDivisionError, ValueError, OverflowError, TypeError, Unsupported):
            continue
        if not (finite(fv) and finite(gv)) or gv == 0:
            continue
        out.append(fv / gv)
    return out if len(out) >= 3 else None


# -- collections ----------------------------------------------------------------------------------------------
def _sets_match(refs: list[object], answers: list[object], policy: Policy, seed_text: str, what: str) -> Match:
    def dedupe(items: list[object]) -> list[object]:
        kept: list[object] = []
        for item in items:
            if not any(compare(k, item, policy, seed_text).equal for k in kept):
                kept.append(item)
        return kept

    refs, answers = dedupe(refs), dedupe(answers)
    if len(refs) != len(answers):
        return _no(f"the {what} have {len(answers)} distinct elements, the reference {len(refs)}")
    unmatched = list(answers)
    for r in refs:
        for i, a in enumerate(unmatched):
            if compare(r, a, policy, seed_text).equal:
                del unmatched[i]
                break
        else:
            return _no(f"the reference element {describe(r)} is missing from the answer")
    return _yes(f"the same {what}, in any order", "set")


_EQUIVALENT_BRACKETS = {("(", ")"), ("<", ">"), ("", "")}


def compare_ordered(ref: Ordered, ans: Ordered, policy: Policy, seed_text: str) -> Match:
    if len(ref.items) != len(ans.items):
        return _no(f"the answer has {len(ans.items)} components, the reference {len(ref.items)}")
    pair_ref, pair_ans = (ref.left, ref.right), (ans.left, ans.right)
    if pair_ref != pair_ans and not (pair_ref in _EQUIVALENT_BRACKETS and pair_ans in _EQUIVALENT_BRACKETS):
        return _no(f"brackets differ: {ref.left}…{ref.right} vs {ans.left}…{ans.right} "
                   "(open and closed ends are different answers)")
    for i, (r, a) in enumerate(zip(ref.items, ans.items, strict=True)):
        m = compare(r, a, policy, seed_text)
        if not m.equal:
            return Match(m.equal, f"component {i + 1}: {m.reason}", m.method)
    return _yes("every component matches, in order", "tuple")


def _interval_of(answer: object) -> sp.Set | None:
    if isinstance(answer, RealSet):
        return answer.value
    if isinstance(answer, Ordered) and len(answer.items) == 2 and answer.left in ("(", "[") \
            and answer.right in (")", "]"):
        lo, hi = answer.items
        if isinstance(lo, Scalar) and isinstance(hi, Scalar) and lo.expr.is_number and hi.expr.is_number:
            try:
                if bool(lo.expr < hi.expr):
                    return sp.Interval(lo.expr, hi.expr, left_open=answer.left == "(",
                                       right_open=answer.right == ")")
            except TypeError:
                return None
    if isinstance(answer, Solutions) and all(isinstance(i, RealSet) for i in answer.items):
        return sp.Union(*[i.value for i in answer.items])  # type: ignore[union-attr]
    return None


def _pieces(s: sp.Set) -> list[tuple[object, ...]] | None:
    if s is sp.S.EmptySet:
        return []
    if isinstance(s, sp.Interval):
        return [("I", s.start, s.end, s.left_open, s.right_open)]
    if isinstance(s, sp.FiniteSet):
        return [("P", v) for v in s.args]
    if isinstance(s, sp.Union):
        out = []
        for part in s.args:
            p = _pieces(part)
            if p is None:
                return None
            out.extend(p)
        return out
    return None


def compare_real_sets(ref: sp.Set, ans: sp.Set) -> Match:
    if ref == ans:
        return _yes("the same set of reals", "exact")
    pr, pa = _pieces(ref), _pieces(ans)
    if pr is None or pa is None:
        return Match(None, "could not compare these sets", "symbolic")
    if len(pr) != len(pa):
        return _no(f"the answer set {_show(ans)} is not {_show(ref)}")
    for x, y in zip(sorted(pr, key=_piece_key), sorted(pa, key=_piece_key), strict=True):
        if x[0] != y[0] or x[3:] != y[3:]:
            return _no(f"the answer set {_show(ans)} is not {_show(ref)} (an end is open in one, closed in the "
                       "other)")
        for u, v in zip(x[1:3], y[1:3], strict=False):
            if not compare_numbers(Scalar(u), Scalar(v)).equal:
                return _no(f"the answer set {_show(ans)} is not {_show(ref)}")
    return _yes("the same set of reals", "exact")


def _piece_key(p: tuple[object, ...]) -> float:
    v = p[1]
    try:
        return float(v)  # type: ignore[arg-type]
    except TypeError:
        return 0.0


def compare_matrices(ref: MatrixAnswer, ans: MatrixAnswer, policy: Policy, seed_text: str) -> Match:
    if ref.value.shape != ans.value.shape:
        return _no(f"the answer matrix is {ans.value.shape[0]}x{ans.value.shape[1]}, the reference "
                   f"{ref.value.shape[0]}x{ref.value.shape[1]}")
    for (i, j) in itertools.product(range(ref.value.shape[0]), range(ref.value.shape[1])):
        m = compare_scalars(Scalar(ref.value[i, j]), Scalar(ans.value[i, j]), policy, seed_text)
        if not m.equal:
            return Match(m.equal, f"entry ({i + 1}, {j + 1}): {m.reason}", m.method)
    return _yes("every entry matches", "matrix")


# -- dispatch -------------------------------------------------------------------------------------------------
def _as_value(answer: object) -> object:
    """An assignment `x = 3` read as its value, a one-element set as its element."""
    if isinstance(answer, Equation) and answer.assigned is not None:
        return Scalar(answer.value)
    if isinstance(answer, Equation) and not (answer.lhs.free_symbols | answer.rhs.free_symbols):
        return Scalar(answer.rhs)  # 2 + 3 = 5: the last side is the claim
    if isinstance(answer, Solutions) and len(answer.items) == 1:
        return _as_value(answer.items[0])
    return answer


def _members(answer: object) -> list[object]:
    if isinstance(answer, Solutions):
        return [_as_value(i) for i in answer.items]
    if isinstance(answer, Ordered) and _indexed_roots(answer):
        return list(answer.items)
    if isinstance(answer, RealSet) and isinstance(answer.value, sp.FiniteSet):
        return [Scalar(v) for v in answer.value.args]
    return [_as_value(answer)]


def _indexed_roots(answer: Ordered) -> bool:
    """`x_1 = 2, x_2 = 6`: the roots of one equation, numbered (a set), not a point (x, y)."""
    bases = {n.split("_", 1)[0] for n in answer.names if "_" in n}
    return len(answer.names) > 1 and len(bases) == 1 and all("_" in n for n in answer.names)


def compare(ref: object, ans: object, policy: Policy, seed_text: str = "") -> Match:
    """Is `ans` the same answer as `ref`? The reference's kind decides which rule applies."""
    if policy.require_evaluated and isinstance(ans, RealSet) and ans.unevaluated:
        return _no("the answer is an inequality left unsolved (require_evaluated=True)")
    if isinstance(ref, Choice):
        if isinstance(ans, Choice):
            return Match(ref.letter == ans.letter, f"option {ans.letter} vs {ref.letter}", "choice")
        return _no("the answer is not an option letter")
    if isinstance(ref, TextAnswer):
        from rlvrgym.verifiers.math.parser import fold_text

        if isinstance(ans, TextAnswer) and fold_text(ans.text) == fold_text(ref.text):
            return _yes("the same words", "text")
        return _no(f"{describe(ans)} is not {describe(ref)}", "text")
    if isinstance(ref, Scalar):
        value = _as_value(ans)
        if isinstance(value, Scalar):
            return compare_scalars(ref, value, policy, seed_text)
        if isinstance(value, Equation):
            return _no("the answer is an equation, the reference a value")
        return _no(f"the answer is a {kind_of(value)}, the reference a single value")
    if isinstance(ref, Equation):
        if isinstance(ans, Equation):
            if ref.assigned is not None and ans.assigned == ref.assigned:
                return compare_scalars(Scalar(ref.value), Scalar(ans.value), policy, seed_text)
            return compare_equations(ref, ans, seed_text)
        value = _as_value(ans)
        if ref.assigned is not None and isinstance(value, Scalar):
            if ref.assigned not in value.expr.free_symbols:
                return compare_scalars(Scalar(ref.value), value, policy, seed_text)
        return _no(f"the answer is a {kind_of(ans)}, the reference an equation")
    if isinstance(ref, Solutions):
        return _sets_match(_members(ref), _members(ans), policy, seed_text, "solutions")
    if isinstance(ref, RealSet):
        if isinstance(ref.value, sp.FiniteSet) and not isinstance(ans, RealSet):
            return _sets_match(_members(ref), _members(ans), policy, seed_text, "solutions")
        other = _interval_of(ans)
        if other is None:
            return _no(f"the answer is a {kind_of(ans)}, the reference a set of reals")
        return compare_real_sets(ref.value, other)
    if isinstance(ref, Ordered):
        if isinstance(ans, Ordered):
            return compare_ordered(ref, ans, policy, seed_text)
        interval = _interval_of(ans)
        if interval is not None and _interval_of(ref) is not None:
            return compare_real_sets(_interval_of(ref), interval)
        return _no(f"the answer is a {kind_of(ans)}, the reference a tuple")
    if isinstance(ref, MatrixAnswer):
        if isinstance(ans, MatrixAnswer):
            return compare_matrices(ref, ans, policy, seed_text)
        return _no(f"the answer is a {kind_of(ans)}, the reference a matrix")
    return Match(None, f"no rule compares a {kind_of(ref)} reference", "none")


__all__ = ["Answer", "Match", "Policy", "compare"]

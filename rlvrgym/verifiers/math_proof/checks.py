"""The facts a step verdict rests on: two expressions are the same function (on the task's domain), a step adds no
new pole, two equations have the same real solution set.

Numeric first (mpmath at random points, through the math verifier's own evaluator), sympy only to confirm what the
numbers leave undecided; every sympy call here works on expressions the restricted parser built.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import mpmath
import sympy as sp

from rlvrgym.verifiers.math.answers import Scalar
from rlvrgym.verifiers.math.compare import compare_numbers
from rlvrgym.verifiers.math.numeric import Evaluator, Unsupported, context, random_points

DPS = 40
POINTS = 8
HUGE = mpmath.mpf(10) ** 18  # |value| above this at a computed root counts as a pole
INTEGER_HUGE = mpmath.mpf(10) ** 50  # where n is an integer, 2^n n! is large without being a pole
MAX_DEGREE = 12
MAX_TERMS = 400  # a sum or product is evaluated term by term at integer bounds; longer ones are undecided
MAX_TERM_BUDGET = 2000  # terms per evaluation, nested sums included (Σ_a Σ_b Σ_c ... would multiply them)
INTEGER_RANGE = (1, 24)  # where a sum's bound variable (the n of \\sum_{k=1}^{n}) is sampled

Point = dict[sp.Symbol, Any]  # values are mpmath numbers (mpmath ships no types)


@dataclass
class Timing:
    """Seconds spent in the numeric test and in sympy, for the benchmark's split."""

    numeric: float = 0.0
    symbolic: float = 0.0


@lru_cache(maxsize=8192)
def has_big(expr: sp.Basic) -> bool:
    """Does `expr` hold a sum or product (`sp.Sum`, `sp.Product`)? Cached: it is asked at every point."""
    return isinstance(expr, sp.Basic) and expr.has(sp.Sum, sp.Product)


@lru_cache(maxsize=4096)
def integer_symbols(expr: sp.Basic) -> frozenset[sp.Symbol]:
    """The free symbols in the bounds of its sums and products: they range over the integers."""
    if not has_big(expr):
        return frozenset()
    out: set[sp.Symbol] = set()
    for node in expr.atoms(sp.Sum, sp.Product):
        for _, lower, upper in node.limits:
            out |= lower.free_symbols | upper.free_symbols
    return frozenset(out - {lim[0] for node in expr.atoms(sp.Sum, sp.Product) for lim in node.limits})


def _outermost_big(expr: sp.Basic) -> list[sp.Basic]:
    if isinstance(expr, (sp.Sum, sp.Product)):
        return [expr]
    return [n for a in expr.args for n in _outermost_big(a)]


@lru_cache(maxsize=16384)
def _index_term(body: sp.Expr, var: sp.Symbol, j: int) -> object | None:
    """A term that depends on the index alone, at index j (cached: both sides of a link, every sampled n)."""
    return real_value(body, {var: context(DPS).mpf(j)}, INTEGER_HUGE)


_budget = threading.local()


def _big_value(expr: sp.Expr, point: Point, limit: object) -> object | None:
    """`expr` at `point` with each sum and product added up term by term (Karr's convention for a reversed range,
    as sympy's `doit`); None when a bound is not an integer there, the range is longer than MAX_TERMS, or the
    evaluation (nested sums included) would take more than MAX_TERM_BUDGET terms."""
    outermost = getattr(_budget, "left", None) is None
    if outermost:
        _budget.left = MAX_TERM_BUDGET
    try:
        return _big_value_within(expr, point, max(limit, INTEGER_HUGE))
    finally:
        if outermost:
            _budget.left = None


def _big_value_within(expr: sp.Expr, point: Point, limit: object) -> object | None:
    env = dict(point)
    replaced: dict[sp.Basic, sp.Symbol] = {}
    for node in _outermost_big(expr):
        total = _over_limits(node.function, node.limits, env, isinstance(node, sp.Sum), limit)
        if total is None:
            return None
        symbol = sp.Dummy()
        replaced[node] = symbol
        env[symbol] = total
    return real_value(expr.xreplace(replaced), env, limit)


def _over_limits(function: sp.Expr, limits: tuple[tuple[sp.Expr, ...], ...], env: Point,
                 is_sum: bool, limit: object) -> object | None:
    """The sum (or product) of `function` over `limits`, innermost first (sympy's order: `Sum(f, inner, outer)`)."""
    ctx = context(DPS)  # the working precision, not mpmath's global 15 digits
    if not limits:
        return real_value(function, env, limit)
    var, lower, upper = limits[-1]
    a, b = real_value(lower, env), real_value(upper, env)
    if a is None or b is None or abs(a - mpmath.nint(a)) > 1e-20 or abs(b - mpmath.nint(b)) > 1e-20:
        return None
    lo, hi = int(mpmath.nint(a)), int(mpmath.nint(b))
    invert = hi < lo - 1
    if invert:
        lo, hi = hi + 1, lo - 1
    count = max(0, hi - lo + 1)
    if count > MAX_TERMS or count > _budget.left:
        return None
    _budget.left -= count
    total = ctx.mpf(0) if is_sum else ctx.mpf(1)
    inner = limits[:-1]
    alone = not inner and function.free_symbols <= {var}  # a term of the index only: the same at every point
    for j in range(lo, hi + 1):
        if alone:
            term = _index_term(function, var, j)
        else:
            term = _over_limits(function, inner, {**env, var: ctx.mpf(j)}, is_sum, limit)
        if term is None:
            return None
        total = total + term if is_sum else total * term
    if invert:
        if is_sum:
            return -total
        return None if total == 0 else ctx.mpf(1) / total
    return total


def real_value(expr: sp.Expr, point: Point, limit: Any = HUGE) -> Any:  # an mpmath number, or None
    """The real value of `expr` at `point`, or None where it is undefined over the reals (pole, log of a negative,
    even root of a negative) or larger than `limit` in magnitude (a pole met numerically)."""
    if has_big(expr):
        return _big_value(expr, point, limit)
    ctx = context(DPS)
    try:
        v = Evaluator(ctx, {s: ctx.mpf(val) for s, val in point.items()})(expr)
    except (ZeroDivisionError, ValueError, OverflowError, TypeError, Unsupported):
        return None
    try:
        if isinstance(v, mpmath.mpc) or hasattr(v, "imag"):
            if abs(ctx.im(v)) > ctx.mpf(10) ** -30 * (1 + abs(ctx.re(v))):
                return None
            v = ctx.re(v)
        if not ctx.isfinite(v) or abs(v) > limit:
            return None
    except (TypeError, ValueError):
        return None
    return v


def _close(a: Any, b: Any) -> bool:
    diff = abs(a - b)
    return bool(diff <= mpmath.mpf(10) ** -25 or diff <= mpmath.mpf(10) ** -20 * max(abs(a), abs(b)))


def sample(symbols: Sequence[sp.Symbol], seed: str, positive: bool, n: int = POINTS) -> list[Point]:
    """`n` points with positive coordinates, then (unless `positive`) one point per sign pattern of the first
    three variables (all of them for one or two), so a step valid only for x > 0 is caught deterministically."""
    ordered = sorted(symbols, key=lambda s: s.name)
    points = [{s: abs(v) for s, v in p.items()} for p in random_points(ordered, n, seed)]
    # and three points far from the origin, for domains such as x > 5 (ln(x - 5)) that [0.3, 2.7] misses
    points += [{s: abs(v) * 10 for s, v in p.items()} for p in random_points(ordered, 3, seed + "/far")]
    if positive or not ordered:
        return points
    k = min(len(ordered), 3)
    extra = random_points(ordered, 2 ** k + 1, seed + "/signs")
    for pattern in range(1, 2 ** k + 1):
        bits = pattern % (2 ** k) or 2 ** k - 1  # every non-trivial pattern, all-negative twice
        point = {s: abs(v) for s, v in extra[pattern].items()}
        for i, s in enumerate(ordered[:k]):
            if bits >> i & 1:
                point[s] = -point[s]
        points.append(point)
    return points


def integer_points(points: list[Point], integers: frozenset[sp.Symbol], seed: str) -> list[Point]:
    """The sampled points with each integer symbol (a sum's bound) set to a distinct integer of INTEGER_RANGE, so a
    sum is evaluated where it means something: a closed form must agree with the sum at every such n."""
    import random

    from rlvrgym.verifiers.math.numeric import _seed

    out = []
    names = sorted(integers, key=lambda s: s.name)
    rng = random.Random(_seed(seed, "integers", *[s.name for s in names]))
    pool = list(range(INTEGER_RANGE[0], INTEGER_RANGE[1] + 1))
    draws = {s: rng.sample(pool, len(pool)) for s in names}
    for k, point in enumerate(points[:10]):
        out.append({**point, **{s: mpmath.mpf(draws[s][k % len(pool)]) for s in names}})
    return out


@dataclass(frozen=True)
class FunctionMatch:
    """`equal`: same function where both are defined (None: undecided); `narrowed`: a point where the task and
    the previous expression are defined but the new one is not."""

    equal: bool | None
    narrowed: Point | None = None
    how: str = "numeric"


def same_function(prev: sp.Expr, new: sp.Expr, domain: Sequence[sp.Expr], *, seed: str, positive: bool,
                  timing: Timing) -> FunctionMatch:
    """Is `new` the same function as `prev` on the task's domain (where every `domain` expression is defined)?"""
    import time

    if prev == new:
        return FunctionMatch(True, how="structural")
    symbols = set(prev.free_symbols | new.free_symbols)
    for d in domain:
        symbols |= d.free_symbols
    big = has_big(prev) or has_big(new)
    integers = integer_symbols(prev) | integer_symbols(new)
    for d in domain:
        integers |= integer_symbols(d)
    t0 = time.perf_counter()
    if not (prev.free_symbols | new.free_symbols) and not big:
        match = compare_numbers(Scalar(prev), Scalar(new))
        timing.numeric += time.perf_counter() - t0
        if match.equal is not None:
            return FunctionMatch(match.equal, how=match.method)
    else:
        agreed, narrowed = 0, None
        points = sample(list(symbols), seed, positive)
        if integers:
            points = integer_points(points, integers, seed)
        elif not symbols:
            points = points[:3]  # a sum with numeric bounds: the same value at every point
        limit = INTEGER_HUGE if integers else HUGE
        for point in points:
            a, b = real_value(prev, point, limit), real_value(new, point, limit)
            if a is None:
                continue
            if b is None:
                if narrowed is None and all(real_value(d, point, limit) is not None for d in domain):
                    narrowed = point
                continue
            if not _close(a, b):
                timing.numeric += time.perf_counter() - t0
                return FunctionMatch(False)
            agreed += 1
        timing.numeric += time.perf_counter() - t0
        # over the integers a sum may be too long to add up at the larger n: agreeing at a few small n is not
        # enough there, so a sum needs more than half its ten integer points
        if agreed >= (6 if integers else 3):
            return FunctionMatch(True, narrowed)
    if big:  # sympy's simplify on a symbolic Sum has no time bound worth waiting for: undecided, never wrong
        return FunctionMatch(None, how="numeric")
    t0 = time.perf_counter()
    try:
        zero = sp.simplify(prev - new) == 0
    finally:
        timing.symbolic += time.perf_counter() - t0
    return FunctionMatch(True, how="symbolic") if zero else FunctionMatch(None, how="symbolic")


def denominators(expr: sp.Expr) -> list[sp.Expr]:
    """Bases raised to negative powers that hold a variable: where they vanish, the expression is undefined."""
    out: list[sp.Expr] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (sp.Sum, sp.Product)):
            continue  # a term's denominator is the sum's business: it involves the bound index, not a variable
        if isinstance(node, sp.Pow) and node.exp.is_number and node.exp.is_negative and node.base.free_symbols:
            if node.base not in out:
                out.append(node.base)
        stack.extend(reversed(node.args))
    return out


def new_pole(prev: sp.Expr, new: sp.Expr, domain: Sequence[sp.Expr], *, seed: str, positive: bool,
             timing: Timing, prev_written: Sequence[sp.Expr] = (),
             new_written: Sequence[sp.Expr] = ()) -> tuple[sp.Expr, Point] | None:
    """A denominator of `new` that vanishes at a point where the task and `prev` are defined (dividing by
    something that can be zero), with that point; None when there is none (or it cannot be found)."""
    import time

    t0 = time.perf_counter()
    try:
        old = set(denominators(prev)) | set(prev_written)
        for base in dict.fromkeys([*denominators(new), *new_written]):
            if base in old:
                continue
            symbols = sorted(base.free_symbols, key=lambda s: s.name)
            var = symbols[0]
            others = {s: v for s, v in sample(symbols[1:], seed, positive, 1)[0].items()} if symbols[1:] else {}
            for root in _real_roots(base.xreplace({s: sp.Rational(str(v)) for s, v in others.items()}), var):
                if positive and root <= 0:
                    continue
                point = {**others, var: root}
                if real_value(prev, point) is not None and all(real_value(d, point) is not None for d in domain) \
                        and not any(_vanishes(d, point) for d in prev_written):
                    return base, point
        return None
    finally:
        timing.symbolic += time.perf_counter() - t0


def _vanishes(expr: sp.Expr, point: Point) -> bool:
    value = real_value(expr, point)
    return value is None or abs(value) < mpmath.mpf(10) ** -20


def _real_roots(expr: sp.Expr, var: sp.Symbol) -> list[Any]:
    try:
        poly = sp.Poly(expr, var)
    except sp.PolynomialError:
        return []
    if poly.degree() < 1 or poly.degree() > MAX_DEGREE or not poly.domain.is_Numerical:
        return []
    return _poly_real_roots(poly)


def _poly_real_roots(poly: sp.Poly) -> list[Any]:
    """Distinct real roots to DPS digits: Sturm's count decides how many of the numeric roots are real."""
    sqf = poly.sqf_part()
    if sqf.degree() < 1:
        return []
    if sqf.domain.is_ZZ or sqf.domain.is_QQ:
        count = sqf.count_roots()
        roots = sorted(sqf.nroots(n=DPS, maxsteps=200), key=lambda r: abs(sp.im(r)))[:count]
        return [mpmath.mpf(str(sp.re(r))) for r in roots]
    roots = [r for r in sqf.nroots(n=DPS, maxsteps=200) if abs(sp.im(r)) < 1e-25]
    return [mpmath.mpf(str(sp.re(r))) for r in roots]


# -- solution sets --------------------------------------------------------------------------------------------
class Undecided(Exception):
    """A solution set we cannot compute within our means (a transcendental equation sympy cannot solve)."""


class HoldsEverywhere(Undecided):
    """The equation is an identity (`x = x`): its solution set is every real where it is defined, an infinite set
    we do not enumerate; against a finite solution set that is decidedly a change."""


Solution = tuple[Any, ...]


def solve_equation(lhs: sp.Expr, rhs: sp.Expr, var: sp.Symbol, positive: bool, timing: Timing,
                   excluded: Sequence[sp.Expr] = ()) -> list[Solution]:
    """Real solutions of one equation in one variable, each defined in the equation as written (a root of the
    cleared numerator where a denominator vanishes is not a solution). Raises Undecided."""
    import time

    t0 = time.perf_counter()
    try:
        f = lhs - rhs
        if not f.free_symbols:
            if f == 0 or not f.is_number:
                raise HoldsEverywhere("the equation holds wherever it is defined")
            return []  # sympy cancelled the variable away and what is left is false: no solution
        if f.free_symbols != {var}:
            raise Undecided(f"the equation has variables other than {var}")
        num, _ = sp.fraction(sp.together(f))
        roots: list[Any] | None = None
        try:
            poly = sp.Poly(num, var)
            if poly.is_zero:
                raise HoldsEverywhere("the equation holds for every value")
            if poly.degree() <= MAX_DEGREE and poly.domain.is_Numerical:
                roots = _poly_real_roots(poly) if poly.degree() >= 1 else []
        except sp.PolynomialError:
            roots = None
        if roots is None:
            found = sp.solveset(sp.Eq(lhs, rhs), var, domain=sp.S.Reals)
            if not isinstance(found, sp.FiniteSet):
                raise Undecided(f"sympy returns {type(found).__name__} for this equation")
            roots = [mpmath.mpf(str(sp.N(r, DPS))) for r in found if r.is_real]
        out = []
        for r in roots:
            if positive and r <= 0:
                continue
            a, b = real_value(lhs, {var: r}), real_value(rhs, {var: r})
            if a is not None and b is not None and abs(a - b) <= mpmath.mpf(10) ** -15 * (1 + abs(a)) and \
                    all(real_value(d, {var: r}) not in (None, 0) and abs(real_value(d, {var: r})) > 1e-20
                        for d in excluded):
                out.append((r,))
        return sorted(out)
    finally:
        timing.symbolic += time.perf_counter() - t0


def solve_system(equations: Sequence[tuple[sp.Expr, sp.Expr]], variables: Sequence[sp.Symbol], positive: bool,
                 timing: Timing) -> list[Solution]:
    """Real solutions of a system (all variables determined), or Undecided."""
    import time

    t0 = time.perf_counter()
    try:
        found = sp.solve([sp.Eq(a, b) for a, b in equations], list(variables), dict=True)
        out = []
        for sol in found:
            if set(sol) != set(variables) or any(sol[v].free_symbols for v in variables):
                raise Undecided("the system does not determine every variable")
            values = tuple(sp.N(sol[v], DPS) for v in variables)
            if any(abs(sp.im(v)) > 1e-25 for v in values):
                continue
            point = tuple(mpmath.mpf(str(sp.re(v))) for v in values)
            if positive and any(p <= 0 for p in point):
                continue
            env = dict(zip(variables, point, strict=True))
            if all(real_value(a, env) is not None and real_value(b, env) is not None for a, b in equations):
                out.append(point)
        return sorted(out)
    except NotImplementedError as exc:
        raise Undecided(str(exc)) from None
    finally:
        timing.symbolic += time.perf_counter() - t0


def holds_at(lhs: sp.Expr, rhs: sp.Expr, variables: Sequence[sp.Symbol], solution: Solution) -> bool:
    point = dict(zip(variables, solution, strict=True))
    a, b = real_value(lhs, point), real_value(rhs, point)
    return a is not None and b is not None and bool(abs(a - b) <= mpmath.mpf(10) ** -15 * (1 + abs(a) + abs(b)))


def same_solutions(a: Sequence[Solution], b: Sequence[Solution]) -> bool:
    if len(a) != len(b):
        return False
    return all(any(all(_near(x, y) for x, y in zip(s, t, strict=True)) for t in b) for s in a) and \
        all(any(all(_near(x, y) for x, y in zip(s, t, strict=True)) for t in a) for s in b)


def _near(x: Any, y: Any) -> bool:
    return bool(abs(x - y) <= mpmath.mpf(10) ** -15 * (1 + abs(x) + abs(y)))


def describe_solutions(solutions: Sequence[Solution], variables: Sequence[sp.Symbol]) -> str:
    if not solutions:
        return "no real solution"
    shown = []
    for s in solutions:
        vals = [str(int(mpmath.nint(v))) if abs(v - mpmath.nint(v)) < 1e-20 else mpmath.nstr(v, 8) for v in s]
        shown.append(vals[0] if len(vals) == 1 else "(" + ", ".join(vals) + ")")
    names = variables[0].name if len(variables) == 1 else "(" + ", ".join(v.name for v in variables) + ")"
    return f"{names} ∈ {{{', '.join(shown)}}}"

"""Seeded procedural math problems for MathAnswer-v0, one generator per family, difficulty 1 (one step) to 5.

Every generator draws only from the `rng` it is given, so `gen:<family>:<difficulty>:<seed>` rebuilds the same
problem anywhere. References are computed by sympy and rendered as LaTeX; each task carries a short worked
solution in `meta["solution"]` (it contains the answer: never show it before the step) and `meta["answer_type"]`.
Difficulties above 5 give level-5 problems.

Levels, 1 to 5:
- arithmetic: two numbers, one operation -> six numbers with powers, exact division and negatives.
- fractions: a sum of two fractions -> a complex fraction of four.
- linear_equation: `x + a = b` -> fractions on both sides, rational solution.
- quadratic_equation: monic with integer roots -> general coefficients on both sides, irrational roots (from 4).
- linear_system: `x + y`, `x - y` -> 3x3 with integer solution (level 4: 2x2 with a rational solution).
- polynomial_expand: `a(bx + c)` -> `(ax + by)^2 (cx + dy)`; the answer is the coefficient tuple, because an
  expression answer would be met by the unexpanded product copied from the prompt.
- polynomial_factor: `x^2 + px + q = (x + a)(x + b)` -> `(ax + by)(cx + dy)`; the answer is the tuple of the
  (uniquely normalised) integer coefficients, for the same reason.
- derivative: power rule -> chain/product/quotient rules; level 5 asks for `f'(p)`, a number.
- integral: the antiderivative with `F(0) = 0` (levels 1, 3), or exact definite integrals (2, 4, 5: by parts).
- sequence: arithmetic n-th term -> infinite geometric sums, recurrences, sums from two given terms.
- combinatorics: `\binom{n}{k}` -> bounded compositions and inclusion-exclusion counts.
- modular: a remainder -> the Chinese remainder theorem.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from sympy.ntheory.modular import crt

from rlvrgym.tasks.base import Generator, GeneratorSource, Task
from rlvrgym.tasks.draws import Redraw, cached, generator, integer, nonzero, pick, signed

INSTRUCTION = "Put your final answer in \\boxed{}."
MAX_LEVEL = 5

x, y, z = sp.symbols("x y z")


__all__ = ["INSTRUCTION", "MATH_GENERATORS", "MAX_LEVEL", "Redraw", "math_generator_source", "tex"]


# ---------------------------------------------------------------------------------------------------------- helpers

def tex(expr: Any) -> str:
    """LaTeX of a sympy object, with `\\ln` for the natural logarithm (`\\log` is base 10 to many readers)."""
    return _tex(type(expr), expr)


@cached
def _tex(kind: type, expr: Any) -> str:
    """`tex`, memoised on the expression and its type (sympy's `Integer(2) == 2`, yet a type may print apart)."""
    return sp.latex(sp.sympify(expr), ln_notation=True)


def _eq(lhs: Any, rhs: Any) -> str:
    return f"{tex(lhs)} = {tex(rhs)}"


def _leaks(reference: str, prompt: str) -> bool:
    """Whether the reference appears in the prompt as a whole token (`12` in `125` does not count)."""
    pattern = r"(?<![0-9A-Za-z.])" + re.escape(reference) + r"(?![0-9A-Za-z.])"
    return re.search(pattern, prompt) is not None


def _task(family: str, question: str, reference: Any, answer_type: str, steps: list[str],
          **meta: Any) -> Task:
    ref = reference if isinstance(reference, str) else tex(reference)
    prompt = f"{question}\n\n{INSTRUCTION}"
    return Task("", prompt, ref, family, None,
                {"answer_type": answer_type, "solution": steps, **meta})


def _number_type(value: sp.Expr) -> str:
    if value.is_Integer:
        return "integer"
    if value.is_Rational:
        return "rational"
    return "exact"


def _family(name: str, sketch: Callable[[np.random.Generator, int], Task] | None = None,
            sketch_levels: tuple[int, ...] | None = None
            ) -> Callable[[Callable[[np.random.Generator, int], Task]], Generator]:
    """A math family: levels 1 to 5, degenerate draws and references that leak into the prompt drawn again.

    `sketch` (at `sketch_levels`) writes the prompt and the reference of the family's integer-polynomial levels
    with plain integers (`_poly_tex`), for the split decision of a `GeneratorSource` (see `generator`): the task
    itself is still built by the family's sympy code, so a sketch can only change which candidate a draw keeps,
    and tests/test_task_equivalence.py holds every sketch to its task's prompt."""
    return generator(name, MAX_LEVEL, reject=_leaking, sketch=sketch, sketch_levels=sketch_levels)


def _leaking(task: Task) -> bool:
    return _leaks(task.reference, task.prompt)


def _poly_tex(coeffs: dict[int, int]) -> str:
    """`tex` of the polynomial `sum(c * x**k)` with integer coefficients, without sympy.

    sympy writes the terms by decreasing degree, a negative leading term as `- 3 x^{2}`, a coefficient of +-1 as
    the bare power, and a lone integer as it is; one exception: a positive constant and one negative term print the
    constant first (`7 - 4 x`, not `- 4 x + 7`). tests/test_task_equivalence.py compares this with `sp.latex` on
    thousands of polynomials."""
    items = sorted(((k, c) for k, c in coeffs.items() if c), reverse=True)
    if not items:
        return "0"
    if len(items) == 1 and items[0][0] == 0:
        return str(items[0][1])
    if len(items) == 2 and items[1][0] == 0 and items[1][1] > 0 and items[0][1] < 0:
        return f"{items[1][1]} - {_monomial_tex(items[0][1], items[0][0])}"
    out = ("- " if items[0][1] < 0 else "") + _monomial_tex(items[0][1], items[0][0])
    for k, c in items[1:]:
        out += (" - " if c < 0 else " + ") + _monomial_tex(c, k)
    return out


def _monomial_tex(c: int, k: int) -> str:
    """`|c| x^k` as sympy writes it inside a sum (the sign is the sum's)."""
    if k == 0:
        return str(abs(c))
    power = "x" if k == 1 else f"x^{{{k}}}"
    return power if abs(c) == 1 else f"{abs(c)} {power}"


def _poly_mul(p: dict[int, int], q: dict[int, int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for i, a in p.items():
        for j, b in q.items():
            out[i + j] = out.get(i + j, 0) + a * b
    return out


def _sketch(question: str, reference: str) -> Task:
    """What a family's `reject` and a source's split decision read: the prompt and the reference."""
    return Task("", f"{question}\n\n{INSTRUCTION}", reference)


# ------------------------------------------------------------------------------------ arithmetic expression trees

@dataclass(frozen=True)
class Node:
    """A rendered arithmetic expression: its LaTeX, its exact value, its precedence (for parentheses), and the
    operation that made it (for step-by-step solutions; `^` marks a power of two numbers)."""

    latex: str
    value: sp.Rational
    prec: int  # 1 sum, 2 product, 3 power, 4 atom
    op: str = ""
    left: Node | None = None
    right: Node | None = None


def _leaf(value: sp.Rational) -> Node:
    value = sp.Rational(value)
    body = str(abs(value.p)) if value.q == 1 else f"\\frac{{{abs(value.p)}}}{{{value.q}}}"
    return Node(f"\\left(-{body}\\right)" if value < 0 else body, value, 4)


def _wrap(node: Node, below: int) -> str:
    return f"\\left({node.latex}\\right)" if node.prec < below else node.latex


def _combine(op: str, a: Node, b: Node) -> Node:
    """Apply `op` to two nodes, computing the value with sympy's exact arithmetic."""
    if op in ("/", "over") and b.value == 0:
        raise Redraw
    if op == "+":
        return Node(f"{a.latex} + {b.latex}", a.value + b.value, 1, op, a, b)
    if op == "-":
        return Node(f"{a.latex} - {_wrap(b, 2)}", a.value - b.value, 1, op, a, b)
    if op == "*":
        return Node(f"{_wrap(a, 2)} \\times {_wrap(b, 3)}", a.value * b.value, 2, op, a, b)
    if op == "/":
        return Node(f"{_wrap(a, 2)} \\div {_wrap(b, 3)}", a.value / b.value, 2, op, a, b)
    if op == "over":
        return Node(f"\\dfrac{{{a.latex}}}{{{b.latex}}}", a.value / b.value, 4, op, a, b)
    raise ValueError(f"unknown operator {op!r}")


def _power(base: int, exponent: int) -> Node:
    body = f"\\left({base}\\right)" if base < 0 else str(base)
    return Node(f"{body}^{{{exponent}}}", sp.Integer(base) ** exponent, 3, "^")


def _reduce_once(node: Node) -> Node:
    """Evaluate the leftmost innermost operation (powers count as innermost): one step of a worked solution."""
    if node.op == "^":
        return _leaf(node.value)
    left, right = node.left, node.right
    assert left is not None and right is not None, "an operation has two operands"
    if not left.op and not right.op:
        return _leaf(node.value)
    if left.op:
        return _combine(node.op, _reduce_once(left), right)
    return _combine(node.op, left, _reduce_once(right))


def _evaluation_steps(node: Node) -> list[str]:
    """`$expr$`, `$= ...$`, ..., `$= value$`: one operation per line."""
    steps = [f"${node.latex}$"]
    while node.op:
        node = _reduce_once(node)
        steps.append(f"$= {tex(node.value) if not node.op else node.latex}$")
    return steps


def _tree(rng: np.random.Generator, leaves: int, ops: Sequence[str], leaf: Callable[[], Node],
          exact_division: bool, negative_divisors: bool = False) -> Node:
    """A random expression with `leaves` numbers. Integer division is kept exact by choosing a divisor of the
    left operand (or falling back to multiplication when it has none)."""
    if leaves == 1:
        return leaf()
    left_count = integer(rng, 1, leaves - 1)
    left = _tree(rng, left_count, ops, leaf, exact_division, negative_divisors)
    right = _tree(rng, leaves - left_count, ops, leaf, exact_division, negative_divisors)
    op = pick(rng, ops)
    if op == "/" and exact_division and leaves - left_count > 1:
        op = pick(rng, [o for o in ops if o != "/"])  # only a single number is replaced by a divisor below
    if op == "/" and exact_division:
        divisors = [d for d in sp.divisors(abs(int(left.value))) if 2 <= d <= 12] if left.value != 0 else []
        if not divisors:
            op = "*"
        else:
            right = _leaf(sp.Integer(pick(rng, divisors) * pick(rng, (1, -1) if negative_divisors else (1,))))
    return _combine(op, left, right)


# ------------------------------------------------------------------------------------------------------ families

ARITHMETIC_LEVELS: dict[int, tuple[int, int, tuple[str, ...], bool, float, int]] = {
    # level: (numbers, largest number, operators, negative numbers, chance of a power leaf, largest |result|)
    1: (2, 20, ("+", "-", "*"), False, 0.0, 400),
    2: (3, 30, ("+", "-", "*"), False, 0.0, 2000),
    3: (4, 40, ("+", "-", "*", "/"), True, 0.0, 5000),
    4: (4, 60, ("+", "-", "*", "/"), True, 0.35, 20000),
    5: (6, 120, ("+", "-", "*", "/"), True, 0.3, 200000),
}


@_family("arithmetic")
def arithmetic(rng: np.random.Generator, level: int) -> Task:
    count, top, ops, allow_negative, p_power, bound = ARITHMETIC_LEVELS[level]

    def leaf() -> Node:
        if p_power and rng.random() < p_power:
            base = integer(rng, 2, 9) * (-1 if allow_negative and rng.random() < 0.3 else 1)
            return _power(base, integer(rng, 2, 3))
        value = integer(rng, 1, top)
        if allow_negative and rng.random() < 0.25:
            value = -value
        return _leaf(sp.Integer(value))

    node = _tree(rng, count, ops, leaf, exact_division=True, negative_divisors=allow_negative)
    if abs(node.value) > bound or not node.value.is_Integer:
        raise Redraw
    steps = _evaluation_steps(node)
    return _task("arithmetic", f"Compute ${node.latex}$.", node.value, "integer", steps)


FRACTION_LEVELS: dict[int, tuple[int, int, tuple[str, ...], bool]] = {
    # level: (fractions, largest denominator, operators, allow negatives)
    1: (2, 6, ("+", "-"), False),
    2: (2, 10, ("+", "-", "*", "/"), False),
    3: (3, 10, ("+", "-", "*", "/"), False),
    4: (4, 12, ("+", "-", "*", "/"), True),
    5: (4, 15, ("+", "-", "*", "/"), True),
}


def _common_denominator_steps(node: Node) -> list[str]:
    """The schoolbook steps for a sum or difference of two positive fractions."""
    assert node.left is not None and node.right is not None, "a sum of two fractions"
    a, b = node.left.value, node.right.value
    common = sp.ilcm(a.q, b.q)
    p, q = a.p * common // a.q, b.p * common // b.q
    total = p + q if node.op == "+" else p - q
    steps = [f"${node.latex}$", f"$= \\frac{{{p}}}{{{common}}} {node.op} \\frac{{{q}}}{{{common}}}$",
             f"$= {'-' if total < 0 else ''}\\frac{{{abs(total)}}}{{{common}}}$"]
    if sp.Rational(total, common).q != common:
        steps.append(f"$= {tex(node.value)}$")
    return steps


@_family("fractions")
def fractions(rng: np.random.Generator, level: int) -> Task:
    count, top, ops, negatives = FRACTION_LEVELS[level]

    def leaf() -> Node:
        q = integer(rng, 2, top)
        p = integer(rng, 1, 2 * q)
        value = sp.Rational(p, q)
        if value.q == 1:
            value = sp.Rational(p, q + 1) if sp.Rational(p, q + 1).q != 1 else sp.Rational(1, q)
        return _leaf(-value if negatives and rng.random() < 0.3 else value)

    if level == 5:  # a complex fraction: (a op b) / (c op d)
        num = _combine(pick(rng, ("+", "-", "*")), leaf(), leaf())
        den = _combine(pick(rng, ("+", "-")), leaf(), leaf())
        node = _combine("over", num, den)
    else:
        node = _tree(rng, count, ops, leaf, exact_division=False)
    if node.value.q > 10_000 or abs(node.value.p) > 100_000:
        raise Redraw
    steps = _common_denominator_steps(node) if level == 1 else _evaluation_steps(node)
    return _task("fractions", f"Compute ${node.latex}$ and give the result as a fraction in lowest terms.",
                 node.value, _number_type(node.value), steps)


def _linear_equation_sketch(rng: np.random.Generator, level: int) -> Task:
    """`linear_equation` at levels 1 to 3, in integers: the solution is the drawn `sol`."""
    if level == 1:
        sol = integer(rng, -12, 12)
        shifted, scaled = nonzero(rng, -15, 15), signed(rng, 2, 9)
        lhs = pick(rng, ({1: 1, 0: shifted}, {1: scaled}))
    elif level == 2:
        sol = integer(rng, -12, 12)
        lhs = {1: signed(rng, 2, 9)}
        lhs[0] = nonzero(rng, -20, 20)
    else:
        sol = integer(rng, -15, 15)
        a, c = signed(rng, 2, 12), signed(rng, 1, 12)
        if a == c:
            raise Redraw
        b = nonzero(rng, -30, 30)
        lhs, rhs = {1: a, 0: b}, {1: c, 0: (a - c) * sol + b}
    if level < 3:
        rhs = {0: lhs[1] * sol + lhs.get(0, 0)}
    return _sketch(f"Solve for $x$: ${_poly_tex(lhs)} = {_poly_tex(rhs)}$.", str(sol))


@_family("linear_equation", _linear_equation_sketch, (1, 2, 3))
def linear_equation(rng: np.random.Generator, level: int) -> Task:
    if level == 1:
        sol = integer(rng, -12, 12)
        lhs = pick(rng, (x + nonzero(rng, -15, 15), signed(rng, 2, 9) * x))
        rhs = lhs.subs(x, sol)
    elif level == 2:
        sol = integer(rng, -12, 12)
        lhs = signed(rng, 2, 9) * x + nonzero(rng, -20, 20)
        rhs = lhs.subs(x, sol)
    elif level == 3:
        sol = integer(rng, -15, 15)
        a, c = signed(rng, 2, 12), signed(rng, 1, 12)
        if a == c:
            raise Redraw
        b = nonzero(rng, -30, 30)
        lhs, rhs = a * x + b, c * x + (a - c) * sol + b
    elif level == 4:
        a, c = signed(rng, 2, 9), signed(rng, 2, 9)
        if a == c:
            raise Redraw
        lhs = sp.Mul(a, x + nonzero(rng, -12, 12), evaluate=False)
        rhs = sp.Add(sp.Mul(c, x + nonzero(rng, -12, 12), evaluate=False), nonzero(rng, -20, 20), evaluate=False)
    else:
        b, d = integer(rng, 2, 9), integer(rng, 2, 9)
        if b == d:
            raise Redraw
        p, q = x + nonzero(rng, -12, 12), x + nonzero(rng, -12, 12)
        lhs, rhs = p / b - q / d, sp.Integer(integer(rng, -10, 10))
        shown = f"\\frac{{{tex(p)}}}{{{b}}} - \\frac{{{tex(q)}}}{{{d}}} = {tex(rhs)}"
    # A linear equation: its one solution read off the coefficients (what `sp.solve` returned, without the solver).
    moved = sp.expand(lhs - rhs)  # as the step shows it (unevaluated products can leave a nested sum)
    collected = sp.Poly(sp.expand(moved.doit()), x)
    if collected.degree() != 1:
        raise Redraw
    sol = -collected.coeff_monomial(1) / collected.coeff_monomial(x)
    if level < 5:
        shown = _eq(lhs, rhs)
    steps = [f"Start from ${shown}$.",
             f"Collect the $x$ terms on one side: ${tex(moved)} = 0$.",
             f"Solve for $x$: $x = {tex(sol)}$."]
    return _task("linear_equation", f"Solve for $x$: ${shown}$.", sol, _number_type(sol), steps)


def _roots_text(roots: Sequence[sp.Expr]) -> str:
    return ", ".join(tex(r) for r in roots)


def _quadratic_sketch(rng: np.random.Generator, level: int) -> Task:
    """`quadratic_equation` at levels 1 to 3, in integers and fractions: the roots are the drawn ones."""
    if level == 1:
        r1, r2 = Fraction(integer(rng, -9, 9)), Fraction(integer(rng, -9, 9))
        lhs, rhs = {2: 1, 1: -int(r1 + r2), 0: int(r1 * r2)}, 0
    elif level == 2:
        i1, i2 = integer(rng, -10, 10), integer(rng, -10, 10)
        a = signed(rng, 2, 5)
        rhs = nonzero(rng, -20, 20)
        lhs = {2: a, 1: -a * (i1 + i2), 0: a * i1 * i2 + rhs}
        r1, r2 = Fraction(i1), Fraction(i2)
    else:
        p, r = integer(rng, 1, 6), integer(rng, 1, 6)
        if p == r == 1:
            raise Redraw
        u = nonzero(rng, -9, 9)
        v = nonzero(rng, -9, 9)
        lhs, rhs = {2: p * r, 1: -(p * v + r * u), 0: u * v}, 0
        r1, r2 = Fraction(u, p), Fraction(v, r)
    if r1 == r2:
        raise Redraw  # a double root: the discriminant is 0
    question = (f"Find all real solutions of ${_poly_tex(lhs)} = {rhs}$. "
                "Give the solutions separated by commas.")
    return _sketch(question, f"{_fraction_tex(min(r1, r2))}, {_fraction_tex(max(r1, r2))}")


def _fraction_tex(value: Fraction) -> str:
    """`tex` of a rational number: `-3`, `\\frac{3}{2}`, `- \\frac{1}{6}`."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{'- ' if value < 0 else ''}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


@_family("quadratic_equation", _quadratic_sketch, (1, 2, 3))
def quadratic_equation(rng: np.random.Generator, level: int) -> Task:
    if level == 1:
        r1, r2 = integer(rng, -9, 9), integer(rng, -9, 9)
        lhs, rhs = sp.expand((x - r1) * (x - r2)), sp.Integer(0)
    elif level == 2:
        r1, r2 = integer(rng, -10, 10), integer(rng, -10, 10)
        poly = sp.expand(signed(rng, 2, 5) * (x - r1) * (x - r2))
        shift = nonzero(rng, -20, 20)
        lhs, rhs = poly + shift, sp.Integer(shift)
    elif level == 3:
        p, r = integer(rng, 1, 6), integer(rng, 1, 6)
        if p == r == 1:
            raise Redraw
        lhs, rhs = sp.expand((p * x - nonzero(rng, -9, 9)) * (r * x - nonzero(rng, -9, 9))), sp.Integer(0)
    elif level == 4:
        lhs, rhs = x**2 + integer(rng, -12, 12) * x + integer(rng, -30, 30), sp.Integer(0)
    else:
        lhs = signed(rng, 2, 7) * x**2 + integer(rng, -15, 15) * x + integer(rng, -20, 20)
        rhs = integer(rng, -9, 9) * x + integer(rng, -20, 20)
    disc = sp.discriminant(sp.expand(lhs - rhs), x)
    if disc <= 0 or (level >= 4 and sp.sqrt(disc).is_Rational):
        raise Redraw  # real, distinct roots; irrational ones from level 4 on
    roots = sorted(sp.roots(sp.Poly(lhs - rhs, x)), key=lambda r: float(r))
    if len(roots) != 2 or not all(r.is_real for r in roots):
        raise Redraw
    steps = [f"Bring every term to one side: ${tex(sp.expand(lhs - rhs))} = 0$.",
             f"The discriminant is ${tex(disc)}$.",
             f"The solutions are $x = {tex(roots[0])}$ and $x = {tex(roots[1])}$."]
    question = (f"Find all real solutions of ${_eq(lhs, rhs)}$. "
                "Give the solutions separated by commas.")
    return _task("quadratic_equation", question, _roots_text(roots), "set", steps)


def _tuple_text(values: Sequence[sp.Expr]) -> str:
    return "(" + ", ".join(tex(v) for v in values) + ")"


def _linear_system_sketch(rng: np.random.Generator, level: int) -> Task:
    """`linear_system` at levels 1 to 3 (two unknowns, an integer solution), in integers. The coefficients are
    drawn row by row, as `sp.Matrix(rows, cols, f)` calls `f`; a nonzero determinant means one solution."""
    if level == 1:
        a, b = integer(rng, -10, 10), integer(rng, -10, 10)
        rows, rhs, solution = [[1, 1], [1, -1]], [a + b, a - b], [a, b]
    else:
        top = {2: 5, 3: 12}[level]
        rows = [[nonzero(rng, -top, top) for _ in range(2)] for _ in range(2)]
        if rows[0][0] * rows[1][1] - rows[0][1] * rows[1][0] == 0:
            raise Redraw
        solution = [integer(rng, -10, 10) for _ in range(2)]
        rhs = [row[0] * solution[0] + row[1] * solution[1] for row in rows]
    lines = " \\\\ ".join(f"{_linear_tex(row)} = {value}" for row, value in zip(rows, rhs, strict=True))
    question = (f"Solve the system of equations\n$$\\begin{{cases}} {lines} \\end{{cases}}$$\n"
                "Give the answer as an ordered tuple $(x, y)$.")
    return _sketch(question, f"({solution[0]}, {solution[1]})")


def _linear_tex(coeffs: Sequence[int], names: str = "xyz") -> str:
    """`tex` of `sum(c * v)` over the unknowns x, y, z with integer coefficients (in that order, as sympy writes)."""
    items = [(names[i], c) for i, c in enumerate(coeffs) if c]
    if not items:
        return "0"

    def term(name: str, c: int) -> str:
        return name if abs(c) == 1 else f"{abs(c)} {name}"

    out = ("- " if items[0][1] < 0 else "") + term(*items[0])
    for name, c in items[1:]:
        out += (" - " if c < 0 else " + ") + term(name, c)
    return out


@_family("linear_system", _linear_system_sketch, (1, 2, 3))
def linear_system(rng: np.random.Generator, level: int) -> Task:
    unknowns = [x, y, z] if level == 5 else [x, y]
    if level == 1:
        a, b = integer(rng, -10, 10), integer(rng, -10, 10)
        equations = [sp.Eq(x + y, a + b, evaluate=False), sp.Eq(x - y, a - b, evaluate=False)]
    else:
        size = len(unknowns)
        top = {2: 5, 3: 12, 4: 9, 5: 6}[level]
        draw = nonzero if level <= 3 else integer  # zero coefficients only in the harder systems
        coeffs = sp.Matrix(size, size, lambda i, j: draw(rng, -top, top))
        if coeffs.det() == 0 or any(all(c == 0 for c in coeffs.row(i)) for i in range(size)):
            raise Redraw
        if level == 4:
            rhs = sp.Matrix(size, 1, lambda i, j: integer(rng, -20, 20))
        else:
            truth = sp.Matrix(size, 1, lambda i, j: integer(rng, -10, 10))
            rhs = coeffs * truth
        equations = [sp.Eq(sum(coeffs[i, j] * unknowns[j] for j in range(size)), rhs[i], evaluate=False)
                     for i in range(size)]
    solution = sp.linsolve(equations, unknowns)
    if len(solution) != 1:
        raise Redraw
    values = list(next(iter(solution)))
    if level == 4 and all(v.is_Integer for v in values):
        raise Redraw  # level 4 is the rational-solution level
    names = ", ".join(str(u) for u in unknowns)
    lines = " \\\\ ".join(_eq(e.lhs, e.rhs) for e in equations)
    steps = ["Eliminate one unknown by adding a multiple of one equation to another.",
             *[f"${u} = {tex(v)}$" for u, v in zip(unknowns, values, strict=True)]]
    question = (f"Solve the system of equations\n$$\\begin{{cases}} {lines} \\end{{cases}}$$\n"
                f"Give the answer as an ordered tuple $({names})$.")
    return _task("linear_system", question, _tuple_text(values), "tuple", steps)


def _paren(expr: sp.Expr) -> str:
    return f"\\left({tex(expr)}\\right)"


def _operand(expr: sp.Expr) -> str:
    """An integrand or factor, in parentheses only when it is a sum or carries a leading minus sign."""
    return _paren(expr) if expr.is_Add or expr.could_extract_minus_sign() else tex(expr)


def _expand_sketch(rng: np.random.Generator, level: int) -> Task:
    """`polynomial_expand` at levels 1 to 3, in integers (the product always has at least two terms)."""
    if level == 1:
        factor = signed(rng, 2, 9)
        inner = {1: signed(rng, 1, 9)}
        inner[0] = nonzero(rng, -12, 12)
        paren = f"\\left({_poly_tex(inner)}\\right)"
        shown = f"{factor} {paren}" if factor > 0 else f"-{-factor} {paren}"
        expanded = {k: factor * c for k, c in inner.items()}
    else:
        top = 1 if level == 2 else 7
        factors = []
        for _ in range(2):
            f = {1: signed(rng, 1, top)}
            f[0] = nonzero(rng, -12, 12)
            factors.append(f)
        shown = " ".join(f"\\left({_poly_tex(f)}\\right)" for f in factors)
        expanded = _poly_mul(*factors)
    degree = max(k for k, c in expanded.items() if c)
    letters = "pqrs"[: degree + 1]
    form = " + ".join(f"{letter} {_monomial_tex(1, degree - i)}" if degree - i else letter
                      for i, letter in enumerate(letters))
    reference = "(" + ", ".join(str(expanded.get(degree - i, 0)) for i in range(degree + 1)) + ")"
    return _sketch(f"Expand ${shown}$ and write the result as ${form}$. Find $({', '.join(letters)})$.", reference)


@_family("polynomial_expand", _expand_sketch, (1, 2, 3))
def polynomial_expand(rng: np.random.Generator, level: int) -> Task:
    if level == 1:
        factor = signed(rng, 2, 9)
        inner = signed(rng, 1, 9) * x + nonzero(rng, -12, 12)
        shown, product = f"{factor} {_paren(inner)}" if factor > 0 else f"-{-factor} {_paren(inner)}", factor * inner
    elif level in (2, 3):
        top = 1 if level == 2 else 7
        f1 = signed(rng, 1, top) * x + nonzero(rng, -12, 12)
        f2 = signed(rng, 1, top) * x + nonzero(rng, -12, 12)
        shown, product = f"{_paren(f1)} {_paren(f2)}", f1 * f2
    elif level == 4:
        if rng.random() < 0.5:
            f1, n = signed(rng, 1, 4) * x + nonzero(rng, -5, 5), 3
            shown, product = f"{_paren(f1)}^{{{n}}}", f1**n
        else:
            f1 = x + nonzero(rng, -9, 9)
            f2 = x**2 + integer(rng, -9, 9) * x + nonzero(rng, -9, 9)
            shown, product = f"{_paren(f1)} {_paren(f2)}", f1 * f2
    else:
        f1 = signed(rng, 1, 3) * x + nonzero(rng, -5, 5) * y
        f2 = signed(rng, 1, 4) * x + nonzero(rng, -6, 6) * y
        shown, product = f"{_paren(f1)}^{{2}} {_paren(f2)}", f1**2 * f2
    expanded = sp.expand(product)
    if len(sp.Add.make_args(expanded)) < 2:
        raise Redraw
    # The answer is the coefficient tuple, not the expanded expression: any expression equal to the product,
    # including the product itself copied from the prompt, would pass an equivalence check.
    if level == 5:
        monomials = [x**3, x**2 * y, x * y**2, y**3]
    else:
        monomials = [x**p for p in range(sp.degree(expanded, x), -1, -1)]
    poly = sp.Poly(expanded, x, y)
    coeffs = [poly.coeff_monomial(m) for m in monomials]
    letters = "pqrs"[: len(monomials)]  # no `d`: `d y` reads as a differential
    form = " + ".join(f"{letter} {tex(m)}" if m != 1 else letter for letter, m in zip(letters, monomials, strict=True))
    reference = _tuple_text(coeffs)
    steps = ["Multiply every term of one factor by every term of the other.",
             f"Collect like terms: ${tex(expanded)}$.", f"Reading off the coefficients gives ${reference}$."]
    question = f"Expand ${shown}$ and write the result as ${form}$. Find $({', '.join(letters)})$."
    return _task("polynomial_expand", question, reference, "tuple", steps, expanded=tex(expanded))


@cached
def _factor_list(expr: sp.Expr, gens: tuple[sp.Symbol, ...]) -> tuple[Any, list[tuple[sp.Expr, int]]]:
    return sp.factor_list(expr, *gens)


def _integer_linear_factors(expr: sp.Expr, gens: Sequence[sp.Symbol]) -> list[tuple[int, ...]] | None:
    """The integer coefficients of the linear factors of a primitive polynomial, leading coefficient positive,
    sorted; None when sympy's factorisation has a content or a nonlinear factor (the problem would be ambiguous)."""
    content, factors = _factor_list(expr, tuple(gens))
    if content not in (1, -1):
        return None
    out: list[tuple[int, ...]] = []
    sign = int(content)
    for factor, multiplicity in factors:
        poly = sp.Poly(factor, *gens)
        if poly.total_degree() != 1:
            return None
        coeffs = [int(poly.coeff_monomial(m)) for m in ([*gens, 1] if len(gens) == 1 else list(gens))]
        if coeffs[0] < 0:
            coeffs = [-c for c in coeffs]
            sign *= (-1) ** multiplicity
        out.extend([tuple(coeffs)] * multiplicity)
    if sign != 1:
        return None
    return sorted(out)


def _factor_sketch(rng: np.random.Generator, level: int) -> Task:
    """`polynomial_factor` at levels 1 to 3, in integers: a product of distinct monic linear factors with integer
    roots factors into exactly those (content 1), so the answer is the sorted drawn constants."""
    count = 3 if level == 3 else 2
    top = {1: 9, 2: 15, 3: 6}[level]
    roots = [integer(rng, -top, top) for _ in range(count)]
    if len(set(roots)) != count or (level < 3 and 0 in roots):
        raise Redraw
    poly = {0: 1}
    for r in roots:
        poly = _poly_mul(poly, {1: 1, 0: r})
    letters = "a, b, c"[: 3 * count - 2]
    order = " < ".join(letters.split(", "))
    shape = "".join(f"(x + {ch})" for ch in letters.split(", "))
    question = (f"There are integers ${order}$ such that ${_poly_tex(poly)} = {shape}$ for all $x$. "
                f"Find $({letters})$.")
    return _sketch(question, "(" + ", ".join(str(c) for c in sorted(roots)) + ")")


@_family("polynomial_factor", _factor_sketch, (1, 2, 3))
def polynomial_factor(rng: np.random.Generator, level: int) -> Task:
    if level in (1, 2, 3):
        count = 3 if level == 3 else 2
        top = {1: 9, 2: 15, 3: 6}[level]
        roots = [integer(rng, -top, top) for _ in range(count)]
        if len(set(roots)) != count or (level < 3 and 0 in roots):
            raise Redraw
        poly = sp.expand(sp.Mul(*[x + r for r in roots]))
        factors = _integer_linear_factors(poly, [x])
        if factors is None or any(f[0] != 1 for f in factors):
            raise Redraw
        constants = sorted(f[1] for f in factors)
        letters = "a, b, c"[: 3 * count - 2]
        order = " < ".join(letters.split(", "))
        shape = "".join(f"(x + {ch})" for ch in letters.split(", "))
        question = (f"There are integers ${order}$ such that ${tex(poly)} = {shape}$ for all $x$. "
                    f"Find $({letters})$.")
        reference = "(" + ", ".join(str(c) for c in constants) + ")"
        shown = " ".join(_paren(x + c) for c in constants)
    else:
        gens = [x] if level == 4 else [x, y]
        second = 1 if level == 4 else y
        pairs = []
        for _ in range(2):
            a, b = integer(rng, 1, 6), nonzero(rng, -9, 9)
            if math.gcd(a, b) != 1:
                raise Redraw
            pairs.append((a, b))
        if pairs[0] == pairs[1] or all(a == 1 for a, _ in pairs):
            raise Redraw
        poly = sp.expand(sp.Mul(*[a * x + b * second for a, b in pairs]))
        factors = _integer_linear_factors(poly, gens)
        if factors is None or len(factors) != 2:
            raise Redraw
        (a, b), (c, d) = factors
        term = "" if level == 4 else " y"
        question = (f"There are integers $a, b, c, d$ with $a > 0$, $c > 0$, and either $a < c$ or ($a = c$ and "
                    f"$b < d$), such that ${tex(poly)} = (a x + b{term})(c x + d{term})$ for all "
                    f"{'$x$' if level == 4 else '$x$ and $y$'}. Find $(a, b, c, d)$.")
        reference = f"({a}, {b}, {c}, {d})"
        shown = " ".join(_paren(p * x + q * second) for p, q in factors)
    steps = ["Look for factors whose product gives the leading and the constant coefficients and whose cross "
             "terms give the middle coefficient.",
             f"${tex(poly)} = {shown}$.",
             f"Reading off the coefficients gives ${reference}$."]
    return _task("polynomial_factor", question, reference, "tuple", steps, factored=shown)


def _simplest(expr: sp.Expr) -> sp.Expr:
    """The shortest of a few equivalent forms, so references read naturally."""
    candidates = [expr, sp.factor(expr), sp.expand(expr)]
    return min(candidates, key=lambda e: (sp.count_ops(e), len(str(e))))


@cached
def _simplest_derivative(f: sp.Expr) -> sp.Expr:
    return _simplest(sp.diff(f, x))


@cached
def _derivative_at(f: sp.Expr, point: int) -> sp.Expr:
    return sp.radsimp(sp.diff(f, x).subs(x, point))


def _derivative_sketch(rng: np.random.Generator, level: int) -> Task:
    """`derivative` at levels 1 and 2 (polynomials), in integers."""
    a, b = signed(rng, 1, 6), signed(rng, 1, 6)
    n = integer(rng, 2, 6)
    if level == 1:
        f = {n: a, 1: b, 0: integer(rng, -9, 9)}
    else:
        top = integer(rng, 3, 5)
        f = {k: integer(rng, -9, 9) for k in range(1, top + 1)}
        f[0] = integer(rng, -9, 9)
    if not any(c for k, c in f.items() if k):
        raise Redraw  # a constant: nothing to differentiate
    fprime = {k - 1: k * c for k, c in f.items() if k}
    return _sketch(f"Find the derivative $f'(x)$ of $f(x) = {_poly_tex(f)}$.", _poly_tex(fprime))


@_family("derivative", _derivative_sketch, (1, 2))
def derivative(rng: np.random.Generator, level: int) -> Task:
    a, b = signed(rng, 1, 6), signed(rng, 1, 6)
    n = integer(rng, 2, 6)
    if level == 1:
        f = a * x**n + b * x + integer(rng, -9, 9)
    elif level == 2:
        f = sum(integer(rng, -9, 9) * x**k for k in range(1, integer(rng, 3, 5) + 1)) + integer(rng, -9, 9)
    elif level == 3:
        f = pick(rng, ((a * x + b) ** n, a * sp.exp(b * x), a * sp.sin(b * x + integer(rng, -3, 3)),
                        x**n * sp.exp(b * x), a * sp.cos(b * x)))
    elif level == 4:
        c = integer(rng, 1, 9)
        f = pick(rng, (a * x**n * sp.sin(b * x), sp.log(abs(a) * x**2 + c), a * sp.exp(b * x**2),
                        a * x / (x**2 + c), (x**2 + c) ** n * (a * x + b)))
    else:  # the derivative's value at a point, from functions whose value there is rational
        point, c, m = integer(rng, 1, 4), integer(rng, 1, 9), integer(rng, 1, 4)
        f = pick(rng, ((x**2 - c) ** integer(rng, 2, 3) * (a * x + b), (a * x + b) / (x**2 + c),
                        sp.log(abs(a) * x**2 + c), x * sp.sqrt(x**2 + (point + m) ** 2 - point**2),
                        x**2 * sp.exp(b * (x - point))))
    if x not in f.free_symbols:
        raise Redraw
    fprime = sp.diff(f, x) if level <= 2 else _simplest_derivative(f)
    if level == 5:
        value = _derivative_at(f, point)
        if not value.is_Rational:
            raise Redraw
        steps = [f"Differentiate: $f'(x) = {tex(fprime)}$.", f"Substitute $x = {point}$: $f'({point}) = {tex(value)}$."]
        question = f"Let $f(x) = {tex(f)}$. Compute $f'({point})$."
        return _task("derivative", question, value, _number_type(value), steps)
    rules = {1: "the power rule", 2: "the power rule term by term", 3: "the chain or product rule",
             4: "the product, quotient and chain rules"}
    steps = [f"Apply {rules[level]} to $f(x) = {tex(f)}$.", f"$f'(x) = {tex(fprime)}$."]
    return _task("derivative", f"Find the derivative $f'(x)$ of $f(x) = {tex(f)}$.", fprime, "expression", steps)


@cached
def _integrate(f: sp.Expr) -> sp.Expr:
    return sp.integrate(f, x)


@cached
def _definite(f: sp.Expr, lo: Any, hi: Any) -> tuple[sp.Expr, sp.Expr]:
    """An antiderivative of `f` and the integral over [lo, hi] (f is continuous there)."""
    antiderivative = _integrate(f)
    value = antiderivative.subs(x, hi) - antiderivative.subs(x, lo)
    return antiderivative, value if value.is_Rational else sp.simplify(value)


def _integral_sketch(rng: np.random.Generator, level: int) -> Task:
    """`integral` at levels 1 to 3 without sympy: polynomials (an antiderivative with integer coefficients, or an
    exact definite integral, a fraction) in integers and fractions, and level 3's four templates by
    `_integral_template_tex`."""
    a, b = signed(rng, 1, 6), signed(rng, 1, 4)
    if level == 3:
        c = integer(rng, 1, 5)  # drawn for the third template before the pick, whichever is picked
        shown, reference = _integral_template_tex(pick(rng, (0, 1, 2, 3)), a, b, c)
        return _sketch(f"Find the antiderivative $F(x)$ of $f(x) = {shown}$ that satisfies $F(0) = 0$.", reference)
    top = integer(rng, 1, 3)
    if level == 1:
        coeffs = [integer(rng, -6, 6) for _ in range(top + 1)]
        f = {k: c * (k + 1) for k, c in enumerate(coeffs)}
        if not any(f.values()):
            raise Redraw
        question = f"Find the antiderivative $F(x)$ of $f(x) = {_poly_tex(f)}$ that satisfies $F(0) = 0$."
        return _sketch(question, _poly_tex({k + 1: c for k, c in enumerate(coeffs)}))
    f = {k: integer(rng, -5, 5) for k in range(top + 1)}
    lo = integer(rng, -3, 2)
    hi = lo + integer(rng, 1, 4)
    value = sum((Fraction(c, k + 1) * (Fraction(hi) ** (k + 1) - Fraction(lo) ** (k + 1)) for k, c in f.items()),
                Fraction(0))
    if value == 0:
        raise Redraw
    terms = [(k, c) for k, c in f.items() if c]
    # `_operand`: in parentheses when a sum or when it carries a minus sign
    operand = f"\\left({_poly_tex(f)}\\right)" if len(terms) > 1 or terms[0][1] < 0 else _poly_tex(f)
    question = f"Compute the exact value of $\\displaystyle\\int_{{{lo}}}^{{{hi}}} {operand} \\, dx$."
    return _sketch(question, _fraction_tex(value))


def _integral_template_tex(template: int, a: int, b: int, c: int) -> tuple[str, str]:
    """`tex(f)` and `tex(F)` (with `F(0) = 0`) of `integral`'s level-3 templates, `a e^{bx}`, `a cos(bx)`,
    `a sin(bx) + 2 c x` and `a x e^{x^2}`, as sympy writes them (cos and sin of `-|b| x` fold their sign; a
    constant goes first beside `e^{-|b| x}` or a negative exponential term). tests/test_task_equivalence.py checks
    every `(template, a, b, c)` the level draws against sympy."""
    linear = _poly_tex({1: abs(b)})
    if template == 0:
        exp, q = f"e^{{{_poly_tex({1: b})}}}", Fraction(a, b)
        terms = [(-q, ""), (q, exp)] if b < 0 or q < 0 else [(q, exp), (-q, "")]
        return _scaled_tex(Fraction(a), exp), _sum_tex(terms)
    if template == 1:
        return (_scaled_tex(Fraction(a), f"\\cos{{\\left({linear} \\right)}}"),
                _scaled_tex(Fraction(a, abs(b)), f"\\sin{{\\left({linear} \\right)}}"))
    if template == 2:
        q = Fraction(a, b)  # F = c x^2 - (a / b) cos(|b| x) + a / b
        shown = _poly_tex({1: 2 * c}) + _sum_tex([(Fraction(a if b > 0 else -a), f"\\sin{{\\left({linear} \\right)}}")],
                                                  first=False)
        return shown, _poly_tex({2: c}) + _sum_tex([(-q, f"\\cos{{\\left({linear} \\right)}}"), (q, "")],
                                                    first=False)
    q = Fraction(a, 2)
    return (_scaled_tex(Fraction(a), "x e^{x^{2}}"),
            _sum_tex([(-q, ""), (q, "e^{x^{2}}")] if q < 0 else [(q, "e^{x^{2}}"), (-q, "")]))


def _scaled_tex(q: Fraction, body: str) -> str:
    """`q * body` as sympy writes a leading term: `3 e^{2 x}`, `- e^{x}`, `\\frac{3 e^{2 x}}{2}`, and `body` ""
    for the constant `q` itself."""
    if not body:
        return _fraction_tex(q)
    m = abs(q)
    inner = body if m.numerator == 1 else f"{m.numerator} {body}"
    text = inner if m.denominator == 1 else f"\\frac{{{inner}}}{{{m.denominator}}}"
    return ("- " if q < 0 else "") + text


def _sum_tex(terms: list[tuple[Fraction, str]], first: bool = True) -> str:
    """Terms `q * body` in the order given, joined with their signs (`first`: the first one leads the sum)."""
    out = ""
    for i, (q, body) in enumerate(terms):
        if i == 0 and first:
            out = _scaled_tex(q, body)
        else:
            out += (" - " if q < 0 else " + ") + _scaled_tex(abs(q), body)
    return out


@_family("integral", _integral_sketch, (1, 2, 3))
def integral(rng: np.random.Generator, level: int) -> Task:
    a, b = signed(rng, 1, 6), signed(rng, 1, 4)
    if level in (1, 3):
        if level == 1:
            f = sum(integer(rng, -6, 6) * (k + 1) * x**k for k in range(integer(rng, 1, 3) + 1))
        else:
            f = pick(rng, (a * sp.exp(b * x), a * sp.cos(b * x), a * sp.sin(b * x) + integer(rng, 1, 5) * 2 * x,
                            a * x * sp.exp(x**2)))
        if f == 0:
            raise Redraw
        antiderivative = _integrate(f)
        big_f = sp.expand(antiderivative - antiderivative.subs(x, 0))
        steps = [f"An antiderivative of $f(x) = {tex(f)}$ is ${tex(antiderivative)}$.",
                 f"Subtract its value at $0$ so that $F(0) = 0$: $F(x) = {tex(big_f)}$."]
        question = f"Find the antiderivative $F(x)$ of $f(x) = {tex(f)}$ that satisfies $F(0) = 0$."
        return _task("integral", question, big_f, "expression", steps)
    if level == 2:
        f = sum(integer(rng, -5, 5) * x**k for k in range(integer(rng, 1, 3) + 1))
        lo = integer(rng, -3, 2)
        hi = lo + integer(rng, 1, 4)
    elif level == 4:
        c = integer(rng, 1, 4)
        f, lo, hi = pick(rng, ((a * sp.sin(c * x), 0, sp.pi / (2 * c)), (a * sp.exp(b * x), 0, 1),
                                (sp.Integer(a) / x, 1, integer(rng, 2, 9)),
                                (a * sp.cos(x), 0, sp.pi / pick(rng, (2, 3, 6))),
                                (a * x / (x**2 + c), 0, integer(rng, 1, 4))))
    else:
        c, top = integer(rng, 1, 3), integer(rng, 1, 2)
        f, lo, hi = pick(rng, ((x * sp.exp(c * x), 0, top), (x * sp.sin(c * x), 0, sp.pi / (top * c)),
                                (x * sp.cos(c * x), 0, sp.pi / (2 * c)), (sp.log(x), 1, integer(rng, 2, 5)),
                                (x**2 * sp.exp(x), 0, top), (x * (x**2 + c) ** 2, 0, top)))
        f = a * f
    antiderivative, value = _definite(f, lo, hi)
    if value == 0 or not value.is_finite or value.has(sp.Integral):
        raise Redraw
    steps = [f"An antiderivative of ${tex(f)}$ is ${tex(antiderivative)}$.",
             f"Evaluate it between ${tex(lo)}$ and ${tex(hi)}$: the integral is ${tex(value)}$."]
    question = f"Compute the exact value of $\\displaystyle\\int_{{{tex(lo)}}}^{{{tex(hi)}}} {_operand(f)} \\, dx$."
    return _task("integral", question, value, _number_type(value), steps)


def _rational(value: Fraction) -> sp.Rational:
    """The sympy number of an exact fraction (an Integer when it is whole, as sympy's own arithmetic gives)."""
    return sp.Rational(value.numerator, value.denominator)


def _fraction(value: Any) -> Fraction:
    """An int or a sympy Rational as an exact fraction."""
    return Fraction(int(value.p), int(value.q)) if isinstance(value, sp.Rational) else Fraction(int(value))


def _geometric_sum(a1: int, r: Any, n: int) -> sp.Rational:
    """`sum(a1 r^(k-1), k=1..n)` in exact integer arithmetic: the value `sp.summation` gives, at a fraction of
    its cost."""
    ratio = _fraction(r)
    return _rational(sum((a1 * ratio ** (i - 1) for i in range(1, n + 1)), Fraction(0)))


def _arithmetic_sum(a1: int, d: int, n: int) -> sp.Integer:
    """`sum(a1 + (k-1) d, k=1..n)`, an integer."""
    return sp.Integer(sum(a1 + (i - 1) * d for i in range(1, n + 1)))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _terms(first: Sequence[sp.Expr]) -> str:
    return ", ".join(tex(t) for t in first) + ", \\ldots"


@_family("sequence")
def sequence(rng: np.random.Generator, level: int) -> Task:
    k = sp.Symbol("k", integer=True, positive=True)
    if level in (1, 3):
        a1, d = integer(rng, -20, 30), nonzero(rng, -9, 12)
        n = integer(rng, 8, 30) if level == 1 else integer(rng, 10, 60)
        term = a1 + (k - 1) * d
    elif level == 2:
        a1, r, n = nonzero(rng, -5, 5), pick(rng, (2, 3, -2, -3, sp.Rational(1, 2))), integer(rng, 5, 9)
        term = a1 * sp.Integer(2) ** 10 * r ** (k - 1) if r == sp.Rational(1, 2) else a1 * r ** (k - 1)
    elif level == 4:
        ratios = (2, 3, -2, -3, sp.Rational(1, 2), sp.Rational(-1, 3))
        a1, r, n = nonzero(rng, -6, 6), pick(rng, ratios), integer(rng, 5, 10)
        term = a1 * r ** (k - 1)
    else:
        template = integer(rng, 0, 2)
        if template == 0:  # an infinite geometric series
            num, den = integer(rng, 1, 5), integer(rng, 2, 7)
            if num >= den or math.gcd(num, den) != 1:
                raise Redraw
            r = sp.Rational(num, den) * pick(rng, (1, -1))
            a1 = nonzero(rng, -12, 12)
            total = _rational(a1 / (1 - _fraction(r)))  # |r| < 1: the series converges to a1 / (1 - r)
            question = f"Find the sum of the infinite geometric series ${_terms([a1 * r**i for i in range(3)])}$."
            steps = [f"The first term is ${a1}$ and the ratio is ${tex(r)}$, with $|r| < 1$.",
                     f"The sum is $\\frac{{a_1}}{{1 - r}} = {tex(total)}$."]
            return _task("sequence", question, total, _number_type(total), steps)
        if template == 1:  # a linear recurrence
            mult, add, a1, n = integer(rng, 2, 3), integer(rng, -5, 5), integer(rng, -5, 5), integer(rng, 6, 10)
            values = [sp.Integer(a1)]
            for _ in range(n - 1):
                values.append(mult * values[-1] + add)
            question = (f"A sequence satisfies $a_1 = {a1}$ and $a_{{n+1}} = {mult} a_n {'+' if add >= 0 else '-'} "
                        f"{abs(add)}$ for $n \\ge 1$. Find $a_{{{n}}}$.")
            steps = [f"Apply the recurrence repeatedly: ${_terms(values[:4])}$", f"$a_{{{n}}} = {values[-1]}$."]
            return _task("sequence", question, values[-1], "integer", steps)
        # two terms of an arithmetic sequence, then a partial sum
        a1, d = integer(rng, -20, 20), nonzero(rng, -7, 7)
        i, j, n = integer(rng, 2, 5), integer(rng, 8, 15), integer(rng, 20, 40)
        term = a1 + (k - 1) * d
        total = _arithmetic_sum(a1, d, n)
        question = (f"In an arithmetic sequence, $a_{{{i}}} = {tex(term.subs(k, i))}$ and "
                    f"$a_{{{j}}} = {tex(term.subs(k, j))}$. Find the sum of the first ${n}$ terms.")
        steps = [f"The common difference is $\\frac{{a_{{{j}}} - a_{{{i}}}}}{{{j} - {i}}} = {d}$ and $a_1 = {a1}$.",
                 f"$S_{{{n}}} = \\frac{{{n}}}{{2}}(2 a_1 + {n - 1} d) = {tex(total)}$."]
        return _task("sequence", question, total, "integer", steps)
    first = [term.subs(k, i) for i in range(1, 4)]
    if level in (1, 2):
        value = term.subs(k, n)
        question = f"Find the {_ordinal(n)} term of the sequence ${_terms(first)}$"
        kind = "arithmetic" if level == 1 else "geometric"
        steps = [f"This is an {kind} sequence with first term ${tex(first[0])}$.",
                 f"$a_{{{n}}} = {tex(value)}$."]
    else:
        value = _arithmetic_sum(a1, d, n) if level == 3 else _geometric_sum(a1, r, n)
        question = f"Find the sum of the first ${n}$ terms of the sequence ${_terms(first)}$"
        kind = "arithmetic" if level == 3 else "geometric"
        steps = [f"This is an {kind} sequence with first term ${tex(first[0])}$.",
                 f"$S_{{{n}}} = {tex(value)}$."]
    question += f" ({kind})."
    return _task("sequence", question, value, _number_type(value), steps)


LETTERS = "ABCDEFGHKLMNPRST"


def _bounded_compositions(parts: int, total: int, cap: int) -> int:
    """The coefficient of t^total in (1 + t + ... + t^cap)^parts: solutions of x_1 + ... + x_parts = total with
    0 <= x_i <= cap, counted by multiplying the polynomial out in integers."""
    coeffs = [1]
    for _ in range(parts):
        coeffs = [sum(coeffs[m - i] for i in range(cap + 1) if 0 <= m - i < len(coeffs))
                  for m in range(len(coeffs) + cap)]
    return coeffs[total] if total < len(coeffs) else 0


@_family("combinatorics")
def combinatorics(rng: np.random.Generator, level: int) -> Task:
    if level == 1:
        n = integer(rng, 5, 16)
        r = integer(rng, 2, n - 2)
        value = math.comb(n, r)
        question = f"Compute $\\binom{{{n}}}{{{r}}}$."
        steps = [f"$\\binom{{{n}}}{{{r}}} = \\frac{{{n}!}}{{{r}! \\, {n - r}!}} = {value}$."]
    elif level == 2:
        n = integer(rng, 5, 20)
        r = integer(rng, 2, min(5, n - 1))
        if rng.random() < 0.5:
            value = math.perm(n, r)
            question = (f"In a race of ${n}$ runners with no ties, in how many different ways can the top ${r}$ "
                        "finishing positions be filled (the order matters)?")
            steps = [f"Ordered selections: $\\frac{{{n}!}}{{{n - r}!}} = {value}$."]
        else:
            value = math.comb(n, r)
            question = f"In how many ways can a committee of ${r}$ be chosen from ${n}$ people?"
            steps = [f"Unordered selections: $\\binom{{{n}}}{{{r}}} = {value}$."]
    elif level == 3:
        counts = [integer(rng, 1, 3) for _ in range(integer(rng, 2, 4))]
        letters = rng.permutation(list(LETTERS))[: len(counts)]
        word = "".join(str(letter) * c for letter, c in zip(letters, counts, strict=True))
        if len(word) < 4 or max(counts) == 1:
            raise Redraw
        value = math.factorial(len(word)) // math.prod(math.factorial(c) for c in counts)
        question = f"How many distinct strings can be made by rearranging all the letters of {word}?"
        steps = [f"There are ${len(word)}$ letters with repetitions {counts}.",
                 f"$\\frac{{{len(word)}!}}{{{' '.join(f'{c}!' for c in counts)}}} = {value}$."]
    elif level == 4:
        men, women, size = integer(rng, 3, 9), integer(rng, 3, 9), integer(rng, 3, 6)
        least = integer(rng, 1, 2)
        if size > men + women or least > min(women, size):
            raise Redraw
        value = sum(math.comb(women, j) * math.comb(men, size - j) for j in range(least, min(women, size) + 1))
        question = (f"A club has ${men}$ men and ${women}$ women. In how many ways can a committee of ${size}$ "
                    f"members be chosen that includes at least ${least}$ {'woman' if least == 1 else 'women'}?")
        steps = [f"Sum over the number $j \\ge {least}$ of women: $\\sum_j \\binom{{{women}}}{{j}}"
                 f"\\binom{{{men}}}{{{size}-j}} = {value}$."]
    else:
        if rng.random() < 0.5:
            parts, total, cap = integer(rng, 3, 4), integer(rng, 6, 14), integer(rng, 3, 6)
            value = _bounded_compositions(parts, total, cap)
            if value == 0:
                raise Redraw
            names = ", ".join(f"x_{i}" for i in range(1, parts + 1))
            question = (f"How many solutions in integers does ${' + '.join(f'x_{i}' for i in range(1, parts + 1))}"
                        f" = {total}$ have with $0 \\le x_i \\le {cap}$ for every $i$ (ordered ${names}$)?")
            steps = [f"Count the coefficient of $t^{{{total}}}$ in $(1 + t + \\cdots + t^{{{cap}}})^{{{parts}}}$.",
                     f"It is ${value}$."]
        else:
            divisors = sorted({integer(rng, 2, 13) for _ in range(3)})
            limit = integer(rng, 100, 1000)
            if len(divisors) < 2:
                raise Redraw
            value = sp.Integer(sum(1 for m in range(1, limit + 1) if any(m % d == 0 for d in divisors)))
            listed = ", ".join(str(d) for d in divisors[:-1]) + f" or {divisors[-1]}"
            question = f"How many integers from $1$ to ${limit}$ are divisible by {listed}?"
            steps = ["Use inclusion-exclusion over the divisors and their least common multiples.",
                     f"The count is ${value}$."]
    return _task("combinatorics", question, sp.Integer(value), "integer", steps)


@_family("modular")
def modular(rng: np.random.Generator, level: int) -> Task:
    if level == 1:
        a, m = integer(rng, 50, 2000), integer(rng, 3, 25)
        value = sp.Mod(a, m)
        question = f"What is the remainder when ${a}$ is divided by ${m}$?"
        steps = [f"${a} = {a // m} \\cdot {m} + {value}$."]
    elif level == 2:
        a, b, c, m = integer(rng, 100, 999), integer(rng, 100, 999), integer(rng, 1, 99), integer(rng, 7, 40)
        value = sp.Mod(a * b + c, m)
        question = f"Compute $({a} \\cdot {b} + {c}) \\bmod {m}$."
        steps = [f"Reduce each factor mod ${m}$ first: ${a % m} \\cdot {b % m} + {c % m} \\equiv {value}$."]
    elif level == 3:
        a, e, m = integer(rng, 2, 30), integer(rng, 20, 400), integer(rng, 5, 30)
        if math.gcd(a, m) != 1:
            raise Redraw  # a power of a common factor makes the remainder trivial or a pure power of it
        value = sp.Mod(sp.Integer(a) ** e, m)
        question = f"What is the remainder when ${a}^{{{e}}}$ is divided by ${m}$?"
        steps = [f"Find the cycle of the powers of ${a}$ modulo ${m}$ and reduce the exponent: the remainder is "
                 f"${value}$."]
    elif level == 4:
        m = integer(rng, 11, 97)
        a = integer(rng, 2, m - 1)
        if math.gcd(a, m) != 1:
            raise Redraw
        value = sp.mod_inverse(a, m)
        question = (f"Find the integer $x$ with $0 \\le x < {m}$ such that ${a} x \\equiv 1 \\pmod{{{m}}}$.")
        steps = [f"Run the extended Euclidean algorithm on ${a}$ and ${m}$.",
                 f"${a} \\cdot {value} = {a * int(value)} \\equiv 1 \\pmod{{{m}}}$, so $x = {value}$."]
    else:
        moduli = sorted({integer(rng, 3, 13) for _ in range(3)})
        if len(moduli) < 2 or any(math.gcd(p, q) != 1 for i, p in enumerate(moduli) for q in moduli[i + 1:]):
            raise Redraw
        residues = [integer(rng, 0, m - 1) for m in moduli]
        solved = crt(moduli, residues)
        if solved is None:
            raise Redraw
        value, modulus = solved
        if value == 0:
            value = modulus
        lines = ", ".join(f"x \\equiv {r} \\pmod{{{m}}}" for r, m in zip(residues, moduli, strict=True))
        question = f"Find the smallest positive integer $x$ such that ${lines}$."
        steps = [f"The moduli are pairwise coprime, so by the Chinese remainder theorem there is one solution "
                 f"modulo ${modulus}$.", f"It is $x = {value}$."]
    value = sp.Integer(value)
    return _task("modular", question, value, "integer", steps)


MATH_GENERATORS: dict[str, Generator] = {
    "arithmetic": arithmetic,
    "fractions": fractions,
    "linear_equation": linear_equation,
    "quadratic_equation": quadratic_equation,
    "linear_system": linear_system,
    "polynomial_expand": polynomial_expand,
    "polynomial_factor": polynomial_factor,
    "derivative": derivative,
    "integral": integral,
    "sequence": sequence,
    "combinatorics": combinatorics,
    "modular": modular,
}


def math_generator_source(difficulty: int | Sequence[int] = 1) -> GeneratorSource:
    """All math families at the given difficulty (or mix of difficulties)."""
    return GeneratorSource(MATH_GENERATORS, difficulty, name="math-generators")

"""Seeded generators of proof tasks, one per kind, difficulty 1 (one idea) to 5, each with a correct derivation.

Every generator draws only from its `rng`, so `gen:<kind>:<difficulty>:<seed>` rebuilds the same task anywhere.
The derivation (`meta["solution"]`, one step per item) is written here by templates, not by the verifier; the test
suite checks each one with the verifier, and `export-steps` plants errors in them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rlvrgym.tasks.base import Generator, Task
from rlvrgym.tasks.draws import generator, integer, nonzero, pick
from rlvrgym.tasks.proof_tasks import record_to_task

MAX_LEVEL = 5


def term(c: int, body: str = "", first: bool = False) -> str:
    """`c·body` as a term of a sum: `+ 3x`, `- x`, `x^2` (first), `+ 7` (no body)."""
    if c == 0:
        return ""
    mag = abs(c)
    text = (str(mag) if mag != 1 or not body else "") + body
    if first:
        return ("-" if c < 0 else "") + text
    return (" - " if c < 0 else " + ") + text


def poly(*coeffs: int, var: str = "x") -> str:
    """The polynomial with these coefficients, highest degree first: poly(1, -5, 6) = `x^2 - 5x + 6`."""
    n = len(coeffs) - 1
    out = ""
    for i, c in enumerate(coeffs):
        k = n - i
        body = "" if k == 0 else var if k == 1 else f"{var}^{k}"
        out += term(c, body, first=not out)
    return out or "0"


def shift(var: str, a: int) -> str:
    """`x + a` / `x - a`."""
    return var + term(a)


def frac(num: Any, den: Any) -> str:
    return f"\\frac{{{num}}}{{{den}}}"


def _record(kind: str, statement: str, solution: list[str], **fields: Any) -> Task:
    record = {"kind": kind, "statement": statement, **fields, "solution": solution,
              "min_steps": sum(1 for s in solution if not s.startswith("Let "))}
    return record_to_task(record)


# ---------------------------------------------------------------------------------------------------- identity
def identity(rng: np.random.Generator, level: int) -> Task:
    if level == 1:
        a, b = integer(rng, 2, 9), nonzero(rng, -9, 9)
        lhs, rhs = f"{a}({shift('x', b)})", poly(a, a * b)
        steps = [f"{lhs} = {a} \\cdot x {'+' if b > 0 else '-'} {a} \\cdot {abs(b)}", f"= {rhs}"]
    elif level == 2:
        a = nonzero(rng, -9, 9)
        lhs, rhs = f"({shift('x', a)})^2", poly(1, 2 * a, a * a)
        steps = [f"{lhs} = ({shift('x', a)})({shift('x', a)})", f"= x^2{term(a, 'x')}{term(a, 'x')}{term(a * a)}",
                 f"= {rhs}"]
    elif level == 3:
        a, b = nonzero(rng, -9, 9), nonzero(rng, -9, 9)
        lhs, rhs = f"({shift('x', a)})({shift('x', b)})", poly(1, a + b, a * b)
        steps = [f"{lhs} = x({shift('x', b)}){term(a)}({shift('x', b)})",
                 f"= x^2{term(b, 'x')}{term(a, 'x')}{term(a * b)}", f"= {rhs}"]
    elif level == 4:
        a = nonzero(rng, -6, 6)
        b = nonzero(rng, -6, 6)
        while b == a:
            b = nonzero(rng, -6, 6)
        xa, xb = shift("x", a), shift("x", b)
        den = f"({xa})({xb})"
        lhs, rhs = f"{frac(1, xa)} - {frac(1, xb)}", frac(b - a, den)
        steps = [f"{lhs} = {frac(xb, den)} - {frac(xa, den)}", f"= {frac(f'({xb}) - ({xa})', den)}", f"= {rhs}"]
    else:
        form = pick(rng, ["trig", "exp", "log"])
        k = integer(rng, 2, 5)
        if form == "trig":
            lhs, rhs = f"({k}\\sin x + {k}\\cos x)^2", f"{k * k}(1 + \\sin 2x)"
            steps = [f"{lhs} = {k * k}\\sin^2 x + {2 * k * k}\\sin x \\cos x + {k * k}\\cos^2 x",
                     f"= {k * k}(\\sin^2 x + \\cos^2 x) + {k * k} \\cdot 2\\sin x \\cos x",
                     f"= {k * k} + {k * k}\\sin 2x", f"= {rhs}"]
        elif form == "exp":
            lhs, rhs = f"e^{{2x}} - {k * k}", f"(e^x - {k})(e^x + {k})"
            steps = [f"{lhs} = (e^x)^2 - {k}^2", f"= {rhs}"]
        else:
            lhs, rhs = f"\\ln(x^{k} y)", f"{k}\\ln x + \\ln y"
            steps = [f"{lhs} = \\ln(x^{k}) + \\ln y", f"= {rhs}"]
            return _record("identity", f"Prove that ${lhs} = {rhs}$ for all $x > 0$ and $y > 0$.", steps,
                           lhs=lhs, rhs=rhs, domain="positive")
    return _record("identity", f"Prove the identity ${lhs} = {rhs}$.", steps, lhs=lhs, rhs=rhs)


# ---------------------------------------------------------------------------------------------------- equation
def equation(rng: np.random.Generator, level: int) -> Task:
    if level == 1:
        a, sol, b = integer(rng, 2, 9), integer(rng, -9, 9), nonzero(rng, -12, 12)
        eq = f"{a}x{term(b)} = {a * sol + b}"
        steps = [f"{a}x = {a * sol}", f"x = {sol}"]
        answer = f"x = {sol}"
    elif level == 2:
        a, c = integer(rng, 2, 9), integer(rng, 1, 9)
        while a == c:
            c = integer(rng, 1, 9)
        sol, b = integer(rng, -9, 9), nonzero(rng, -12, 12)
        d = (a - c) * sol + b
        eq = f"{poly(a, b)} = {poly(c, d)}"
        steps = [f"{poly(a - c, 0) if a - c != 0 else '0'} = {d - b}", f"x = {sol}"]
        if a - c == 1:
            steps = [f"x = {d} {'-' if b > 0 else '+'} {abs(b)}", f"x = {sol}"]
        answer = f"x = {sol}"
    elif level == 3:
        r1 = integer(rng, -9, 9)
        r2 = integer(rng, -9, 9)
        while r2 == r1:
            r2 = integer(rng, -9, 9)
        eq = f"{poly(1, -(r1 + r2), r1 * r2)} = 0"
        steps = [f"({shift('x', -r1)})({shift('x', -r2)}) = 0",
                 f"{shift('x', -r1)} = 0 \\text{{ or }} {shift('x', -r2)} = 0", f"x = {r1} \\text{{ or }} x = {r2}"]
        answer = f"x = {r1} \\text{{ or }} x = {r2}"
    elif level == 4:
        return _system(rng)
    elif (form := pick(rng, ["root", "cubic", "rational"])) == "rational":
        k, q = integer(rng, 2, 5), integer(rng, -5, 5)
        sol = integer(rng, -9, 9)
        while sol == q:
            sol = integer(rng, -9, 9)
        p = k * (sol - q) - sol
        eq = f"{frac(shift('x', p), shift('x', -q))} = {k}"
        steps = [f"{shift('x', p)} = {k}({shift('x', -q)}), x \\ne {q}", f"{shift('x', p)} = {poly(k, -k * q)}",
                 f"{poly(1 - k, 0)} = {-k * q - p}", f"x = {sol}"]
        answer = f"x = {sol}"
    elif form == "root":
        b = integer(rng, -3, 3)
        r = b + integer(rng, 2, 5)  # the root; the squared equation's other root 2b + 1 - r lies below b
        a = (r - b) ** 2 - r
        other = 2 * b + 1 - r
        cond = f"x \\ge {b}"
        eq = f"\\sqrt{{{shift('x', a)}}} = {shift('x', -b)}"
        steps = [f"{shift('x', a)} = ({shift('x', -b)})^2, {cond}",
                 f"{poly(1, -(2 * b + 1), b * b - a)} = 0, {cond}",
                 f"({shift('x', -r)})({shift('x', -other)}) = 0, {cond}", f"x = {r}"]
        answer = f"x = {r}"
    else:
        k = integer(rng, 2, 7)
        eq = f"x^3 = {k * k}x"
        steps = [f"x^3 - {k * k}x = 0", f"x(x^2 - {k * k}) = 0", f"x(x - {k})(x + {k}) = 0",
                 f"x = 0 \\text{{ or }} x = {k} \\text{{ or }} x = -{k}"]
        answer = f"x = 0 \\text{{ or }} x = {k} \\text{{ or }} x = -{k}"
    return _record("equation", f"Solve ${eq}$ for $x$ over the real numbers.", steps, equation=eq, variable="x",
                   answer=answer)


def _system(rng: np.random.Generator) -> Task:
    """a1 x + b1 y = c1, x + b2 y = c2, solved by substitution."""
    x0, y0 = integer(rng, -6, 6), integer(rng, -6, 6)
    while True:
        a1, b1, b2 = integer(rng, 2, 5), nonzero(rng, -5, 5), nonzero(rng, -3, 3)
        if b1 - a1 * b2 not in (0, 1):
            break
    c1, c2 = a1 * x0 + b1 * y0, x0 + b2 * y0
    eq = f"{a1}x{term(b1, 'y')} = {c1}, x{term(b2, 'y')} = {c2}"
    expr_x = f"{c2}{term(-b2, 'y')}"
    steps = [f"x = {expr_x}", f"{a1}({expr_x}){term(b1, 'y')} = {c1}", f"{term(b1 - a1 * b2, 'y', True)} = "
             f"{c1 - a1 * c2}", f"y = {y0}", f"x = {x0}", f"x = {x0}, y = {y0}"]
    return _record("equation", f"Solve the system ${eq}$ for $x$ and $y$.", steps, equation=eq,
                   variables="x, y", answer=f"x = {x0}, y = {y0}")


# ---------------------------------------------------------------------------------------------------- simplify
def simplify(rng: np.random.Generator, level: int) -> Task:
    a = nonzero(rng, -9, 9)
    if level == 1:
        k = integer(rng, 2, 9)
        expr, answer = frac(poly(k, k * a), k), shift("x", a)
        factored = f"{k}({answer})"
        steps = [f"{expr} = {frac(factored, k)}", f"= {answer}"]
    elif level == 2:
        expr, answer = frac(poly(1, 0, -a * a), shift("x", -a)), shift("x", a)
        xm = shift("x", -a)
        factored = f"({xm})({answer})"
        steps = [f"{expr} = {frac(factored, xm)}", f"= {answer}"]
    elif level == 3:
        b = nonzero(rng, -9, 9)
        while b == a:
            b = nonzero(rng, -9, 9)
        expr, answer = frac(poly(1, a + b, a * b), shift("x", a)), shift("x", b)
        xa = shift("x", a)
        factored = f"({xa})({answer})"
        steps = [f"{expr} = {frac(factored, xa)}", f"= {answer}"]
    elif level == 4:
        a = abs(a)
        den = f"({shift('x', -a)})({shift('x', a)})"
        expr, answer = f"{frac(1, shift('x', -a))} + {frac(1, shift('x', a))}", frac("2x", poly(1, 0, -a * a))
        steps = [f"{expr} = {frac(shift('x', a), den)} + {frac(shift('x', -a), den)}", f"= {frac('2x', den)}",
                 f"= {answer}"]
    else:
        expr, answer = frac(poly(1, 0, 0, -a ** 3), shift("x", -a)), poly(1, a, a * a)
        xm = shift("x", -a)
        factored = f"({xm})({answer})"
        steps = [f"{expr} = {frac(factored, xm)}", f"= {answer}"]
    return _record("simplify", f"Simplify ${expr}$.", steps, expression=expr, answer=answer)


# -------------------------------------------------------------------------------------------------- derivative
def derivative(rng: np.random.Generator, level: int) -> Task:
    d = "\\frac{d}{dx}"
    if level == 1:
        a, n = integer(rng, 2, 9), integer(rng, 2, 7)
        f = f"{a}x^{n}"
        steps = [f"{d}({f}) = {a} \\cdot {n}x^{n - 1}", f"= {a * n}x^{n - 1}" if n > 2 else f"= {a * n}x"]
    elif level == 2:
        a, b, c = nonzero(rng, -5, 5), nonzero(rng, -5, 5), nonzero(rng, -9, 9)
        f = poly(a, b, c, 0)
        parts = " + ".join(f"{d}({t})" for t in (poly(a, 0, 0, 0), poly(b, 0, 0), poly(c, 0)))
        steps = [f"{d}({f}) = {parts}", f"= {poly(3 * a, 2 * b, c)}"]
    elif level == 3:
        n = integer(rng, 2, 6)
        g, dg = pick(rng, [("\\sin x", "\\cos x"), ("e^x", "e^x"), ("\\cos x", "-\\sin x")])
        f = f"x^{n} {g}"
        steps = [f"{d}({f}) = {d}(x^{n}) \\cdot {g} + x^{n} \\cdot {d}({g})",
                 f"= {n}x^{n - 1} {g} + x^{n}({dg})" if n > 2 else f"= 2x {g} + x^2({dg})"]
    elif level == 4:
        a, b, n = integer(rng, 2, 5), nonzero(rng, -5, 5), integer(rng, 2, 5)
        inner = poly(a, 0, b)
        f = f"({inner})^{n}"
        power = f"({inner})^{{{n - 1}}}" if n > 2 else f"({inner})"
        steps = [f"{d}{f} = {n}{power} \\cdot {d}({inner})", f"= {n}{power} \\cdot {2 * a}x",
                 f"= {2 * a * n}x{power}"]
    else:
        a, b = integer(rng, 2, 4), integer(rng, 2, 4)
        f = f"e^{{{a}x}}\\cos({b}x)"
        steps = [f"{d}({f}) = {d}(e^{{{a}x}})\\cos({b}x) + e^{{{a}x}} {d}(\\cos({b}x))",
                 f"= {a}e^{{{a}x}}\\cos({b}x) - {b}e^{{{a}x}}\\sin({b}x)"]
    return _record("derivative", f"Find the derivative with respect to $x$ of ${f}$.", steps, function=f,
                   variable="x")


# ---------------------------------------------------------------------------------------------------- integral
def integral(rng: np.random.Generator, level: int) -> Task:
    if level == 1:
        n = integer(rng, 1, 5)
        k = integer(rng, 1, 4)
        g = f"{k * (n + 1)}x^{n}" if n > 1 else f"{k * 2}x"
        steps = [f"\\int {g}\\,dx = {k * (n + 1)} \\cdot {frac(f'x^{n + 1}', n + 1)} + C",
                 f"= {'' if k == 1 else k}x^{n + 1} + C"]
    elif level == 2:
        a, b, c = integer(rng, 1, 3), nonzero(rng, -3, 3), nonzero(rng, -9, 9)
        g = poly(3 * a, 2 * b, c)
        steps = [f"\\int ({g})\\,dx = \\int {3 * a}x^2\\,dx + \\int {2 * b}x\\,dx + \\int {c}\\,dx",
                 f"= {poly(a, b, c, 0)} + C"]
    elif level == 3:
        a = integer(rng, 1, 5)
        outer, anti = pick(rng, [("\\cos", "\\sin"), ("e^", "e^")])
        inner = f"{'' if a == 1 else a}x^2"
        if outer == "e^":
            g, u_form, u_anti, back = f"{2 * a}x e^{{{inner}}}", "e^u", "e^u", f"e^{{{inner}}}"
        else:
            g, u_form, u_anti, back = f"{2 * a}x\\cos({inner})", "\\cos u", "\\sin u", f"\\sin({inner})"
        steps = [f"Let $u = {inner}$.", f"\\int {g}\\,dx = \\int {u_form}\\,du", f"= {u_anti} + C", f"= {back} + C"]
        del anti
    elif level == 4:
        a = integer(rng, 2, 4)
        g = f"x e^{{{a}x}}"
        steps = [f"\\int {g}\\,dx = {frac(f'x e^{{{a}x}}', a)} - \\int {frac(f'e^{{{a}x}}', a)}\\,dx",
                 f"= {frac(f'x e^{{{a}x}}', a)} - {frac(f'e^{{{a}x}}', a * a)} + C"]
    else:
        a = integer(rng, 2, 4)
        g = f"x\\cos({a}x)"
        sin, cos = f"\\sin({a}x)", f"\\cos({a}x)"
        steps = [f"\\int {g}\\,dx = {frac('x' + sin, a)} - \\int {frac(sin, a)}\\,dx",
                 f"= {frac('x' + sin, a)} + {frac(cos, a * a)} + C"]
    return _record("integral", f"Find the antiderivative $\\int {g}\\,dx$.", steps, integrand=g, variable="x")


# ------------------------------------------------------------------------------------------------------- limit
def limit(rng: np.random.Generator, level: int) -> Task:
    if level == 1:
        c = integer(rng, 1, 5)
        a, b, d = c * integer(rng, 1, 4), nonzero(rng, -9, 9), nonzero(rng, -9, 9)
        point, expr, answer = "\\infty", frac(poly(a, 0, b), poly(c, 0, d)), str(a // c)
        lim = "\\lim_{x \\to \\infty}"
        steps = [f"{lim} {expr} = {lim} {frac(f'{a}{term(b)}/x^2', f'{c}{term(d)}/x^2')}",
                 f"= {frac(a, c)}", f"= {answer}"]
    elif level == 2:
        a = nonzero(rng, -9, 9)
        point, expr, answer = str(a), frac(poly(1, 0, -a * a), shift("x", -a)), str(2 * a)
        lim = f"\\lim_{{x \\to {a}}}"
        steps = [f"{lim} {expr} = {lim} ({shift('x', a)})", f"= {a} + {a}" if a > 0 else f"= {a} - {-a}",
                 f"= {answer}"]
    elif level == 3:
        a = integer(rng, 2, 9)
        point, expr, answer = "0", frac(f"\\sin({a}x)", "x"), str(a)
        lim = "\\lim_{x \\to 0}"
        sin = f"\\sin({a}x)"
        steps = [f"{lim} {expr} = {lim} {a} \\cdot {frac(sin, f'{a}x')}", f"= {a} \\cdot 1",
                 f"= {answer}"]
    elif level == 4:
        a = integer(rng, 2, 9)
        point, expr, answer = "0", frac(f"e^{{{a}x}} - 1", "x"), str(a)
        lim = "\\lim_{x \\to 0}"
        steps = [f"{lim} {expr} = {lim} {a} \\cdot {frac(f'e^{{{a}x}} - 1', f'{a}x')}", f"= {a} \\cdot 1",
                 f"= {answer}"]
    else:
        a = 2 * integer(rng, 1, 3)
        h = a // 2
        point, expr = "0", frac(f"1 - \\cos({a}x)", "x^2")
        answer = str(a * a // 2)
        lim = "\\lim_{x \\to 0}"
        hx = "x" if h == 1 else f"{h}x"
        sin2, sin = f"2\\sin^2({hx})", f"\\sin({hx})"
        steps = [f"{lim} {expr} = {lim} {frac(sin2, 'x^2')}",
                 f"= {lim} {2 * h * h} \\cdot \\left({frac(sin, hx)}\\right)^2",
                 f"= {2 * h * h} \\cdot 1", f"= {answer}"]
    return _record("limit", f"Evaluate ${lim} {expr}$.", steps, expression=expr, variable="x", point=point,
                   answer=answer)


def _proof(name: str) -> Callable[[Callable[[np.random.Generator, int], Task]], Generator]:
    """A proof kind: levels 1 to 5. Not stamped: a generated proof task is a record, whose difficulty is the
    record's own field (none here; `GeneratorSource` stamps the one it asked for)."""
    return generator(name, MAX_LEVEL, stamp=False)


PROOF_GENERATORS: dict[str, Generator] = {name: _proof(name)(fn) for name, fn in (
    ("identity", identity), ("equation", equation), ("simplify", simplify), ("derivative", derivative),
    ("integral", integral), ("limit", limit))}

"""Property tests: random polynomial identities are proved when every step is right, and a perturbed final step is
named as the first error (no false "wrong", no false "correct" on algebra sympy can confirm independently)."""

from __future__ import annotations

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rlvrgym.verifiers.math_proof import MathProofVerifier

x = sp.Symbol("x")
VERIFIER = MathProofVerifier(isolation="inline")
coefficients = st.lists(st.integers(-9, 9), min_size=2, max_size=3).filter(lambda c: c[0] != 0)


def tex(expr: sp.Expr) -> str:
    return sp.latex(expr)


@settings(max_examples=40, deadline=None)
@given(coefficients, coefficients, st.integers(1, 5))
def test_expanding_a_product_is_a_proof_and_a_wrong_constant_is_caught(p: list[int], q: list[int],
                                                                       bump: int) -> None:
    pe, qe = sp.Poly(p, x).as_expr(), sp.Poly(q, x).as_expr()
    product = sp.expand(pe * qe)
    lhs = f"({tex(pe)})({tex(qe)})"
    middle = " + ".join(f"({tex(sp.expand(term * qe))})" for term in sp.Add.make_args(pe))
    task = {"kind": "identity", "lhs": lhs, "rhs": tex(product)}
    good = f"${lhs} = {middle}$\n$= {tex(product)}$"
    verdict = VERIFIER.verify(good, task)
    assert verdict.correct is True, (good, verdict.reason)
    wrong = f"${lhs} = {middle}$\n$= {tex(product + bump)}$"
    verdict = VERIFIER.verify(wrong, task)
    assert verdict.correct is False and verdict.details["first_error"] == 1, (wrong, verdict.reason)


@settings(max_examples=30, deadline=None)
@given(st.integers(-9, 9), st.integers(-9, 9), st.integers(1, 4))
def test_factoring_a_quadratic_keeps_the_roots_and_losing_one_is_caught(r1: int, r2: int, k: int) -> None:
    poly = sp.expand(k * (x - r1) * (x - r2))
    roots = sorted({r1, r2})
    answer = " \\text{ or } ".join(f"x = {r}" for r in roots)
    task = {"kind": "equation", "equation": f"{tex(poly)} = 0", "variable": "x", "answer": answer}
    good = f"${k}(x - ({r1}))(x - ({r2})) = 0$\n${answer}$"
    verdict = VERIFIER.verify(good, task)
    assert verdict.correct is True, (good, verdict.reason)
    if len(roots) == 2:
        verdict = VERIFIER.verify(f"${k}(x - ({r1}))(x - ({r2})) = 0$\n$x = {roots[0]}$", task)
        assert verdict.details["first_error"] == 1 and verdict.correct is False

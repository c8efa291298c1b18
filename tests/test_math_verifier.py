"""The math answer policy of docs/math.md, case by case, plus the peers' known faults and hostile inputs."""

from __future__ import annotations

import time

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlvrgym.verifiers import VerdictStatus, get_verifier
from rlvrgym.verifiers.math import extract_answer, parse_answer

INLINE = get_verifier("math", isolation="inline")


def check(completion: str, reference: str, **options: object) -> object:
    verifier = get_verifier("math", isolation="inline", **options) if options else INLINE
    return verifier.verify(completion, reference)


def boxed(answer: str) -> str:
    return f"Some reasoning first.\n\nSo the final answer is $\\boxed{{{answer}}}$."


# (answer, reference, expected correct)
EQUIVALENT = [
    # numbers
    ("1,000", "1000", True), ("1{,}000", "1000", True), ("1\\,000", "1000", True), ("12,345,678", "12345678", True),
    ("3e8", "3\\times 10^8", True), ("3\\times10^{8}", "300000000", True), ("-0", "0", True), ("+5", "5", True),
    ("2\\frac13", "\\frac73", True), ("2\\frac{1}{3}", "7/3", True), ("\\frac{14}{6}", "\\frac73", True),
    ("\\dfrac{1}{2}", "\\frac12", True), ("\\tfrac12", "0.5", True), ("1/2", "\\frac{1}{2}", True),
    ("-\\frac{3}{4}", "\\frac{-3}{4}", True), ("\\frac{-3}{-4}", "\\frac34", True), ("4", "4.0", True),
    ("10000", "10001", False), ("1", "100", False), ("7", "-7", False), ("\\frac{1}{3}", "\\frac{1}{4}", False),
    ("2^{10}", "1024", True), ("2^10", "1024", True), ("(-2)^3", "-8", True), ("-2^2", "-4", True),
    ("5!", "120", True), ("\\binom{5}{2}", "10", True), ("\\sqrt{16}", "4", True), ("\\sqrt[3]{-8}", "-2", True),
    ("|-3|", "3", True), ("\\lfloor 3.7 \\rfloor", "3", True), ("\\lceil 3.2 \\rceil", "4", True),
    # exactness on tiny and huge magnitudes
    ("\\frac{1}{2^{99}}", "\\frac{1}{2^{98}}", False), ("\\frac{1}{2^{99}}", "2^{-99}", True),
    ("\\frac{2^{2005}+1}{3\\cdot 2^{2006}}", "\\frac{1}{3\\cdot 2^{2006}}", False),
    ("2^{2006}\\sqrt{2}+1", "2^{2006}\\sqrt{2}", False), ("2^{2006}\\sqrt{2}", "\\sqrt{2}\\cdot 2^{2006}", True),
    ("10^{-30}", "10^{-31}", False), ("\\pi \\cdot 10^{-40}", "2\\pi\\cdot 10^{-40}", False),
    # decimals
    ("\\frac13", "0.333", True), ("0.3333", "0.333", False), ("0.33", "0.333", False), ("0.334", "0.333", False),
    ("0.3333333333", "\\frac13", True), ("0.333333", "\\frac13", True), ("0.33333", "\\frac13", False),
    ("6.28", "2\\pi", False), ("6.283185", "2\\pi", True), ("6.283186", "2\\pi", False), ("3.14", "\\pi", False),
    ("1.4142136", "\\sqrt2", True), ("1.41", "\\sqrt{2}", False), ("0.5", "\\frac12", True),
    ("2.5", "2.50", True), ("2.5000001", "2.5", True), ("2.51", "2.5", False), ("12.0", "12", True),
    ("0.1", "\\frac{1}{10}", True), ("1.5e3", "1500", True), ("0.667", "0.667", True), ("\\frac23", "0.667", True),
    ("\\frac23", "0.666", False), ("0.666666", "\\frac23", True), ("0.666667", "\\frac23", True),
    ("0.666668", "\\frac23", False), ("3.00001", "3", False), ("2.999999", "3", False), ("-0.333333", "-1/3", True),
    # expressions
    ("(x+1)^2", "x^2+2x+1", True), ("x^2+2x+1", "(x+1)^{2}", True), ("(x+1)^2", "x^2+1", False),
    ("\\binom{n+1}{2}", "\\frac{n(n+1)}{2}", True), ("\\sin 2x", "2\\sin x\\cos x", True),
    ("2\\sin(x)\\cos(x)", "\\sin(2x)", True), ("\\sin^2 x + \\cos^2 x", "1", True),
    ("\\tan x", "\\frac{\\sin x}{\\cos x}", True),
    ("e^{2x}", "(e^x)^2", True), ("\\exp(x)", "e^{x}", True), ("\\ln(x^2)", "2\\ln x", False),
    ("\\log_2 8", "3", True), ("\\log_{3}(81)", "4", True), ("\\sqrt{x^2}", "x", False), ("\\sqrt{x^2}", "|x|", True),
    ("\\frac{x^2-1}{x-1}", "x+1", True), ("3x^2 - 2x", "x(3x-2)", True), ("2xy", "2yx", True),
    ("x^2 y", "y x^2", True), ("a+b", "a-b", False), ("x^3", "x^2", False), ("\\frac{1}{x}", "x^{-1}", True),
    ("x", "y", False), ("|x|", "x", False), ("\\ln(x^2)", "2\\ln|x|", True), ("|xy|", "|x||y|", True),
    ("|x| + |y|", "|x + y|", False),
    ("2x+1", "2t+1", False), ("\\pi r^2", "r^2\\pi", True), ("\\frac{\\pi}{6}", "30\\pi/180", True),
    ("\\sqrt{2}/2", "\\frac{1}{\\sqrt{2}}", True), ("\\frac{\\sqrt3}{2}", "\\sin(\\pi/3)", True),
    ("\\cos(\\pi)", "-1", True), ("e^{i\\pi}", "-1", True), ("3i", "3\\sqrt{-1}", True), ("1+i", "1-i", False),
    ("x_1 + x_2", "x_2 + x_1", True), ("\\alpha + \\beta", "\\beta+\\alpha", True),
    ("\\theta^2", "\\theta \\cdot \\theta", True), ("sqrt(2)", "\\sqrt{2}", True), ("2*x**2", "2x^2", True),
    ("pi/2", "\\frac{\\pi}{2}", True), ("\\arctan 1", "\\frac{\\pi}{4}", True), ("\\sin^{-1}(1)", "\\pi/2", True),
    ("\\sum_{k=1}^{10} k", "55", True), ("\\prod_{k=1}^{4} k", "24", True),
    # equations
    ("x=3", "3", True), ("3", "x=3", True), ("2x=6", "x=3", True), ("y=2x+1", "2x-y+1=0", True),
    ("y = 2x + 1", "y=2x+2", False), ("x = 4", "3", False), ("x^2=4", "x^2-4=0", True), ("x=2+3=5", "5", True),
    ("y=\\frac{1}{2}x", "2y=x", True), ("x+y=1", "x-y=1", False), ("t=5", "5", True),
    # sets and several solutions
    ("\\pm 2", "2, -2", True), ("2, -2", "-2, 2", True), ("x=2 \\text{ or } x=-2", "\\pm 2", True),
    ("x = \\pm 2", "\\{2,-2\\}", True), ("\\{1, 2, 3\\}", "\\{3, 2, 1\\}", True), ("\\{1,2\\}", "\\{1,2,3\\}", False),
    ("1, 2", "1, 2, 3", False), ("\\emptyset", "\\varnothing", True), ("\\{\\}", "\\emptyset", True),
    ("x = 1 \\text{ and } x = 2", "1, 2", True), ("1 \\pm \\sqrt{2}", "1+\\sqrt2, 1-\\sqrt2", True),
    ("\\frac{-1 \\pm \\sqrt{5}}{2}", "\\frac{-1+\\sqrt5}{2}, \\frac{-1-\\sqrt5}{2}", True), ("2", "2, -2", False),
    ("3, 3, 4", "3, 4", True),
    # intervals and inequalities
    ("[2,\\infty)", "x \\ge 2", True), ("x \\geq 2", "[2, \\infty)", True), ("x > 2", "[2,\\infty)", False),
    ("(1,2)", "[1,2]", False), ("[1,2]", "(1,2)", False), ("(1, 3]", "1 < x \\le 3", True),
    ("(-\\infty, 1) \\cup (2, \\infty)", "x<1 \\text{ or } x>2", True),
    ("(2,\\infty)\\cup(-\\infty,1)", "(-\\infty,1)\\cup(2,\\infty)", True), ("x \\le 5", "(-\\infty, 5]", True),
    ("2 < x", "(2, \\infty)", True), ("x \\in [0, 1)", "[0,1)", True), ("[0,1)", "[0,1]", False),
    ("x \\neq 3", "(-\\infty,3)\\cup(3,\\infty)", True), ("\\mathbb{R}", "(-\\infty, \\infty)", True),
    # tuples
    ("(1,2)", "x=1, y=2", True), ("x=1, y=2", "(1,2)", True), ("(2,1)", "(1,2)", False),
    ("\\langle 1,2,3\\rangle", "(1,2,3)", True), ("(1,2,3)", "(1,2)", False), ("(\\frac12, 0.5)", "(0.5, 1/2)", True),
    ("(1, -2)", "(1,-2)", True),
    # matrices
    ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", True),
    ("\\begin{pmatrix}1&2\\\\3&5\\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", False),
    ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{pmatrix}1&2\\end{pmatrix}", False),
    ("\\begin{pmatrix}x&0\\\\0&x\\end{pmatrix}", "\\begin{bmatrix}x&0\\\\0&x\\end{bmatrix}", True),
    # decorations
    ("50\\%", "50", True), ("50\\%", "0.5", False), ("30^\\circ", "30", True), ("30^{\\circ}", "30", True),
    ("\\$5", "5", True), ("5 \\text{ cm}", "5", True), ("12\\text{ square units}", "12", True),
    ("7 \\mathrm{ m}", "7", True), ("5 dollars", "5", True), ("45°", "45", True), ("5\\text{ cm}^2", "5", True),
    ("1-\\frac{1}{\\mathrm{e}}", "1-e^{-1}", True),
    # multiple choice
    ("\\text{(B)}", "B", True), ("(B)", "B", True), ("B", "(B)", True), ("\\textbf{(C) } 42", "C", True),
    ("(A)", "B", False), ("B) 17", "B", True),
    # words
    ("\\text{Tuesday}", "\\text{tuesday}", True), ("yes", "No", False), ("\\text{even}", "even", True),
]


@pytest.mark.parametrize(("answer", "reference", "expected"), EQUIVALENT)
def test_equivalence_policy(answer: str, reference: str, expected: bool) -> None:
    verdict = check(boxed(answer), reference)
    assert verdict.correct is expected, (verdict.status, verdict.reason, verdict.details)
    assert verdict.status == (VerdictStatus.CORRECT if expected else VerdictStatus.WRONG)
    assert verdict.score == (1.0 if expected else 0.0)


def test_policy_has_at_least_150_cases() -> None:
    assert len(EQUIVALENT) >= 150


# -- extraction -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("completion", "expected"), [
    ("\\boxed{6} ... wait, that is wrong: \\boxed{5}", "5"),
    ("The final answer is 42.", "42"),
    ("Therefore, the answer is $\\frac{3}{4}$.", "\\frac{3}{4}"),
    ("Answer: 17", "17"),
    ("We compute and get $x = 7$.", "x = 7"),
    ("so it takes 12 minutes in total.", "12"),
    ("<think>it is \\boxed{3}</think>Final: \\boxed{4}", "4"),
    ("\\fbox{9}", "9"),
    ("\\boxed{\\frac{\\sqrt{2}}{2}}", "\\frac{\\sqrt{2}}{2}"),
    ("\\boxed{\\{1,2\\}}", "\\{1,2\\}"),
])
def test_extraction(completion: str, expected: str) -> None:
    extraction = extract_answer(completion)
    assert extraction is not None and extraction.text == expected


def test_last_boxed_answer_wins_not_a_merge() -> None:
    assert check("\\boxed{6} no, \\boxed{5}", "5").correct is True
    assert check("\\boxed{6} no, \\boxed{5}", "6").correct is False
    assert check("\\boxed{6} no, \\boxed{5}", "\\{5, 6\\}").correct is False


def test_thinking_is_never_the_answer() -> None:
    verdict = check("<think>the answer is \\boxed{3}", "3")
    assert verdict.status == VerdictStatus.UNPARSEABLE and verdict.score == 0


def test_format_flag_reports_boxed() -> None:
    assert check("\\boxed{3}", "3").details["format_ok"] is True
    assert check("the answer is 3", "3").details["format_ok"] is False


# -- no truncation, no eval -----------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [
    "4\\sqrt", "\\frac{1}{", "1 + \\foo{2}", "\\int_0^1 x dx", "__import__('os').system('echo hi')",
    "eval('1')", "x +* 2", "(1, 2", "\\mathcal{F}", "1 ... 5", "lambda: 1",
])
def test_unreadable_answers_are_unparseable_never_truncated(answer: str) -> None:
    verdict = check(boxed(answer), "1")
    assert verdict.status == VerdictStatus.UNPARSEABLE, (verdict.reason, verdict.details)
    assert verdict.score == 0 and verdict.correct is False


def test_python_in_an_answer_is_not_executed(tmp_path: object) -> None:
    import pathlib

    marker = pathlib.Path(str(tmp_path)) / "pwned"
    payload = f"__import__('pathlib').Path('{marker}').write_text('x')"
    for text in (payload, f"\\boxed{{{payload}}}", f"the answer is {payload}"):
        check(text, "1")
    assert not marker.exists()


def test_unreadable_reference_is_an_error_not_a_wrong() -> None:
    verdict = check("\\boxed{1}", "\\frac{1}{")
    assert verdict.status == VerdictStatus.ERROR and verdict.correct is None


def test_no_answer_at_all_is_unparseable() -> None:
    verdict = check("I do not know.", "5")
    assert verdict.status == VerdictStatus.UNPARSEABLE


def test_require_evaluated_rejects_echoing_the_question() -> None:
    assert check(boxed("5!"), "120").correct is True
    for unevaluated in ("5!", "\\binom{5}{2} \\cdot 12", "\\sum_{k=1}^{15} k"):
        verdict = check(boxed(unevaluated), "120", require_evaluated=True)
        assert verdict.correct is False and "unevaluated" in verdict.reason
    assert check(boxed("120"), "120", require_evaluated=True).correct is True


# -- hostile inputs: each returns within the bound ------------------------------------------------------------
HOSTILE = [
    "10^{10^{10^{10}}}", "9999999999999999999!", "1" * 5000, "(" * 300 + "1" + ")" * 300,
    "{" * 300 + "1" + "}" * 300, "x^" * 200 + "2", "\\frac{" * 150 + "1" + "}{2}" * 150,
    "2^{2^{2^{2^{2^{2}}}}}", "(x+1)^{100000}", "\\sqrt{" * 200 + "2" + "}" * 200, "1+" * 2000 + "1",
    "10^{999999999}", "\\binom{10^{9}}{5000}", "((((((((((x+1)^9)^9)^9)^9)^9)^9)^9)^9)^9)",
]


@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_inputs_return_within_the_bound(answer: str) -> None:
    verifier = get_verifier("math", timeout=1.0)
    start = time.perf_counter()
    verdict = verifier.verify(boxed(answer), "x^2+1")
    elapsed = time.perf_counter() - start
    assert verdict.correct is not True
    assert verdict.status in (VerdictStatus.UNPARSEABLE, VerdictStatus.TIMEOUT, VerdictStatus.WRONG)
    assert elapsed < 1.0 + 1.5, f"took {elapsed:.2f} s"


def test_hostile_completion_text_is_bounded() -> None:
    verifier = get_verifier("math", timeout=1.0)
    start = time.perf_counter()
    verdict = verifier.verify("\\boxed{" * 20000, "1")
    assert verdict.correct is not True and time.perf_counter() - start < 2.5


# -- properties -----------------------------------------------------------------------------------------------
_x, _y = sp.symbols("x y")
_atoms = st.sampled_from([_x, _y, sp.Integer(2), sp.Integer(3), sp.Integer(-1), sp.Rational(1, 2)])


@st.composite
def polynomials(draw: st.DrawFn) -> sp.Expr:
    expr = draw(_atoms)
    for _ in range(draw(st.integers(1, 4))):
        other = draw(_atoms)
        op = draw(st.sampled_from(["+", "*", "-", "pow"]))
        if op == "+":
            expr = expr + other
        elif op == "-":
            expr = expr - other
        elif op == "*":
            expr = (expr) * (other + 1)
        else:
            expr = expr ** draw(st.integers(2, 3))
    return expr


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polynomials())
def test_an_expression_equals_its_expansion(expr: sp.Expr) -> None:
    verdict = check(boxed(sp.latex(sp.expand(expr))), sp.latex(expr))
    assert verdict.correct is True, (sp.latex(expr), sp.latex(sp.expand(expr)), verdict.reason)


@settings(max_examples=100, deadline=None)
@given(st.integers(-10**12, 10**12), st.integers(-10**12, 10**12))
def test_random_different_integers_are_never_equal(a: int, b: int) -> None:
    verdict = check(boxed(str(a)), str(b))
    assert verdict.correct is (a == b)


@settings(max_examples=100, deadline=None)
@given(st.fractions(max_denominator=10**6), st.fractions(max_denominator=10**6))
def test_random_different_fractions_are_never_equal(a: object, b: object) -> None:
    answer = f"\\frac{{{a.numerator}}}{{{a.denominator}}}"  # type: ignore[attr-defined]
    reference = f"{b.numerator}/{b.denominator}"  # type: ignore[attr-defined]
    assert check(boxed(answer), reference).correct is (a == b)


def test_parse_answer_reads_whole_input() -> None:
    answer, _ = parse_answer("\\frac{1}{2} + x")
    assert sp.simplify(answer.expr - (sp.Rational(1, 2) + sp.Symbol("x"))) == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(("answer", "reference"), [
    ("18 - 13", "5"), ("\\frac{10}{2}", "5"), ("\\sqrt{16}", "4"), ("\\log_2 8", "3"), ("2^3", "8"),
    ("3 \\cdot 4", "12"), ("0.5 + 0.25", "0.75"),
])
def test_require_evaluated_rejects_arithmetic_left_to_do(answer: str, reference: str) -> None:
    assert check(boxed(answer), reference).correct is True
    verdict = check(boxed(answer), reference, require_evaluated=True)
    assert verdict.correct is False and "unevaluated" in verdict.reason


@pytest.mark.parametrize(("answer", "reference"), [
    ("5", "5"), ("-5", "-5"), ("\\frac{3}{4}", "0.75"), ("3/4", "\\frac34"), ("2\\frac13", "\\frac73"),
    ("3\\times 10^8", "300000000"), ("10^{6}", "1000000"), ("0.75", "\\frac{3}{4}"), ("3\\sqrt{2}", "\\sqrt{18}"),
    ("\\frac{\\pi}{4}", "\\pi/4"), ("x > 4", "(4, \\infty)"), ("(4, \\infty)", "x > 4"),
])
def test_require_evaluated_accepts_plain_notation(answer: str, reference: str) -> None:
    verdict = check(boxed(answer), reference, require_evaluated=True)
    assert verdict.correct is True, verdict.reason


@pytest.mark.parametrize(("question", "reference"), [
    ("2x - 3 > 5", "x > 4"), ("3 - x \\ge 1", "(-\\infty, 2]"), ("|x - 1| < 4", "(-3, 5)"),
    ("-2 \\le 3x + 1 < 7", "[-1, 2)"), ("x^2 - 5x + 4 \\le 0", "1 \\le x \\le 4"),
])
def test_require_evaluated_rejects_an_unsolved_inequality(question: str, reference: str) -> None:
    assert check(boxed(question), reference).correct is True
    assert check(boxed(question), reference, require_evaluated=True).correct is False


@pytest.mark.parametrize(("answer", "reference"), [
    ("14.4", "14.4 \\text{ km/h}"), ("14.4 \\text{ km/h}", "14.4"), ("9.8", "9.8\\,\\text{m/s}^2"),
    ("\\begin{pmatrix}1&2\\\\ 3&4\\end{pmatrix}", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}"),
])
def test_compound_units_and_spaced_matrix_rows(answer: str, reference: str) -> None:
    verdict = check(boxed(answer), reference)
    assert verdict.correct is True, verdict.reason


@pytest.mark.parametrize(("answer", "reference", "expected"), [
    ("ab^2", "a b^2", True), ("ab^2", "(ab)^2", False), ("xe^x", "x e^{x}", True), ("2xy^3", "2 x y^3", True),
    ("abc", "a b c", True), ("x_1y", "y x_1", True), ("a^2b", "a^2 b", True),
])
def test_a_power_binds_only_the_last_letter_of_a_run(answer: str, reference: str, expected: bool) -> None:
    assert check(boxed(answer), reference).correct is expected


@pytest.mark.parametrize("completion", ["The final answer is ", "The answer is:", "Answer: \n\n"])
def test_an_announced_but_missing_answer_is_unparseable(completion: str) -> None:
    assert check(completion, "5").status == VerdictStatus.UNPARSEABLE

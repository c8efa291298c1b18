"""Issue 18, item 3: derivations that were judged wrong although valid, or unreadable although plain.

- an identity proved from the right-hand side to the left, including a first line that is the right-hand side alone;
- steps over sums and products with symbolic bounds (`\\sum_{k=1}^{n}`): linearity, a constant factor in front of a
  sum, splitting the range, index shifts, telescoping, known closed forms;
- a task whose summation or product index is `i` (the imaginary unit everywhere else);
- the rule: a step the checker cannot read or decide is undecided (`valid=None`), never wrong.
"""

from __future__ import annotations

from typing import Any

import pytest

from rlvrgym.verifiers.math_proof import MathProofVerifier, read_goal
from rlvrgym.verifiers.verdict import VerdictStatus

VERIFIER = MathProofVerifier(isolation="inline")


def identity(lhs: str, rhs: str) -> dict[str, Any]:
    return {"kind": "identity", "lhs": lhs, "rhs": rhs}


SQ = identity("(x+1)^2", "x^2 + 2x + 1")
DIFF = identity("(a+b)^2 - (a-b)^2", "4ab")
TRIG = identity("\\frac{1 - \\cos 2x}{2}", "\\sin^2 x")
FRAC = identity("\\frac{1}{x(x+1)}", "\\frac{1}{x} - \\frac{1}{x+1}")
CUBE = identity("x^3 - 1", "(x-1)(x^2+x+1)")
LOG = {**identity("2\\ln x + \\ln y", "\\ln(x^2 y)"), "domain": "positive"}
S = "\\sum_{k=1}^{n}"

# (name, task, completion, first_error, complete)
Case = tuple[str, dict[str, Any], str, int, bool | None]

RIGHT_TO_LEFT: list[Case] = [
    ("right-hand side alone, then = lines", SQ, "$x^2 + 2x + 1$\n$= x^2 + x + x + 1$\n$= x(x+1) + (x+1)$\n"
     "$= (x+1)(x+1)$\n$= (x+1)^2$", -1, True),
    ("right-hand side alone, terms reordered", SQ, "$1 + 2x + x^2$\n$= (1 + x)^2$\n$= (x+1)^2$", -1, True),
    ("announced in prose", SQ, "We start from the right-hand side:\n$x^2 + 2x + 1$\n$= (x+1)(x+1)$\n"
     "$= (x+1)^2$", -1, True),
    ("the word RHS alone", SQ, "RHS\n$= x^2 + 2x + 1$\n$= (x+1)(x+1)$\n$= (x+1)^2$", -1, True),
    ("aligned, from the right", SQ, "\\begin{align*}\nx^2 + 2x + 1 &= x^2 + x + x + 1 \\\\\n&= (x+1)(x+1) \\\\\n"
     "&= (x+1)^2\n\\end{align*}", -1, True),
    ("right side first in the first line", DIFF, "$4ab = (a+b+a-b)(a+b-a+b)$\n$= (a+b)^2 - (a-b)^2$", -1, True),
    ("ends with the word LHS", DIFF, "$4ab = 2a \\cdot 2b$\n$= ((a+b)+(a-b))((a+b)-(a-b))$\n"
     "$= (a+b)^2 - (a-b)^2 = \\text{LHS}$", -1, True),
    ("trigonometric, from the right", TRIG, "$\\sin^2 x = \\frac{2\\sin^2 x}{2}$\n"
     "$= \\frac{1 - (1 - 2\\sin^2 x)}{2}$\n$= \\frac{1 - \\cos 2x}{2}$", -1, True),
    ("trigonometric, right side alone", TRIG, "$\\sin^2 x$\n$= \\frac{2\\sin^2 x}{2}$\n"
     "$= \\frac{1 - (1 - 2\\sin^2 x)}{2}$\n$= \\frac{1 - \\cos 2x}{2}$", -1, True),
    ("fractions, right side alone", FRAC, "$\\frac{1}{x} - \\frac{1}{x+1}$\n$= \\frac{x+1 - x}{x(x+1)}$\n"
     "$= \\frac{1}{x(x+1)}$", -1, True),
    ("fractions, from the right", FRAC, "$\\frac{1}{x} - \\frac{1}{x+1} = \\frac{x+1}{x(x+1)} - "
     "\\frac{x}{x(x+1)}$\n$= \\frac{x + 1 - x}{x(x+1)}$\n$= \\frac{1}{x(x+1)}$", -1, True),
    ("factored form expanded", CUBE, "$(x-1)(x^2+x+1) = x^3 + x^2 + x - x^2 - x - 1$\n$= x^3 - 1$", -1, True),
    ("logarithms, right side alone", LOG, "$\\ln(x^2 y)$\n$= \\ln(x^2) + \\ln y$\n$= 2\\ln x + \\ln y$", -1, True),
    # wrong or unfinished, from the right
    ("right side alone, then a wrong expansion", CUBE, "$(x-1)(x^2+x+1)$\n$= x^3 + x^2 + x - x^2 - x + 1$\n"
     "$= x^3 - 1$", 0, False),
    ("right side alone, stops early", SQ, "$x^2 + 2x + 1$\n$= (x+1)(x+1)$", -1, False),
    ("right side alone, wrong last step", SQ, "$x^2 + 2x + 1$\n$= (x+1)(x+1)$\n$= (x+1)^3$", 1, False),
    ("right side alone is no proof", SQ, "$x^2 + 2x + 1$", -1, False),
]

SUMS: list[Case] = [
    ("linearity and a constant factor", identity(f"{S} (2k-1)", "n^2"),
     f"${S} (2k-1) = 2{S} k - {S} 1$\n$= 2 \\cdot \\frac{{n(n+1)}}{{2}} - n$\n$= n^2 + n - n$\n$= n^2$", -1, True),
    ("a sum of two sums", identity(f"{S} (k^2 + k)", "\\frac{n(n+1)(n+2)}{3}"),
     f"${S} (k^2 + k) = {S} k^2 + {S} k$\n$= \\frac{{n(n+1)(2n+1)}}{{6}} + \\frac{{n(n+1)}}{{2}}$\n"
     "$= \\frac{n(n+1)(2n+1) + 3n(n+1)}{6}$\n$= \\frac{n(n+1)(2n+4)}{6}$\n$= \\frac{n(n+1)(n+2)}{3}$", -1, True),
    ("a constant factor out of the sum", identity(f"{S} 3k", "\\frac{3n(n+1)}{2}"),
     f"${S} 3k = 3{S} k$\n$= 3 \\cdot \\frac{{n(n+1)}}{{2}}$\n$= \\frac{{3n(n+1)}}{{2}}$", -1, True),
    ("a constant factor with \\cdot", identity(f"{S} 3k", "\\frac{3n(n+1)}{2}"),
     f"${S} 3k = 3 \\cdot {S} k$\n$= \\frac{{3n(n+1)}}{{2}}$", -1, True),
    ("an index shift", identity("\\sum_{k=0}^{n-1} (k+1)", "\\frac{n(n+1)}{2}"),
     "$\\sum_{k=0}^{n-1} (k+1) = \\sum_{j=1}^{n} j$\n$= \\frac{n(n+1)}{2}$", -1, True),
    ("an index shift to another range", identity("\\sum_{k=0}^{n-1} (k+1)", "\\frac{n(n+1)}{2}"),
     "$\\sum_{k=0}^{n-1} (k+1) = \\sum_{j=0}^{n} j$\n$= \\frac{n(n+1)}{2}$", -1, True),
    ("peeling off the last term", identity("\\sum_{k=1}^{n+1} k", "\\frac{(n+1)(n+2)}{2}"),
     "$\\sum_{k=1}^{n+1} k = \\sum_{k=1}^{n} k + (n+1)$\n$= \\frac{n(n+1)}{2} + (n+1)$\n"
     "$= \\frac{(n+1)(n+2)}{2}$", -1, True),
    ("splitting the range", identity("\\sum_{k=1}^{2n} k", "n(2n+1)"),
     "$\\sum_{k=1}^{2n} k = \\sum_{k=1}^{n} k + \\sum_{k=n+1}^{2n} k$\n"
     "$= \\sum_{k=1}^{n} k + \\sum_{k=1}^{n} (k+n)$\n$= 2\\sum_{k=1}^{n} k + n^2$\n$= n(n+1) + n^2$\n"
     "$= n(2n+1)$", -1, True),
    ("telescoping", identity(f"{S} \\frac{{1}}{{k(k+1)}}", "\\frac{n}{n+1}"),
     f"${S} \\frac{{1}}{{k(k+1)}} = {S} \\left(\\frac{{1}}{{k}} - \\frac{{1}}{{k+1}}\\right)$\n"
     "$= 1 - \\frac{1}{n+1}$\n$= \\frac{n}{n+1}$", -1, True),
    ("geometric, by shifting", identity("\\sum_{k=0}^{n} 2^k", "2^{n+1} - 1"),
     "$\\sum_{k=0}^{n} 2^k = 2\\sum_{k=0}^{n} 2^k - \\sum_{k=0}^{n} 2^k$\n"
     "$= \\sum_{k=1}^{n+1} 2^k - \\sum_{k=0}^{n} 2^k$\n$= 2^{n+1} - 1$", -1, True),
    ("a sum with a real variable", identity("\\sum_{k=0}^{n} x^k (1-x)", "1 - x^{n+1}"),
     "$\\sum_{k=0}^{n} x^k (1-x) = \\sum_{k=0}^{n} x^k - \\sum_{k=0}^{n} x^{k+1}$\n"
     "$= \\sum_{k=0}^{n} x^k - \\sum_{k=1}^{n+1} x^k$\n$= 1 - x^{n+1}$", -1, True),
    ("\\limits and \\displaystyle", identity(f"{S} (2k-1)", "n^2"),
     "$\\displaystyle\\sum\\limits_{k=1}^{n} (2k-1) = 2\\sum\\limits_{k=1}^n k - n$\n$= n^2$", -1, True),
    ("sum of cubes", identity(f"{S} k^3", "\\left(\\frac{n(n+1)}{2}\\right)^2"),
     f"${S} k^3 = \\frac{{n^2(n+1)^2}}{{4}}$\n$= \\left(\\frac{{n(n+1)}}{{2}}\\right)^2$", -1, True),
    ("product of a constant and a factorial", identity("\\prod_{k=1}^{n} 2k", "2^n n!"),
     "$\\prod_{k=1}^{n} 2k = \\prod_{k=1}^{n} 2 \\cdot \\prod_{k=1}^{n} k$\n$= 2^n n!$", -1, True),
    ("superscript before subscript", identity(f"{S} (2k+1)", "n^2 + 2n"),
     "$\\sum^{n}_{k=1} (2k+1) = 2\\sum^{n}_{k=1} k + n$\n$= n(n+1) + n$\n$= n^2 + 2n$", -1, True),
    ("a double sum", identity("\\sum_{i=1}^{n} \\sum_{j=1}^{i} 1", "\\frac{n(n+1)}{2}"),
     "$\\sum_{i=1}^{n} \\sum_{j=1}^{i} 1 = \\sum_{i=1}^{n} i$\n$= \\frac{n(n+1)}{2}$", -1, True),
    ("naming the sum S", identity(f"{S} k", "\\frac{n(n+1)}{2}"),
     f"Let $S = {S} k$.\n$S = {S} (n + 1 - k)$\n$2S = {S} (n+1)$\n$S = \\frac{{n(n+1)}}{{2}}$", -1, True),
    ("naming a sum, then a wrong value", identity(f"{S} k", "\\frac{n(n+1)}{2}"),
     f"$S = {S} k$\n$S = \\frac{{n^2}}{{2}}$", 0, False),
    # wrong steps over sums are still wrong
    ("a double sum counted wrong", identity("\\sum_{i=1}^{n} \\sum_{j=1}^{i} 1", "\\frac{n(n+1)}{2}"),
     "$\\sum_{i=1}^{n} \\sum_{j=1}^{i} 1 = \\sum_{i=1}^{n} (i+1)$\n$= \\frac{n(n+1)}{2}$", 0, False),
    ("a wrong closed form", identity(f"{S} k^2", "\\frac{n(n+1)(2n+1)}{6}"),
     f"${S} k^2 = \\frac{{n^2(n+1)}}{{2}}$\n$= \\frac{{n(n+1)(2n+1)}}{{6}}$", 0, False),
    ("a factor that depends on n pulled out", identity(f"{S} 3k", "\\frac{3n(n+1)}{2}"),
     f"${S} 3k = 3n{S} k$\n$= \\frac{{3n(n+1)}}{{2}}$", 0, False),
    ("an index shift that moves the range", identity("\\sum_{k=0}^{n-1} (k+1)", "\\frac{n(n+1)}{2}"),
     "$\\sum_{k=0}^{n-1} (k+1) = \\sum_{j=1}^{n+1} j$\n$= \\frac{n(n+1)}{2}$", 0, False),
    ("a dropped term when splitting", identity("\\sum_{k=1}^{n+1} k", "\\frac{(n+1)(n+2)}{2}"),
     "$\\sum_{k=1}^{n+1} k = \\sum_{k=1}^{n} k$\n$= \\frac{(n+1)(n+2)}{2}$", 0, False),
    ("sum of products is not product of sums", identity(f"{S} k^2", "\\frac{n(n+1)(2n+1)}{6}"),
     f"${S} k^2 = \\left({S} k\\right)^2$\n$= \\frac{{n(n+1)(2n+1)}}{{6}}$", 0, False),
]

INDEX_I: list[Case] = [
    ("Gauss's pairing with index i", identity("\\sum_{i=1}^{n} i", "\\frac{n(n+1)}{2}"),
     "$\\sum_{i=1}^{n} i = \\frac{1}{2}\\sum_{i=1}^{n} (i + (n + 1 - i))$\n$= \\frac{1}{2} \\sum_{i=1}^{n} (n+1)$\n"
     "$= \\frac{n(n+1)}{2}$", -1, True),
    ("linearity with index i", identity("\\sum_{i=1}^{n} (2i+1)", "n^2 + 2n"),
     "$\\sum_{i=1}^{n} (2i+1) = 2\\sum_{i=1}^{n} i + \\sum_{i=1}^{n} 1$\n$= n(n+1) + n$\n$= n^2 + 2n$", -1, True),
    ("a telescoping product with index i", identity("\\prod_{i=1}^{n} \\frac{i+1}{i}", "n+1"),
     "$\\prod_{i=1}^{n} \\frac{i+1}{i} = \\frac{\\prod_{i=1}^{n} (i+1)}{\\prod_{i=1}^{n} i}$\n"
     "$= \\frac{(n+1)!}{n!}$\n$= n+1$", -1, True),
    ("odd numbers from i = 0", identity("\\sum_{i=0}^{n-1} (2i+1)", "n^2"),
     "$\\sum_{i=0}^{n-1} (2i+1) = 2\\sum_{i=0}^{n-1} i + n$\n$= n(n-1) + n$\n$= n^2$", -1, True),
    ("index i next to \\sin and \\pi", identity("\\sum_{i=1}^{n} i\\sin x", "\\frac{n(n+1)}{2}\\sin x"),
     "$\\sum_{i=1}^{n} i\\sin x = \\sin x \\sum_{i=1}^{n} i$\n$= \\frac{n(n+1)}{2}\\sin x$", -1, True),
    ("a product to a reciprocal, index i", identity("\\prod_{i=1}^{n} \\frac{i}{i+1}", "\\frac{1}{n+1}"),
     "$\\prod_{i=1}^{n} \\frac{i}{i+1} = \\frac{n!}{(n+1)!}$\n$= \\frac{1}{n+1}$", -1, True),
    ("a wrong step with index i", identity("\\sum_{i=1}^{n} i", "\\frac{n(n+1)}{2}"),
     "$\\sum_{i=1}^{n} i = \\frac{n^2}{2}$\n$= \\frac{n(n+1)}{2}$", 0, False),
]


def _check(task: dict[str, Any], completion: str, first_error: int, complete: bool | None) -> None:
    verdict = VERIFIER.verify(completion, task)
    report = "\n".join(f"  {s.index}: valid={s.valid} score={s.score} {s.reason}" for s in verdict.steps)
    assert verdict.details.get("first_error") == first_error, f"{verdict.reason}\n{report}"
    assert verdict.correct is complete, f"{verdict.reason}\n{report}"
    if complete:
        assert verdict.score == 1.0 and all(s.valid for s in verdict.steps)
        assert sum(s.score for s in verdict.steps) == pytest.approx(1.0)


@pytest.mark.parametrize(("name", "task", "completion", "first_error", "complete"), RIGHT_TO_LEFT,
                         ids=[c[0] for c in RIGHT_TO_LEFT])
def test_identities_proved_from_the_right(name: str, task: dict[str, Any], completion: str, first_error: int,
                                          complete: bool | None) -> None:
    _check(task, completion, first_error, complete)


@pytest.mark.parametrize(("name", "task", "completion", "first_error", "complete"), SUMS, ids=[c[0] for c in SUMS])
def test_sums_and_products_with_symbolic_bounds(name: str, task: dict[str, Any], completion: str,
                                                first_error: int, complete: bool | None) -> None:
    _check(task, completion, first_error, complete)


@pytest.mark.parametrize(("name", "task", "completion", "first_error", "complete"), INDEX_I,
                         ids=[c[0] for c in INDEX_I])
def test_index_i_is_a_variable_not_the_imaginary_unit(name: str, task: dict[str, Any], completion: str,
                                                      first_error: int, complete: bool | None) -> None:
    _check(task, completion, first_error, complete)


def test_enough_cases_per_class() -> None:
    assert len(RIGHT_TO_LEFT) >= 12 and len(SUMS) >= 15 and len(INDEX_I) >= 6


def test_tasks_with_index_i_are_read_and_i_elsewhere_is_still_imaginary() -> None:
    import sympy as sp

    goal = read_goal(identity("\\sum_{i=1}^{n} i^2", "\\frac{n(n+1)(2n+1)}{6}"))
    assert goal.variables == (sp.Symbol("n"),) and not goal.start.has(sp.I)
    complex_goal = read_goal(identity("(1+i)^2", "2i"))  # no sum: i is the imaginary unit, the identity holds
    assert complex_goal.start.has(sp.I) and not complex_goal.variables


# -- the rule: cannot read or cannot decide -> undecided, never wrong -----------------------------------------------
UNDECIDED = [
    ("garbled operators", SQ, "$(x+1)^2 = (x+1)(x+1)$\n$= x^2 +* 2x + 1$\n$= x^2 + 2x + 1$", 1),
    ("unbalanced brackets", SQ, "$(x+1)^2 = (x+1)(x+1)$\n$= ((x^2 + 2x + 1$\n$= x^2 + 2x + 1$", 1),
    ("an unknown command", SQ, "$(x+1)^2 = \\foo{x}$\n$= x^2 + 2x + 1$", 0),
    ("a number too large to read", SQ, "$(x+1)^2 = 10^{10^{10^{10}}}$\n$= x^2 + 2x + 1$", 0),
    ("a \\pm in a chain", SQ, "$(x+1)^2 = \\pm(x+1)^2$\n$= x^2 + 2x + 1$", 0),
    ("an inequality in a chain", SQ, "$(x+1)^2 = x^2 + 2x + 1 > 0$", 0),
    ("a sum of an unknown sequence", identity(f"{S} (2k-1)", "n^2"),
     f"${S} (2k-1) = {S} a_k$\n$= n^2$", 0),
    ("an infinite series", identity("\\sum_{k=1}^{\\infty} \\frac{1}{2^k}", "1"),
     "$\\sum_{k=1}^{\\infty} \\frac{1}{2^k} = \\frac{1/2}{1 - 1/2}$\n$= 1$", 0),
    ("a sum with a thousand terms", identity("\\sum_{k=1}^{1000} k", "500500"),
     "$\\sum_{k=1}^{1000} k = \\frac{1000 \\cdot 1001}{2}$\n$= 500500$", 0),
    ("an equation step mixing = and <", {"kind": "equation", "equation": "2x + 6 = 14", "variable": "x",
                                         "answer": "x = 4"}, "$2x = 8 < 9$\n$x = 4$", 0),
    ("a transcendental equation", {"kind": "equation", "equation": "x + 1 = 3", "variable": "x", "answer": "x = 2"},
     "$x + \\sin x = 2 + \\sin 2$\n$x = 2$", 0),
]


@pytest.mark.parametrize(("name", "task", "completion", "index"), UNDECIDED, ids=[c[0] for c in UNDECIDED])
def test_a_step_that_cannot_be_read_or_decided_is_undecided_never_wrong(name: str, task: dict[str, Any],
                                                                         completion: str, index: int) -> None:
    verdict = VERIFIER.verify(completion, task)
    report = "\n".join(f"  {s.index}: valid={s.valid} {s.reason}" for s in verdict.steps)
    assert all(s.valid is not False for s in verdict.steps), report  # nothing here is wrong
    assert verdict.details["first_error"] == -1 and verdict.correct is not True and verdict.score == 0.0, report
    assert verdict.steps[index].valid is None and verdict.steps[index].score == 0.0, report
    assert verdict.status in (VerdictStatus.ERROR, VerdictStatus.WRONG)
    assert verdict.status != VerdictStatus.ERROR or verdict.correct is None


def test_hostile_sums_get_a_clean_verdict() -> None:
    """Nested sums multiply their terms, bounds can be astronomically large: each is refused or decided within the
    term budget (checks.MAX_TERM_BUDGET), never a reward."""
    from rlvrgym.verifiers import get_verifier

    task = identity(f"{S} k", "\\frac{n(n+1)}{2}")
    nested = "".join(f"\\sum_{{{v}=1}}^{{n}}" for v in "abcdefgh") + " 1"
    for step in (nested, "\\sum_{k=1}^{10^{10}} k", "\\sum_{k=1}^{n^{100}} k", "\\sum_{k=1}^{n} k^{10^{10}}",
                 "\\prod_{k=1}^{n} \\prod_{j=1}^{k} \\prod_{m=1}^{j} \\prod_{p=1}^{m} 2"):
        verdict = get_verifier("math-proof").verify(f"${S} k = {step}$\n$= \\frac{{n(n+1)}}{{2}}$", task)
        assert verdict.correct is not True and verdict.score == 0.0, (step, verdict.reason)
        assert verdict.steps and verdict.steps[0].score == 0.0, step


LIM_SIN = {"kind": "limit", "expression": "\\frac{\\sin(2x)}{x}", "variable": "x", "point": "0", "answer": "2",
           "statement": "Evaluate $\\lim_{x \\to 0} \\frac{\\sin(2x)}{x}$."}


@pytest.mark.parametrize(("completion", "first_error", "complete"), [
    ("$\\lim_{x \\to 0} \\frac{\\sin(2x)}{x} = 2(\\lim_{x \\to 0} \\frac{\\sin(2x)}{2x})$\n$= 2 \\cdot 1$\n$= 2$",
     -1, True),  # a limit inside brackets is read to the closing bracket, not to the end of the line
    ("$\\lim_{x \\to 0} \\frac{\\sin(2x)}{x} = 2\\left(\\lim_{x \\to 0} \\frac{\\sin(2x)}{2x}\\right) + 0$\n$= 2$",
     -1, True),
    # reading it must not let a division outside the limit through: x can be 0 where the task is defined
    ("$\\lim_{x \\to 0} \\frac{\\sin(2x)}{x} = \\frac{x(\\lim_{x \\to 0} 2 \\cdot \\frac{\\sin(2x)}{2x})}{x}$\n"
     "$= 2 \\cdot 1$\n$= 2$", 0, False),
])
def test_a_limit_inside_brackets(completion: str, first_error: int, complete: bool) -> None:
    _check(LIM_SIN, completion, first_error, complete)


@pytest.mark.parametrize(("completion", "first_error", "complete"), [
    ("Let $t = x + 1$.\n$(x+1)^2 = t^2$\n$= t \\cdot t$\n$= (x+1)(x+1)$\n$= x^2 + 2x + 1$", -1, True),
    ("Let $t = x + 1$.\n$(x+1)^2 = t^2$\n$= t^2 + 1$\n$= x^2 + 2x + 1$", 1, False),
    ("$y = 3$\n$(x+1)^2 = x^2 + 2x + 1$", 0, False),  # a number given a name is a claim, and a false one
])
def test_a_name_for_an_expression_is_a_definition(completion: str, first_error: int, complete: bool) -> None:
    """`t = x + 1` (a new name equal to an expression of the task's variables) names it: later steps that use the
    name are read with the expression in its place; the definition itself is not a step."""
    _check(SQ, completion, first_error, complete)

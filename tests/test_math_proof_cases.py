"""Hand-written derivations with a known first wrong step (-1: none) and whether the proof is complete.

Each case: (name, task record, completion, first_error, complete); complete None: the verifier cannot decide (a step
it cannot read is undecided, never wrong). Indices count step lines only (prose, QED and
a restatement of the goal are not steps), ProcessBench's convention.
"""

from __future__ import annotations

from typing import Any

import pytest

from rlvrgym.verifiers.math_proof import MathProofVerifier

ID_SQ = {"kind": "identity", "lhs": "(x+1)^2", "rhs": "x^2 + 2x + 1"}
ID_DIFF_SQ = {"kind": "identity", "lhs": "(a+b)^2 - (a-b)^2", "rhs": "4ab"}
ID_CUBE = {"kind": "identity", "lhs": "(x-1)(x^2+x+1)", "rhs": "x^3 - 1"}
ID_TRIG = {"kind": "identity", "lhs": "\\sin^2 x + \\cos^2 x + \\tan^2 x", "rhs": "\\sec^2 x"}
ID_DOUBLE = {"kind": "identity", "lhs": "(\\sin x + \\cos x)^2", "rhs": "1 + \\sin 2x"}
ID_FRAC = {"kind": "identity", "lhs": "\\frac{1}{x} - \\frac{1}{x+1}", "rhs": "\\frac{1}{x(x+1)}"}
ID_CANCEL = {"kind": "identity", "lhs": "\\frac{x^2-1}{x-1}", "rhs": "x+1"}
ID_POLY = {"kind": "identity", "lhs": "x(x+2) - 2x", "rhs": "x^2"}
ID_LOG = {"kind": "identity", "lhs": "\\ln(x^2 y)", "rhs": "2\\ln x + \\ln y", "domain": "positive"}
ID_EXP = {"kind": "identity", "lhs": "e^{2x} - 1", "rhs": "(e^x - 1)(e^x + 1)"}
ID_LOGABS = {"kind": "identity", "lhs": "\\ln(x^2)", "rhs": "2\\ln|x|"}
ID_LOGXY = {"kind": "identity", "lhs": "\\ln(x^2 y^2)", "rhs": "2\\ln|xy|"}
EQ_LIN = {"kind": "equation", "equation": "3x + 5 = 2x - 7", "variable": "x", "answer": "x = -12"}
EQ_QUAD = {"kind": "equation", "equation": "x^2 - 5x + 6 = 0", "variable": "x", "answer": "x = 2 \\text{ or } x = 3"}
EQ_X2 = {"kind": "equation", "equation": "x^2 = 3x", "variable": "x", "answer": "x = 0 \\text{ or } x = 3"}
EQ_SQ = {"kind": "equation", "equation": "x^2 = 16", "variable": "x", "answer": "x = \\pm 4"}
EQ_ROOT = {"kind": "equation", "equation": "\\sqrt{x+2} = x", "variable": "x", "answer": "x = 2"}
EQ_RAT = {"kind": "equation", "equation": "\\frac{x}{x-1} = \\frac{1}{x-1} + 2", "variable": "x",
          "answer": "\\emptyset"}
EQ_RAT2 = {"kind": "equation", "equation": "\\frac{2}{x} + 1 = \\frac{3}{x}", "variable": "x", "answer": "x = 1"}
EQ_FACTOR = {"kind": "equation", "equation": "x(x-2) = 3x", "variable": "x", "answer": "x = 0 \\text{ or } x = 5"}
EQ_SYS = {"kind": "equation", "equation": "2x + y = 5, x - y = 1", "variables": "x, y", "answer": "x = 2, y = 1"}
EQ_SYS2 = {"kind": "equation", "equation": "x + 2y = 7, 3x - y = 0", "variables": "x, y", "answer": "x = 1, y = 3"}
EQ_EXP = {"kind": "equation", "equation": "2^{x+1} = 16", "variable": "x", "answer": "x = 3"}
DER = {"kind": "derivative", "function": "x^2 \\sin x", "variable": "x"}
DER_CHAIN = {"kind": "derivative", "function": "(3x^2+1)^4", "variable": "x"}
INT_SUB = {"kind": "integral", "integrand": "2x\\cos(x^2)", "variable": "x"}
INT_PARTS = {"kind": "integral", "integrand": "x e^x", "variable": "x"}
INT_POLY = {"kind": "integral", "integrand": "3x^2 + 4x", "variable": "x"}
LIM = {"kind": "limit", "expression": "\\frac{\\sin 3x}{x}", "variable": "x", "point": "0", "answer": "3"}
LIM_INF = {"kind": "limit", "expression": "\\frac{2x^2+1}{x^2-3}", "variable": "x", "point": "\\infty", "answer": "2"}
SIMP = {"kind": "simplify", "expression": "\\frac{x^2-4}{x-2}", "answer": "x+2"}
SIMP2 = {"kind": "simplify", "expression": "\\frac{x^2+3x}{x} - 3", "answer": "x"}

Case = tuple[str, dict[str, Any], str, int, bool | None]  # complete: None = undecided

CASES: list[Case] = [
    # ---- identities: correct, some looking odd ---------------------------------------------------------------
    ("square", ID_SQ, "Step 1: $(x+1)^2 = (x+1)(x+1)$\nStep 2: $= x^2 + x + x + 1$\nStep 3: $= x^2 + 2x + 1$\nQED",
     -1, True),
    ("square one line", ID_SQ, "$(x+1)^2 = (x+1)(x+1) = x^2 + x + x + 1 = x^2 + 2x + 1$", -1, True),
    ("square from the right", ID_SQ, "Start from the right-hand side.\n$x^2 + 2x + 1 = x^2 + x + x + 1$\n"
     "$= x(x+1) + (x+1)$\n$= (x+1)(x+1)$\n$= (x+1)^2$", -1, True),
    ("square meet in the middle", ID_SQ, "$(x+1)^2 = (x+1)(x+1)$\n$= x(x+1) + 1(x+1)$\n"
     "Now the right-hand side:\n$x^2 + 2x + 1 = x^2 + x + x + 1$\n$= x(x+1) + 1(x+1)$", -1, True),
    ("square aligned", ID_SQ, "\\begin{align*}\n(x+1)^2 &= (x+1)(x+1) \\\\\n&= x^2 + 2x + 1\n\\end{align*}",
     -1, True),
    ("square with goal restated", ID_SQ, "We prove $(x+1)^2 = x^2 + 2x + 1$.\n$(x+1)^2 = x^2 + x + x + 1$\n"
     "$= x^2 + 2x + 1$\nTherefore $(x+1)^2 = x^2 + 2x + 1$. $\\blacksquare$", -1, True),
    ("difference of squares", ID_DIFF_SQ, "$(a+b)^2 - (a-b)^2 = (a^2 + 2ab + b^2) - (a^2 - 2ab + b^2)$\n"
     "$= a^2 + 2ab + b^2 - a^2 + 2ab - b^2$\n$= 4ab$", -1, True),
    ("LHS and RHS words", ID_DIFF_SQ, "$\\text{LHS} = (a+b)^2 - (a-b)^2$\n"
     "$= a^2 + 2ab + b^2 - a^2 + 2ab - b^2$\n$= 4ab = \\text{RHS}$", -1, True),
    ("L.H.S. to a wrong value", ID_DIFF_SQ, "L.H.S. = 4ab + 1\n= R.H.S.", 0, False),
    ("difference of squares factored", ID_DIFF_SQ, "$(a+b)^2 - (a-b)^2 = ((a+b) - (a-b))((a+b) + (a-b))$\n"
     "$= (2b)(2a)$\n$= 4ab$", -1, True),
    ("cube", ID_CUBE, "$(x-1)(x^2+x+1) = x^3 + x^2 + x - x^2 - x - 1$\n$= x^3 - 1$", -1, True),
    ("trig", ID_TRIG, "$\\sin^2 x + \\cos^2 x + \\tan^2 x = 1 + \\tan^2 x$\n"
     "$= 1 + \\frac{\\sin^2 x}{\\cos^2 x}$\n$= \\frac{\\cos^2 x + \\sin^2 x}{\\cos^2 x}$\n"
     "$= \\frac{1}{\\cos^2 x}$\n$= \\sec^2 x$", -1, True),
    ("double angle", ID_DOUBLE, "$(\\sin x + \\cos x)^2 = \\sin^2 x + 2\\sin x\\cos x + \\cos^2 x$\n"
     "$= 1 + 2\\sin x \\cos x$\n$= 1 + \\sin 2x$", -1, True),
    ("partial fractions", ID_FRAC, "$\\frac{1}{x} - \\frac{1}{x+1} = \\frac{x+1}{x(x+1)} - \\frac{x}{x(x+1)}$\n"
     "$= \\frac{x + 1 - x}{x(x+1)}$\n$= \\frac{1}{x(x+1)}$", -1, True),
    ("cancel where the task already excludes it", ID_CANCEL, "$\\frac{x^2-1}{x-1} = \\frac{(x-1)(x+1)}{x-1}$\n"
     "$= x + 1$", -1, True),
    ("log with positive domain", ID_LOG, "$\\ln(x^2 y) = \\ln(x^2) + \\ln y$\n$= 2\\ln x + \\ln y$", -1, True),
    ("exponential", ID_EXP, "$e^{2x} - 1 = (e^x)^2 - 1^2$\n$= (e^x - 1)(e^x + 1)$", -1, True),
    ("plain text lines", ID_POLY, "x(x+2) - 2x = x^2 + 2x - 2x\n= x^2", -1, True),
    ("with a justification", ID_POLY, "$x(x+2) - 2x = x^2 + 2x - 2x \\quad \\text{(expand)}$\n"
     "$= x^2$ (by cancelling)", -1, True),
    ("letters before a power", {"kind": "identity", "lhs": "a(a + b)^2", "rhs": "a^3 + 2a^2b + ab^2"},
     "$a(a + b)^2 = a(a^2 + 2ab + b^2)$\n$= a^3 + 2a^2b + ab^2$", -1, True),
    ("x e to the x without spaces", {"kind": "derivative", "function": "x^2 e^x", "variable": "x"},
     "$\\frac{d}{dx}(x^2e^x) = 2xe^x + x^2e^x$", -1, True),
    # ---- identities: wrong ------------------------------------------------------------------------------------
    ("dropped middle term", ID_SQ, "$(x+1)^2 = (x+1)(x+1)$\n$= x^2 + 1$\n$= x^2 + 2x + 1$", 1, False),
    ("wrong first step", ID_SQ, "$(x+1)^2 = x^2 + 1^2$\n$= x^2 + 2x + 1$", 0, False),
    ("sign flip", ID_DIFF_SQ, "$(a+b)^2 - (a-b)^2 = (a^2 + 2ab + b^2) - (a^2 - 2ab + b^2)$\n"
     "$= a^2 + 2ab + b^2 - a^2 - 2ab - b^2$\n$= 4ab$", 1, False),
    ("wrong expansion late", ID_CUBE, "$(x-1)(x^2+x+1) = x(x^2+x+1) - (x^2+x+1)$\n"
     "$= x^3 + x^2 + x - x^2 - x - 1$\n$= x^3 - 2x - 1$\n$= x^3 - 1$", 2, False),
    ("trig wrong identity", ID_TRIG, "$\\sin^2 x + \\cos^2 x + \\tan^2 x = 1 + \\tan^2 x$\n"
     "$= 1 + \\frac{\\sin x}{\\cos x}$\n$= \\sec^2 x$", 1, False),
    ("double angle wrong", ID_DOUBLE, "$(\\sin x + \\cos x)^2 = \\sin^2 x + \\cos^2 x$\n$= 1$\n"
     "$= 1 + \\sin 2x$", 0, False),
    ("introduces a division by x", ID_POLY, "$x(x+2) - 2x = x^2 + 2x - 2x$\n$= \\frac{x^3}{x}$\n$= x^2$", 1, False),
    ("log rule on all reals", ID_LOGXY, "$\\ln(x^2 y^2) = \\ln((xy)^2)$\n$= 2\\ln(xy)$\n$= 2\\ln|xy|$", 1, False),
    ("log rule with absolute value", ID_LOGXY, "$\\ln(x^2 y^2) = \\ln((xy)^2)$\n$= 2\\ln|xy|$", -1, True),
    ("log of a square halves the domain", ID_LOGABS, "$\\ln(x^2) = 2\\ln x$\n$= 2\\ln|x|$", 0, False),
    ("false side claim", ID_SQ, "$(x+1)^2 = x^2 + 2x + 1$ because\n$2 \\cdot 3 = 5$", 0, False),
    ("partial fractions wrong numerator", ID_FRAC,
     "$\\frac{1}{x} - \\frac{1}{x+1} = \\frac{x+1 - x}{x(x+1)}$\n$= \\frac{2x + 1}{x(x+1)}$\n"
     "$= \\frac{1}{x(x+1)}$", 1, False),
    # an unreadable step is undecided, never wrong (issue 18): no first error, and not a complete proof
    ("unreadable step", ID_SQ, "$(x+1)^2 = (x+1)(x+1)$\n$= x^2 +* 2x + 1$\n$= x^2 + 2x + 1$", -1, None),
    ("exponential wrong", ID_EXP, "$e^{2x} - 1 = (e^{x} - 1)^2$\n$= (e^x - 1)(e^x + 1)$", 0, False),
    # ---- padding and incomplete -------------------------------------------------------------------------------
    ("only the goal", ID_SQ, "$(x+1)^2 = x^2 + 2x + 1$", -1, False),
    ("LHS = RHS is the goal, not a proof", ID_DIFF_SQ, "$\\text{LHS} = \\text{RHS}$", -1, False),
    ("padding", ID_SQ, "$0 = 0$\n$1 = 1$\n$(x+1)^2 = (x+1)^2$", -1, False),
    ("stops early", ID_SQ, "$(x+1)^2 = (x+1)(x+1)$\n$= x(x+1) + (x+1)$", -1, False),
    # ---- equations: correct ----------------------------------------------------------------------------------
    ("linear", EQ_LIN, "Subtract $2x$ from both sides: $x + 5 = -7$\nSubtract 5: $x = -12$", -1, True),
    ("linear with arithmetic", EQ_LIN, "$3x - 2x = -7 - 5$\n$x = -7 - 5 = -12$\n$\\boxed{x = -12}$", -1, True),
    ("quadratic", EQ_QUAD, "$(x-2)(x-3) = 0$\n$x - 2 = 0 \\text{ or } x - 3 = 0$\n$x = 2 \\text{ or } x = 3$",
     -1, True),
    ("quadratic formula", EQ_QUAD, "$x = \\frac{5 \\pm \\sqrt{25 - 24}}{2}$\n$x = \\frac{5 \\pm 1}{2}$\n"
     "$x \\in \\{2, 3\\}$", -1, True),
    ("move all terms then factor", EQ_X2, "$x^2 - 3x = 0$\n$x(x - 3) = 0$\n$x = 0 \\text{ or } x = 3$", -1, True),
    ("square with both roots", EQ_SQ, "$x^2 - 16 = 0$\n$(x-4)(x+4) = 0$\n$x = \\pm 4$", -1, True),
    ("rational with no solution", EQ_RAT, "Multiply by $x - 1$, with $x \\neq 1$:\n"
     "$\\frac{x - 1}{x - 1} = 2$\n$\\emptyset$", -1, True),
    ("rational", EQ_RAT2, "$\\frac{2}{x} - \\frac{3}{x} = -1$\n$-\\frac{1}{x} = -1$\n$x = 1$", -1, True),
    ("system by elimination", EQ_SYS, "Add the equations: $3x = 6$\n$x = 2$\nThen $2 - y = 1$\n$y = 1$\n"
     "$x = 2, y = 1$", -1, True),
    ("system by substitution", EQ_SYS2, "From the second equation: $y = 3x$\n$x + 6x = 7$\n$x = 1$\n$y = 3$\n"
     "$x = 1, y = 3$", -1, True),
    ("exponential equation", EQ_EXP, "$2^{x+1} = 2^4$\n$x + 1 = 4$\n$x = 3$", -1, True),
    ("boxed bare value", EQ_LIN, "$x + 5 = -7$\n$x = -12$\n$\\boxed{-12}$", -1, True),
    ("bare list of roots", EQ_QUAD, "$(x - 2)(x - 3) = 0$\nSo the roots are\n$2, 3$", -1, True),
    ("system as a tuple", EQ_SYS, "$3x = 6$\n$x = 2$\n$y = 1$\n$(x, y) = (2, 1)$", -1, True),
    ("plain-text sentences", EQ_LIN, "Subtracting 2x from both sides gives x + 5 = -7\nThen x = -12", -1, True),
    ("labelled steps", ID_SQ, "Expand: (x+1)^2 = (x+1)(x+1)\nMultiply out: = x^2 + x + x + 1\n"
     "Collect: = x^2 + 2x + 1", -1, True),
    ("numbered roots", EQ_QUAD, "$(x-2)(x-3) = 0$\n$x_1 = 2, x_2 = 3$", -1, True),
    ("align environment", ID_SQ, "\\begin{align*}\n(x+1)^2 &= (x+1)\\cdot(x+1) \\\\\n&= x\\cdot x + x + x + 1 "
     "\\\\\n&= x^2 + 2x + 1\n\\end{align*}", -1, True),
    ("thinking is not the derivation", ID_SQ, "<think>\n$(x+1)^2 = 7$\n</think>\n$(x+1)^2 = (x+1)(x+1)$\n"
     "$= x^2 + 2x + 1$", -1, True),
    ("wrong bare value", EQ_LIN, "$x + 5 = -7$\n$\\boxed{-2}$", 1, False),
    # ---- equations: wrong -------------------------------------------------------------------------------------
    ("divide by x", EQ_X2, "Divide both sides by $x$:\n$x = 3$", 0, False),
    ("cancel a factor that can be zero", EQ_FACTOR, "$x(x - 2) = 3x$\n$x - 2 = 3$\n$x = 5$", 0, False),
    ("lose the minus root", EQ_SQ, "$x = \\sqrt{16}$\n$x = 4$", 0, False),
    ("square both sides", EQ_ROOT, "$x + 2 = x^2$\n$x^2 - x - 2 = 0$\n$x = 2 \\text{ or } x = -1$", 0, False),
    ("arithmetic slip", EQ_LIN, "$3x - 2x = -7 - 5$\n$x = -7 - 5 = -2$\n$x = -2$", 1, False),
    ("sign error moving a term", EQ_LIN, "$3x - 2x = -7 + 5$\n$x = -2$", 0, False),
    ("wrong factorisation", EQ_QUAD, "$(x-1)(x-6) = 0$\n$x = 1 \\text{ or } x = 6$", 0, False),
    ("quadratic formula sign", EQ_QUAD, "$x = \\frac{-5 \\pm 1}{2}$\n$x = -2 \\text{ or } x = -3$", 0, False),
    ("keeps an excluded root", EQ_RAT, "$x = 1 + 2(x - 1)$\n$x = 2x - 1$\n$x = 1$", 0, False),
    ("system wrong elimination", EQ_SYS, "Add the equations: $3x = 4$\n$x = \\frac{4}{3}$\n"
     "$y = \\frac{7}{3}$", 0, False),
    ("system wrong final", EQ_SYS, "$3x = 6$\n$x = 2$\n$y = 1$\n$x = 2, y = 3$", 3, False),
    ("exponential wrong", EQ_EXP, "$x + 1 = 8$\n$x = 7$", 0, False),
    ("no final statement", EQ_QUAD, "$(x-2)(x-3) = 0$", -1, False),
    ("false arithmetic fact", EQ_LIN, "$x + 5 = -7$\n$5 + 7 = 13$\n$x = -12$", 1, False),
    # ---- calculus ---------------------------------------------------------------------------------------------
    ("product rule", DER, "$\\frac{d}{dx}(x^2 \\sin x) = \\frac{d}{dx}(x^2)\\sin x + x^2\\frac{d}{dx}(\\sin x)$\n"
     "$= 2x\\sin x + x^2\\cos x$", -1, True),
    ("product rule wrong sign", DER, "$\\frac{d}{dx}(x^2 \\sin x) = 2x\\sin x - x^2\\cos x$", 0, False),
    ("derivative with label", DER, "$f'(x) = 2x \\sin x + x^2 \\cos x$", -1, True),
    ("chain rule", DER_CHAIN, "$\\frac{d}{dx}(3x^2+1)^4 = 4(3x^2+1)^3 \\cdot \\frac{d}{dx}(3x^2+1)$\n"
     "$= 4(3x^2+1)^3 \\cdot 6x$\n$= 24x(3x^2+1)^3$", -1, True),
    ("chain rule forgotten", DER_CHAIN, "$\\frac{d}{dx}(3x^2+1)^4 = 4(3x^2+1)^3$\n$= 4(3x^2+1)^3$", 0, False),
    ("unfinished derivative", DER, "$f'(x) = \\frac{d}{dx}(x^2)\\sin x + x^2\\frac{d}{dx}(\\sin x)$", -1, False),
    ("derivative multiplied and divided by x", DER, "$f'(x) = \\frac{x(2x\\sin x + x^2\\cos x)}{x}$\n"
     "$= 2x\\sin x + x^2\\cos x$", 0, False),
    ("antiderivative divided by x", INT_POLY, "$\\int (3x^2 + 4x)\\,dx = \\frac{x(x^3 + 2x^2)}{x} + C$\n"
     "$= x^3 + 2x^2 + C$", 0, False),
    ("substitution", INT_SUB, "Let $u = x^2$, so $du = 2x\\,dx$.\n$\\int 2x\\cos(x^2)\\,dx = \\int \\cos u\\,du$\n"
     "$= \\sin u + C$\n$= \\sin(x^2) + C$", -1, True),
    ("substitution wrong antiderivative", INT_SUB, "Let $u = x^2$.\n"
     "$\\int 2x\\cos(x^2)\\,dx = \\int \\cos u\\,du$\n$= -\\sin u + C$\n$= -\\sin(x^2) + C$", 1, False),
    ("by parts", INT_PARTS, "$\\int x e^x\\,dx = x e^x - \\int e^x\\,dx$\n$= x e^x - e^x + C$", -1, True),
    ("by parts sign", INT_PARTS, "$\\int x e^x\\,dx = x e^x + \\int e^x\\,dx$\n$= x e^x + e^x + C$", 0, False),
    ("power rule", INT_POLY, "$\\int (3x^2 + 4x)\\,dx = x^3 + 2x^2 + C$", -1, True),
    ("power rule wrong", INT_POLY, "$\\int (3x^2 + 4x)\\,dx = \\int 3x^2\\,dx + \\int 4x\\,dx$\n"
     "$= x^3 + 4x^2 + C$", 1, False),
    ("limit", LIM, "$\\lim_{x\\to 0}\\frac{\\sin 3x}{x} = \\lim_{x\\to 0} 3\\cdot\\frac{\\sin 3x}{3x}$\n"
     "$= 3 \\cdot 1$\n$= 3$", -1, True),
    ("limit wrong", LIM, "$\\lim_{x\\to 0}\\frac{\\sin 3x}{x} = \\lim_{x \\to 0} \\frac{\\sin 3x}{3x}$\n$= 1$",
     0, False),
    ("limit at infinity", LIM_INF, "$\\lim_{x\\to\\infty}\\frac{2x^2+1}{x^2-3} = "
     "\\lim_{x\\to\\infty}\\frac{2 + 1/x^2}{1 - 3/x^2}$\n$= \\frac{2 + 0}{1 - 0}$\n$= 2$", -1, True),
    ("simplify", SIMP, "$\\frac{x^2-4}{x-2} = \\frac{(x-2)(x+2)}{x-2}$\n$= x + 2$", -1, True),
    ("simplify wrong", SIMP, "$\\frac{x^2-4}{x-2} = \\frac{(x-2)(x-2)}{x-2}$\n$= x - 2$", 0, False),
    ("simplify two steps", SIMP2, "$\\frac{x^2+3x}{x} - 3 = \\frac{x(x+3)}{x} - 3$\n$= x + 3 - 3$\n$= x$",
     -1, True),
    ("simplify not finished", SIMP2, "$\\frac{x^2+3x}{x} - 3 = \\frac{x(x+3)}{x} - 3$", -1, False),
]


VERIFIER = MathProofVerifier(isolation="inline")


def test_enough_cases() -> None:
    wrong = [c for c in CASES if c[3] >= 0]
    assert len(CASES) >= 60 and len(wrong) >= 25


@pytest.mark.parametrize(("name", "task", "completion", "first_error", "complete"), CASES, ids=[c[0] for c in CASES])
def test_first_error(name: str, task: dict[str, Any], completion: str, first_error: int,
                     complete: bool | None) -> None:
    verdict = VERIFIER.verify(completion, task)
    report = "\n".join(f"  {s.index}: valid={s.valid} score={s.score} {s.reason}" for s in verdict.steps)
    assert verdict.details.get("first_error") == first_error, f"{verdict.reason}\n{report}"
    assert verdict.correct is complete, f"{verdict.reason}\n{report}"
    if complete:
        assert verdict.score == 1.0 and all(s.valid for s in verdict.steps)
    if first_error >= 0:
        assert verdict.steps[first_error].valid is False and verdict.steps[first_error].score < 1.0
        assert all(s.valid is not False for s in verdict.steps[:first_error])

"""The kinds of final answer the math verifier distinguishes; the parser produces them, `compare` judges them."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp


class TooLarge(ValueError):
    """A number too big to build exactly (10^10^10, 10^20!): refused before sympy spends the time bound on it."""


class ParseFailure(ValueError):
    """The text is not a math answer we can read whole; never a partial reading."""


@dataclass(frozen=True)
class Scalar:
    """A number or expression. `quantum` is set for a decimal literal answer (0.333 -> 1e-3, 3.0e8 -> 1e7): the
    precision it claims. `inexact` means decimals appear inside a larger expression; `unevaluated` lists
    operations left undone (factorial, binomial, sum) for `require_evaluated`."""

    expr: sp.Expr
    quantum: sp.Rational | None = None
    inexact: bool = False
    unevaluated: tuple[str, ...] = ()


@dataclass(frozen=True)
class Equation:
    lhs: sp.Expr
    rhs: sp.Expr

    @property
    def assigned(self) -> sp.Symbol | None:
        """The variable of an assignment `x = value` (value free of x), else None."""
        for side, other in ((self.lhs, self.rhs), (self.rhs, self.lhs)):
            if isinstance(side, sp.Symbol) and side not in other.free_symbols:
                return side
        return None

    @property
    def value(self) -> sp.Expr:
        return self.rhs if self.assigned == self.lhs else self.lhs


@dataclass(frozen=True)
class Inequality:
    """One relation `lhs op rhs`, op in <, <=, >, >=, !=; converted to a set of reals when compared."""

    lhs: sp.Expr
    op: str
    rhs: sp.Expr


@dataclass(frozen=True)
class Solutions:
    """An unordered collection: `\\{1, 2\\}`, `2, -2`, `\\pm 2`, `x=2 or x=-2`."""

    items: tuple[Answer, ...]


@dataclass(frozen=True)
class Ordered:
    """A bracketed list: a tuple `(1, 2)`, a vector `\\langle 1,2\\rangle`, or an interval written like a pair.
    `left`/`right` are the brackets as written ("" for `x=1, y=2`, which is read as a tuple).
    Assignments to indexed names of one letter (`x_1 = 2, x_2 = 6`) name the roots of one equation: against a set
    reference they are read as a set."""

    items: tuple[Answer, ...]
    left: str = "("
    right: str = ")"
    names: tuple[str, ...] = ()  # the variables of `x=1, y=2`, in order; empty for a bracketed tuple


@dataclass(frozen=True)
class RealSet:
    """Intervals, unions of them, inequalities in one variable, the empty set: all as a sympy set of reals.
    `unevaluated` marks an inequality left unsolved (`2x - 3 > 5`) for `require_evaluated`."""

    value: sp.Set
    unevaluated: tuple[str, ...] = ()


@dataclass(frozen=True)
class MatrixAnswer:
    value: sp.ImmutableMatrix


@dataclass(frozen=True)
class Choice:
    """A multiple-choice letter, A to E (or further), upper case."""

    letter: str


@dataclass(frozen=True)
class TextAnswer:
    """A non-math answer (a word, a name); compared after case and punctuation folding."""

    text: str


Answer = Scalar | Equation | Inequality | Solutions | Ordered | RealSet | MatrixAnswer | Choice | TextAnswer


@dataclass
class ParseInfo:
    """What the parser noticed on the way, for `details` and for the comparison rules."""

    decimals: list[sp.Rational] = field(default_factory=list)
    unevaluated: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _show(value: object) -> str:
    return sp.sstr(value, order="none")


def describe(answer: object) -> str:
    """A short human rendering for reasons and details."""
    if isinstance(answer, Scalar):
        return _show(answer.expr)
    if isinstance(answer, Equation):
        return f"{_show(answer.lhs)} = {_show(answer.rhs)}"
    if isinstance(answer, Inequality):
        return f"{_show(answer.lhs)} {answer.op} {_show(answer.rhs)}"
    if isinstance(answer, Solutions):
        return "{" + ", ".join(describe(i) for i in answer.items) + "}"
    if isinstance(answer, Ordered):
        return (answer.left or "(") + ", ".join(describe(i) for i in answer.items) + (answer.right or ")")
    if isinstance(answer, RealSet):
        return _show(answer.value)
    if isinstance(answer, MatrixAnswer):
        return _show(answer.value.tolist())
    if isinstance(answer, Choice):
        return f"({answer.letter})"
    if isinstance(answer, TextAnswer):
        return repr(answer.text)
    return repr(answer)


def kind_of(answer: object) -> str:
    return {Scalar: "expression", Equation: "equation", Inequality: "inequality", Solutions: "set",
            Ordered: "tuple", RealSet: "interval", MatrixAnswer: "matrix", Choice: "choice",
            TextAnswer: "text"}.get(type(answer), type(answer).__name__)

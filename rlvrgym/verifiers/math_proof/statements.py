"""Solution statements (`x = 2 or x = -3`, `(x, y) = (1, 2)`, `\\emptyset`) read as solution sets: used by the
judge (a step that states solutions) and by the goal (a task's answer), so it lives below both of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy as sp

from rlvrgym.verifiers.math_proof.checks import Solution
from rlvrgym.verifiers.math_proof.expr import Piece


def _assignment(piece: Piece, variables: Sequence[sp.Symbol]) -> tuple[sp.Symbol, tuple[sp.Expr, ...]] | None:
    """`x = 3`, `x = \\pm 2`, `x \\in \\{1, 2\\}`: the variable and its stated values."""
    if piece.member is not None:
        return piece.member if piece.member[0] in variables else None
    if len(piece.parts) < 2 or any(op != "=" for op in piece.ops) or piece.parts[0].label:
        return None
    lhs, values = piece.parts[0].values, piece.parts[-1].values
    if len(lhs) != 1 or not isinstance(lhs[0], sp.Symbol) or any(v.free_symbols for v in values):
        return None
    if lhs[0] in variables:
        return lhs[0], values
    if len(variables) == 1 and lhs[0].name.startswith(variables[0].name + "_"):
        return variables[0], values  # x_1 = 2, x_2 = 3: the roots of x, numbered
    return None


def _tuple_statement(pieces: Sequence[Piece], variables: Sequence[sp.Symbol]) -> tuple[sp.Expr, ...] | None:
    """`(2, 1)` or `(x, y) = (2, 1)` for a system: the values in the order of `variables`."""
    if len(variables) < 2 or len(pieces) != 1 or pieces[0].member is not None:
        return None
    parts = pieces[0].parts
    values = parts[-1].values if parts and parts[-1].ordered else ()
    if len(values) != len(variables) or any(v.free_symbols for v in values):
        return None
    if len(parts) == 1:
        return values
    if len(parts) == 2 and parts[0].ordered and set(parts[0].values) == set(variables) and pieces[0].ops == ["="]:
        order = dict(zip(parts[0].values, values, strict=True))
        return tuple(order[v] for v in variables)
    return None


def statement_solutions(pieces: Sequence[Piece], variables: Sequence[sp.Symbol]) -> list[Solution] | None:
    """The solution set a statement states (`x = 2 or x = -3`, `x = 1, y = 2`, `\\emptyset`), or None when the
    statement is not a statement of solutions."""
    import mpmath

    from rlvrgym.verifiers.math_proof.checks import DPS

    if len(pieces) == 1 and pieces[0].empty:
        return []
    tuple_point = _tuple_statement(pieces, variables)
    found: list[tuple[sp.Symbol, tuple[sp.Expr, ...]] | None]
    if tuple_point is not None:
        found = [(v, (value,)) for v, value in zip(variables, tuple_point, strict=True)]
    elif len(variables) == 1 and all(len(p.parts) == 1 and not p.ops and not p.parts[0].ordered
                                     and p.parts[0].values and not any(v.free_symbols for v in p.parts[0].values)
                                     for p in pieces):
        found = [(variables[0], p.parts[0].values) for p in pieces]  # `\boxed{4}`, `2, 3`: the values of x
    else:
        found = [_assignment(p, variables) for p in pieces]
    pairs = [f for f in found if f is not None]
    if not found or len(pairs) < len(found):
        return None

    def num(v: sp.Expr) -> Any:
        value = sp.N(v, DPS)
        if not value.is_real:
            return None
        return mpmath.mpf(str(value))

    if len(variables) == 1:
        values = [num(v) for f in pairs for v in f[1]]
        return sorted({(v,) for v in values if v is not None}, key=lambda t: t[0])
    by_var: dict[sp.Symbol, tuple[sp.Expr, ...]] = {}
    for var, vals in pairs:
        if var in by_var or len(vals) != 1:
            return None
        by_var[var] = vals
    if set(by_var) != set(variables):
        return None
    point = tuple(num(by_var[v][0]) for v in variables)
    return [] if any(p is None for p in point) else [point]

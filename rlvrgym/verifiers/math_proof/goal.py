"""What a proof task asks for, read from its record: the start of the chain, the target, the domain.

Records are the task JSONL's (`{"kind": "identity", "lhs": ..., "rhs": ...}`, `{"kind": "equation",
"equation": ..., "variable": ..., "answer": ...}`, ...); the environment passes the record as the reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sympy as sp

from rlvrgym.verifiers.errors import BadReference
from rlvrgym.verifiers.math.answers import ParseFailure, TooLarge
from rlvrgym.verifiers.math_proof.expr import Piece, StepSyntaxError, read_step

KINDS = ("identity", "equation", "simplify", "derivative", "integral", "limit")
CHAIN_KINDS = ("identity", "simplify", "derivative", "integral", "limit")


@dataclass(frozen=True)
class Goal:
    """`start`: the expression the chain starts from; `target`: for identity the other side, for calculus kinds
    the value every step must keep (f', the integrand, the limit); `domain`: expressions that must be defined."""

    kind: str
    variables: tuple[sp.Symbol, ...]
    start: sp.Expr | None = None
    target: sp.Expr | None = None
    domain: tuple[sp.Expr, ...] = ()
    positive: bool = False
    equations: tuple[tuple[sp.Expr, sp.Expr], ...] = ()
    solutions: tuple[tuple[Any, ...], ...] | None = None
    answer: sp.Expr | None = None
    texts: dict[str, str] = field(default_factory=dict)


def _expr(text: Any, what: str) -> sp.Expr:
    try:
        math = read_step(str(text))
    except (StepSyntaxError, ParseFailure, TooLarge) as exc:
        raise BadReference(f"{what} {text!r} cannot be read: {exc}") from None
    pieces = math.statements[0].pieces
    if len(math.statements) != 1 or len(pieces) != 1 or len(pieces[0].parts) != 1 or \
            len(pieces[0].parts[0].values) != 1:
        raise BadReference(f"{what} {text!r} is not one expression")
    return pieces[0].parts[0].values[0]


def _equations(text: str) -> list[tuple[sp.Expr, sp.Expr]]:
    try:
        math = read_step(text)
    except StepSyntaxError as exc:
        raise BadReference(f"equation {text!r} cannot be read: {exc}") from None
    out = []
    for piece in math.statements[0].pieces:
        if piece.ops != ["="] or any(len(p.values) != 1 for p in piece.parts):
            raise BadReference(f"{text!r} is not a list of equations")
        out.append((piece.parts[0].values[0], piece.parts[1].values[0]))
    return out


def _answer_solutions(text: str, variables: tuple[sp.Symbol, ...]) -> tuple[tuple[Any, ...], ...]:
    from rlvrgym.verifiers.math_proof.statements import statement_solutions

    try:
        math = read_step(text)
    except StepSyntaxError as exc:
        raise BadReference(f"answer {text!r} cannot be read: {exc}") from None
    pieces: list[Piece] = [p for s in math.statements for p in s.pieces]
    found = statement_solutions(pieces, variables)
    if found is None:
        raise BadReference(f"answer {text!r} does not state values of {', '.join(v.name for v in variables)}")
    return tuple(found)


def _variables(record: Mapping[str, Any], default: str = "x") -> tuple[sp.Symbol, ...]:
    raw = record.get("variables", record.get("variable", default))
    names = raw if isinstance(raw, (list, tuple)) else str(raw).replace(";", ",").split(",")
    return tuple(sp.Symbol(str(n).strip()) for n in names if str(n).strip())


def _record_key(record: Mapping[str, Any]) -> str:
    import json

    return json.dumps({k: record[k] for k in sorted(record) if k not in ("statement", "solution", "steps")},
                      sort_keys=True, default=str)


def read_goal(reference: Any) -> Goal:
    """The goal of a task record (cached: a GRPO group checks many completions of one task)."""
    if not isinstance(reference, Mapping):
        raise BadReference(f"a proof reference is a task record (dict), got {type(reference).__name__}")
    return _read_goal_cached(_record_key(reference))


@lru_cache(maxsize=4096)
def _read_goal_cached(key: str) -> Goal:
    import json

    record = json.loads(key)
    kind = str(record.get("kind", ""))
    if kind not in KINDS:
        raise BadReference(f"unknown proof kind {kind!r}; known: {', '.join(KINDS)}")
    positive = str(record.get("domain", "reals")).lower() in ("positive", "positive reals", "x>0")
    texts = {k: str(v) for k, v in record.items() if isinstance(v, (str, int, float))}
    if kind == "identity":
        lhs, rhs = _expr(record.get("lhs"), "lhs"), _expr(record.get("rhs"), "rhs")
        variables = tuple(sorted(lhs.free_symbols | rhs.free_symbols, key=lambda s: s.name))
        return Goal(kind, variables, lhs, rhs, (lhs, rhs), positive, texts=texts)
    if kind == "simplify":
        expr, answer = _expr(record.get("expression"), "expression"), _expr(record.get("answer"), "answer")
        return Goal(kind, tuple(sorted(expr.free_symbols, key=lambda s: s.name)), expr, expr, (expr,), positive,
                    answer=answer, texts=texts)
    variables = _variables(record)
    var = variables[0]
    if kind == "derivative":
        f = _expr(record.get("function", record.get("expression")), "function")
        return Goal(kind, variables, f, sp.diff(f, var), (f, sp.diff(f, var)), positive, answer=sp.diff(f, var),
                    texts=texts)
    if kind == "integral":
        g = _expr(record.get("integrand", record.get("expression")), "integrand")
        return Goal(kind, variables, g, g, (g,), positive, texts=texts)
    if kind == "limit":
        expr = _expr(record.get("expression"), "expression")
        value = _expr(record.get("answer"), "answer")
        return Goal(kind, variables, expr, value, (), positive, texts=texts)
    equations = tuple(_equations(str(record.get("equation", ""))))
    solutions = _answer_solutions(str(record.get("answer", "")), variables)
    _check_answer(equations, variables, solutions, positive)
    return Goal(kind, variables, equations=equations, solutions=solutions, positive=positive, texts=texts)


def _check_answer(equations: tuple[tuple[sp.Expr, sp.Expr], ...], variables: tuple[sp.Symbol, ...],
                  solutions: tuple[tuple[Any, ...], ...], positive: bool) -> None:
    """Every step is compared with the record's answer, so an answer that is not the equation's solution set
    would make right steps wrong: refuse the record when sympy can tell (trust it when sympy cannot solve)."""
    from rlvrgym.verifiers.math_proof.checks import Timing, Undecided, same_solutions, solve_equation, solve_system

    try:
        if len(variables) == 1 and len(equations) == 1:
            found = solve_equation(*equations[0], variables[0], positive, Timing())
        else:
            found = solve_system(equations, variables, positive, Timing())
    except (Undecided, NotImplementedError, ValueError, TypeError):
        return
    if not same_solutions(found, solutions):
        raise BadReference("the answer is not the solution set of the equation")

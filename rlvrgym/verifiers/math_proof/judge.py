"""Judging a derivation line by line against the goal: each step against the steps before it (local validity, the
PRM800K/ProcessBench convention), the proof complete when the chain reaches the target with every step valid.

A step's score is potential-based (docs/math_proof.md): its progress over the best potential Φ reached so far, times
its validity weight `syntax + validity + facts * claims_true` (weights in `StepWeights`). Φ is 1 once the derivation
is complete and otherwise `PROGRESS_CAP` times how much closer (in written tokens) the chain has come to its target,
so the scores of any derivation add up to at most 1 however many steps it has. A step that does not follow, that
could not be read or decided, or that does not advance (`0 = 0`, a repeated line, a side claim) scores 0.
A step that cannot be read or decided is undecided (`valid` None), never wrong.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from rlvrgym.verifiers.math_proof.checks import (
    HoldsEverywhere,
    Solution,
    Timing,
    Undecided,
    describe_solutions,
    holds_at,
    new_pole,
    same_function,
    same_solutions,
    solve_equation,
    solve_system,
)
from rlvrgym.verifiers.math_proof.expr import (
    Integral,
    Part,
    Piece,
    StepMath,
    StepSyntaxError,
    read_step,
    written_denominators,
)
from rlvrgym.verifiers.math_proof.goal import CHAIN_KINDS, Goal
from rlvrgym.verifiers.math_proof.lines import Line
from rlvrgym.verifiers.math_proof.statements import statement_solutions


@dataclass(frozen=True)
class StepWeights:
    """Process reward of one step = syntax * (it parses) + validity * (it follows from the previous steps)
    + facts * (the claims inside it are true). The seeds' default is 0.3 / 0.5 / 0.2."""

    syntax: float = 0.3
    validity: float = 0.5
    facts: float = 0.2

    def __post_init__(self) -> None:
        total = self.syntax + self.validity + self.facts
        if min(self.syntax, self.validity, self.facts) < 0 or abs(total - 1.0) > 1e-9:
            raise ValueError(f"step weights must be non-negative and sum to 1, got {self}")


#: The potential of an unfinished derivation is at most this: the rest is paid only by the step that completes it.
PROGRESS_CAP = 0.75

_TOKEN = re.compile(r"\\[A-Za-z]+|\d+(?:\.\d+)?|[A-Za-z]|[^\s{}]")
_NEUTRAL_TOKENS = frozenset({"\\left", "\\right", "\\cdot", "*", "\\displaystyle", "\\,", "\\!", "\\;"})


def tokens(text: str) -> Counter[str]:
    """The written tokens of a step's math as a multiset (commands, numbers, letters, signs; braces, sizing and
    explicit multiplication dots left out)."""
    return Counter(t for t in _TOKEN.findall(text.replace("|", "=")) if t not in _NEUTRAL_TOKENS)


def token_distance(a: Counter[str], b: Counter[str]) -> int:
    """How many tokens must be added or removed to turn one written form into the other (order-free)."""
    return sum((a - b).values()) + sum((b - a).values())


@dataclass
class Judged:
    """One judged step. `valid` None: undecided (unreadable or undecidable); `advances` False: true but earns
    nothing; `gain`: the step's progress in potential (set by the verifier as it walks the derivation)."""

    line: Line
    parses: bool
    follows: bool | None
    facts: bool
    reason: str
    advances: bool = True
    gain: float = 0.0

    @property
    def valid(self) -> bool | None:
        if not self.parses:
            return None  # a step we cannot read is undecided, never wrong (issue 18)
        if self.follows is False or not self.facts:
            return False
        return self.follows

    def weight(self, w: StepWeights) -> float:
        """The validity weight: 1 for a step that follows with true side claims, 1 - facts when a side claim is
        false (2·3 = 7: still the first error), 0 for a wrong, undecided or non-advancing step (a parseable wrong
        line earns no syntax share either: the adversary policy of `rlvrgym bench` found boxed guesses paid)."""
        if not self.parses or self.follows is not True or not self.advances:
            return 0.0
        return w.syntax + w.validity + w.facts * self.facts

    def score(self, w: StepWeights) -> float:
        """The step's process score: its progress in potential times its validity weight."""
        return round(self.gain * self.weight(w), 6)


@dataclass
class Outcome:
    steps: list[Judged] = field(default_factory=list)
    complete: bool = False
    reason: str = ""


def text_key(text: str) -> str:
    """The text of a part with spacing and sizing removed: two lines are the same line when their keys are."""
    return re.sub(r"\s+|\\left|\\right|\\[,;!]|\\displaystyle", "", text).replace("\\dfrac", "\\frac")


def _show(e: object) -> str:
    return sp.sstr(e, order="none")


def _point(p: dict[sp.Symbol, Any]) -> str:
    import mpmath

    def show(v: Any) -> str:
        return str(int(mpmath.nint(v))) if abs(v - mpmath.nint(v)) < 1e-20 else mpmath.nstr(v, 6)

    return ", ".join(f"{s} = {show(v)}" for s, v in sorted(p.items(), key=lambda kv: kv[0].name))


# -- the judge -------------------------------------------------------------------------------------------------
class Judge:
    """Walks the step lines once, keeping the state of the derivation (the current expression or solution set)."""

    def __init__(self, goal: Goal, *, seed: str, timing: Timing | None = None, statement: str = "") -> None:
        self.goal = goal
        self.seed = seed
        self.timing = timing or Timing()
        self.var = goal.variables[0] if goal.variables else sp.Symbol("x")
        self.definitions: dict[sp.Symbol, sp.Expr] = {}
        # chain state
        self.current: sp.Expr | None = goal.target if goal.kind in ("derivative", "integral", "limit") \
            else goal.start
        self.current_key = text_key(goal.texts.get("lhs", goal.texts.get("expression", "")))
        # The problem's own math as the statement writes it (`\int 6x\,dx`, `\lim_{x\to 0} ...`): copying it
        # into the chain restates the problem, it is not a step.
        stated = re.findall(r"\$(.+?)\$", statement)
        self.statement_key = text_key(stated[-1]) if stated and goal.kind in CHAIN_KINDS else None
        self.other: sp.Expr | None = None  # identity: the end of a chain worked from the right-hand side
        self.other_key = text_key(goal.texts.get("rhs", ""))
        self.current_dens = written_denominators(goal.texts.get("lhs", goal.texts.get("expression", "")))
        self.other_dens = written_denominators(goal.texts.get("rhs", ""))
        self.on_right = False
        self.reached = False
        # equation state
        self.solutions: list[Solution] | None = list(goal.solutions) if goal.solutions is not None else None
        self.last_key = ""
        self.final_stated = False
        self.last_part: Part | None = None
        self.last_raw: sp.Expr | None = None
        self.best = 0.0  # the highest potential reached so far
        self._distance_cache: tuple[Counter[str], int] | None = None

    # -- entry point -----------------------------------------------------------------------------------------
    def run(self, lines: Sequence[Line]) -> Outcome:
        out = Outcome()
        for line in lines:
            if line.kind != "step":
                continue
            judged = self.step(line)
            if judged is not None:
                out.steps.append(judged)
                self.account(judged, out.steps)
        out.complete, out.reason = self.completion(out.steps)
        return out

    # -- potential (process reward) --------------------------------------------------------------------------
    def _goal_text(self) -> tuple[str, str] | None:
        """(start, target) as written, for the token distance; None when the target's form is unknown (integral)."""
        texts, kind = self.goal.texts, self.goal.kind
        if kind == "identity":
            return texts.get("lhs", ""), texts.get("rhs", "")
        if kind in ("simplify", "limit"):
            return texts.get("expression", ""), texts.get("answer", "")
        if kind == "equation":
            return texts.get("equation", ""), texts.get("answer", "")
        if kind == "derivative" and self.goal.answer is not None:
            return self.statement_key or texts.get("function", ""), sp.latex(self.goal.answer)
        return None

    def closeness(self) -> float:
        """How far the derivation has come from its start towards its target, in [0, 1]: one minus the token
        distance between the chain's end and the target (for an identity: between the two chains' ends) over that
        distance at the start. It says nothing about validity; the verifier pays only valid steps for it."""
        if self._distance_cache is None:
            texts = self._goal_text()
            if texts is None:
                self._distance_cache = (Counter(), 0)
            else:
                target = tokens(text_key(texts[1]))
                self._distance_cache = (target, token_distance(tokens(text_key(texts[0])), target))
        target, start = self._distance_cache
        if start == 0:
            return 0.0
        kind = self.goal.kind
        if kind == "identity":
            now = token_distance(tokens(self.current_key), tokens(self.other_key))
        elif kind == "equation":
            if not self.last_key:
                return 0.0
            now = token_distance(tokens(self.last_key), target)
        else:
            if self.last_part is None:
                return 0.0
            now = token_distance(tokens(self.current_key), target)
        return min(1.0, max(0.0, 1.0 - now / start))

    def account(self, judged: Judged, steps: list[Judged]) -> None:
        """Set `judged.gain`: the potential after it (1 when `steps` so far make a complete proof, else
        PROGRESS_CAP * closeness) above the best potential before it. Every step, valid or not, raises the best
        (a wrong jump towards the target uses up that progress); the verifier pays the gain to valid steps only,
        so the scores of any sequence of steps add up to at most 1."""
        complete = all(s.valid is True for s in steps) and self.completion(steps)[0]
        potential = 1.0 if complete else PROGRESS_CAP * self.closeness()
        judged.gain = max(0.0, potential - self.best)
        self.best = max(self.best, potential)

    def step(self, line: Line) -> Judged | None:
        try:
            math = read_step(line.math)
        except StepSyntaxError as exc:
            return Judged(line, False, False, False, f"cannot be read: {exc}")
        except (ValueError, TypeError, NotImplementedError, ZeroDivisionError) as exc:
            return Judged(line, False, False, False, f"cannot be read: {type(exc).__name__}")
        self.drop_definitions(math)
        if not math.statements or self.is_condition(math):
            return None
        if self.is_restatement(math) or self.starts_right(math):
            return None
        if self.goal.kind in CHAIN_KINDS:
            return self.chain_step(line, math)
        return self.equation_step(line, math)

    # -- lines that are not steps ------------------------------------------------------------------------------
    @staticmethod
    def is_condition(math: StepMath) -> bool:
        """`x \\ne 1`, `x > 0`: a stated condition, not a step of the derivation."""
        pieces = [p for s in math.statements for p in s.pieces]
        return bool(pieces) and all(p.ops and all(op != "=" for op in p.ops) for p in pieces)

    def drop_definitions(self, math: StepMath) -> None:
        """`u = x^2` in an integral is a substitution, `S = \\sum_{k=1}^{n} k` in an identity or a simplification
        names an expression: recorded, removed from the step, not judged (a new name equal to an expression of the
        task's variables; later steps that use it are read with the expression in its place)."""
        kind = self.goal.kind
        if kind not in ("integral", "identity", "simplify"):
            return
        letter = r"[a-z]" if kind == "integral" else r"[A-Za-z]"
        kept = []
        for k, statement in enumerate(math.statements):
            first = statement.pieces[0]
            if (k == 0 and math.continues) or len(statement.pieces) != 1 or len(first.parts) != 2 \
                    or first.ops != ["="] or not re.fullmatch(letter, text_key(first.parts[0].text)) \
                    or len(first.parts[0].values) != 1 or not isinstance(first.parts[0].values[0], sp.Symbol):
                kept.append(statement)
                continue
            name, value = first.parts[0].values[0], first.parts[1].values
            if name in self.goal.variables or (name.name in ("c", "k") and kind == "integral") or len(value) != 1 \
                    or first.parts[1].operators or name in value[0].free_symbols \
                    or not value[0].free_symbols & set(self.goal.variables) \
                    or (kind != "integral" and (name in self.definitions or first.parts[1].label
                                               or first.parts[1].side or first.parts[1].ordered)):
                kept.append(statement)
                continue
            self.definitions[name] = value[0].xreplace(self.definitions) if kind != "integral" else value[0]
        math.statements = kept

    def is_restatement(self, math: StepMath) -> bool:
        """The goal itself (`lhs = rhs`, the task's equation): restating it is not a step and earns nothing."""
        if len(math.statements) != 1:
            return False
        pieces = math.statements[0].pieces
        if self.goal.kind == "identity" and len(pieces) == 1 and len(pieces[0].parts) >= 2:  # `L = R = L = R` too,
            texts = self.goal.texts  # and `= L = R` continuing the chain
            return {self.part_key(p) for p in pieces[0].parts} == {text_key(texts.get("lhs", "")),
                                                                   text_key(texts.get("rhs", ""))}
        if math.continues:
            return False
        written = "=".join(text_key(p.text) for piece in pieces for p in piece.parts)
        if len(pieces) == 1 and len(pieces[0].parts) == 1 and not pieces[0].ops:
            part = pieces[0].parts[0]  # `\\lim_{x\\to 0} f`, `\\int g\\,dx` or the lhs alone: the problem, not a step
            start = self.goal.texts.get("lhs", self.goal.texts.get("expression", "\0"))
            return bool(part.operators) or text_key(part.text) == text_key(start)
        if self.goal.kind == "equation":
            return written == re.sub(r"\\text\{(?:and|or)\}|[,;]", "=", text_key(self.goal.texts.get("equation", "")))
        return False

    def starts_right(self, math: StepMath) -> bool:
        """An identity's right-hand side alone as the first line (`$x^2 + 2x + 1$`, then `$= ...$` lines): the
        start of a chain worked from the right towards the left, stated, not a step."""
        if self.goal.kind != "identity" or self.last_part is not None or self.other is not None or math.continues \
                or len(math.statements) != 1 or len(math.statements[0].pieces) != 1:
            return False
        piece = math.statements[0].pieces[0]
        if piece.ops or len(piece.parts) != 1 or piece.member is not None or piece.empty:
            return False
        part = piece.parts[0]
        if part.side == "rhs":
            self.on_right = True
            return True
        if part.side or part.label or len(part.values) != 1 or part.ordered:
            return False
        if part.values[0] != self.goal.target or part.values[0] == self.goal.start:
            return False
        self.on_right = True
        self.other_key, self.other_dens = self.part_key(part), part.denominators
        return True

    # -- expression chains (identity, simplify, derivative, integral, limit) -----------------------------------
    def value(self, part: Part, integrals: dict[sp.Symbol, Integral]) -> sp.Expr:
        """What a part means for the chain: the expression (identity, simplify), or its x-derivative (integral)."""
        kind = self.goal.kind
        if part.side:
            if kind != "identity":
                raise StepSyntaxError(f"{part.text.strip()!r} names a side of an identity; this task has none")
            value = self.goal.start if part.side == "lhs" else self.goal.target
            assert value is not None
            return value
        if part.label:
            if kind != "derivative":
                raise StepSyntaxError(f"{part.text.strip()!r} is not defined in this task")
            assert self.goal.target is not None
            return self.goal.target
        if len(part.values) != 1 or part.ordered:
            raise StepSyntaxError("a \\pm or a tuple has no place in a chain of equal expressions")
        expr = part.values[0]
        if kind == "integral":
            return self.antiderivative_slope(expr, integrals)
        return expr.xreplace(self.definitions) if self.definitions else expr

    def antiderivative_slope(self, expr: sp.Expr, integrals: dict[sp.Symbol, Integral]) -> sp.Expr:
        """d/dx of a step of an integration, each `\\int g\\,du` standing for a function whose derivative is g
        (times du/dx under a declared substitution u = h(x))."""
        x = self.var
        funcs = {s: sp.Function(s.name)(x) for s in expr.free_symbols if s in integrals}
        slopes = {}
        for s, f in funcs.items():
            integral = integrals[s]
            if integral.var == x:
                slope = integral.body
            elif integral.var in self.definitions:
                h = self.definitions[integral.var]
                slope = integral.body * sp.diff(h, x)
            else:
                raise StepSyntaxError(f"the integration variable {integral.var} is not defined in terms of {x}")
            slopes[sp.Derivative(f, x)] = slope.xreplace(self.definitions)
        free = expr.xreplace(funcs).xreplace(self.definitions)
        stray = {s for s in free.free_symbols if s != x and s.name not in ("C", "K", "c")}
        if stray & set(integrals):
            raise StepSyntaxError("an integral is nested in a way we cannot read")
        real = sp.Symbol(x.name, real=True)  # d/dx |x| is x/|x| for a real x, not an expression in re and im
        d = sp.diff(free.xreplace({x: real}), real).xreplace({real: x})
        d = d.replace(sp.sign, lambda u: u / sp.Abs(u))
        return d.xreplace(slopes) if slopes else d

    def links_equal(self, a: sp.Expr, b: sp.Expr, a_dens: Sequence[sp.Expr] = (),
                    b_dens: Sequence[sp.Expr] = ()) -> tuple[bool | None, str]:
        """Is the link a = b valid? For identities also: no new pole, no narrowing of the domain."""
        match = same_function(a, b, self.goal.domain, seed=self.seed, positive=self.goal.positive,
                              timing=self.timing)
        if match.equal is None:
            return None, f"could not decide whether {_show(b)} equals {_show(a)}"
        if match.equal is False:
            return False, f"{_show(b)} is not equal to {_show(a)}"
        # every chain kind: a step may not divide by something that can vanish where the task is defined
        if match.narrowed is not None:
            return False, (f"{_show(b)} is undefined at {_point(match.narrowed)}, where the previous expression "
                           "is defined: the step holds only on a smaller domain")
        pole = new_pole(a, b, self.goal.domain, seed=self.seed, positive=self.goal.positive, timing=self.timing,
                        prev_written=a_dens, new_written=b_dens)
        if pole is not None:
            base, point = pole
            return False, (f"divides by {_show(base)}, which is zero at {_point(point)} where the task is "
                           "defined: the step holds only where it is non-zero")
        return True, ""

    def chain_step(self, line: Line, math: StepMath) -> Judged:
        verdicts: list[Judged] = []
        for k, statement in enumerate(math.statements):
            for piece in statement.pieces:
                if piece.ops and all(op != "=" for op in piece.ops):
                    continue  # a condition such as x \ne 0 beside the step
                if piece.member is not None or piece.empty or any(op != "=" for op in piece.ops):
                    return Judged(line, False, False, False, "cannot be read: expected a chain of equal expressions")
                verdicts.append(self.chain_piece(line, piece, math, continues=math.continues and k == 0
                                                 and not verdicts))
        if not verdicts:
            return Judged(line, False, False, False, "cannot be read: the step has no expression")
        return _combine(line, verdicts)

    def chain_piece(self, line: Line, piece: Piece, math: StepMath, continues: bool) -> Judged:
        try:
            values = [self.value(p, math.integrals) for p in piece.parts]
        except StepSyntaxError as exc:
            return Judged(line, False, False, False, f"cannot be read: {exc}")
        raws = [p.values[0] if p.values else None for p in piece.parts]
        assert self.current is not None
        if not continues and len(values) > 1:
            right = self.other if self.other is not None else self.goal.target
            if values[0] == self.current or piece.parts[0].label:
                self.on_right = False
            elif self.goal.kind == "identity" and values[0] == right:
                self.on_right = True  # working from the right-hand side towards the left chain
            elif self.continues_chain(values[0], piece.parts[0]):
                self.on_right = False
            else:
                return self.side_claim(line, values)
        if not self.on_right:
            return self.chain_links(line, values, raws, piece.parts)
        saved = self.current, self.current_key, self.current_dens
        self.current = self.other if self.other is not None else self.goal.target
        self.current_key, self.current_dens = self.other_key, self.other_dens
        try:
            return self.chain_links(line, values, raws, piece.parts)
        finally:
            self.other, self.other_key, self.other_dens = self.current, self.current_key, self.current_dens
            self.current, self.current_key, self.current_dens = saved

    def continues_chain(self, first: sp.Expr, part: Part) -> bool:
        """Does a relation line start from the current expression (restated, perhaps rewritten)?"""
        if part.label or first == self.current:
            return True
        assert self.current is not None
        if self.goal.kind in ("derivative", "integral", "limit"):
            return part.operators != frozenset() or bool(same_function(
                self.current, first, (), seed=self.seed, positive=self.goal.positive, timing=self.timing).equal)
        return bool(same_function(self.current, first, self.goal.domain, seed=self.seed,
                                  positive=self.goal.positive, timing=self.timing).equal)

    def chain_links(self, line: Line, values: list[sp.Expr], raws: list[sp.Expr | None],
                    parts: list[Part]) -> Judged:
        assert self.current is not None
        chain = [self.current, *values]
        # Parts that restate the current expression as written are skipped: the first new part is the step.
        keys = [self.part_key(p) for p in parts]
        # `\int f = \int f`: one written form on both sides of the line, and the value of the current expression.
        same_line = len(parts) >= 2 and len(set(keys)) == 1 and not any(p.label or p.side for p in parts) \
            and all(v == self.current for v in values)
        restated = [k in (self.current_key, self.statement_key) or bool(p.label) for k, p in
                    zip(keys, parts, strict=True)]
        if same_line or all(restated):
            return Judged(line, True, True, True, "repeats the previous expression: earns nothing", advances=False)
        start = 1
        while start < len(chain) - 1 and restated[start - 1]:
            start += 1
        dens = [self.current_dens, *(p.denominators for p in parts)]
        follows, reason = self.links_equal(self.current, chain[start], dens[start - 1] if start > 1
                                           else self.current_dens, dens[start])
        facts, fact_reason = True, ""
        for i in range(start, len(chain) - 1):
            ok, why = self.links_equal(chain[i], chain[i + 1], dens[i], dens[i + 1])
            if ok is False:
                facts, fact_reason = False, why
                break
            if ok is None and follows is True:
                follows, fact_reason = None, why
        self.current, self.current_key, self.current_dens = values[-1], keys[-1], parts[-1].denominators
        self.last_part = parts[-1]
        self.last_raw = raws[-1]
        reason = reason or fact_reason or "follows from the previous step"
        return Judged(line, True, follows, facts, reason)

    def part_key(self, part: Part) -> str:
        """The written form of a part; LHS and RHS stand for the task's sides as written."""
        if part.side:
            return text_key(self.goal.texts.get(part.side, ""))
        return text_key(part.text)

    def side_claim(self, line: Line, values: list[sp.Expr]) -> Judged:
        """A relation that does not start from the current expression: true ones earn nothing, false ones are
        wrong steps."""
        for a, b in itertools.pairwise(values):
            ok, why = self.links_equal(a, b)
            if ok is False:
                return Judged(line, True, False, False, f"a false claim: {why}")
            if ok is None:
                return Judged(line, True, None, True, why)
        return Judged(line, True, True, True, "a true claim that does not continue the chain from "
                      f"{_show(self.current)}: earns nothing", advances=False)

    # -- equations -------------------------------------------------------------------------------------------
    def piece_equations(self, pieces: Sequence[Piece]) -> list[tuple[sp.Expr, sp.Expr]] | None:
        out = []
        for p in pieces:
            if p.member is not None or p.empty or p.ops != ["="] or any(len(q.values) != 1 for q in p.parts):
                return None
            out.append((p.parts[0].values[0], p.parts[1].values[0]))
        return out

    def equation_step(self, line: Line, math: StepMath) -> Judged:
        verdicts = []
        for statement in math.statements:
            conditions = [p for p in statement.pieces if p.ops and all(op != "=" for op in p.ops)]
            pieces = [p for p in statement.pieces if p not in conditions]
            if not pieces:
                continue
            verdicts.append(self.equation_statement(line, pieces, statement.joiners, conditions))
        if not verdicts:
            return Judged(line, False, False, False, "cannot be read: the step has no equation")
        return _combine(line, verdicts)

    def equation_statement(self, line: Line, pieces: list[Piece], joiners: list[str],
                           conditions: Sequence[Piece] = ()) -> Judged:
        variables = list(self.goal.variables)
        facts, fact_reason = True, ""
        equations: list[tuple[sp.Expr, sp.Expr]] = []
        alternatives = False
        stated = statement_solutions(pieces, variables)
        for piece in pieces:
            if piece.member is not None or piece.empty or stated is not None:
                continue
            if any(op != "=" for op in piece.ops) or len(piece.parts) < 2:
                if len(piece.parts) == 1:
                    return Judged(line, True, None, True, "an expression, not an equation: nothing to check")
                return Judged(line, False, False, False, "cannot be read: mixes = with inequalities")
            parts = piece.parts
            if any(p.side or p.label for p in parts):
                return Judged(line, False, False, False, "cannot be read: LHS, RHS or f' name no equation here")
            for a, b in itertools.pairwise(parts[1:]):  # x = 12/4 = 3: the claim 12/4 = 3
                if len(a.values) != len(b.values) or not all(
                        same_function(u, v, (), seed=self.seed, positive=False, timing=self.timing).equal
                        for u, v in zip(a.values, b.values, strict=True)):
                    facts, fact_reason = False, f"the claim {a.text.strip()} = {b.text.strip()} is false"
            lhs_values, rhs_values = parts[0].values, parts[1].values
            alternatives |= len(lhs_values) * len(rhs_values) > 1
            equations += [(a, b) for a in lhs_values for b in rhs_values]
        names = "|".join(re.escape(v.name) for v in variables)
        mentions = any(re.search(rf"(?<![\\A-Za-z])(?:{names})(?![A-Za-z])", p.text)
                       for piece in pieces for p in piece.parts)
        excluded = [d for piece in pieces for p in piece.parts for d in p.denominators]
        if equations and not mentions and all(not (a - b).free_symbols for a, b in equations):
            ok = all(same_function(a, b, (), seed=self.seed, positive=False, timing=self.timing).equal
                     for a, b in equations)
            if ok:
                return Judged(line, True, True, facts, "a true arithmetic fact that does not advance the "
                              "derivation: earns nothing", advances=False)
            return Judged(line, True, True, False, "a false arithmetic claim")
        written = "|".join(text_key(p.text) for piece in pieces for p in piece.parts)
        if written == self.last_key:
            return Judged(line, True, True, facts, "repeats the previous step: earns nothing", advances=False)
        system = len(variables) > 1
        try:
            if stated is not None:
                found = stated
            elif system and len(equations) == 1 and not alternatives:
                return self.implied(line, equations[0], facts, fact_reason)
            elif system:
                found = solve_system(equations, variables, self.goal.positive, self.timing)
            else:
                found = sorted({s for a, b in equations
                                for s in solve_equation(a, b, self.var, self.goal.positive, self.timing, excluded)},
                               key=lambda t: t[0])
        except Undecided as exc:
            previous, self.solutions = self.solutions, None
            if isinstance(exc, HoldsEverywhere) and previous is not None:  # `x = x` after `8x - 11 = 29`
                return Judged(line, True, False, facts, "changes the solution set: the equation holds for every "
                              f"{self.var} where it is defined, infinitely many solutions instead of {len(previous)}")
            return Judged(line, True, None, facts, f"could not decide the solution set: {exc}")
        if conditions:  # x + 2 = x^2, x >= 0: the conditions on the same line restrict the solution set
            found = [sol for sol in found if all(_satisfies(c, variables, sol) for c in conditions)]
        self.last_key = written
        self.final_stated = stated is not None
        previous, self.solutions = self.solutions, found
        if previous is None:
            return Judged(line, True, None, facts, "the previous step's solution set is unknown")
        if same_solutions(previous, found):
            return Judged(line, True, True, facts, fact_reason or "same solution set as the previous step")
        return Judged(line, True, False, facts, self.difference(previous, found))

    def implied(self, line: Line, equation: tuple[sp.Expr, sp.Expr], facts: bool, fact_reason: str) -> Judged:
        """A single equation in a system is a consequence: it must hold at every solution of the system."""
        self.final_stated = False
        if self.solutions is None:
            return Judged(line, True, None, facts, "the system's solution set is unknown")
        variables = list(self.goal.variables)
        if equation[0] == equation[1]:
            return Judged(line, True, True, facts, "a trivial equation: earns nothing", advances=False)
        bad = [s for s in self.solutions if not holds_at(*equation, variables, s)]
        if bad:
            return Judged(line, True, False, facts, "does not hold at the solution "
                          f"{describe_solutions(bad[:1], variables)} of the system")
        return Judged(line, True, True, facts, fact_reason or "follows from the system")

    def difference(self, previous: Sequence[Solution], found: Sequence[Solution]) -> str:
        variables = list(self.goal.variables)
        lost = [s for s in previous if not same_solutions([s], [t for t in found if same_solutions([s], [t])])]
        added = [s for s in found if not same_solutions([s], [t for t in previous if same_solutions([s], [t])])]
        bits = []
        if lost:
            bits.append(f"loses the solution {describe_solutions(lost, variables)}")
        if added:
            bits.append(f"adds the solution {describe_solutions(added, variables)}")
        return "changes the solution set: " + " and ".join(bits) if bits else "changes the solution set"

    # -- completion ------------------------------------------------------------------------------------------
    def completion(self, steps: list[Judged]) -> tuple[bool, str]:
        if not steps:
            return False, "no derivation steps found"
        bad = next((s for s in steps if s.valid is False), None)
        undecided = next((s for s in steps if s.valid is None), None)
        kind = self.goal.kind
        if kind == "equation":
            reached = self.final_stated and self.solutions is not None and self.goal.solutions is not None and \
                same_solutions(self.solutions, self.goal.solutions)
            target = "the final line does not state the solution set" if not reached else ""
        else:
            reached, target = self.chain_reached()
        if bad is not None:
            return False, f"step {steps.index(bad)} is wrong: {bad.reason}"
        if not any(s.advances for s in steps):
            return False, "no step advances the derivation"
        if not reached:
            return False, target
        if undecided is not None:
            return False, f"step {steps.index(undecided)} could not be checked: {undecided.reason}"
        return True, "every step is valid and the derivation reaches the target"

    def chain_reached(self) -> tuple[bool, str]:
        kind, goal = self.goal.kind, self.goal
        last_part = self.last_part
        if last_part is None:
            return False, "the chain never leaves its starting point"
        if kind == "identity":
            lhs_key, rhs_key = (text_key(goal.texts.get(k, "")) for k in ("lhs", "rhs"))
            other = self.other
            if self.current == goal.target and _written_as(self.current_key, rhs_key):
                return True, ""
            if other is not None and other != goal.target and (
                    (other == goal.start and _written_as(self.other_key, lhs_key))
                    or (other == self.current and _written_as(self.other_key, self.current_key))):
                return True, ""
            if other is not None and self.current == goal.start:  # worked from the right only
                return False, (f"the chain from the right-hand side ends at {_show(other)}, not at the left-hand "
                               f"side as written, {_show(goal.start)}")
            return False, (f"the chain ends at {_show(self.current)}, not at the right-hand side as written, "
                           f"{_show(goal.target)}")
        if last_part.operators or last_part.label:
            return False, "the last step still holds an unevaluated derivative, integral or limit"
        if kind == "simplify":
            assert goal.answer is not None and self.current is not None
            if self.current == goal.answer and _written_as(self.current_key, text_key(goal.texts.get("answer", ""))):
                return True, ""
            return False, f"{_show(self.current)} is not as simple as the expected form"
        if kind == "limit" and self.last_raw is not None and self.last_raw.free_symbols:
            return False, "the last step is not a number"
        return True, ""


def _satisfies(condition: Piece, variables: Sequence[sp.Symbol], solution: Solution) -> bool:
    """Does a solution meet a stated condition such as `x \\ge 0` or `x \\ne 1` (undefined: no)?"""
    import mpmath

    from rlvrgym.verifiers.math_proof.checks import real_value

    point = dict(zip(variables, solution, strict=True))
    values = []
    for part in condition.parts:
        if len(part.values) != 1:
            return False
        v = real_value(part.values[0], point)
        if v is None:
            return False
        values.append(v)
    tol = mpmath.mpf(10) ** -20
    tests = {"<": lambda a, b: a < b - tol, "<=": lambda a, b: a <= b + tol, ">": lambda a, b: a > b + tol,
             ">=": lambda a, b: a >= b - tol, "!=": lambda a, b: abs(a - b) > tol}
    return all(op in tests and tests[op](a, b) for (a, b), op in zip(itertools.pairwise(values), condition.ops,
                                                                        strict=True))


def _written_as(written: str, target: str) -> bool:
    """The chain's last line is the target as written, up to spacing and a couple of characters (`(x)`, `{}`):
    sympy collects `x + x` into `2x` on sight, so equal expressions alone would accept an unfinished chain."""
    return len(written) <= len(target) + 2


def _combine(line: Line, verdicts: list[Judged]) -> Judged:
    """Several statements on one line (`A \\Rightarrow B`) make one step: wrong if any is, undecided if any cannot
    be read or decided, padding if all are."""
    for v in verdicts:
        if v.valid is False:
            return Judged(line, v.parses, v.follows, v.facts, v.reason)
    for v in verdicts:
        if not v.parses:
            return Judged(line, v.parses, v.follows, v.facts, v.reason)
    undecided = next((v for v in verdicts if v.valid is None), None)
    if undecided is not None:
        return Judged(line, True, None, all(v.facts for v in verdicts), undecided.reason)
    advancing = [v for v in verdicts if v.advances]
    if not advancing:
        return Judged(line, True, True, True, verdicts[-1].reason, advances=False)
    return Judged(line, True, True, True, advancing[-1].reason)

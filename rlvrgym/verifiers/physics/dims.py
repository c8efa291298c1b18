"""Process checks for physics completions: dimensional consistency of written equations, and intermediate
numeric claims ("t_f = 3.93 s") matched by symbol to the simulator's own quantities.

Expressions are read by a small recursive-descent parser over an explicit token set: symbols come only from the
problem's quantity table (so "E", "N", "I" are whatever the table says, never sympy objects), a few whitelisted
unit names, numbers, `+ - * / ^`, parentheses and a fixed list of functions. Each symbol evaluates to a pint
quantity of magnitude 1 in its unit; a side that cannot be read is skipped, never guessed.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import cast

import pint

from rlvrgym.verifiers.physics.parse import GREEK, normalize_latex

FUNCTIONS = frozenset({"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "asin", "acos",
                       "atan", "sinh", "cosh", "tanh", "exp", "ln", "log", "sqrt"})
_PREFIXES = ("", "k", "M", "G", "m", "c", "μ", "u", "n", "p")
_BASES = ("m", "s", "g", "N", "J", "W", "Pa", "V", "A", "C", "F", "H", "Hz", "Ω", "ohm", "K", "eV")
UNIT_WORDS: dict[str, str] = {p + b: (p.replace("μ", "u") + b.replace("Ω", "ohm")) for p in _PREFIXES
                              for b in _BASES}
UNIT_WORDS.update({"min": "minute", "minute": "minute", "h": "hour", "hr": "hour", "hour": "hour",
                   "rad": "radian", "radian": "radian", "deg": "degree", "degree": "degree", "degrees": "degree"})
CONSTANTS = {"π": math.pi, "e": math.e}
MAX_SIDE_CHARS = 300
MAX_STEPS = 32
MAX_CHAINS = 200
MAX_EXPONENT = 12.0

_LETTER = "A-Za-zα-ωΑ-Ω"
_TOKEN = re.compile(rf"""
    (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<ident>[{_LETTER}]+(?:_(?:\{{[^{{}}]*\}}|[{_LETTER}0-9]+))?\d*'*)
  | (?P<deg>°)
  | (?P<op>\*\*|[-+*/^(),])
  | (?P<space>\s+)
""", re.VERBOSE)


@functools.lru_cache(maxsize=8192)
def normalize_symbol(name: str) -> str:
    """One spelling per symbol: `v_{0}`, `v_0`, `v0` -> `v_0`; `\\theta`, `θ` -> `θ`; `t_{\\text{f}}` -> `t_f`."""
    s = normalize_latex(name)
    s = re.sub(r"[\s{}\\]", "", s)
    g = re.fullmatch(r"([A-Za-z]+)(_.*)?", s)
    if g and g[1] in GREEK:  # a table may spell "theta" where the text writes \theta or θ
        s = GREEK[g[1]] + (g[2] or "")
    m = re.fullmatch(rf"([{_LETTER}]+)(\d+)", s)
    if m:
        s = f"{m[1]}_{m[2]}"
    return s


@dataclass(frozen=True)
class Tok:
    kind: str  # num, sym, unit, const, func, op, unknown
    text: str
    value: float = 0.0
    spaced: bool = True  # whitespace (or the start) precedes it: prose may end a side here


_PUNCTUATION = frozenset(".,;:!?")


def _resolve_ident(raw: str, table: Mapping[str, str], split_runs: bool) -> list[Tok]:
    """Table symbol, function, constant, then (math mode) a product of single-letter symbols (`mgh`, so `mg` is
    m·g and not a milligram), then a whitelisted unit; anything else is unknown."""
    name = normalize_symbol(raw)
    if name in table:
        return [Tok("sym", name)]
    if name in FUNCTIONS:
        return [Tok("func", name)]
    if name in CONSTANTS:
        return [Tok("const", name, CONSTANTS[name])]
    m = re.fullmatch(rf"([{_LETTER}]+)(_.*|\d+)?('*)", raw)
    if split_runs and m and len(m[1]) > 1:
        split = _split_run(m[1], (m[2] or "") + m[3], table, split_runs)
        if split:
            return split
    if raw in UNIT_WORDS:
        return [Tok("unit", UNIT_WORDS[raw])]
    return [Tok("unknown", raw)]


def _split_run(letters: str, sub: str, table: Mapping[str, str], split_runs: bool) -> list[Tok] | None:
    for fn in sorted(FUNCTIONS, key=len, reverse=True):  # "\sin\theta" arrives as "sinθ"
        if letters.startswith(fn) and len(letters) > len(fn):
            rest = _resolve_ident(letters[len(fn):] + sub, table, split_runs)
            return None if any(t.kind == "unknown" for t in rest) else [Tok("func", fn), *rest]
    parts = [*letters[:-1], letters[-1] + sub]  # adjacent letters multiply; the subscript is the last letter's
    out: list[Tok] = []
    for part in parts:
        n = normalize_symbol(part)
        if n in table:
            out.append(Tok("sym", n))
        elif n in CONSTANTS:
            out.append(Tok("const", n, CONSTANTS[n]))
        else:
            return None
    return out


def tokenize(text: str, table: Mapping[str, str], split_runs: bool) -> list[Tok]:
    """Tokens of normalized math text; anything unreadable becomes an `unknown` token (a boundary)."""
    toks: list[Tok] = []
    pos = 0
    spaced = True
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            toks.append(Tok("unknown", text[pos], spaced=spaced))
            pos += 1
            spaced = False
            continue
        pos = m.end()
        if m["space"]:
            spaced = True
            continue
        if m["num"]:
            toks.append(Tok("num", m["num"], float(m["num"]), spaced))
        elif m["ident"]:
            for i, tok in enumerate(_resolve_ident(m["ident"], table, split_runs)):
                if tok.kind == "unit" and not _unit_context(toks):
                    tok = Tok("unknown", m["ident"])  # "K(k)" is a function of the text, not a kelvin
                toks.append(Tok(tok.kind, tok.text, tok.value, spaced and i == 0))
        elif m["deg"]:
            toks.append(Tok("unit", "degree", spaced=spaced))
        elif m["op"]:
            toks.append(Tok("op", "^" if m["op"] == "**" else m["op"], spaced=spaced))
        spaced = False
    return _drop_call_notation(toks)


def _unit_context(toks: list[Tok]) -> bool:
    """A unit name counts as a unit only attached to a number: "3 m/s", "9.8 m s^-2", "2 kg*m", "30°"."""
    i = len(toks) - 1
    while i >= 0:
        tok = toks[i]
        if tok.kind == "op" and tok.text in "*/^()":
            i -= 1
        elif tok.kind == "num" and i > 0 and toks[i - 1].text in ("^", "-") and \
                (toks[i - 1].text == "^" or (i > 1 and toks[i - 2].text == "^")):
            i -= 2 if toks[i - 1].text == "^" else 3  # an exponent: "m^2 s", "s^-2 kg"
        else:
            break
    return i >= 0 and toks[i].kind in ("num", "unit")


def _drop_call_notation(toks: list[Tok]) -> list[Tok]:
    """`x(t)`, `v(t)`: a symbol "of t" is the symbol itself, not x times t."""
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        if (toks[i].kind == "sym" and i + 3 < len(toks) and toks[i + 1].text == "(" and not toks[i + 1].spaced
                and toks[i + 2].kind == "sym" and toks[i + 2].text in ("t", "x", "θ") and toks[i + 3].text == ")"):
            out.append(toks[i])
            i += 4
            continue
        out.append(toks[i])
        i += 1
    return out


@dataclass(frozen=True)
class Val:
    q: pint.Quantity
    symbolic: bool  # depends on a symbol: its magnitude is a placeholder, only its dimension is meaningful


class _Unreadable(ValueError):
    pass


class DimensionMismatch(ValueError):
    """Two things that must share a dimension do not (a sum, a function argument)."""


class _Parser:
    """expr := term (('+'|'-') term)*; term := unary (('*'|'/'|juxtaposition) unary)*;
    unary := ('+'|'-') unary | power; power := atom ('^' unary)?; atom := num | sym | unit | const | '(' expr ')'
    | func (atom-with-power | '(' expr ')')."""

    def __init__(self, toks: list[Tok], table: Mapping[str, str], registry: pint.UnitRegistry) -> None:
        self.toks, self.i, self.table, self.reg = toks, 0, table, registry

    def peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise _Unreadable("unexpected end")
        self.i += 1
        return tok

    def parse(self) -> Val:
        val = self.expr()
        if self.peek() is not None:
            raise _Unreadable(f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        return val

    def expr(self) -> Val:
        left = self.term()
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text in "+-":
            self.take()
            right = self.term()
            if left.q.dimensionality != right.q.dimensionality:
                raise DimensionMismatch(f"adds {_dim(left.q)} to {_dim(right.q)}")
            q = left.q + right.q.to(left.q.units) if tok.text == "+" else left.q - right.q.to(left.q.units)
            left = Val(q, left.symbolic or right.symbolic)
        return left

    def _starts_atom(self, tok: Tok | None) -> bool:
        return tok is not None and (tok.kind in ("num", "sym", "unit", "const", "func") or tok.text == "(")

    def term(self) -> Val:
        left = self.unary()
        while True:
            tok = self.peek()
            if tok is not None and tok.kind == "op" and tok.text in "*/":
                self.take()
                right = self.unary()
                q = left.q * right.q if tok.text == "*" else left.q / right.q
            elif self._starts_atom(tok):
                right = self.power()
                q = left.q * right.q
            else:
                return left
            left = Val(q, left.symbolic or right.symbolic)

    def unary(self) -> Val:
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text in "+-":
            self.take()
            val = self.unary()
            return Val(cast(pint.Quantity, -val.q) if tok.text == "-" else val.q, val.symbolic)  # pint: -Quantity
        return self.power()

    def power(self) -> Val:
        base = self.atom()
        tok = self.peek()
        if tok is None or tok.text != "^":
            return base
        self.take()
        exp = self.unary()
        if not exp.q.dimensionless:
            raise DimensionMismatch(f"raises to a power with dimension {_dim(exp.q)}")
        if exp.symbolic:  # x^(t/τ): fine only for a dimensionless base, and the value is unknown
            if not base.q.dimensionless:
                raise _Unreadable("symbolic exponent of a dimensional base")
            return Val(self.reg.Quantity(1.0), True)
        power = float(exp.q.to("dimensionless").magnitude)
        if abs(power) > MAX_EXPONENT:
            raise _Unreadable("exponent too large")
        return Val(base.q**power, base.symbolic)

    def atom(self) -> Val:
        tok = self.take()
        if tok.kind == "num":
            return Val(self.reg.Quantity(tok.value), False)
        if tok.kind == "const":
            return Val(self.reg.Quantity(tok.value), False)
        if tok.kind == "sym":
            return Val(self.reg.Quantity(1.0, self.table[tok.text] or "dimensionless"), True)
        if tok.kind == "unit":
            return Val(self.reg.Quantity(1.0, tok.text), False)
        if tok.text == "(":
            val = self.expr()
            if self.take().text != ")":
                raise _Unreadable("unbalanced parenthesis")
            return val
        if tok.kind == "func":
            nxt = self.peek()
            if nxt is not None and nxt.text == "(":
                arg = self.atom()
            else:  # LaTeX's \cos\omega_d t is cos(ω_d t): the argument runs over juxtaposed factors
                arg = self.power()
                while (nxt := self.peek()) is not None and nxt.kind in ("num", "sym", "const", "unit"):
                    factor = self.power()
                    arg = Val(arg.q * factor.q, arg.symbolic or factor.symbolic)
            return self.apply(tok.text, arg)
        raise _Unreadable(f"unexpected {tok.text!r}")

    def apply(self, fn: str, arg: Val) -> Val:
        if fn == "sqrt":
            return Val(arg.q**0.5, arg.symbolic)
        if not arg.q.dimensionless:
            raise DimensionMismatch(f"takes {fn} of a quantity with dimension {_dim(arg.q)}")
        if arg.symbolic:
            return Val(self.reg.Quantity(1.0), True)
        x = float(arg.q.to("radian" if fn in ("sin", "cos", "tan", "cot", "sec", "csc") else "").magnitude)
        funcs: dict[str, Callable[[float], float]] = {
            "sin": math.sin, "cos": math.cos, "tan": math.tan, "cot": lambda v: 1 / math.tan(v),
            "sec": lambda v: 1 / math.cos(v), "csc": lambda v: 1 / math.sin(v), "arcsin": math.asin,
            "asin": math.asin, "arccos": math.acos, "acos": math.acos, "arctan": math.atan, "atan": math.atan,
            "sinh": math.sinh, "cosh": math.cosh, "tanh": math.tanh, "exp": math.exp, "ln": math.log,
            "log": math.log10}
        return Val(self.reg.Quantity(funcs[fn](x)), False)


def _dim(q: pint.Quantity) -> str:
    return "dimensionless" if q.dimensionless else str(q.dimensionality)


def evaluate(toks: list[Tok], table: Mapping[str, str], registry: pint.UnitRegistry) -> Val:
    """Value/dimension of a token list. Raises `DimensionMismatch` inside the side, `_Unreadable` otherwise."""
    try:
        return _Parser(toks, table, registry).parse()
    except (DimensionMismatch, _Unreadable):
        raise
    except (ArithmeticError, ValueError, TypeError, RecursionError, pint.errors.PintError) as exc:
        raise _Unreadable(str(exc)) from None


# --- from text to equation chains -------------------------------------------------------------------------------

_MATH_BLOCKS = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|"
                          r"\\begin\{(?:align|equation|gather|eqnarray)\*?\}(.+?)\\end\{(?:align|equation|gather|"
                          r"eqnarray)\*?\}", re.DOTALL)
_CHAIN_SPLIT = re.compile(r"\\\\|\n|;|,\s|\\quad|\\qquad|\\text\{\s*(?:and|so|thus|where|with)\s*\}")
_REL = re.compile(r"=|≈|\\approx|\\simeq|≃")


@dataclass(frozen=True)
class Chain:
    text: str
    sides: list[list[Tok]]


def chains(completion: str, table: Mapping[str, str]) -> Iterator[Chain]:
    """Every `a = b = c` chain of the text. In math mode adjacent letters multiply (`mgh`); in prose only whole
    table symbols, functions and units count, so English words end a side instead of becoming products."""
    pieces: list[tuple[str, bool]] = []
    last = 0
    for m in _MATH_BLOCKS.finditer(completion):
        pieces.append((completion[last:m.start()], False))
        pieces.append((next(g for g in m.groups() if g is not None), True))
        last = m.end()
    pieces.append((completion[last:], False))
    seen: set[str] = set()
    for text, math_mode in pieces:
        for part in _CHAIN_SPLIT.split(text.replace("&", "")):
            if not _REL.search(part) or len(part) > 4 * MAX_SIDE_CHARS or part in seen:
                continue
            seen.add(part)
            if len(seen) > MAX_CHAINS:  # bounds the work on padded text; later equations are not read
                return
            raw_sides = _REL.split(normalize_latex(part.replace("\\!=", "≠").replace("\\neq", "≠")))
            if any("<" in s or ">" in s or "≠" in s or "\\le" in s or "\\ge" in s for s in raw_sides):
                continue
            sides = [tokenize(s, table, math_mode) if len(s) <= MAX_SIDE_CHARS else [Tok("unknown", "…")]
                     for s in raw_sides]
            # prose around the math: the first side keeps what follows its last unreadable token, the others
            # what precedes their first one
            sides[0] = _after_last_unknown(sides[0], math_mode)
            sides[1:] = [_before_first_unknown(s, math_mode) for s in sides[1:]]
            yield Chain(part.strip()[:200], sides)


def _is_boundary(tok: Tok, math_mode: bool) -> bool:
    """Where prose may end a side: punctuation, or (outside math) a spaced English word. An unknown single letter
    or a token glued to the math ("2πsqrt", "Δx") means the side was not understood, so it is dropped: cutting
    "v = a Q t" to "v = a" would report a wrong equation that the text never wrote."""
    if tok.text in _PUNCTUATION:
        return True
    return not math_mode and tok.spaced and len(tok.text) >= 2 and tok.text.isalpha()


def _after_last_unknown(toks: list[Tok], math_mode: bool) -> list[Tok]:
    for i in range(len(toks) - 1, -1, -1):
        if toks[i].kind == "unknown":
            rest = toks[i + 1:]
            return rest if _is_boundary(toks[i], math_mode) and (not rest or rest[0].spaced) else []
    return toks


def _before_first_unknown(toks: list[Tok], math_mode: bool) -> list[Tok]:
    for i, tok in enumerate(toks):
        if tok.kind == "unknown":
            return toks[:i] if _is_boundary(tok, math_mode) else []
    return toks


def as_quantity(toks: list[Tok]) -> bool:
    """A side that is a literal quantity: a number, then only units, numbers and operators."""
    return bool(toks) and toks[0].kind in ("num", "op") and all(t.kind in ("num", "unit", "op") for t in toks) \
        and any(t.kind == "num" for t in toks)

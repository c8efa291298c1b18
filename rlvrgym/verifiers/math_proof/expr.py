"""The math of one step, read into relation chains of sympy expressions with the project's restricted parser.

A step like `x = \\frac{12}{4} = 3 \\Rightarrow x - 3 = 0 \\text{ or } x = -1` is split at the top level (never
inside braces or brackets) into statements (at implication arrows), pieces (at commas, `or`, `and`) and parts (at
relation signs); each part is parsed whole by `rlvrgym.verifiers.math.parser.parse_answer`, which never evaluates
model text. Calculus notation the answer parser does not read is rewritten first: `\\frac{d}{dx}(...)` becomes the
derivative (sympy's `diff` of the parsed argument), `\\lim_{x\\to a}` the limit, and `\\int ... dx` a placeholder
symbol whose x-derivative is the integrand, so an antiderivative chain is checked by differentiation. A sum or product
`\\sum_{k=1}^{n} body` (also `\\prod`) stays an unevaluated `sp.Sum` / `sp.Product` whose index is renamed before the
body is parsed, so an index `i` is a variable, not the imaginary unit; `checks` evaluates it at integer bounds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy as sp

from rlvrgym.verifiers.math.answers import Ordered, ParseFailure, RealSet, Scalar, Solutions, TooLarge
from rlvrgym.verifiers.math.parser import parse_answer

MAX_STEP_CHARS = 1000
MAX_PARTS = 12

_OPEN, _CLOSE = "{([", "})]"
_IMPLIES = re.compile(r"\\(?:Rightarrow|implies|Longrightarrow|iff|Leftrightarrow|Longleftrightarrow"
                      r"|therefore)(?![A-Za-z])|⟹|⇒|=>")
_JOIN = re.compile(r"\\text\s*\{\s*(or|and)\s*\}|\\q?quad(?![A-Za-z])|(?<![A-Za-z\\])(or|and)(?![A-Za-z])"
                   r"|(?<!\\)([,;])")
_REL = re.compile(r"(<=|>=|!=|\\(?:leq|geq|neq|le|ge|ne|lt|gt|leqslant|geqslant|approx|equiv)(?![A-Za-z])"
                  r"|=|<|>|≤|≥|≠|≈)")
_REL_NAMES = {"<=": "<=", ">=": ">=", "!=": "!=", "=": "=", "<": "<", ">": ">", "≤": "<=", "≥": ">=", "≠": "!=",
              "≈": "~", r"\approx": "~", r"\equiv": "=", r"\leq": "<=", r"\le": "<=", r"\leqslant": "<=",
              r"\geq": ">=", r"\ge": ">=", r"\geqslant": ">=", r"\neq": "!=", r"\ne": "!=", r"\lt": "<", r"\gt": ">"}
_MEMBER = re.compile(r"^\s*([a-zA-Z])\s*\\in\s*(.+)$", re.S)
_DERIV = re.compile(r"\\[dt]?frac\s*\{\s*(?:\\mathrm\s*\{\s*d\s*\}|d)\s*\}\s*"
                    r"\{\s*(?:\\mathrm\s*\{\s*d\s*\}|d)\s*([a-z])\s*\}")
_LIM = re.compile(r"\\lim(?:\\limits)?\s*_\s*\{\s*([a-z])\s*\\(?:to|rightarrow)\s*(.+?)\s*\}")
_INT = re.compile(r"\\int(?![A-Za-z])")
_DVAR = re.compile(r"(?:\\[,;:!]|\s)*(?:\\mathrm\s*\{\s*d\s*\}|d)\s*([a-z])(?![A-Za-z])|(?<![A-Za-z\\])d([a-z])"
                   r"(?![A-Za-z])")
_LABEL = re.compile(r"^\s*(?:[a-zA-Z]\s*'+\s*(?:\(\s*[a-z]\s*\))?|\\[dt]?frac\s*\{\s*d\s*[a-zA-Z]\s*\}\s*"
                    r"\{\s*d\s*[a-z]\s*\})\s*$")
_RIGHT = re.compile(r"\\right\s*[)\]}]")
_POWER = re.compile(r"\s*\^\s*(?:\{[^{}]*\}|\d+|[a-z])")
_DIFFERENTIAL = re.compile(r"^\s*(?:\\mathrm\s*\{\s*d\s*\}|d)\s*[a-z]\s*=")
_SIDE = re.compile(r"\s*(?:\\(?:text|mathrm|textrm|operatorname)\s*\{\s*)?([LR]\.?\s*H\.?\s*S\.?)\s*\}?\s*",
                   re.I)
_BIG = re.compile(r"\\(sum|prod)(?![A-Za-z])\s*(?:\\(?:no)?limits(?![A-Za-z])\s*)?")
_SUB_INDEX = re.compile(r"\s*([A-Za-z])\s*=\s*(.+?)\s*$", re.S)
_LETTERS = re.compile(r"\\[A-Za-z]+|[A-Za-z]+")
_WORDS = {"sin", "cos", "tan", "cot", "sec", "csc", "ln", "log", "lg", "exp", "sqrt", "abs", "sinh", "cosh", "tanh",
          "arcsin", "arccos", "arctan", "arccot", "asin", "acos", "atan"}
MAX_BIG = 6  # sums and products in one part
_PRODUCT_OF_BIG = re.compile(r"(\\(?:cdot|times)\s*)?\\(?:sum|prod)(?![A-Za-z])\s*(?:\\(?:no)?limits\s*)?"
                             r"(?:\^\s*(?:\{[^{}]*\}|\S)\s*)?_\s*\{?\s*([A-Za-z])")
_NO_SOLUTION = re.compile(r"^\s*(?:\\emptyset|\\varnothing|\\\{\s*\\\}|\\text\s*\{\s*no\s+(?:real\s+)?solutions?"
                          r"\s*\}|no\s+(?:real\s+)?solutions?)\s*$", re.I)


class StepSyntaxError(ValueError):
    """The step's math cannot be read whole; the reason says why."""


@dataclass(frozen=True)
class Integral:
    """An indefinite integral `\\int body \\, d var` inside a step, standing as a placeholder symbol."""

    body: sp.Expr
    var: sp.Symbol


@dataclass
class Part:
    """One side of a relation. `values` has two entries for a `\\pm`; `label` marks `f'(x)`, `dy/dx` (the target)."""

    text: str
    values: tuple[sp.Expr, ...] = ()
    operators: frozenset[str] = frozenset()
    label: bool = False
    denominators: tuple[sp.Expr, ...] = ()
    ordered: bool = False  # a tuple `(2, 1)`: `values` are its entries
    side: str = ""  # "lhs" / "rhs" for the words LHS, RHS (an identity's two sides)


@dataclass
class Piece:
    """A relation chain `p0 = p1 = ...` (ops between parts), a membership `x \\in S`, or a stated empty set."""

    parts: list[Part]
    ops: list[str] = field(default_factory=list)
    member: tuple[sp.Symbol, tuple[sp.Expr, ...]] | None = None
    empty: bool = False


@dataclass
class Statement:
    pieces: list[Piece]
    joiners: list[str]


@dataclass
class StepMath:
    """Everything read from one step: statements in order, and the integrals met (placeholder -> Integral)."""

    statements: list[Statement]
    integrals: dict[sp.Symbol, Integral] = field(default_factory=dict)
    continues: bool = False  # the step began with `=`: its first part is the previous expression


def split_top(s: str, pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    """Split `s` at matches of `pattern` at bracket depth 0: [(separator before, segment)], the first with ''."""
    out: list[tuple[str, str]] = []
    depth, start, sep, i = 0, 0, "", 0
    while i < len(s):
        c = s[i]
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif depth == 0:
            m = pattern.match(s, i)
            if m and m.end() > i:
                out.append((sep, s[start:i]))
                sep = m.group(0)
                start = i = m.end()
                continue
        i += 1
    out.append((sep, s[start:]))
    return out


def _matching(s: str, i: int) -> int:
    """Index just past the group opening at s[i] (`(`, `[`, `{`, or `\\left(`), or -1."""
    depth = 0
    j = i
    while j < len(s):
        if s[j] in _OPEN:
            depth += 1
        elif s[j] in _CLOSE:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return -1


class _Reader:
    """Parses parts, rewriting calculus notation into placeholders the answer parser reads (`\\Xi_{k}`)."""

    def __init__(self) -> None:
        self.integrals: dict[sp.Symbol, Integral] = {}
        self.count = 0

    def placeholder(self) -> tuple[str, sp.Symbol]:
        self.count += 1
        return f"(\\Xi_{{{self.count}}})", sp.Symbol(f"Xi_{self.count}")

    def expr(self, text: str) -> tuple[tuple[sp.Expr, ...], set[str]]:
        """Parse `text` whole into one expression (two for `\\pm`), with the calculus operators it used."""
        ops: set[str] = set()
        subs: dict[sp.Symbol, sp.Expr] = {}
        text = self.rewrite(text, ops, subs)
        try:
            answer, _ = parse_answer(text)
        except (ParseFailure, TooLarge) as exc:
            raise StepSyntaxError(f"cannot read {text.strip()[:60]!r}: {exc}") from None
        if isinstance(answer, Scalar):
            values: tuple[sp.Expr, ...] = (answer.expr,)
        elif isinstance(answer, Solutions) and all(isinstance(i, Scalar) for i in answer.items):
            values = tuple(i.expr for i in answer.items)  # type: ignore[union-attr]
        elif isinstance(answer, Ordered) and answer.left == "(" and all(isinstance(i, Scalar) for i in answer.items):
            ops.add("tuple")
            values = tuple(i.expr for i in answer.items)  # type: ignore[union-attr]
        else:
            raise StepSyntaxError(f"{text.strip()[:60]!r} is not an expression")
        if subs:
            values = tuple(v.xreplace(subs) for v in values)
        return values, ops

    def rewrite(self, text: str, ops: set[str], subs: dict[sp.Symbol, sp.Expr]) -> str:
        big = 0
        for _ in range(20):  # each pass removes one operator; more than 20 in one part is refused below
            m_int, m_der, m_lim = _INT.search(text), _DERIV.search(text), _LIM.search(text)
            m_big = _BIG.search(text)
            found = [m for m in (m_int, m_der, m_lim, m_big) if m is not None]
            if not found:
                return text
            m = min(found, key=lambda mm: mm.start())
            if m is m_big:
                big += 1
                if big > MAX_BIG:
                    raise StepSyntaxError(f"more than {MAX_BIG} sums or products in one expression")
                text = self.big_operator(text, m, ops, subs)
            elif m is m_der:
                text = self.derivative(text, m, ops, subs)
            elif m is m_lim:
                text = self.limit(text, m, ops, subs)
            else:
                text = self.integral(text, m, ops)
        raise StepSyntaxError("too many calculus operators in one expression")

    def _argument(self, text: str, start: int) -> tuple[str, int]:
        """The operand after an operator: a bracketed group, else the rest of the part."""
        j = start
        while j < len(text) and text[j] == " ":
            j += 1
        k = j + 5 if text.startswith("\\left", j) else j
        if k < len(text) and text[k] in "([{":
            end = _matching(text, k)
            if end < 0:
                raise StepSyntaxError("unbalanced brackets after an operator")
            if text.startswith("\\left", j):
                m = _RIGHT.search(text, k)
                if m is None:
                    raise StepSyntaxError("\\left without \\right")
                power = _POWER.match(text, m.end())
                if power:
                    return text[j:power.end()], power.end()
                return text[k + 1:m.start()], m.end()
            power = _POWER.match(text, end)
            if power:  # \frac{d}{dx}(3x^2+1)^4 differentiates the power
                return text[k:power.end()], power.end()
            return text[k + 1:end - 1], end
        end = _group_end(text, j)  # the rest of the enclosing group: `\\frac{x(\\lim_{x\\to 0} f)}{x}` stops at `)`
        return text[j:end], end

    def _script(self, text: str, i: int) -> tuple[str, int]:
        """The group after `_` or `^` at text[i]: `{...}`, a command (`\\infty`), or one character."""
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == "{":
            end = _matching(text, i)
            if end < 0:
                raise StepSyntaxError("unbalanced braces in the bounds of a sum")
            return text[i + 1:end - 1], end
        m = re.compile(r"\\[A-Za-z]+|\w").match(text, i)
        if m is None:
            raise StepSyntaxError("a sum or product without its bounds")
        return m.group(), m.end()

    def big_operator(self, text: str, m: re.Match[str], ops: set[str], subs: dict[sp.Symbol, sp.Expr]) -> str:
        """`\\sum_{k=a}^{b} body` -> a placeholder for `Sum(body, (k, a, b))`, unevaluated (the body is one term:
        it ends at the first `+` or `-` outside brackets, the usual reading)."""
        scripts: dict[str, str] = {}
        i = m.end()
        for _ in range(2):
            j = i
            while j < len(text) and text[j] == " ":
                j += 1
            if j < len(text) and text[j] in "_^" and text[j] not in scripts:
                scripts[text[j]], i = self._script(text, j + 1)
        if set(scripts) != {"_", "^"}:
            raise StepSyntaxError(f"\\{m.group(1)} needs an index with its lower bound and an upper bound")
        index = _SUB_INDEX.fullmatch(scripts["_"])
        if index is None:
            raise StepSyntaxError(f"cannot read the index of \\{m.group(1)}_{{{scripts['_']}}}")
        name = index.group(1)
        lower, upper = self.bound(index.group(2)), self.bound(scripts["^"])
        end = self._body_end(text, i, name)
        body_text = text[i:end].strip()
        if not body_text:
            raise StepSyntaxError(f"\\{m.group(1)} without a body")
        scripts_free = re.sub(r"\\(?:sum|prod)(?![A-Za-z])\s*(?:\\(?:no)?limits\s*)?_\s*\{[^{}]*\}", " ", body_text)
        if re.search(rf"_\s*(?:\{{[^{{}}]*(?<![A-Za-z\\]){name}(?![A-Za-z])|{name}(?![A-Za-z]))", scripts_free):
            # `\sum a_k`: a sequence we know nothing about; reading a_k as one constant would make
            # `\sum a_k = n a_k` true, so the step is left unread (undecided), never judged
            raise StepSyntaxError("sums of an unknown sequence (a subscript holding the index) are not checked")
        token, placeholder = self.placeholder()
        values, inner_ops = self.expr(_rename(body_text, name, token))
        if len(values) != 1:
            raise StepSyntaxError(f"cannot take the {m.group(1)} of a \\pm")
        var = sp.Symbol(name)
        body = values[0].xreplace({placeholder: var})
        ops |= inner_ops
        op = sp.Sum if m.group(1) == "sum" else sp.Product
        token, symbol = self.placeholder()
        subs[symbol] = op(body, (var, lower, upper))
        head = text[:m.start()]
        # `\sin x \sum ...` is (sin x) times the sum, not sin(x * sum): an explicit product after a value
        if re.search(r"[\w)\]}]\s*$", head) and not re.search(r"\\[A-Za-z]+\s*$", head):
            token = "\\cdot " + token
        return head + token + text[end:]

    def bound(self, text: str) -> sp.Expr:
        values, _ = self.expr(text)
        if len(values) != 1:
            raise StepSyntaxError("a bound of a sum must be one expression")
        return values[0]

    @staticmethod
    def _body_end(text: str, i: int, name: str) -> int:
        """Where the body of a sum starting at text[i] ends: at a `+` or `-` outside brackets, before `\\cdot \\sum`
        (a product of two sums), or before a sum over the same index (`\\prod_k 2 \\prod_k k`: two products)."""
        depth, j, first = 0, i, True
        while j < len(text):
            c = text[j]
            if depth == 0 and not first and c == "\\":
                after = _PRODUCT_OF_BIG.match(text, j)
                if after and (after.group(1) or after.group(2) == name):
                    return j
            if c in _OPEN:
                depth += 1
            elif c in _CLOSE:
                depth -= 1
                if depth < 0:
                    return j
            elif depth == 0 and c in "+-" and not first:
                return j
            elif depth == 0 and text.startswith(("\\pm", "\\mp"), j):
                return j
            if not c.isspace():
                first = False
            j += 1
        return j

    def derivative(self, text: str, m: re.Match[str], ops: set[str], subs: dict[sp.Symbol, sp.Expr]) -> str:
        var = sp.Symbol(m.group(1))
        inner, end = self._argument(text, m.end())
        values, inner_ops = self.expr(inner)
        if len(values) != 1:
            raise StepSyntaxError("cannot differentiate a \\pm")
        ops |= inner_ops | {"diff"}
        token, symbol = self.placeholder()
        subs[symbol] = sp.diff(values[0], var)
        return text[:m.start()] + token + text[end:]

    def limit(self, text: str, m: re.Match[str], ops: set[str], subs: dict[sp.Symbol, sp.Expr]) -> str:
        var = sp.Symbol(m.group(1))
        point_text, direction = m.group(2), "+-"
        side = re.search(r"\^\s*\{?\s*([+-])\s*\}?\s*$", point_text)
        if side:
            direction, point_text = side.group(1), point_text[:side.start()]
        point_values, _ = self.expr(point_text)
        nxt = _LIM.search(text, m.end())
        stop = nxt.start() if nxt else len(text)
        inner, end = self._argument(text[:stop], m.end())
        trailing = re.search(r"(\\cdot|\\times|[-+*/])\s*$", inner)
        if trailing and end == stop:
            end -= len(inner) - trailing.start()
            inner = inner[:trailing.start()]
        values, inner_ops = self.expr(inner)
        if len(values) != 1 or len(point_values) != 1:
            raise StepSyntaxError("cannot take the limit of a \\pm")
        value = sp.limit(values[0], var, point_values[0], direction)
        if isinstance(value, sp.Limit) or value.has(sp.AccumBounds):
            raise StepSyntaxError("sympy cannot decide this limit")
        ops |= inner_ops | {"lim"}
        token, symbol = self.placeholder()
        subs[symbol] = value
        return text[:m.start()] + token + text[end:]

    def integral(self, text: str, m: re.Match[str], ops: set[str]) -> str:
        depth = 0
        i = m.end()
        while i < len(text):
            c = text[i]
            if c in _OPEN:
                depth += 1
            elif c in _CLOSE:
                depth -= 1
                if depth < 0:
                    break
            elif depth == 0:
                d = _DVAR.match(text, i)
                if d and (i == m.end() or text[i - 1] in " ,;}\\)" or d.group(0).startswith(("\\", " "))):
                    body_text = text[m.end():i]
                    var = sp.Symbol(d.group(1) or d.group(2))
                    body_text = body_text.strip() or "1"
                    values, inner_ops = self.expr(body_text)
                    if len(values) != 1:
                        raise StepSyntaxError("cannot integrate a \\pm")
                    ops |= inner_ops | {"int"}
                    token, symbol = self.placeholder()
                    self.integrals[symbol] = Integral(values[0], var)
                    return text[:m.start()] + token + text[d.end():]
            i += 1
        raise StepSyntaxError("an integral without its d<variable>")

    def part(self, text: str) -> Part:
        if not text.strip():
            raise StepSyntaxError("an empty side of a relation")
        if _LABEL.match(text):
            return Part(text, (), frozenset(), label=True)
        side = _SIDE.fullmatch(text)
        if side:
            return Part(text, (), frozenset(), side="lhs" if side.group(1).upper().startswith("L") else "rhs")
        values, ops = self.expr(text)
        ordered = "tuple" in ops
        ops.discard("tuple")
        # A division inside a limit is the limit's business; anywhere else it restricts the step's domain (but
        # not a term's denominator inside a sum: `\frac{1}{k(k+1)}` there divides by the index, not a variable).
        dens = written_denominators(text if "lim" not in ops else self.outside_limits(text))
        indices = {lim[0] for v in values for node in v.atoms(sp.Sum, sp.Product) for lim in node.limits}
        if indices:
            dens = tuple(d for d in dens if not d.free_symbols & indices)
        return Part(text, values, frozenset(ops), denominators=dens, ordered=ordered)

    def outside_limits(self, text: str) -> str:
        """`text` with every `\\lim_{x \\to a} argument` replaced by 1: what is left is outside the limits."""
        for _ in range(20):
            m = _LIM.search(text)
            if m is None:
                break
            nxt = _LIM.search(text, m.end())
            _, end = self._argument(text[:nxt.start() if nxt else len(text)], m.end())
            text = text[:m.start()] + " 1 " + text[end:]
        return text

    def piece(self, text: str) -> Piece:
        stripped = text.strip()
        if stripped.startswith("(") and _matching(stripped, 0) == len(stripped) and \
                len(split_top(stripped[1:-1], _REL)) > 1:
            text = stripped[1:-1]  # `(x \ne 0)`: a bracketed condition or relation
        if _NO_SOLUTION.match(text):
            return Piece([], empty=True)
        member = _MEMBER.match(text)
        if member:
            return self.membership(sp.Symbol(member.group(1)), member.group(2))
        chunks = split_top(text, _REL)
        if len(chunks) > MAX_PARTS:
            raise StepSyntaxError(f"more than {MAX_PARTS} relations in one step")
        parts = [self.part(seg) for _, seg in chunks]
        ops = [_REL_NAMES[sep] for sep, _ in chunks[1:]]
        return Piece(parts, ops)

    def membership(self, var: sp.Symbol, text: str) -> Piece:
        if _NO_SOLUTION.match(text):
            return Piece([], member=(var, ()))
        try:
            answer, _ = parse_answer(text)
        except (ParseFailure, TooLarge) as exc:
            raise StepSyntaxError(f"cannot read the set {text.strip()[:60]!r}: {exc}") from None
        if isinstance(answer, RealSet) and isinstance(answer.value, sp.FiniteSet):
            return Piece([], member=(var, tuple(answer.value)))
        if isinstance(answer, RealSet) and answer.value == sp.S.EmptySet:
            return Piece([], member=(var, ()))
        if isinstance(answer, Solutions) and all(isinstance(i, Scalar) for i in answer.items):
            return Piece([], member=(var, tuple(i.expr for i in answer.items)))  # type: ignore[union-attr]
        raise StepSyntaxError("only finite solution sets can be stated with \\in")


def _group_end(text: str, i: int) -> int:
    """Index of the first bracket at text[i:] that closes a group opened before i, or len(text)."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] in _OPEN:
            depth += 1
        elif text[j] in _CLOSE:
            depth -= 1
            if depth < 0:
                return j
    return len(text)


def _rename(text: str, name: str, token: str) -> str:
    """`text` with the letter `name` standing as a variable replaced by `token` (not inside a command such as
    `\\sin` or `\\pi`, not inside a function word, not a subscript such as `a_k`)."""
    out, last = [], 0
    for m in _LETTERS.finditer(text):
        run = m.group()
        if run.startswith("\\") or run in _WORDS or name not in run:
            continue
        out.append(text[last:m.start()])
        out.append("".join(token if ch == name else ch for ch in run))
        last = m.end()
    out.append(text[last:])
    return "".join(out)


_FRAC = re.compile(r"\\[dt]?frac\s*(?=\{)")
_DFRAC = re.compile(r"\\[dt]?frac\s*\{\s*(?:\\mathrm\s*\{\s*d\s*\}|d)\s*[a-zA-Z]?\s*\}\s*"
                    r"\{\s*(?:\\mathrm\s*\{\s*d\s*\}|d)\s*[a-z]\s*\}")
_SLASH = re.compile(r"/\s*(?=[({])|/\s*([A-Za-z])")


def written_denominators(text: str) -> tuple[sp.Expr, ...]:
    """Denominators as written (`\\frac{x(x+1)}{x}` divides by x even though sympy cancels it on sight)."""
    found: list[str] = []
    text = _DFRAC.sub(" ", text)  # d/dx and dy/dx are operators, not divisions
    for m in _FRAC.finditer(text):
        first = _matching(text, m.end())
        if 0 < first < len(text) and text[first] == "{":
            second = _matching(text, first)
            if second > 0:
                found.append(text[first + 1:second - 1])
    for m in _SLASH.finditer(text):
        if m.group(1):
            found.append(m.group(1))
        else:
            end = _matching(text, m.end())
            if end > 0:
                found.append(text[m.end() + 1:end - 1])
    out: list[sp.Expr] = []
    for den in found[:8]:
        if _BIG.search(den):
            continue  # a sum in a denominator: the answer parser would sum it symbolically, with no time bound
        try:
            answer, _ = parse_answer(den)
        except (ParseFailure, TooLarge):
            continue
        if isinstance(answer, Scalar) and answer.expr.free_symbols and answer.expr not in out:
            out.append(answer.expr)
    return tuple(out)


def read_step(math: str) -> StepMath:
    """Read one step's math, or raise StepSyntaxError with the reason."""
    if len(math) > MAX_STEP_CHARS:
        raise StepSyntaxError(f"the step is {len(math)} characters long, over the limit of {MAX_STEP_CHARS}")
    if not math.strip():
        raise StepSyntaxError("the step is empty")
    reader = _Reader()
    statements = []
    stripped = math.strip()
    continues = stripped.startswith("=") and not stripped.startswith("==")
    if continues:
        math = stripped[1:]
    for _, stmt in split_top(math, _IMPLIES):
        if not stmt.strip() or _DIFFERENTIAL.match(stmt):
            continue  # du = 2x dx: notation of a substitution, nothing to check
        chunks = split_top(stmt, _JOIN)
        pieces, joiners = [], []
        for sep, seg in chunks:
            if not seg.strip():
                continue
            pieces.append(reader.piece(seg))
            joiners.append(_joiner(sep))
        if pieces:
            statements.append(Statement(pieces, joiners[1:]))
    if not statements:
        raise StepSyntaxError("the step has no math")
    return StepMath(statements, reader.integrals, continues)


def _joiner(sep: str) -> str:
    s = sep.lower()
    if "or" in s:
        return "or"
    if "and" in s:
        return "and"
    return ","

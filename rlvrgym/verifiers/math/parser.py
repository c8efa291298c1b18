"""A restricted parser for final answers, LaTeX and plain text, building sympy objects directly.

Why our own instead of sympy's `parse_latex`/`parse_expr` or latex2sympy: `parse_expr` is `eval`, and the ANTLR-based
LaTeX parsers recover from errors by dropping input (`1-\\frac{1}{\\mathrm{e}}` read as `1`), which turns unreadable
answers into matches. This grammar either consumes the whole answer or fails, never evaluates Python, and guards
sizes (length, nesting, exponents, factorials) before sympy does any arithmetic.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from rlvrgym.verifiers.math.answers import (
    Answer,
    Equation,
    Inequality,
    MatrixAnswer,
    Ordered,
    ParseFailure,
    ParseInfo,
    RealSet,
    Scalar,
    Solutions,
    TextAnswer,
    TooLarge,
)
from rlvrgym.verifiers.math.normalize import normalize

MAX_CHARS = 1000
MAX_TOKENS = 600
MAX_DEPTH = 40
MAX_EXPONENT = 10_000  # largest exponent of an exact number we build
MAX_BITS = 200_000  # largest exact integer we build (~60,000 digits)
MAX_FACTORIAL = 5_000

PM = sp.Symbol("__pm__")  # stands for the sign of \pm until the answer is split into its two values

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+(?![\d.]))?)
  | (?P<cmd>\\(?:[A-Za-z]+|.))
  | (?P<word>[A-Za-z]+)
  | (?P<op>\*\*|<=|>=|!=|=<|=>|[-+*/^_()\[\]{},;|!=<>&:'])
""", re.X)

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
         "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi",
         "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega"}

FUNCTIONS: dict[str, Callable[..., sp.Expr]] = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "cot": sp.cot, "sec": sp.sec, "csc": sp.csc,
    "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "asin": sp.asin, "acos": sp.acos, "atan": sp.atan,
    "arccot": sp.acot, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "exp": sp.exp, "ln": sp.log,
    "log": sp.log, "lg": lambda x: sp.log(x, 10), "sqrt": sp.sqrt, "abs": sp.Abs,
}
INVERSE = {"sin": sp.asin, "cos": sp.acos, "tan": sp.atan}
RELATIONS = {"=": "=", "==": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "=<": "<=", "=>": ">=", "!=": "!=",
             r"\le": "<=", r"\leq": "<=", r"\leqslant": "<=", r"\ge": ">=", r"\geq": ">=", r"\geqslant": ">=",
             r"\ne": "!=", r"\neq": "!=", r"\lt": "<", r"\gt": ">", r"\approx": "≈", r"\eq": "=", r"\simeq": "≈",
             r"\thickapprox": "≈", r"\doteq": "≈"}
MULTIPLY = {"*", r"\cdot", r"\times", r"\ast"}
DIVIDE = {"/", r"\div"}
TEXT_WRAPPERS = {r"\text", r"\textrm", r"\textnormal", r"\mathrm", r"\mbox", r"\textup", r"\mathit", r"\textit",
                 r"\mathbf", r"\textbf", r"\boldsymbol", r"\bm", r"\mathsf", r"\textsf", r"\operatorname",
                 r"\mathnormal", r"\pmb"}
MATRIX_ENVS = {"pmatrix", "bmatrix", "matrix", "Bmatrix", "smallmatrix", "array"}


@dataclass
class Token:
    kind: str
    text: str


@dataclass
class _Bracket:
    items: list[_Item]
    left: str
    right: str


@dataclass
class _SetLiteral:
    items: list[_Item]


@dataclass
class _Relation:
    parts: list[object]
    ops: list[str]
    decimals: list[list[sp.Rational]] = field(default_factory=list)  # the decimal literals of each part


@dataclass
class _Member:
    symbol: sp.Symbol
    value: object


@dataclass
class _Item:
    node: object
    decimals: list[sp.Rational]
    unevaluated: list[str]


def tokenize(s: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if m is None:
            raise ParseFailure(f"unexpected character {s[pos]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            tokens.append(Token(m.lastgroup or "", m.group()))
        if len(tokens) > MAX_TOKENS:
            raise ParseFailure(f"answer has more than {MAX_TOKENS} tokens")
    return tokens


def make_pow(base: sp.Expr, exp: sp.Expr) -> sp.Expr:
    """`base**exp` with the size guard: 10^{10^{10}} is refused here instead of being computed."""
    if exp.is_Number and base.is_Number and base not in (sp.S.Zero, sp.S.One, sp.S.NegativeOne):
        if abs(exp) > MAX_EXPONENT:
            raise TooLarge("exponent too large to check exactly")
        if exp.is_Integer and base.is_Rational:
            size = max(abs(base.p), abs(base.q)).bit_length()
            if size * abs(int(exp)) > MAX_BITS:
                raise TooLarge("number too large to check exactly")
    elif exp.is_Number and abs(exp) > 10**6:
        raise TooLarge("exponent too large to check")
    return sp.Pow(base, exp)


def _real_root(arg: sp.Expr, n: sp.Expr) -> sp.Expr:
    if n.is_Integer and int(n) % 2 == 1 and arg.is_number and arg.is_extended_negative:
        return -sp.root(-arg, n)  # the real odd root, as a reader means \sqrt[3]{-8} = -2
    return sp.root(arg, n)


class Parser:
    """Recursive descent over tokens: items separated by commas/`or`, relations, sums, products, powers."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.abs_depth = 0
        self.decimals: list[sp.Rational] = []
        self.unevaluated: list[str] = []
        self.scientific = False  # the factor just parsed was a power of ten (3 \times 10^8 is notation)

    # -- token helpers ---------------------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.text in texts

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise ParseFailure("answer ends too early")
        self.pos += 1
        return tok

    def expect(self, text: str) -> Token:
        tok = self.next()
        if tok.text != text:
            raise ParseFailure(f"expected {text!r}, found {tok.text!r}")
        return tok

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseFailure(f"answer is nested more than {MAX_DEPTH} levels deep")

    def leave(self) -> None:
        self.depth -= 1

    # -- top level -------------------------------------------------------------------------------------------
    def parse_items(self) -> list[_Item]:
        items = [self.parse_item()]
        while self.peek() is not None:
            tok = self.next()
            if tok.text in (",", ";") or tok.text.lower() in ("or", "and"):
                items.append(self.parse_item())
            else:
                raise ParseFailure(f"unexpected {tok.text!r}")
        return items

    def parse_item(self) -> _Item:
        start_dec, start_unev = len(self.decimals), len(self.unevaluated)
        node = self.parse_relation()
        return _Item(node, self.decimals[start_dec:], self.unevaluated[start_unev:])

    def parse_relation(self) -> object:
        start = len(self.decimals)
        first = self.parse_setexpr()
        if self.at(r"\in"):
            self.next()
            if not isinstance(first, sp.Symbol):
                raise ParseFailure(r"\in needs a variable on its left")
            return _Member(first, self.parse_setexpr())
        parts, ops = [first], []
        marks = [start, len(self.decimals)]
        while (tok := self.peek()) is not None and tok.text in RELATIONS:
            self.next()
            ops.append(RELATIONS[tok.text])
            parts.append(self.parse_setexpr())
            marks.append(len(self.decimals))
        if not ops:
            return first
        return _Relation(parts, ops, [self.decimals[a:b] for a, b in itertools.pairwise(marks)])

    def parse_setexpr(self) -> object:
        node = self.parse_additive()
        while self.at(r"\cup", r"\cap", r"\setminus"):
            op = self.next().text
            right = self.parse_additive()
            node = ("union" if op == r"\cup" else "intersection" if op == r"\cap" else "minus", node, right)
        return node

    # -- arithmetic ------------------------------------------------------------------------------------------
    @staticmethod
    def scalar(node: object, what: str) -> sp.Expr:
        if isinstance(node, sp.Expr):
            return node
        raise ParseFailure(f"cannot {what} a {type(node).__name__.strip('_').lower()}")

    def parse_additive(self) -> object:
        node = self.parse_term()
        while self.at("+", "-", r"\pm", r"\mp"):
            op = self.next().text
            right = self.scalar(self.parse_term(), "add")
            left = self.scalar(node, "add")
            sign = {"+": 1, "-": -1, r"\pm": PM, r"\mp": -PM}[op]
            self.note_arithmetic(left, right)
            node = sp.Add(left, sign * right)
        return node

    def note_arithmetic(self, left: sp.Expr, right: sp.Expr, *, fraction: bool = False) -> None:
        """Record arithmetic on two numbers left for the reader (`18 - 13`): `require_evaluated` rejects it when
        the reference is a plain number. A fraction in lowest terms (`3/4`) and `a \\times 10^k` are notations."""
        if not (left.is_number and right.is_number) or left.has(PM) or right.has(PM):
            return
        if fraction and left.is_Integer and right.is_Integer and right > 1 and sp.gcd(left, right) == 1:
            return
        if right.is_Integer and right > 1 and sp.log(right, 10).is_Integer and self.scientific:
            return
        self.unevaluated.append("arithmetic")

    def parse_term(self) -> object:
        node = self.parse_unary()
        while True:
            tok = self.peek()
            if tok is None:
                return node
            if tok.text in MULTIPLY or tok.text in DIVIDE:
                self.next()
                right = self.scalar(self.parse_unary(), "multiply")
                left = self.scalar(node, "multiply")
                if tok.text in DIVIDE:
                    if right == 0:
                        raise ParseFailure("division by zero")
                    self.note_arithmetic(left, right, fraction=True)
                    node = sp.Mul(left, sp.Pow(right, -1))
                else:
                    self.note_arithmetic(left, right)
                    node = sp.Mul(left, right)
            elif self.starts_factor(tok):
                right = self.scalar(self.parse_power(), "multiply")
                left = self.scalar(node, "multiply")
                self.note_arithmetic(left, right)
                node = sp.Mul(left, right)
            else:
                return node

    def starts_factor(self, tok: Token, allow_functions: bool = True) -> bool:
        """Can `tok` begin an implicitly multiplied factor (`2x`, `x\\sqrt2`, `3(x+1)`)?"""
        if tok.kind == "word":
            return tok.text.lower() not in ("or", "and") and (allow_functions or tok.text not in FUNCTIONS)
        if tok.kind == "cmd":
            name = tok.text[1:]
            if name in FUNCTIONS or name in ("log", "ln", "exp"):
                return allow_functions
            return name in GREEK or name in ("frac", "sqrt", "pi", "binom", "lfloor", "lceil", "infty", "mathrm",
                                              "text", "operatorname", "mathbf", "exp", "e", "imath")
        if tok.text == "|":
            return self.abs_depth == 0
        return tok.text in ("(", "{")

    def parse_unary(self) -> object:
        if self.at("-", "+", r"\pm", r"\mp"):
            op = self.next().text
            operand = self.scalar(self.parse_unary(), "negate")
            return {"-": -operand, "+": operand, r"\pm": PM * operand, r"\mp": -PM * operand}[op]
        return self.parse_power()

    def parse_power(self) -> object:
        node = self.parse_postfix()
        if self.at("^", "**"):
            self.next()
            exponent = self.parse_exponent()
            base = self.scalar(node, "raise")
            self.scientific = base == 10
            if base != 10:
                self.note_arithmetic(base, exponent)
            node = make_pow(base, exponent)
            node = self.parse_factorials(node)
        else:
            self.scientific = False
        return node

    def parse_exponent(self) -> sp.Expr:
        if self.at("{"):
            return self.scalar(self.parse_group(), "use as an exponent")
        self.enter()
        try:
            return self.scalar(self.parse_unary(), "use as an exponent")
        finally:
            self.leave()

    def parse_postfix(self) -> object:
        return self.parse_factorials(self.parse_primary())

    def parse_factorials(self, node: object) -> object:
        while self.at("!"):
            self.next()
            arg = self.scalar(node, "take the factorial of")
            if arg.is_Number and (not arg.is_Integer or arg < 0):
                raise ParseFailure("factorial of a number that is not a non-negative integer")
            if arg.is_Integer and arg > MAX_FACTORIAL:
                raise TooLarge("factorial too large to check exactly")
            self.unevaluated.append("factorial")
            node = sp.factorial(arg)
        return node

    # -- primaries -------------------------------------------------------------------------------------------
    def parse_group(self) -> object:
        """A LaTeX brace group `{...}` holding one expression."""
        self.expect("{")
        self.enter()
        node = self.parse_relation()
        self.expect("}")
        self.leave()
        return node

    def parse_number(self, text: str) -> sp.Expr:
        if "e" in text.lower():
            mantissa, exponent = re.split("[eE]", text)
            exp10 = int(exponent)
        else:
            mantissa, exp10 = text, 0
        if mantissa.endswith("."):
            mantissa = mantissa[:-1]
        if abs(exp10) > 1000:
            raise TooLarge("decimal exponent too large")
        digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
        value = sp.Rational(mantissa) * sp.Integer(10) ** exp10
        if digits or exp10:
            self.decimals.append(sp.Integer(10) ** (exp10 - digits))
        return value

    def parse_letters(self, word: str) -> sp.Expr:
        """A run of letters: a plain-text function or constant, else single-letter variables multiplied. Only the
        first letter is taken here and the rest goes back to the token stream, so `ab^2` is a·b², not (ab)²."""
        lower = word.lower()
        if word in FUNCTIONS:
            return self.parse_function(word)
        if lower in ("pi",):
            return sp.pi
        if lower in ("inf", "infty", "infinity", "oo"):
            return sp.oo
        if len(word) > 3:
            raise ParseFailure(f"unknown word {word!r}")
        if len(word) > 1:
            self.tokens.insert(self.pos, Token("word", word[1:]))
            return self.letter(word[0], subscript=False)
        return self.letter(word)

    def letter(self, ch: str, subscript: bool = True) -> sp.Expr:
        if ch == "e" and not (subscript and self.at("_")):
            return sp.E
        if ch == "i" and not (subscript and self.at("_")):
            return sp.I
        name = ch
        if subscript and self.at("_"):
            self.next()
            name += "_" + self.subscript_text()
        return sp.Symbol(name)

    def subscript_text(self) -> str:
        if self.at("{"):
            self.next()
            parts = []
            while not self.at("}"):
                tok = self.next()
                if tok.text in ("{", "("):
                    raise ParseFailure("nested subscript")
                parts.append(tok.text.lstrip("\\"))
            self.next()
            return "".join(parts)
        tok = self.next()
        if tok.kind == "num":
            self.split_token(tok, 1)
            return tok.text[0]
        return tok.text.lstrip("\\")

    def split_token(self, tok: Token, keep: int) -> None:
        """Keep the first `keep` characters of the token just read and push the rest back (`\\frac12`)."""
        rest = tok.text[keep:]
        if rest:
            kind = "num" if rest[0].isdigit() or rest[0] == "." else "word"
            self.tokens.insert(self.pos, Token(kind, rest))

    def parse_command_arg(self) -> sp.Expr:
        """An argument of \\frac, \\sqrt, \\binom: a brace group, or TeX's single character or command."""
        tok = self.peek()
        if tok is None:
            raise ParseFailure("a command is missing its argument")
        if tok.text == "{":
            return self.scalar(self.parse_group(), "use as an argument")
        if tok.text == "(":
            return self.scalar(self.parse_primary(), "use as an argument")
        self.next()
        if tok.kind == "num":
            self.split_token(tok, 1)
            return sp.Integer(int(tok.text[0])) if tok.text[0].isdigit() else self.fail_arg()
        if tok.kind == "word":
            self.split_token(tok, 1)
            return self.letter(tok.text[0])
        if tok.kind == "cmd":
            self.pos -= 1
            return self.scalar(self.parse_primary(), "use as an argument")
        return self.fail_arg()

    @staticmethod
    def fail_arg() -> sp.Expr:
        raise ParseFailure("a command has an argument that cannot be read")

    def parse_function(self, name: str) -> sp.Expr:
        power: sp.Expr | None = None
        base: sp.Expr | None = None
        if name == "log" and self.at("_"):
            self.next()
            base = self.scalar(self.parse_group(), "use as a base") if self.at("{") else self.parse_command_arg()
        if self.at("^"):
            self.next()
            power = self.parse_exponent()
        if self.at("("):
            arg = self.scalar(self.parse_primary(), "apply a function to")
        elif self.at("{"):
            arg = self.scalar(self.parse_group(), "apply a function to")
        else:
            # \sin 2x is sin(2x); \sin x \cos x is sin(x)*cos(x): the argument stops at the next function.
            tok = self.peek()
            if tok is None or not (self.starts_factor(tok) or tok.kind == "num"):
                raise ParseFailure(f"function {name} has no argument")
            arg = self.scalar(self.parse_power(), "apply a function to")
            while (tok := self.peek()) is not None and self.starts_factor(tok, allow_functions=False):
                arg = sp.Mul(arg, self.scalar(self.parse_power(), "apply a function to"))
        if arg.is_number:
            self.unevaluated.append("function")
        if power is not None and power == -1 and name in INVERSE:
            return INVERSE[name](arg)
        value = sp.log(arg, base) if base is not None else FUNCTIONS[name](arg)
        return make_pow(value, power) if power is not None else value

    def parse_primary(self) -> object:
        tok = self.next()
        if tok.kind == "num":
            return self.parse_number(tok.text)
        if tok.kind == "word":
            return self.parse_letters(tok.text)
        if tok.text == "(" or tok.text == "[":
            return self.parse_bracket(tok.text)
        if tok.text == "{":
            if self._braces_hold_a_list():
                return _SetLiteral(self.parse_delimited("}"))  # {2, 6} in plain text: a set
            self.pos -= 1
            return self.parse_group()
        if tok.text == "|":
            self.enter()
            self.abs_depth += 1
            inner = self.scalar(self.parse_additive(), "take the absolute value of")
            self.expect("|")
            self.abs_depth -= 1
            self.leave()
            return sp.Abs(inner)
        if tok.kind == "cmd":
            return self.parse_command(tok.text)
        raise ParseFailure(f"unexpected {tok.text!r}")

    def _braces_hold_a_list(self) -> bool:
        """Does the brace group just opened hold a comma at its own level (`{2, 6}`)?"""
        depth = 0
        for tok in self.tokens[self.pos:]:
            if tok.text in ("{", "(", "[", r"\{"):
                depth += 1
            elif tok.text in ("}", ")", "]", r"\}"):
                if depth == 0:
                    return False
                depth -= 1
            elif tok.text == "," and depth == 0:
                return True
        return False

    def parse_bracket(self, left: str) -> object:
        self.enter()
        items = [self.parse_item()]
        while self.at(","):
            self.next()
            items.append(self.parse_item())
        right = self.next().text
        self.leave()
        if right not in (")", "]"):
            raise ParseFailure(f"bracket {left!r} closed by {right!r}")
        if len(items) == 1:
            if (left, right) not in (("(", ")"), ("[", "]")):
                raise ParseFailure(f"single value in mixed brackets {left}{right}")
            return items[0].node
        return _Bracket([i for i in items], left, right)

    def parse_delimited(self, close: str) -> list[_Item]:
        self.enter()
        items: list[_Item] = []
        if not self.at(close):
            items.append(self.parse_item())
            while self.at(","):
                self.next()
                items.append(self.parse_item())
        self.expect(close)
        self.leave()
        return items

    def parse_command(self, cmd: str) -> object:
        name = cmd[1:]
        if name == "frac":
            num = self.parse_command_arg()
            den = self.parse_command_arg()
            if den == 0:
                raise ParseFailure("division by zero")
            self.note_arithmetic(num, den, fraction=True)
            return sp.Mul(num, sp.Pow(den, -1))
        if name == "sqrt":
            if self.at("["):
                self.next()
                n = self.scalar(self.parse_additive(), "use as a root index")
                self.expect("]")
                arg = self.parse_command_arg()
                value = _real_root(arg, n)
            else:
                arg = self.parse_command_arg()
                value = sp.sqrt(arg)
            if arg.is_number and value.is_Rational:
                self.unevaluated.append("arithmetic")  # \sqrt{16} is 4 left unevaluated
            return value
        if name == "repeatingdecimal":  # written by normalize() for 0.\\overline{6} and the other notations
            num, den = self.raw_group(), self.raw_group()
            if not (num.isdigit() and den.isdigit() and int(den) > 0):
                raise ParseFailure("a malformed repeating decimal")
            self.unevaluated.append("repeating decimal")
            return sp.Rational(int(num), int(den))
        if name == "binom":
            n, k = self.parse_command_arg(), self.parse_command_arg()
            if n.is_Integer and n > 100_000:
                raise TooLarge("binomial too large to check exactly")
            self.unevaluated.append("binomial")
            return sp.binomial(n, k)
        if name in FUNCTIONS:
            return self.parse_function(name)
        if name == "pi":
            return sp.pi
        if name == "infty":
            return sp.oo
        if name in ("e",):
            return sp.E
        if name == "imath":
            return sp.I
        if name in GREEK:
            sym = sp.Symbol(name)
            if self.at("_"):
                self.next()
                sym = sp.Symbol(f"{name}_{self.subscript_text()}")
            return sym
        if name in ("{", "lbrace"):
            return _SetLiteral(self.parse_delimited(r"\}" if name == "{" else r"\rbrace"))
        if name == "langle":
            return _Bracket(self.parse_delimited(r"\rangle"), "<", ">")
        if name in ("lfloor", "lceil"):
            self.enter()
            inner = self.scalar(self.parse_additive(), "round")
            self.expect(r"\rfloor" if name == "lfloor" else r"\rceil")
            self.leave()
            return sp.floor(inner) if name == "lfloor" else sp.ceiling(inner)
        if name in ("lvert", "vert", "|"):
            self.enter()
            inner = self.scalar(self.parse_additive(), "take the absolute value of")
            self.expect({"lvert": r"\rvert", "vert": r"\vert", "|": r"\|"}[name])
            self.leave()
            return sp.Abs(inner)
        if name in ("emptyset", "varnothing"):
            return sp.S.EmptySet
        if name == "mathbb":
            inner = self.raw_group()
            if inner in ("R",):
                return sp.S.Reals
            raise ParseFailure(f"unsupported set \\mathbb{{{inner}}}")
        if cmd in TEXT_WRAPPERS:
            return self.parse_wrapped_text(cmd)
        if name == "begin":
            return self.parse_matrix()
        if name in ("sum", "prod"):
            return self.parse_big_operator(name)
        raise ParseFailure(f"unsupported command {cmd}")

    def raw_group(self) -> str:
        self.expect("{")
        parts = []
        while not self.at("}"):
            parts.append(self.next().text)
        self.next()
        return " ".join(parts)

    def parse_wrapped_text(self, cmd: str) -> sp.Expr:
        """`\\mathrm{e}`, `\\text{x}`, `\\operatorname{sin}`, `\\mathbf{v}`: unwrap what is still math."""
        start = self.pos
        content = self.raw_group().replace(" ", "")
        if content in FUNCTIONS:
            return self.parse_function(content)
        if re.fullmatch(r"[A-Za-z]", content):
            return self.letter(content)
        # Anything else (words, formulas inside \text) is re-read as math only if it is a formula in braces.
        self.pos = start
        return self.scalar(self.parse_group(), "read")

    def parse_matrix(self) -> sp.ImmutableMatrix:
        env = self.raw_group()
        if env not in MATRIX_ENVS:
            raise ParseFailure(f"unsupported environment {env!r}")
        if env == "array" and self.at("{"):
            self.raw_group()  # column spec
        rows: list[list[sp.Expr]] = [[]]
        self.enter()
        while True:
            if self.at(r"\end"):
                break
            rows[-1].append(self.scalar(self.parse_additive(), "put in a matrix"))
            if self.at("&"):
                self.next()
            elif self.at("\\\\"):
                self.next()
                if not self.at(r"\end"):
                    rows.append([])
            elif not self.at(r"\end"):
                raise ParseFailure(f"unexpected {self.next().text!r} in a matrix")
        self.next()
        if self.raw_group() != env:
            raise ParseFailure("matrix environment closed by another name")
        self.leave()
        rows = [r for r in rows if r]
        if not rows or len({len(r) for r in rows}) != 1:
            raise ParseFailure("matrix rows have different lengths")
        return sp.ImmutableMatrix(rows)

    def parse_big_operator(self, name: str) -> sp.Expr:
        """\\sum_{k=1}^{n} f(k) and \\prod, evaluated when the bounds are small integers."""
        self.expect("_")
        self.expect("{")
        var = self.letter(self.next().text) if (tok := self.peek()) and tok.kind == "word" else self.fail_arg()
        self.expect("=")
        lower = self.scalar(self.parse_additive(), "use as a bound")
        self.expect("}")
        self.expect("^")
        upper = self.parse_exponent() if not self.at("{") else self.scalar(self.parse_group(), "use as a bound")
        body = self.scalar(self.parse_term(), "sum")
        if not isinstance(var, sp.Symbol):
            raise ParseFailure("summation index must be a variable")
        if lower.is_Integer and upper.is_Integer and int(upper) - int(lower) > 10_000:
            raise TooLarge("sum with too many terms")
        self.unevaluated.append("sum" if name == "sum" else "product")
        op = sp.Sum if name == "sum" else sp.Product
        return op(body, (var, lower, upper)).doit()


# -- from parse nodes to answers ----------------------------------------------------------------------------
def _split_pm(expr: sp.Expr) -> list[sp.Expr]:
    if isinstance(expr, sp.Basic) and expr.has(PM):
        return [expr.subs(PM, 1), expr.subs(PM, -1)]
    return [expr]


def _check_defined(expr: sp.Expr) -> sp.Expr:
    if expr.has(sp.zoo, sp.nan):
        raise ParseFailure("the answer has an undefined value (division by zero)")
    return expr


def _scalar(expr: sp.Expr, item: _Item) -> Scalar:
    expr = _check_defined(expr)
    quantum = None
    if len(item.decimals) == 1 and expr.is_Number:
        quantum = item.decimals[0]
    return Scalar(expr, quantum=quantum, inexact=bool(item.decimals) and quantum is None,
                  unevaluated=tuple(item.unevaluated))


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "!=": "!="}


def _relation_to_set(rel: Inequality) -> sp.Set:
    symbols = (rel.lhs - rel.rhs).free_symbols
    if len(symbols) != 1:
        raise ParseFailure("an inequality answer must have exactly one variable")
    (var,) = symbols
    # x > 2 and 2 < x, the common forms, need no solver.
    for side, bound, op in ((rel.lhs, rel.rhs, rel.op), (rel.rhs, rel.lhs, _FLIP[rel.op])):
        if side == var and bound.is_number and bound.is_extended_real:
            return {"<": sp.Interval.open(-sp.oo, bound), "<=": sp.Interval(-sp.oo, bound),
                    ">": sp.Interval.open(bound, sp.oo), ">=": sp.Interval(bound, sp.oo),
                    "!=": sp.Union(sp.Interval.open(-sp.oo, bound), sp.Interval.open(bound, sp.oo))}[op]
    op = {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge, "!=": sp.Ne}[rel.op]
    real = sp.Symbol(var.name, real=True)
    expr = op(rel.lhs.subs(var, real), rel.rhs.subs(var, real))
    if expr is sp.true:
        return sp.S.Reals
    if expr is sp.false:
        return sp.S.EmptySet
    solved = sp.solve_univariate_inequality(expr, real, relational=False)
    return solved.subs(real, var) if solved.has(real) else solved


def _convert(node: object, item: _Item) -> list[Answer]:
    """One parsed item -> one or more answers (\\pm splits one item into two)."""
    if isinstance(node, sp.Set):
        return [RealSet(node)]
    if isinstance(node, sp.ImmutableMatrix):
        return [MatrixAnswer(node)]
    if isinstance(node, sp.Expr):
        return [_scalar(e, item) for e in _split_pm(node)]
    if isinstance(node, _Bracket):
        values = [_single(_convert(i.node, i), "tuple element") for i in node.items]
        return [Ordered(tuple(values), node.left, node.right)]
    if isinstance(node, _SetLiteral):
        members: list[Answer] = []
        for i in node.items:
            members.extend(_convert(i.node, i))
        return [Solutions(tuple(members))]
    if isinstance(node, tuple):
        op, left, right = node
        sets = [_as_set(_single(_convert(n, item), "set operand")) for n in (left, right)]
        combined = {"union": sp.Union, "intersection": sp.Intersection, "minus": sp.Complement}[op](*sets)
        return [RealSet(combined)]
    if isinstance(node, _Member):
        return [RealSet(_as_set(_single(_convert(node.value, item), "set")))]
    if isinstance(node, _Relation):
        return _convert_relation(node, item)
    raise ParseFailure(f"cannot read {type(node).__name__} as an answer")


def _convert_relation(node: _Relation, item: _Item) -> list[Answer]:
    if "≈" in node.ops:
        node, item = _drop_approximations(node, item)
        if not node.ops:
            return _convert(node.parts[0], item)
    names, values = node.parts[0], node.parts[-1]
    if len(node.parts) == 2 and node.ops == ["="] and isinstance(names, _Bracket) and isinstance(values, _Bracket):
        if all(isinstance(i.node, sp.Symbol) for i in names.items) and len(names.items) == len(values.items):
            return _convert(values, item)  # (a, b) = (1, -2): the tuple of values, in the order named
        raise ParseFailure("a tuple equation must name one variable per value")
    if len(node.parts) == 2 and node.ops == ["="] and isinstance(node.parts[0], sp.Symbol) and \
            isinstance(node.parts[1], (_SetLiteral, _Bracket)):
        return _convert(node.parts[1], item)  # S = \\{2, 6\\}, P = (1, 2): the set or point named
    parts = [Parser.scalar(p, "compare") for p in node.parts]
    if all(op == "=" for op in node.ops):
        # x = 2 + 3 = 5: the chain's first and last sides carry the claim.
        lhs, rhs = _check_defined(parts[0]), _check_defined(parts[-1])
        return [Equation(lhs_i, rhs_i) for lhs_i in _split_pm(lhs) for rhs_i in _split_pm(rhs)] \
            if lhs.has(PM) or rhs.has(PM) else [Equation(lhs, rhs)]
    if "=" in node.ops:
        raise ParseFailure("a chain mixes = with inequalities")
    result: sp.Set = sp.S.Reals
    solved = True
    for (left, right), op in zip(itertools.pairwise(parts), node.ops, strict=True):
        result = sp.Intersection(result, _relation_to_set(Inequality(left, op, right)))
        solved = solved and _is_solved(left, right)
    return [RealSet(result, unevaluated=() if solved else ("unsolved inequality",))]


def _drop_approximations(node: _Relation, item: _Item) -> tuple[_Relation, _Item]:
    """`\\frac13 \\approx 0.333`: the claim is the exact side before the first `\\approx`; the approximations
    after it must agree with it to their last written digit, else the answer states two values (a hedge, refused).
    `x \\approx 2.5` is the assignment `x = 2.5`."""
    k = node.ops.index("≈")
    head = node.parts[k]
    if k == 0 and isinstance(head, sp.Symbol):
        ops = ["=" if op == "≈" else op for op in node.ops[:1]]
        kept = node.decimals[:2]
        return _Relation(node.parts[:2], ops, kept), _Item(node, [d for ds in kept for d in ds], item.unevaluated)
    exact = Parser.scalar(head, "approximate")
    for part, decimals in zip(node.parts[k + 1:], node.decimals[k + 1:], strict=False):
        approx = Parser.scalar(part, "use as an approximation")
        if not (exact.is_number and approx.is_number):
            continue
        unit = float(min(decimals)) if decimals else 1.0
        try:
            e, a = complex(sp.N(exact, 30)), complex(sp.N(approx, 30))
        except (TypeError, ValueError):
            raise ParseFailure("the approximation cannot be checked against the exact value") from None
        gap = abs(e - a)
        rounded = gap <= unit / 2 * (1 + 1e-9)
        truncated = abs(a) <= abs(e) and gap < unit  # 0.666 for 2/3: digits cut, not rounded
        if not (rounded or truncated):
            raise ParseFailure(f"the approximation {sp.sstr(approx)} does not match the exact value "
                               f"{sp.sstr(exact)}: two different values")
    kept = node.decimals[:k + 1]
    return (_Relation(node.parts[:k + 1], node.ops[:k], kept),
            _Item(node, [d for ds in kept for d in ds], item.unevaluated))


def _is_solved(left: sp.Expr, right: sp.Expr) -> bool:
    """`x > 4` is solved; `2x - 3 > 5`, the question copied back, is not."""
    return any(isinstance(a, sp.Symbol) and b.is_number and not b.has(PM) for a, b in ((left, right), (right, left)))


def _single(answers: list[Answer], what: str) -> Answer:
    if len(answers) != 1:
        raise ParseFailure(f"a {what} cannot hold \\pm")
    return answers[0]


def _as_set(answer: Answer) -> sp.Set:
    if isinstance(answer, RealSet):
        return answer.value
    if isinstance(answer, Ordered) and len(answer.items) == 2 and answer.left in "([" and answer.right in ")]":
        lo, hi = answer.items
        if isinstance(lo, Scalar) and isinstance(hi, Scalar):
            return sp.Interval(lo.expr, hi.expr, left_open=answer.left == "(", right_open=answer.right == ")")
    if isinstance(answer, Solutions) and all(isinstance(i, Scalar) for i in answer.items):
        return sp.FiniteSet(*[i.expr for i in answer.items if isinstance(i, Scalar)])
    raise ParseFailure("expected an interval or a set")


def combine(answers: list[Answer]) -> Answer:
    """Several comma/or-separated answers -> one answer: a tuple of assignments, a union, or a set."""
    if len(answers) == 1:
        return answers[0]
    if all(isinstance(a, Equation) and a.assigned is not None for a in answers):
        names = [a.assigned for a in answers]  # type: ignore[union-attr]
        if len(set(names)) == len(names):
            return Ordered(tuple(Scalar(a.value) for a in answers), "", "",  # type: ignore[union-attr]
                           names=tuple(n.name for n in names))  # type: ignore[union-attr]
    if all(isinstance(a, RealSet) for a in answers):
        return RealSet(sp.Union(*[a.value for a in answers]))  # type: ignore[union-attr]
    return Solutions(tuple(answers))


def parse_answer(text: str, *, join_thousands: bool = True) -> tuple[Answer, ParseInfo]:
    """Parse a final answer whole, or raise ParseFailure / TooLarge. Never truncates."""
    if len(text) > MAX_CHARS:
        raise ParseFailure(f"answer is {len(text)} characters long, over the limit of {MAX_CHARS}")
    info = ParseInfo()
    s = normalize(text, join_thousands=join_thousands, dropped=info.dropped)
    if not s:
        raise ParseFailure("the answer is empty")
    if s.count("{") != s.count("}") or s.count("(") + s.count("[") < 0:
        raise ParseFailure("unbalanced braces")
    parser = Parser(tokenize(s))
    try:
        items = parser.parse_items()
    except RecursionError:
        raise ParseFailure("answer is nested too deeply") from None
    info.decimals = parser.decimals
    info.unevaluated = parser.unevaluated
    answers: list[Answer] = []
    for item in items:
        answers.extend(_convert(item.node, item))
    return combine(answers), info


_WORDS = re.compile(r"^[A-Za-z][A-Za-z '\-]*$")


def parse_text_answer(text: str) -> TextAnswer | None:
    """A reference such as `\\text{Tuesday}` or `yes` that is words, not math."""
    s = re.sub(r"\\(?:text|textbf|textit|mathrm|mbox|textrm)\s*\{([^{}]*)\}", r"\1", text).strip().strip("$").strip()
    s = s.rstrip(".").strip()
    if _WORDS.match(s) and (len(s.replace(" ", "")) > 3 or " " in s):
        return TextAnswer(s)
    return None


def fold_text(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_CHOICE = re.compile(r"^\(?\s*([A-Z])\s*\)?(?:\s*[.:)]\s*.*|\s+.*)?$", re.S)


def choice_letter(text: str) -> str | None:
    """The option letter of `B`, `(B)`, `\\text{(B)}`, `\\textbf{(B) } 42`, `B) 42`."""
    s = re.sub(r"\\(?:text|textbf|mathrm|mathbf|textrm)\s*\{([^{}]*)\}", r"\1", text)
    s = strip_math(s)
    m = _CHOICE.match(s)
    return m.group(1) if m else None


def strip_math(s: str) -> str:
    s = s.strip()
    for left, right in (("$", "$"), (r"\(", r"\)"), (r"\[", r"\]")):
        if s.startswith(left) and s.endswith(right) and len(s) > len(left) + len(right):
            s = s[len(left):-len(right)]
    return s.strip()

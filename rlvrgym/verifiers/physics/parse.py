"""Reading a physical quantity out of model text: find the final answer, turn LaTeX/unicode into plain unit
syntax, split number from unit, and hand only a vetted unit string to pint (pint parses units with its own
tokenizer, never Python `eval`; the charset, length and exponent guards below keep its input small and plain).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pint

from rlvrgym.verifiers.extract import last_box, matching_brace

MAX_ANSWER_CHARS = 300
MAX_UNIT_CHARS = 60
MAX_EXPONENT = 12

GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
         "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
         "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ",
         "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Sigma": "Σ",
         "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω"}
SUPERSCRIPTS = str.maketrans({"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7",
                              "⁸": "8", "⁹": "9", "⁻": "-"})
LATEX_FUNCTIONS = frozenset({"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh",
                             "tanh", "exp", "ln", "log"})
ANGLE_UNIT_NAMES = frozenset({"radian", "degree", "arcminute", "arcsecond", "turn", "gradian", "milliradian",
                              "microradian"})

_TEXT_CMDS = ("text", "mathrm", "textrm", "mathit", "textit", "operatorname", "mbox", "mathsf", "textnormal",
              "mathbf", "unit", "si")
_SPACE_CMD = re.compile(r"\\[,;:! ]|\\quad|\\qquad|~|\\displaystyle|\\left|\\right|\\big|\\Big")
_SUPERSCRIPT_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+")
_NUMBER = re.compile(
    r"""^\s*(?P<sign>[+-]?)\s*
        (?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)
        (?:\s*[eE]\s*(?P<exp>[+-]?\d{1,3}))?
        (?:\s*\*\s*10\s*(?:\^|\*\*)\s*\(?\s*(?P<pow>[+-]?\d{1,3})\s*\)?)?""", re.VERBOSE)
_FRACTION = re.compile(r"^\s*(?P<sign>[+-]?)\s*(?P<outer>\(?)\s*\(\s*(?P<a>\d+(?:\.\d+)?)\s*\)\s*/\s*"
                       r"\(\s*(?P<b>\d+(?:\.\d+)?)\s*\)\s*(?(outer)\))")
_UNIT_CHARS = re.compile(r"^[A-Za-zµμΩ_0-9\s*/().\-]+$")
_EXPONENT = re.compile(r"\*\*\s*\(?\s*(-?\d+(?:\.\d+)?)")
_STOPWORDS = frozenset("at in a an the is to of and or for on by as it so which this that its are was be "
                       "with from into then thus approximately about roughly".split())
_ANSWER_CUE = re.compile(r"\b(?:final\s+answer|answer)\b\s*(?:is|:|=)?\s*[:=]?", re.IGNORECASE)
_RELATION = re.compile(r"=|≈|\\approx|\\simeq|≃|\\sim\b")


class QuantityParseError(ValueError):
    """The text holds no readable quantity; the message says why (it becomes the verdict's reason)."""


@dataclass(frozen=True)
class ParsedQuantity:
    value: float
    unit: str | None  # pint-parsable unit text, None when the answer has no unit
    text: str  # the answer text it came from


def matching_paren(text: str, open_index: int) -> int:
    """Index of the `)` closing the `(` at `open_index`, or -1."""
    depth = 0
    for i in range(open_index, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return -1


def final_answer_candidates(text: str) -> list[tuple[str, str]]:
    """Where the final answer may be, best first: the box alone when there is one (it is authoritative), else
    the "answer" cue's line, then the last `=` line. The caller takes the first that reads as a quantity."""
    found = find_final_answer(text)
    if found is None or found[1].startswith("boxed"):
        return [found] if found else []
    lines = text.split("\n")
    out = []
    for pattern, form in ((_ANSWER_CUE, "cue"), (_RELATION, "equation")):
        candidate = _last_followed_by_digit(pattern, lines)
        if candidate is not None:
            out.append((candidate, form))
    return out


def find_final_answer(text: str) -> tuple[str, str] | None:
    """(answer text, how it was found): the last `\\boxed{}` ("boxed"; "boxed_unit_outside" when the box holds a
    bare number and a unit follows it, as in `\\boxed{2.15}\\,\\text{s}`), else the text after an "answer" cue,
    else the right side of the last `=`/`≈`. The caller decides what the form is worth (format reward)."""
    box = last_box(text)
    if box is not None:
        if box.content is None:
            return None  # the final box never closes: no boxed answer, and an earlier one was superseded
        content = box.content
        tail = text[box.end:box.end + 60].split("\n", 1)[0]
        tail = re.sub(r"^(?:\s|\\[,;: !]|\$|\\\)|\\\])*", "", tail)
        if not re.search(r"[A-Za-z°%Ωµμ]", content) and re.match(r"\\(?:text|mathrm|rm|,)|[A-Za-zΩµμ°%]", tail):
            return f"{content} {tail}", "boxed_unit_outside"
        return content, "boxed"
    lines = text.split("\n")
    for pattern, form in ((_ANSWER_CUE, "cue"), (_RELATION, "equation")):
        found = _last_followed_by_digit(pattern, lines)
        if found is not None:
            return found, form
    return None


def _last_followed_by_digit(pattern: re.Pattern[str], lines: list[str]) -> str | None:
    """The rest of the line after the last match of `pattern` that a digit follows on the same line; linear in
    the text (slicing the rest after every match would be quadratic on "= = = ...")."""
    for line in reversed(lines):
        last_digit = next((i for i in range(len(line) - 1, -1, -1) if line[i].isdigit()), -1)
        if last_digit < 0:
            continue
        best = None
        for m in pattern.finditer(line):
            if m.end() > last_digit:
                break
            best = m
        if best is not None:
            return line[best.end():].strip()
    return None


def _replace_command_with_args(text: str, command: str, nargs: int, fmt: str) -> str:
    """Rewrite `\\command{a}{b}` as `fmt.format(a, b)`, innermost first, without regex recursion."""
    pattern = re.compile(r"\\" + command + r"\s*\{")
    for _ in range(50):
        m = None
        for m_ in pattern.finditer(text):
            m = m_  # the last occurrence is never the outer one of a nested pair
        if m is None:
            return text
        args, pos = [], m.end() - 1
        for _ in range(nargs):
            while pos < len(text) and text[pos] == " ":
                pos += 1
            if pos >= len(text) or text[pos] != "{":
                return text
            end = matching_brace(text, pos)
            if end == -1:
                return text
            args.append(text[pos + 1:end])
            pos = end + 1
        text = text[:m.start()] + fmt.format(*args) + text[pos:]
    return text


def normalize_latex(text: str) -> str:
    """LaTeX and unicode math to plain `* / ** ( )` syntax; greek letters become unicode characters."""
    t = text.replace("$", " ").replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    t = t.replace("−", "-").replace("–", "-").replace("\u2009", " ").replace("\u00a0", " ")
    t = _SPACE_CMD.sub(" ", t)
    for cmd in ("SI", "qty"):  # siunitx: \SI{3.2}{m/s}
        t = _replace_command_with_args(t, cmd, 2, " {0} {1} ")
    t = _replace_command_with_args(t, "num", 1, " {0} ")
    for cmd in _TEXT_CMDS:
        t = _replace_command_with_args(t, cmd, 1, " {0} ")
    t = re.sub(r"\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree|\\textdegree", "°", t)
    t = re.sub(r"\\(?:Omega|ohm)(?![A-Za-z])", "Ω", t)
    t = re.sub(r"\\(?:mu|micro)(?![A-Za-z])\s*", "μ", t)
    t = re.sub(r"\\%|%", " percent ", t)
    t = re.sub(r"\\(?:cdot|times|ast)(?![A-Za-z])|[×·⋅∙]", "*", t)
    t = _replace_command_with_args(t, "frac", 2, "(({0})/({1}))")
    t = _replace_command_with_args(t, "sqrt", 1, " sqrt({0})")
    t = re.sub(r"\\([A-Za-z]+)", _command, t)
    t = _SUPERSCRIPT_RUN.sub(lambda m: "^(" + m.group(0).translate(SUPERSCRIPTS) + ")", t)
    t = re.sub(r"\^\s*\{([^{}]*)\}", r"^(\1)", t)
    return t


def _command(m: re.Match[str]) -> str:
    name = m.group(1)
    if name in GREEK:  # "\pi\sqrt" must not fuse into one identifier "πsqrt"
        nxt = m.string[m.end():m.end() + 1]
        return GREEK[name] + (" " if nxt.isalpha() or nxt == "\\" else "")
    return f" {name} " if name in LATEX_FUNCTIONS else m.group(0)


def _unit_text(rest: str) -> str:
    """Plain unit syntax: `°C` to `degC`, `^` to `**`, braces gone, whitespace tidied."""
    u = rest.replace("{", " ").replace("}", " ")
    u = re.sub(r"°\s*C\b", " degC ", u)
    u = re.sub(r"°\s*F\b", " degF ", u)
    u = u.replace("°", " degree ")
    u = re.sub(r"μ\s+(?=[A-Za-zΩ])", "μ", u)
    u = re.sub(r"(?<![A-Za-z])([kMGmμunp])\s+(?=Ω)", r"\1", u)  # \text{k}\Omega
    u = u.replace("Ω", "ohm").replace("^", "**")
    return re.sub(r"\s+", " ", u).strip()


def _trim_trailing_prose(registry: pint.UnitRegistry, unit: str) -> str:
    """Keep the leading run of words that are units on their own: "m/s downhill" -> "m/s", "m/s at the bottom"
    -> "m/s" (stop words first: pint would read "at" as a technical atmosphere and "in" as an inch)."""
    kept: list[str] = []
    for w in unit.split(" "):
        if w in _STOPWORDS or not _UNIT_CHARS.match(w):
            break
        if w != "per" and any(c.isalpha() for c in w):
            try:
                parse_unit(registry, w)
            except QuantityParseError:
                break
        kept.append(w)
    return " ".join(kept)


def parse_unit(registry: pint.UnitRegistry, unit: str) -> pint.Unit:
    """A pint unit from vetted text; QuantityParseError when it is not a unit we accept."""
    if len(unit) > MAX_UNIT_CHARS:
        raise QuantityParseError(f"the unit {unit[:MAX_UNIT_CHARS]!r}... is too long")
    if not _UNIT_CHARS.match(unit):
        raise QuantityParseError(f"the unit {unit!r} contains characters no unit has")
    for exp in _EXPONENT.findall(unit):
        if abs(float(exp)) > MAX_EXPONENT:
            raise QuantityParseError(f"the unit {unit!r} has an implausible exponent {exp}")
    try:
        return registry.parse_units(unit)
    except Exception as exc:  # pint's tokenizer raises many types on odd text; all of them mean "not a unit"
        raise QuantityParseError(f"{unit!r} is not a unit pint knows ({type(exc).__name__})") from None


def parse_quantity(registry: pint.UnitRegistry, text: str, *, strict_end: bool = True) -> ParsedQuantity:
    """Split `text` into a number and a unit. `strict_end=False` tolerates trailing prose after the unit."""
    if len(text) > MAX_ANSWER_CHARS:
        raise QuantityParseError(f"the answer has {len(text)} characters, more than a quantity needs")
    plain = normalize_latex(text)
    parts = _RELATION.split(plain)
    plain = parts[-1].strip().lstrip("*: ")  # "v = 3.1 m/s" -> "3.1 m/s"; markdown bold "**3.1 m/s**"
    plain = plain.rstrip(" .;,:*")
    while plain.endswith(")") and plain.count(")") > plain.count("("):
        plain = plain[:-1].rstrip(" .;,:")
    if plain.startswith("(") and matching_paren(plain, 0) == len(plain) - 1:
        plain = plain[1:-1].strip()
    frac = _FRACTION.match(plain)
    if frac:
        if float(frac["b"]) == 0:
            raise QuantityParseError("the answer divides by zero")
        value = float(frac["a"]) / float(frac["b"]) * (-1 if frac["sign"] == "-" else 1)
        rest = plain[frac.end():]
    else:
        m = _NUMBER.match(plain)
        if not m:
            raise QuantityParseError(f"no number at the start of the answer {text.strip()[:60]!r}")
        value = float(f"{m['sign']}{m['num'].replace(',', '')}e{int(m['exp'] or 0) + int(m['pow'] or 0)}")
        rest = plain[m.end():]
    if not math.isfinite(value):
        raise QuantityParseError("the answer's number is out of range")
    unit = _unit_text(rest)
    if not strict_end:
        unit = _trim_trailing_prose(registry, unit)
    if unit.startswith("*"):
        unit = unit[1:].strip()
    if not unit:
        return ParsedQuantity(value, None, text)
    parse_unit(registry, unit)
    return ParsedQuantity(value, unit, text)


def angle_exponent(unit: pint.Unit) -> float:
    """How many angle units `unit` carries (deg: 1, rad/s: 1, Hz: 0): pint treats angles as dimensionless, so
    degrees against radians, or rad/s against Hz, must be told apart by hand."""
    return float(sum(exp for name, exp in unit._units.items() if name in ANGLE_UNIT_NAMES))


def describe_dimension(unit: pint.Unit) -> str:
    """A readable dimension: "[length] / [time]", "angle", "dimensionless"."""
    dim = unit.dimensionality
    angle = angle_exponent(unit)
    base = "dimensionless" if not dim else str(dim)
    if angle:
        angle_text = "angle" if angle == 1 else f"angle^{angle:g}"
        return angle_text if base == "dimensionless" else f"{base} * {angle_text}"
    return base

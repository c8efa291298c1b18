"""Reading a physical quantity out of model text: find the final answer, turn LaTeX/unicode/siunitx into plain
unit syntax, evaluate the number (an exact form such as `2\\sqrt{3}` or `\\pi/6` included), split off a direction
word or unit vector, and hand only a vetted unit string to pint (pint parses units with its own tokenizer, never
Python `eval`; the charset, length and exponent guards below keep its input small and plain).

Where the answer is (`\\boxed{}` and `<think>` rules) is decided by `rlvrgym.verifiers.extract`, shared with the
math verifiers; what the answer says (value, unit, direction) is decided here.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

import pint

from rlvrgym.verifiers.extract import last_box, matching_brace
from rlvrgym.verifiers.physics.siunitx import BARE_RUN, bare_run_to_text, units_to_text

MAX_ANSWER_CHARS = 300
MAX_UNIT_CHARS = 60
MAX_EXPONENT = 12
#: Largest power of ten (or other power) a number may carry: 10^308 is the float limit, towers are refused.
MAX_NUMBER_EXPONENT = 400
MAX_SENTENCE_CHARS = 400
MAX_SENTENCE_QUANTITIES = 12

GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
         "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
         "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ",
         "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Sigma": "Σ",
         "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω"}
SUPERSCRIPTS = str.maketrans({"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7",
                              "⁸": "8", "⁹": "9", "⁻": "-", "⁺": "+"})
LATEX_FUNCTIONS = frozenset({"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh",
                             "tanh", "exp", "ln", "log"})
ANGLE_UNIT_NAMES = frozenset({"radian", "degree", "arcminute", "arcsecond", "turn", "gradian", "milliradian",
                              "microradian", "revolutions_per_minute"})

_TEXT_CMDS = ("text", "mathrm", "textrm", "mathit", "textit", "operatorname", "mbox", "mathsf", "textnormal",
              "mathbf", "unit", "si")
_SPACE_CMD = re.compile(r"\\[,;:! ]|\\quad|\\qquad|\\thinspace|\\medspace|\\thickspace|~|\\displaystyle|"
                        r"\\(?:left|right|bigg?|Bigg?)(?![A-Za-z])")
_SUPERSCRIPT_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
#: Unit symbols with code points of their own (℃, Ω as the ohm sign, K as the kelvin sign, Å, µ, the CJK squared
#: units ㎧ ㎏ ㏀ ...): NFKC spells them with ordinary letters.
_UNIT_CODEPOINTS = re.compile("[\u00b5\u2100-\u214f\u3380-\u33df]")
#: Digit-group separators inside a number: LaTeX spaces and unicode thin/narrow/no-break spaces ("1\\,000\\,000").
_GROUP_SEP = r"(?:\\[,:;!]|\\ |\\thinspace ?|~|[\u2009\u202f\u00a0\u2006\u2005])"
_DIGIT_RUN = re.compile(rf"(?<![\d.,])\d+(?:\.\d+)?(?:{_GROUP_SEP}\d+(?:\.\d+)?)+(?![\d,]|\.\d)")
#: An ordinary space groups digits only in the unmistakable form "299 792 458" (whole groups of three).
_SPACED_RUN = re.compile(r"(?<![\d.,])[1-9]\d{0,2}(?: \d{3})+(?:\.\d+)?(?![\d,]|\.\d)")
_UNIT_CHARS = re.compile(r"^[A-Za-zµμΩ_0-9\s*/().\-]+$")
_EXPONENT = re.compile(r"\*\*\s*\(?\s*(-?\d+(?:\.\d+)?)")
_STOPWORDS = frozenset("at in a an the is to of and or for on by as it so which this that its are was be "
                       "with from into then thus approximately about roughly".split())
_ANSWER_CUE = re.compile(r"\b(?:final\s+answer|answer)\b\s*(?:is|:|=)?\s*[:=]?", re.IGNORECASE)
_RELATION = re.compile(r"=|≈|\\approx|\\simeq|≃|\\sim(?![A-Za-z])|∼")
_SIM = re.compile(r"\\sim(?![A-Za-z])|∼")
_VALUE_TOKEN = re.compile(r"""\s*(?:
    (?P<num>(?:[1-9]\d{0,2}(?:,\d{3})+(?!\d)|\d+,\d+|\d+)(?:\.\d*)?(?:[eE][+-]?\d{1,3})?|\.\d+(?:[eE][+-]?\d{1,3})?)
  | (?P<pi>π|pi(?![A-Za-z]))
  | (?P<sqrt>sqrt|√)
  | (?P<func>arcsin|arccos|arctan|asin|acos|atan|sin|cos|tan|exp|ln|log)(?![A-Za-z])
  | (?P<op>\*\*|[-+*/^()])
)""", re.VERBOSE)
#: UK textbook speed units: `ms^{-1}` (m s^-1, which pint reads as per millisecond), `kms^{-1}`.
_UK_SPEED = re.compile(r"(k?m)s\*\*\(?-([123])\)?")
_REMARKS = frozenset({"approx", "approximately", "roughly", "about", "exact", "exactly", "rounded", "estimated",
                      "est", "approximate", "nearly"})
_ZERO_WORD = re.compile(r"^\s*zero(?![A-Za-z])", re.IGNORECASE)

# --- directions -------------------------------------------------------------------------------------------------
#: A unit vector, in LaTeX or unicode, becomes a marker word that survives the LaTeX normalization.
_AXIS = {"x": "x", "i": "x", "\\imath": "x", "y": "y", "j": "y", "\\jmath": "y", "z": "z", "k": "z"}
_HAT_ARG = r"(\\imath|\\jmath|[ijkxyz])"
_UNIT_VECTOR = re.compile("|".join((
    r"\\(?:mathbf|boldsymbol|bm|vec|textbf)\s*\{\s*\\hat\s*\{?\s*" + _HAT_ARG + r"\s*\}?\s*\}",
    r"\\hat\s*\{\s*\\(?:mathbf|boldsymbol|bm|textbf)\s*\{\s*" + _HAT_ARG + r"\s*\}\s*\}",
    r"\\hat\s*\{\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*e\s*\}|e)\s*\}\s*_\s*\{?\s*([xyz])\s*\}?",
    r"\\hat\s*e\s*_\s*\{?\s*([xyz])\s*\}?",
    r"\\hat\s*\{\s*" + _HAT_ARG + r"\s*\}",
    r"\\hat\s*" + _HAT_ARG + r"(?![A-Za-z])",
    r"\\mathbf\s*\{\s*([ijk])\s*\}",
    r"(?<![A-Za-z])([ijkxyz])\u0302",
    r"(?<![A-Za-z])([ijkxyz])[- ]hat(?![A-Za-z])",
    r"([îĵ])",
)))
_VECTOR_MARK = re.compile(r"\(\s*([+-])\s*UVEC([XYZ])\s*\)|([+-]?)\s*UVEC([XYZ])")
_DIRECTION = re.compile(r"""(?ix)(?<![A-Za-z])
    (?:moving\s+|directed\s+|pointing\s+|heading\s+|going\s+|flowing\s+|travell?ing\s+|i\.e\.,?\s+)?
    (?:
        (?:(?:to|towards?)\s+(?:the\s+)?)?(?P<lr>left|right)(?:wards?|-?hand)?(?:\s+direction)?
      | (?P<arrow>←|⟵|\\leftarrow|\\longleftarrow|→|⟶|\\rightarrow|\\longrightarrow|\\to)(?![A-Za-z])
      | (?:in\s+|along\s+)?(?:the\s+)?(?P<sgn>positive|negative|[+-])\s*-?\s*(?P<axis>[xyz])?(?![A-Za-z])
        (?:\s*-?\s*(?:direction|axis))?
      | (?:in\s+|along\s+)(?:the\s+)?(?P<axis2>[xyz])\s*-?\s*(?:direction|axis)
      | (?:from\s+(?:node\s+)?(?P<a>[A-Z])\s+(?:to|towards?|into)\s+(?:node\s+)?(?P<b>[A-Z])
         |(?P<a2>[A-Z])\s*(?:->|→|⟶|\\to(?![A-Za-z])|\\rightarrow)\s*(?P<b2>[A-Z]))
      | (?:in\s+the\s+)?(?P<word>upwards?|downwards?|up(?:\s+the\s+(?:slope|incline))?|down(?:\s+the\s+(?:slope
           |incline))?|uphill|downhill|clockwise|counter-?clockwise|anti-?clockwise|north|south|east|west
           |forwards?|backwards?|opposite(?:\s+direction)?|same\s+direction|(?:below|above)(?:\s+(?:the\s+)?
           horizontal)?|along\s+the\s+(?:slope|incline))(?:\s+direction)?
    )(?![A-Za-z])""")


class QuantityParseError(ValueError):
    """The text holds no readable quantity; the message says why (it becomes the verdict's reason)."""


@dataclass(frozen=True)
class ParsedQuantity:
    value: float
    unit: str | None  # pint-parsable unit text, None when the answer has no unit
    text: str  # the answer text it came from
    radians: bool = False  # an expression in π or an inverse trig function: an angle with no unit is in radians
    direction: str | None = None  # canonical direction word ("left", "+x", "C->D", "down", ...)
    vector: bool = False  # the direction is a unit vector (it multiplies the value) rather than a word
    relation: str | None = None  # the relation before the value: "=", "≈", "sim" (`\sim`), None
    rest: str = ""  # prose after the quantity (non-strict reads): where a hedge such as "or possibly 5 m" sits


@dataclass(frozen=True)
class Candidate:
    """A place the final answer may be: its text, how it was found, and where it ends in the searched text."""

    text: str
    form: str  # boxed, boxed_unit_outside, cue, sentence, equation
    end: int


def matching_paren(text: str, open_index: int) -> int:
    """Index of the `)` closing the `(` at `open_index`, or -1."""
    depth = 0
    for i in range(open_index, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return -1


# --- where the answer is ----------------------------------------------------------------------------------------

def final_answer_candidates(text: str) -> list[Candidate]:
    """Where the final answer may be, best first: the final box alone when there is one (it is authoritative),
    else the "answer" cue's line, the last sentence that states a number, then the last `=` line. The caller takes
    the first that reads as a quantity."""
    box = _boxed_candidate(text)
    if box is not None or last_box(text) is not None:
        return [box] if box is not None else []
    out = []
    cue = _last_followed_by_digit(_ANSWER_CUE, text)
    if cue is not None:
        out.append(Candidate(cue[0], "cue", cue[1]))
    sentence = final_sentence(text)
    if sentence is not None:
        out.append(Candidate(sentence[0], "sentence", sentence[1]))
    equation = _last_followed_by_digit(_RELATION, text, keep_match=True)
    if equation is not None:
        out.append(Candidate(equation[0], "equation", equation[1]))
    return out


def find_final_answer(text: str) -> tuple[str, str] | None:
    """(answer text, how it was found) of the best candidate (see `final_answer_candidates`)."""
    found = final_answer_candidates(text)
    return (found[0].text, found[0].form) if found else None


_AFTER_BOX = re.compile(r"^(?:\s|\\[,;: !]|\$|\\\)|\\\])*")


def _boxed_candidate(text: str) -> Candidate | None:
    """The final box; "boxed_unit_outside" when it holds a bare number and a unit follows it
    (`\\boxed{2.15}\\,\\text{s}`). A direction written just after the box (`\\boxed{3 m/s} to the left`) is read
    with it: it changes what the boxed number means."""
    box = last_box(text)
    if box is None or box.content is None:
        return None  # no box, or the final box never closes: no boxed answer, an earlier one was superseded
    content = box.content
    line = text[box.end:box.end + 80].split("\n", 1)[0]
    tail = line[_AFTER_BOX.match(line).end():]  # type: ignore[union-attr]
    bare = re.sub(r"(?<=\d)[eE][+-]?\d+|\\(?:times|cdot|d?frac|sqrt|pi|left|right)(?![A-Za-z])|\\[,;: !]", "", content)
    if not re.search(r"[A-Za-z°%Ωµμ]", bare) and re.match(r"\\(?:text|mathrm|rm|,|si|unit)|[A-Za-zΩµμ°%]", tail):
        return Candidate(f"{content} {tail}", "boxed_unit_outside", box.end + len(line))
    words = re.sub(r"\\(?:text|mathrm|textrm|mbox|textit)\s*\{|[{}$]", " ", tail).lstrip(",( ")
    direction = _DIRECTION.match(words)
    if direction is not None and direction.group(0).strip():
        return Candidate(f"{content} {direction.group(0)}", "boxed", box.end)
    return Candidate(content, "boxed", box.end)


def _last_followed_by_digit(pattern: re.Pattern[str], text: str, keep_match: bool = False) -> tuple[str, int] | None:
    """(rest of the line after the last match of `pattern` that a digit follows on the same line, index of that
    line's end); linear in the text (slicing the rest after every match would be quadratic on "= = = ...")."""
    end = len(text)
    while end >= 0:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        last_digit = next((i for i in range(len(line) - 1, -1, -1) if line[i].isdigit()), -1)
        if last_digit >= 0:
            best = None
            for m in pattern.finditer(line):
                if m.end() > last_digit:
                    break
                best = m
            if best is not None:
                return line[best.start() if keep_match else best.end():].strip(), end
        end = start - 1
    return None


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")


def final_sentence(text: str) -> tuple[str, int] | None:
    """(the last sentence that states a number, index of its end): the conclusion of a solution that boxes
    nothing and names no answer ("So the period is about 2.15 s."). Only the end of the text is read."""
    body = text.rstrip()
    cut = max(len(body) - 4 * MAX_SENTENCE_CHARS, 0)
    window = body[cut:]
    pieces, pos = [], 0
    for m in _SENTENCE_END.finditer(window):
        pieces.append((window[pos:m.start()], m.start()))
        pos = m.end()
    pieces.append((window[pos:], len(window)))
    for sentence, end in reversed(pieces):
        if any(c.isdigit() for c in sentence):
            return sentence.strip()[-MAX_SENTENCE_CHARS:], cut + end
    return None


_NUMBER_START = re.compile(r"(?<![\w.,^{}\-−])[-+−]?\s?(?:\d|\.\d|π|\\pi|\\frac|\\sqrt|√)")
#: How far a number written in a sentence runs ("3 \times 10^{8}"), so its pieces are not read again.
_NUMBER_SPAN = re.compile(r"(?:[\d.,\s×·*/^{}()+\-−π√]|\\(?:times|cdot|pi|frac|sqrt|,)|e[-+]?\d)*")


_LEAD_IN = re.compile(r"\s*,?\s*(?:at|with(?:\s+an?)?(?:\s+(?:speed|velocity))?(?:\s+of)?|by)?\s*", re.I)


def quantities_in(registry: pint.UnitRegistry, sentence: str) -> list[ParsedQuantity]:
    """Every quantity a sentence states, in order ("With L = 1 m the period is 2.0 s" -> 1 m, 2.0 s)."""
    out: list[ParsedQuantity] = []
    skip_to = 0
    for m in _NUMBER_START.finditer(sentence):
        if m.start() < skip_to:
            continue
        try:
            found = parse_quantity(registry, sentence[m.start():m.start() + MAX_ANSWER_CHARS], strict_end=False,
                                   split_relation=False)
        except QuantityParseError:
            continue
        before = sentence[skip_to:m.start()]
        relation = re.search(r"(=|≈|\\approx|\\simeq|≃|\\sim|∼)\s*$", before)
        if relation is not None:
            found = replace(found, relation="sim" if _SIM.fullmatch(relation.group(1)) else
                            "≈" if relation.group(1) != "=" else "=")
        if found.direction is None:  # "it moves left at 0.3 m/s": the direction comes first
            lead = None
            for lead in _DIRECTION.finditer(before):  # noqa: B007 (the last one is wanted)
                pass
            if lead is not None and _LEAD_IN.fullmatch(before[lead.end():]):
                found = replace(found, direction=direction_key(lead))
        skip_to = _NUMBER_SPAN.match(sentence, m.end()).end()  # type: ignore[union-attr]
        out.append(found)
        if len(out) >= MAX_SENTENCE_QUANTITIES:
            break
    return out


# --- normalization ----------------------------------------------------------------------------------------------

def _replace_command_with_args(text: str, command: str, nargs: int, fmt: str, convert: object = None) -> str:
    """Rewrite `\\command{a}{b}` as `fmt.format(a, b)`, innermost first, without regex recursion; an optional
    `[...]` argument (siunitx options) is dropped. `convert(i, arg)` may rewrite an argument first."""
    if "\\" + command not in text:  # the common case, and normalize_latex tries some twenty commands
        return text
    pattern = re.compile(r"\\" + command + r"(?![A-Za-z])\s*(?:\[[^\]]{0,200}\]\s*)?\{")
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
        if callable(convert):
            args = [convert(i, a) for i, a in enumerate(args)]
        text = text[:m.start()] + fmt.format(*args) + text[pos:]
    return text


def _siunitx_arg(index: int, arg: str, unit_index: int) -> str:
    return units_to_text(arg) if index == unit_index else arg


def _join_digit_groups(text: str) -> str:
    """`1\\,000\\,000` -> `1000000`, `3.141\\,59` -> `3.14159`: groups of three after the first, any grouping
    after the decimal point. A run that does not fit is left alone (it is two numbers, not one)."""
    def join(m: re.Match[str]) -> str:
        groups = re.split(_GROUP_SEP, m.group(0))
        if any(not g for g in groups):
            return m.group(0)
        decimal = "." in groups[0]
        if not decimal and len(groups[0]) > 3:
            return m.group(0)
        for g in groups[1:]:
            if decimal:
                if not g.isdigit() or len(g) > 3:
                    return m.group(0)
            elif not re.fullmatch(r"\d{3}(?:\.\d+)?", g):
                return m.group(0)
            decimal = decimal or "." in g
        return "".join(groups)
    text = _DIGIT_RUN.sub(join, text)
    return _SPACED_RUN.sub(lambda m: m.group(0).replace(" ", ""), text)


def _unicode_units(text: str) -> str:
    def spell(m: re.Match[str]) -> str:
        s = unicodedata.normalize("NFKC", m.group(0)).replace("∕", "/")
        return " " + re.sub(r"([A-Za-zμΩ])([23])$", r"\1^\2", s) + " "
    return _UNIT_CODEPOINTS.sub(spell, text)


_DEGREE_CMD = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree|\\textdegree")
_OHM_CMD = re.compile(r"\\(?:Omega|ohm)(?![A-Za-z])")
_MICRO_CMD = re.compile(r"\\(?:mu|micro)(?![A-Za-z])\s*")
_PERCENT = re.compile(r"\\%|%")
_TIMES = re.compile(r"\\(?:cdot|times|ast)(?![A-Za-z])|[×·⋅∙]")
_NTH_ROOT = re.compile(r"\\sqrt\s*\[\s*(\d+)\s*\]\s*\{")
_INVERSE_TRIG = re.compile(r"\\(sin|cos|tan)\s*\^\s*\{?\s*-\s*1\s*\}?")
_BARE_SQRT = re.compile(r"\\sqrt\s*(\d+(?:\.\d+)?|\\pi(?![A-Za-z]))")
_RADICAL = re.compile(r"√\s*(\d+(?:\.\d+)?|π|\\pi(?![A-Za-z]))")
_ANY_CMD = re.compile(r"\\([A-Za-z]+)")
_BRACED_POWER = re.compile(r"\^\s*\{([^{}]*)\}")
_TEXT_TIMES_TEN = re.compile(r"(\d)\s*[xX]\s*(?=10\s*(?:\^|\*\*))")


def normalize_latex(text: str) -> str:
    """LaTeX, siunitx and unicode math to plain `* / ** ( )` syntax; greek letters become unicode characters."""
    t = text.replace("$", " ").replace("−", "-").replace("–", "-").replace("{,}", ",").replace("∕", "/")
    t = t.replace("⁄", "/")
    if _UNIT_CODEPOINTS.search(t):
        t = _unicode_units(t)
    t = _join_digit_groups(t)
    t = t.replace("\u2009", " ").replace("\u00a0", " ").replace("\u202f", " ")
    latex = "\\" in t
    if latex:  # the LaTeX rewrites, skipped for plain text (most equations and answers of the process checks)
        t = t.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
        t = _replace_command_with_args(t, "ang", 1, " {0}° ")  # siunitx \ang{30}
        t = _SPACE_CMD.sub(" ", t)
        for cmd in ("SI", "qty"):  # siunitx: \SI{3.2}{\metre\per\second}
            t = _replace_command_with_args(t, cmd, 2, " {0} ({1}) ", lambda i, a: _siunitx_arg(i, a, 1))
        for cmd in ("si", "unit"):
            t = _replace_command_with_args(t, cmd, 1, " ({0}) ", lambda i, a: _siunitx_arg(i, a, 0))
        t = _replace_command_with_args(t, "num", 1, " {0} ")
        t = BARE_RUN.sub(bare_run_to_text, t)
        for cmd in _TEXT_CMDS:
            t = _replace_command_with_args(t, cmd, 1, " {0} ")
        t = _DEGREE_CMD.sub("°", t)
        t = _OHM_CMD.sub("Ω", t)
        t = _MICRO_CMD.sub("μ", t)
    else:
        t = t.replace("~", " ")
    t = _PERCENT.sub(" percent ", t)
    t = _TIMES.sub("*", t)
    if latex:
        t = _replace_command_with_args(t, "frac", 2, "(({0})/({1}))")
        t = _NTH_ROOT.sub(r"\\rootof{\1}{", t)  # \sqrt[3]{8}: a cube root
        t = _replace_command_with_args(t, "rootof", 2, " (({1})^(1/({0})))")
        t = _replace_command_with_args(t, "sqrt", 1, " sqrt({0})")
        t = _INVERSE_TRIG.sub(r"\\arc\1", t)  # \tan^{-1}
        t = _BARE_SQRT.sub(r" sqrt(\1)", t)  # \sqrt2, \sqrt\pi
    if "√" in t:
        t = _RADICAL.sub(r" sqrt(\1)", t).replace("√", " sqrt")
    if latex:
        t = _ANY_CMD.sub(_command, t)
    t = _SUPERSCRIPT_RUN.sub(lambda m: "^(" + m.group(0).translate(SUPERSCRIPTS) + ")", t)
    if "{" in t:
        t = _BRACED_POWER.sub(r"^(\1)", t)
    return _TEXT_TIMES_TEN.sub(r"\1 * ", t)  # plain-text "3.2x10^-4"


def _command(m: re.Match[str]) -> str:
    name = m.group(1)
    if name in GREEK:  # "\pi\sqrt" must not fuse into one identifier "πsqrt"
        nxt = m.string[m.end():m.end() + 1]
        return GREEK[name] + (" " if nxt.isalpha() or nxt == "\\" else "")
    return f" {name} " if name in LATEX_FUNCTIONS else m.group(0)


def _unit_text(rest: str) -> str:
    """Plain unit syntax: `°C` to `degC`, `^` to `**`, `m.s^-1` and `m s-1` to products and powers, braces gone,
    whitespace tidied."""
    u = rest.replace("{", " ").replace("}", " ")
    u = re.sub(r"°\s*C\b", " degC ", u)
    u = re.sub(r"°\s*F\b", " degF ", u)
    u = u.replace("°", " degree ")
    u = re.sub(r"μ\s+(?=[A-Za-zΩ])", "μ", u)
    u = re.sub(r"(?<![A-Za-z])([kMGmμunp])\s+(?=Ω)", r"\1", u)  # \text{k}\Omega
    u = u.replace("Ω", "ohm").replace("Å", "angstrom").replace("^", "**")
    u = re.sub(r"^\s*(?=/|per\b)", "1 ", u)  # "12.57 /s", "12.57 per second"
    u = re.sub(r"(?<=[A-Za-z)])\.(?=[A-Za-z(])", "*", u)  # siunitx/French product "m.s**-1"
    u = re.sub(r"(?<=[A-Za-z])(-\d)(?![\d.])", r"**\1", u)  # "m s-1", "kg m-3"
    return re.sub(r"\s+", " ", u).strip()


def _trim_trailing_prose(registry: pint.UnitRegistry, unit: str) -> str:
    """Keep the leading run of words that are units on their own: "m/s downhill" -> "m/s", "m/s at the bottom"
    -> "m/s" (stop words first: pint would read "at" as a technical atmosphere and "in" as an inch)."""
    kept: list[str] = []
    for word in unit.split(" "):
        w = word.rstrip(",;:!?")  # "m/s, which is fast": the comma ends the unit
        if w in _STOPWORDS or not w or not _UNIT_CHARS.match(w):
            break
        if w != "per" and any(c.isalpha() for c in w):
            try:
                parse_unit(registry, w)
            except QuantityParseError:
                break
        kept.append(w)
        if w != word:
            break
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


# --- the number -------------------------------------------------------------------------------------------------

class _Value:
    """Recursive descent over the leading number of an answer: numbers, π, sqrt, + - * / ^, parentheses and
    juxtaposition (`2 sqrt(3)`, `3 π`). Written here rather than with sympy: floats are all that is needed, and
    sympify on model text is what the design note warns against."""

    def __init__(self, toks: list[tuple[str, str]]) -> None:
        self.toks, self.i = toks, 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise QuantityParseError("the answer's number ends early")
        self.i += 1
        return tok

    def parse(self) -> float:
        value = self.expr()
        if self.peek() is not None:
            raise QuantityParseError(f"unexpected {self.peek()[1]!r} in the answer's number")  # type: ignore[index]
        return value

    def expr(self) -> float:
        value = self.term()
        while (tok := self.peek()) is not None and tok[1] in ("+", "-"):
            self.take()
            value = value + self.term() if tok[1] == "+" else value - self.term()
        return value

    def term(self) -> float:
        value = self.unary()
        while (tok := self.peek()) is not None:
            if tok[1] in ("*", "/"):
                self.take()
                right = self.unary()
                if tok[1] == "/" and right == 0:
                    raise QuantityParseError("the answer divides by zero")
                value = value * right if tok[1] == "*" else value / right
            elif tok[0] in ("num", "pi", "sqrt", "func") or tok[1] == "(":
                value *= self.power()
            else:
                break
        return value

    def unary(self) -> float:
        tok = self.peek()
        if tok is not None and tok[1] in ("+", "-"):
            self.take()
            value = self.unary()
            return -value if tok[1] == "-" else value
        return self.power()

    def power(self) -> float:
        base = self.atom()
        tok = self.peek()
        if tok is None or tok[1] not in ("^", "**"):
            return base
        self.take()
        exponent = self.unary()
        if abs(exponent) > MAX_NUMBER_EXPONENT:
            raise QuantityParseError(f"the answer's number has an implausible exponent {exponent:g}")
        try:
            return float(base**exponent)
        except (OverflowError, ZeroDivisionError):
            raise QuantityParseError("the answer's number is out of range") from None

    def atom(self) -> float:
        kind, text = self.take()
        if kind == "num":
            return _number(text)
        if kind == "pi":
            return math.pi
        if kind == "sqrt":
            arg = self.power()
            if arg < 0:
                raise QuantityParseError("the answer takes the square root of a negative number")
            return math.sqrt(arg)
        if kind == "func":
            arg = self.power()
            try:
                return _FUNCTIONS[text](arg)
            except (ValueError, OverflowError):
                raise QuantityParseError(f"{text} of {arg:g} is undefined or out of range") from None
        if text == "(":
            value = self.expr()
            if self.take()[1] != ")":
                raise QuantityParseError("unbalanced parenthesis in the answer's number")
            return value
        raise QuantityParseError(f"unexpected {text!r} in the answer's number")


#: Functions an answer's number may use (`\\arctan(0.5)` is an angle in radians); trig takes radians.
_FUNCTIONS = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "arcsin": math.asin, "asin": math.asin,
              "arccos": math.acos, "acos": math.acos, "arctan": math.atan, "atan": math.atan, "exp": math.exp,
              "ln": math.log, "log": math.log10}
_ANGLE_FUNCTIONS = frozenset({"arcsin", "asin", "arccos", "acos", "arctan", "atan"})


def _number(text: str) -> float:
    """A number token: `1,234.5` (thousands), `3,14` (decimal comma), `6.2e-3`. Three digits after a lone comma
    read as thousands (`3,142` is 3142), the English convention; a leading zero (`0,500`) is always decimal."""
    if "," in text:
        mantissa = re.match(r"[\d,]+", text).group(0)  # type: ignore[union-attr]
        if re.fullmatch(r"[1-9]\d{0,2}(?:,\d{3})+", mantissa):
            text = text.replace(",", "")
        else:
            text = text.replace(",", ".", 1)
    try:
        return float(text)
    except ValueError:  # "0,0.0": a decimal comma and a decimal point
        raise QuantityParseError(f"{text!r} is not a number") from None


def _leading_value(plain: str) -> tuple[float, bool, str]:
    """(value, whether it is an angle in radians (π, an inverse trig function), the text after it) of the number
    that starts `plain`."""
    toks: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(plain):
        m = _VALUE_TOKEN.match(plain, pos)
        if m is None:
            break
        kind = m.lastgroup or ""
        if kind == "num" and toks and toks[-1][0] in ("num", "pi") and plain[pos:m.start(kind)].strip() == "" \
                and m.start(kind) > pos:
            break  # "5 1/s": a second number after a space starts the unit, it is not a product
        toks.append((kind, m.group(kind), m.end()))
        pos = m.end()
    while toks and ((toks[-1][0] == "op" and toks[-1][1] != ")") or toks[-1][0] in ("sqrt", "func")
                    or sum(t[1] == "(" for t in toks) > sum(t[1] == ")" for t in toks)):
        toks.pop()  # "3 (approx)", "5 /s": a trailing operator or an open bracket belongs to what follows
    if not any(t[0] in ("num", "pi") for t in toks):
        raise QuantityParseError(f"no number at the start of the answer {plain.strip()[:60]!r}")
    value = _Value([(k, s) for k, s, _ in toks]).parse()
    if not math.isfinite(value):
        raise QuantityParseError("the answer's number is out of range")
    radians = any(t[0] == "pi" or t[1] in _ANGLE_FUNCTIONS for t in toks)
    return value, radians, plain[toks[-1][2]:]


# --- directions -------------------------------------------------------------------------------------------------

def _mark_unit_vectors(text: str) -> str:
    def mark(m: re.Match[str]) -> str:
        axis = next(g for g in m.groups() if g is not None)
        axis = {"î": "x", "ĵ": "y"}.get(axis, _AXIS.get(axis, axis))
        return f" UVEC{axis.upper()} "
    return _UNIT_VECTOR.sub(mark, text)


def direction_key(match: re.Match[str]) -> str:
    """The canonical name of a matched direction phrase: "left", "right", "+x", "-y", "positive", "negative",
    "C->D", or the word itself ("down", "clockwise"). References map these names to signs."""
    if match["lr"]:
        return match["lr"].lower()
    if match["arrow"]:
        return "left" if "left" in match["arrow"] or match["arrow"] in "←⟵" else "right"
    if match["sgn"]:
        sign = {"positive": "+", "negative": "-"}.get(match["sgn"].lower(), match["sgn"])
        if match["axis"]:
            return sign + match["axis"].lower()
        return "positive" if sign == "+" else "negative"
    if match["axis2"]:
        return "+" + match["axis2"].lower()
    a, b = match["a"] or match["a2"], match["b"] or match["b2"]
    if a and b:
        return f"{a.upper()}->{b.upper()}"
    return re.sub(r"\s+", " ", match["word"].lower())


def _split_direction(rest: str) -> tuple[str, str | None, str]:
    """(unit text before a direction phrase, the direction's name, text after it); no phrase: (rest, None, "")."""
    for m in _DIRECTION.finditer(rest):
        if not m.group(0).strip() or (m["sgn"] in ("+", "-") and not m["axis"] and "direction" not in m.group(0)):
            continue  # a bare sign is no direction
        before = rest[:m.start()].rstrip(" ,(")
        if before and not re.fullmatch(r"[A-Za-zµμΩ°_0-9\s*/().\-^]+", before):
            continue
        return before, direction_key(m), rest[m.end():]
    return rest, None, ""


# --- the quantity -----------------------------------------------------------------------------------------------

def parse_quantity(registry: pint.UnitRegistry, text: str, *, strict_end: bool = True,
                   split_relation: bool = True) -> ParsedQuantity:
    """Split `text` into a number, a unit and a direction. `strict_end=False` tolerates trailing prose after the
    unit (kept in `rest`); `split_relation` reads `v = 3.1 m/s` as its right side."""
    if len(text) > MAX_ANSWER_CHARS:
        raise QuantityParseError(f"the answer has {len(text)} characters, more than a quantity needs")
    plain = normalize_latex(_mark_unit_vectors(text))
    relation = None
    if split_relation:
        last = None
        for last in _RELATION.finditer(plain):  # noqa: B007 (the last match is wanted)
            pass
        if last is not None:
            relation = "sim" if _SIM.fullmatch(last.group(0)) else "≈" if last.group(0) != "=" else "="
            plain = plain[last.end():]
    plain = plain.strip().lstrip("*: ")  # markdown bold "**3.1 m/s**"
    vectors = list(_VECTOR_MARK.finditer(plain))
    if len(vectors) > 1:
        raise QuantityParseError("the answer names several unit vectors; a single signed component is asked for")
    vector_sign, axis = 1.0, None
    if vectors:
        v = vectors[0]
        axis = v.group(2) or v.group(4)
        sign_text = v.group(1) or v.group(3)
        vector_sign = -1.0 if sign_text == "-" else 1.0
        leading_sign = v.group(3) and not plain[:v.start()].strip()  # "-x̂ 0.5 m/s": the sign is the number's
        plain = (plain[:v.start()] + (" - " if leading_sign and vector_sign < 0 else " ") + plain[v.end():]).strip()
        if leading_sign:
            vector_sign = 1.0
    plain = plain.rstrip(" .;,:*")
    while plain.endswith(")") and plain.count(")") > plain.count("("):
        plain = plain[:-1].rstrip(" .;,:")
    if plain.startswith("(") and matching_paren(plain, 0) == len(plain) - 1:
        plain = plain[1:-1].strip()
    zero = _ZERO_WORD.match(plain)
    if zero:
        value, radians, rest = 0.0, False, plain[zero.end():]
    else:
        value, radians, rest = _leading_value(plain)
    if rest.lstrip().startswith(")"):  # "(0.5) m/s", or a sentence read from inside "\left(-0.3\right) m/s"
        rest = rest.lstrip()[1:]
    remark = re.search(r"\(([^()\d]*)\)\s*$", rest)
    note = remark.group(1).strip() if remark else ""
    if remark and (" " in note or note.endswith(".") or note.lower() in _REMARKS) and not _DIRECTION.fullmatch(note):
        rest = rest[:remark.start()]  # "0 m/s (it never moves)", "3.1 m/s (approx.)": a remark, no value
    unit_part, direction, after = _split_direction(rest)
    if direction is None and axis is not None:
        direction = ("-" if vector_sign < 0 else "+") + axis.lower()
    elif axis is not None:
        raise QuantityParseError("the answer gives both a unit vector and a direction word")
    unit = _unit_text(unit_part)
    prose = ""
    if not strict_end:
        kept = _trim_trailing_prose(registry, unit)
        prose = (unit[len(kept):].lstrip(",;:!?") + " " + after).strip()
        unit = kept
    elif after.strip(" .;,:)"):
        raise QuantityParseError(f"unexpected text after the direction: {after.strip()[:40]!r}")
    if unit.startswith("*"):
        unit = unit[1:].strip()
    if unit:
        try:
            parse_unit(registry, unit)
        except QuantityParseError:
            uk = _UK_SPEED.fullmatch(unit.replace(" ", ""))
            if uk is None:
                raise
            unit = f"{uk.group(1)}*s**-{uk.group(2)}"  # "kms^-1" is no unit at all: UK km s^-1
    return ParsedQuantity(value, unit or None, text, radians, direction, axis is not None, relation, prose)


def angle_exponent(unit: pint.Unit) -> float:
    """How many angle units `unit` carries (deg: 1, rad/s: 1, Hz: 0): pint treats angles as dimensionless, so
    degrees against radians, or rad/s against Hz, must be told apart by hand."""
    total: Any = sum(exp for name, exp in unit._units.items() if name in ANGLE_UNIT_NAMES)  # pint types it loosely
    return float(total)


def describe_dimension(unit: pint.Unit) -> str:
    """A readable dimension: "[length] / [time]", "angle", "dimensionless"."""
    dim = unit.dimensionality
    angle = angle_exponent(unit)
    base = "dimensionless" if not dim else str(dim)
    if angle:
        angle_text = "angle" if angle == 1 else f"angle^{angle:g}"
        return angle_text if base == "dimensionless" else f"{base} * {angle_text}"
    return base

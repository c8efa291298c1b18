"""String clean-up before parsing: math delimiters, spacing, sizing commands, unicode, decorations, units.

Everything here is a plain textual rewrite with no judgement: what it drops (percent signs, degree marks, units)
is recorded so the verifier can report it.
"""

from __future__ import annotations

import re
from fractions import Fraction

UNICODE = {
    "−": "-", "–": "-", "—": "-", "×": r"\times ", "·": r"\cdot ", "⋅": r"\cdot ", "÷": r"\div ", "π": r"\pi ",
    "∞": r"\infty ", "≤": r"\le ", "≥": r"\ge ", "≠": r"\ne ", "√": r"\sqrt", "²": "^2", "³": "^3", "∪": r"\cup ",
    "∩": r"\cap ", "∅": r"\emptyset ", "±": r"\pm ", "∓": r"\mp ", "⟨": r"\langle ", "⟩": r"\rangle ", "∈": r"\in ",
    "θ": r"\theta ", "α": r"\alpha ", "β": r"\beta ", "λ": r"\lambda ", "ℝ": r"\mathbb{R}", "⁄": "/", "\u00a0": " ",
    "\u2009": " ", "\u202f": " ", "≈": r"\approx ", "½": r"\frac{1}{2}", "¼": r"\frac{1}{4}", "¾": r"\frac{3}{4}",
}

UNIT_WORDS = (
    "cm|mm|km|m|kg|mg|g|s|sec|secs|seconds?|minutes?|mins?|hours?|hrs?|h|days?|weeks?|months?|years?|units?"
    "|square units|sq units|cubic units|sq\\.? ?(?:cm|m|ft|in)|degrees?|deg|dollars?|cents?|inch(?:es)?|in|foot|feet|ft"
    "|yards?|yd|miles?|mi|meters?|metres?|centimeters?|millimeters?|kilometers?|liters?|litres?|l|ml|mph|kph|km/h|m/s"
    "|percent|radians?|rad|people|persons?|students?|ways|times|points?|items?|marbles|cookies|books|pages"
)
_TEXT_CMD = r"\\(?:text|textrm|textnormal|mathrm|mbox|textup|mathit|textit|textsf|mathsf)"
_TRAILING_TEXT_UNIT = re.compile(_TEXT_CMD + r"\s*\{\s*([A-Za-z][A-Za-z .]*(?:/[A-Za-z][A-Za-z .^0-9]*)?)\s*\}"
                                 r"(\s*\^\s*\{?\s*[23]\s*\}?)?\s*$")
_TRAILING_PLAIN_UNIT = re.compile(r"(?<=[\d}\)])\s*(?:" + UNIT_WORDS + r")(?:\s*\^\s*\{?[23]\}?)?\s*$")
_UNIT_SET = {u for u in re.split(r"\|", UNIT_WORDS) if u.isalpha()} | {"seconds", "minutes", "hours", "days",
                                                                      "units", "degrees", "dollars", "meters"}
_SIZING = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg)(?![A-Za-z])")
_SPACES = re.compile(r"\\\\|\\(?:,|;|:|!|\s|quad(?![A-Za-z])|qquad(?![A-Za-z])|enspace(?![A-Za-z])|thinspace"
                     r"(?![A-Za-z])|medspace(?![A-Za-z]))|~")
_MIXED = re.compile(r"(?<![\w.^}{)])(\d+)\s*\\frac\s*(?:\{\s*(\d+)\s*\}|(\d))\s*(?:\{\s*(\d+)\s*\}|(\d))(?![\w{(\\])")
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})((?:,\d{3})+)(?![\d]|\.\d|,\d)")


_DIGIT_GROUPS = re.compile(r"(?<![\d.,])(\d{1,3}(?:(?:\\[,;: ]|\\thinspace(?![A-Za-z])|~|\{\s?\}"
                           r"|[ \u00a0\u2009\u202f])\d{3})+)((?:\.\d+)?)(?![\d,])")
_FUNCTION_NAME = re.compile(r"^\s*(?:[A-Za-z]|\\(?:phi|varphi|psi|Phi|Psi))"
                            r"(?:'+|_\{?\w+\}?|\^\s*\{\s*-\s*1\s*\}|\^\s*-1)?\s*\(\s*[A-Za-z0-9](?:\s*,\s*[A-Za-z0-9])*\s*\)\s*=(?![=<>])")
_MAPSTO = re.compile(r"^\s*(?:(?:[A-Za-z]\s*:\s*)?[A-Za-z]\s*\\mapsto|[A-Za-z]\s*:\s*[A-Za-z]\s*\\to)(?![A-Za-z])")
_LEADING_APPROX = re.compile(r"^\s*(?:\\approx|≈|\\sim(?![A-Za-z])|~)\s*(?=[-\d.\\])")
_PAREN_APPROX = re.compile(r"\s*\(\s*(?:\\approx|≈|about|approximately|approx\.?|roughly|\\sim|~)\s*"
                           r"([^()]{1,60})\)\s*$", re.I)
_EQUALS_TRUNCATED = re.compile(r"(?<![<>!])=\s*(-?\d+\.\d+)\s*(?:\.{3}|…|\\[lc]?dots(?![A-Za-z]))\s*$")


def _equals_truncated(m: re.Match[str]) -> str:
    """`= 1.414...` after an exact value is its approximation, unless the digits visibly repeat (= 0.333...)."""
    digits = m.group(1).split(".")[1]
    repeats = len(digits) >= 2 and digits[-1] == digits[-2]
    return m.group(0) if repeats else f"\\approx {m.group(1)}"
_TRIG = re.compile(r"(?<![A-Za-z])(?:sin|cos|tan|cot|sec|csc)(?![A-Za-z])")
_DEGREE_ANGLE = re.compile(r"(?:\{\s*(\d+(?:\.\d+)?)\s*\}|(\d+(?:\.\d+)?))(?:\s|\\[,;: ])*"
                           r"(?:(?:\\text\s*\{\s*)?(?:degrees?|deg)\b\s*\}?|\\text\s*\{\s*°\s*\}|\^\s*\{\s*\\circ\s*\}"
                           r"|\^\s*\\circ(?![A-Za-z])"
                           r"|\\circ(?![A-Za-z])|°|\\degree(?![A-Za-z])|\^\s*\{\s*\\text\s*\{\s*o\s*\}\s*\})")
# Repeating decimals: 0.\overline{6}, 0.1\bar{6}, 1.\dot{3}, 0.\dot{1}\dot{2}, 0.(3), 0.3\u0305, 0.333...,
# 0.3 (repeating)
_ELLIPSIS = r"(?:\s*(?:\.{3}|…|\\[lc]?dots[cb]?(?![A-Za-z])|\\ldots(?![A-Za-z])))"
_OVERLINE = re.compile(r"(?<![\d.])(\d*)\.(\d*)\s*\\(?:overline|bar|widebar|overbrace)\s*(?:\{\s*(\d{1,40})\s*\}|(\d))"
                       + _ELLIPSIS + "?")
_DOTTED = re.compile(r"(?<![\d.])(\d*)\.((?:\d|\\dot\s*(?:\{\s*\d\s*\}|\d))*\\dot\s*(?:\{\s*\d\s*\}|\d)"
                     r"(?:\d*\\dot\s*(?:\{\s*\d\s*\}|\d))?)" + _ELLIPSIS + "?")
_COMBINING = re.compile(r"(?<![\d.])(\d*)\.((?:\d[\u0304\u0305]?){0,40}\d[\u0304\u0305](?:\d[\u0304\u0305])*)"
                        + _ELLIPSIS + "?")
_PAREN_PERIOD = re.compile(r"(?<![\d.])(\d*)\.(\d{0,40})\((\d{1,40})\)(?![\d(])")
_TRAILING_DOTS = re.compile(r"(?<![\d.])(\d*)\.(\d{1,60})(?:" + _ELLIPSIS
                            + r"|\s*(?:\\text\s*\{\s*)?\(?\s*(?:repeating|recurring)\s*\)?\s*\}?)")


REPEATING = "\\repeatingdecimal"


def _fraction(whole: str, fixed: str, period: str) -> str:
    """whole.fixed(period) as an exact fraction."""
    value = Fraction(int(whole or "0"))
    if period:
        value += Fraction(int(fixed + period) - int(fixed or "0"), (10 ** len(period) - 1) * 10 ** len(fixed))
    elif fixed:
        value += Fraction(int(fixed), 10 ** len(fixed))
    # An internal command: the parser reads it as the fraction and notes the notation for `require_evaluated`
    # (echoing "0.\\overline{36}" must not answer "write 0.\\overline{36} as a fraction").
    return f"{{{REPEATING}{{{value.numerator}}}{{{value.denominator}}}}}"


def _dotted(m: re.Match[str]) -> str:
    """0.1\\dot{2}3\\dot{4}: the period runs from the first dotted digit to the last."""
    marks = re.findall(r"\\dot\s*(?:\{\s*(\d)\s*\}|(\d))|(\d)", m.group(2))
    digits = [(a or b or c, not c) for a, b, c in marks]
    first = next(i for i, (_, dotted) in enumerate(digits) if dotted)
    last = max(i for i, (_, dotted) in enumerate(digits) if dotted)
    if last != len(digits) - 1:
        return m.group(0)
    text = "".join(d for d, _ in digits)
    return _fraction(m.group(1), text[:first], text[first:])


def _combining(m: re.Match[str]) -> str:
    """0.1\u03056\u0305: combining overlines mark the period's digits."""
    marks = re.findall(r"(\d)([\u0304\u0305]?)", m.group(2))
    first = next(i for i, (_, bar) in enumerate(marks) if bar)
    text = "".join(d for d, _ in marks)
    return _fraction(m.group(1), text[:first], text[first:])


def _trailing_dots(m: re.Match[str]) -> str:
    """0.333..., 0.1666..., 0.121212...: a period that visibly repeats (one digit twice, or a longer block three
    times or filling all the decimals twice) is repeating; otherwise the dots mark a truncated decimal
    (3.14159... is pi's digits, not 3.14159 repeating), which keeps its written precision."""
    whole, digits = m.group(1), m.group(2)
    for size in range(1, len(digits) // 2 + 1):
        block = digits[-size:]
        reps = 1
        while digits[: len(digits) - reps * size].endswith(block):
            reps += 1
        if (size == 1 and reps >= 2) or reps >= 3 or (reps == 2 and len(digits) == 2 * size):
            start = len(digits) - reps * size
            return _fraction(whole, digits[:start], block)
    return f"{whole or '0'}.{digits}"


def repeating_decimals(s: str) -> str:
    """Every repeating-decimal notation rewritten as an exact fraction (math.md, "Numbers")."""
    if "." not in s:
        return s
    s = _OVERLINE.sub(lambda m: _fraction(m.group(1), m.group(2), m.group(3) or m.group(4)), s)
    s = _DOTTED.sub(_dotted, s)
    s = _COMBINING.sub(_combining, s)
    s = _PAREN_PERIOD.sub(lambda m: _fraction(m.group(1), m.group(2), m.group(3)), s)
    return _TRAILING_DOTS.sub(_trailing_dots, s)


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉₋₊", "0123456789-+")
_SCRIPTS = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+|[₀₁₂₃₄₅₆₇₈₉₋₊]+")


def _script(m: re.Match[str]) -> str:
    run = m.group()
    if run[0] in "₀₁₂₃₄₅₆₇₈₉₋₊":
        return "_{" + run.translate(_SUBSCRIPTS) + "}"
    return "^{" + run.translate(_SUPERSCRIPTS) + "}"


def strip_delimiters(s: str) -> str:
    s = s.strip()
    changed = True
    while changed and s:
        changed = False
        for left, right in (("$$", "$$"), ("$", "$"), (r"\(", r"\)"), (r"\[", r"\]")):
            if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
                s = s[len(left):len(s) - len(right)].strip()
                changed = True
    return s


def normalize(text: str, *, join_thousands: bool = True, dropped: list[str] | None = None) -> str:
    """Rewrite an extracted answer into the dialect the parser reads; record dropped decorations in `dropped`."""
    dropped = dropped if dropped is not None else []
    s = strip_delimiters(text)
    if _SCRIPTS.search(s):  # x₁, x⁻¹, 10⁶: unicode sub- and superscript runs
        s = _SCRIPTS.sub(_script, s)
    for k, v in UNICODE.items():
        if k in s:
            s = s.replace(k, v)
    s = s.replace(r"\left.", "").replace(r"\right.", "")
    s = _SIZING.sub("", s)
    s = re.sub(r"\\(?:displaystyle|textstyle|scriptstyle|limits)(?![A-Za-z])", "", s)
    s = re.sub(r"\\[dt]frac(?![A-Za-z])", r"\\frac", s)
    s = re.sub(r"\\[dt]binom(?![A-Za-z])", r"\\binom", s)
    s = s.replace("{,}", "")
    if join_thousands:  # 1\,000, 1 000 000, 12 345.6: digit groups, not a product or two numbers
        s = _DIGIT_GROUPS.sub(lambda mm: re.sub(r"\D", "", mm.group(1)) + mm.group(2), s)
    s = _FUNCTION_NAME.sub("", s, count=1)  # f(x) = x^2 + 1: the function is its formula
    s = _MAPSTO.sub("", s, count=1)  # f: x \mapsto 2x + 1
    s = _LEADING_APPROX.sub("", s, count=1)  # "\approx 0.33" alone: the value
    s = _PAREN_APPROX.sub(r" \\approx \1", s)  # "\frac13 (\approx 0.333)" is checked as "\frac13 \approx 0.333"
    s = _EQUALS_TRUNCATED.sub(_equals_truncated, s)  # \sqrt2 = 1.414...: the digits are an approximation
    s = repeating_decimals(s)
    if _TRIG.search(s):  # \cos 60^\circ: an angle in degrees inside a function is an angle, not a decoration
        s = _DEGREE_ANGLE.sub(lambda mm: f"{{({mm.group(1) or mm.group(2)}\\pi/180)}}", s)
    s = _SPACES.sub(lambda m: m.group() if m.group() == "\\\\" else " ", s)  # keep \\ (matrix row breaks)
    # Decorations: degree marks, percent and dollar signs carry no value of their own (math.md, "Decorations").
    s, n = re.subn(r"\^\s*\{?\s*\\circ\s*\}?|\\circ(?![A-Za-z])|\\degree(?![A-Za-z])|°", "", s)
    if n:
        dropped.append("degrees")
    s, n = re.subn(r"\\?%", "", s)
    if n:
        dropped.append("percent")
    s, n = re.subn(r"\\\$|\$", "", s)
    if n:
        dropped.append("dollar")
    s = re.sub(_TEXT_CMD + r"\s*\{\s*(or|and)\s*\}", r" \1 ", s)
    s = s.strip().rstrip(".;").strip()
    m = _TRAILING_TEXT_UNIT.search(s)
    if m and s[:m.start()].strip() and (m.group(1).strip().lower() in _UNIT_SET or " " in m.group(1).strip()
                                        or len(m.group(1).strip()) > 2):
        dropped.append("unit:" + m.group(1).strip())
        s = s[:m.start()].strip()
    m = _TRAILING_PLAIN_UNIT.search(s)
    if m and s[:m.start()].strip():
        dropped.append("unit:" + m.group(0).strip())
        s = s[:m.start()].strip()
    s = _MIXED.sub(_mixed_number, s)
    if join_thousands:
        s = _THOUSANDS.sub(lambda mm: mm.group(1) + mm.group(2).replace(",", ""), s)
    return s.strip()


def _mixed_number(m: re.Match[str]) -> str:
    """2\\frac13 is the mixed number 7/3 (math.md, "Numbers"), when the fraction is proper."""
    whole, num, den = m.group(1), m.group(2) or m.group(3), m.group(4) or m.group(5)
    if int(num) < int(den):
        return f"\\frac{{{int(whole) * int(den) + int(num)}}}{{{den}}}"  # a literal: not arithmetic left undone
    return m.group(0)

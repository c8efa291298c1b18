"""String clean-up before parsing: math delimiters, spacing, sizing commands, unicode, decorations, units.

Everything here is a plain textual rewrite with no judgement: what it drops (percent signs, degree marks, units)
is recorded so the verifier can report it.
"""

from __future__ import annotations

import re

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
    for k, v in UNICODE.items():
        if k in s:
            s = s.replace(k, v)
    s = s.replace(r"\left.", "").replace(r"\right.", "")
    s = _SIZING.sub("", s)
    s = re.sub(r"\\(?:displaystyle|textstyle|scriptstyle|limits)(?![A-Za-z])", "", s)
    s = re.sub(r"\\[dt]frac(?![A-Za-z])", r"\\frac", s)
    s = re.sub(r"\\[dt]binom(?![A-Za-z])", r"\\binom", s)
    s = s.replace("{,}", "")
    s = re.sub(r"(\d)\\,(\d{3})(?!\d)", r"\1\2", s)  # 1\,000 is a thousands separator, not a space
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

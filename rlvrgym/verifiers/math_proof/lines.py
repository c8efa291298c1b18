"""From a completion to derivation lines: which lines are steps, which are prose, where the math of a step is.

Only textual work happens here (no sympy), in time linear in the input: a hostile completion of 10,000 lines or one
50,000-character line costs milliseconds before any step is parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rlvrgym.verifiers.extract import blank_thinking, last_boxed

LineKind = Literal["step", "prose", "end"]

MAX_LINE_CHARS = 2000  # longer lines are still steps, but refused by the step parser with a reason

_PREFIX = re.compile(r"^\s*(?:\*\*|__)?\s*(?:step|Step|STEP)\s*\d+\s*[:.)]?\s*(?:\*\*|__)?\s*[:.]?\s*"
                     r"|^\s*\d{1,3}\s*[.)]\s+|^\s*[-*•]\s+")
_END_MARKS = {"qed", "q.e.d.", "q.e.d", r"\blacksquare", r"\square", r"\qed", "∎", r"\box", r"\qedsymbol", "□", "■"}
_SEGMENT = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.S)
_CONNECTOR = re.compile(
    r"^(?:(?:so|thus|hence|therefore|then|and|which gives|this gives|we get|we have|giving|i\.e\.|now)\s*,?\s+"
    r"|\\therefore\s*|∴\s*|\\because\s*|\\Rightarrow\s*|\\implies\s*|\\Longrightarrow\s*|=>\s*|⟹\s*|⇒\s*)+", re.I)
_TRAIL_NOTE = re.compile(r"(?:\\q?quad\s*)?(?:\\text\s*\{[^{}]*\}|\((?:by|since|using|from|as)\b[^()]*\)"
                         r"|\((?=[^()\\]*[A-Za-z]{4})[^()\\]*\))\s*[.,;]?\s*$")
_LABEL = re.compile(r"^[A-Za-z][A-Za-z ,'-]*:\s+(?=\S)")
_DECOR = re.compile(r"\\(?:nonumber|notag)\b|\\(?:tag|label)\s*\{[^{}]*\}")
_MATH_WORDS = {"sin", "cos", "tan", "cot", "sec", "csc", "log", "exp", "sqrt", "lim", "int", "ln", "or", "and",
               "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "frac", "cdot", "left", "right", "text",
               "infty", "pi", "mathrm", "dx", "dy", "du", "dt"}
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")


@dataclass(frozen=True)
class Line:
    """One line of the completion. `math` is the step's math text (steps only); `final` marks a `\\boxed{}` line."""

    number: int
    raw: str
    kind: LineKind
    math: str = ""
    final: bool = False


def boxed_content(s: str) -> str | None:
    """The content of the line's last `\\boxed{...}` (the shared rule of `rlvrgym.verifiers.extract`), or None."""
    return last_boxed(s)


def _is_prose(s: str) -> bool:
    """Two or more plain words of three letters or more (not LaTeX commands, not function names) make prose."""
    words = [w for w in _WORD.findall(s) if w.lower() not in _MATH_WORDS]
    return len(words) >= 2 or s.rstrip().endswith(":")


def clean_math(s: str) -> str:
    """Alignment marks, line breaks, equation tags, trailing justifications and punctuation go; math stays."""
    s = _DECOR.sub("", s).replace("&", " ")
    s = re.sub(r"\\\\\s*$", "", s.strip())
    for _ in range(3):
        t = _TRAIL_NOTE.sub("", s).strip()
        if t == s or not t or t.endswith("="):  # `= \text{RHS}` is a side, not a note
            break
        s = t
    s = _CONNECTOR.sub("", s.strip())
    return s.strip().rstrip(".,;").strip()


def classify(number: int, raw: str) -> Line:
    s = _PREFIX.sub("", raw, count=1).strip()
    if len(s) > MAX_LINE_CHARS:  # no further regex work on hostile lengths; the step parser refuses it
        return Line(number, raw, "prose") if _is_prose(s) else Line(number, raw, "step", s)
    if not s or re.fullmatch(r"\\(?:begin|end)\s*\{[^{}]*\}(?:\s*\{[^{}]*\})?", s) or s in ("$$", r"\[", r"\]"):
        return Line(number, raw, "prose")
    bare = s.strip("$ ").replace(r"\[", "").replace(r"\]", "").strip().rstrip(".").strip()
    if bare.lower() in _END_MARKS or bare.lower().rstrip(".") in _END_MARKS:
        return Line(number, raw, "end")
    boxed = boxed_content(s)
    if boxed is not None:
        math = clean_math(boxed)
        if re.sub(r"\\text\s*\{|[{} ]", "", math).lower() in ("qed", "q.e.d."):
            return Line(number, raw, "end")
        return Line(number, raw, "step", math, final=True)
    segments = [next(g for g in m.groups() if g is not None) for m in _SEGMENT.finditer(s)]
    if segments:
        outside = _SEGMENT.sub(" ", s)
        if not _is_prose(outside) and len(segments) == 1:
            math = segments[0]
        else:
            with_relation = [clean_math(g) for g in segments if "=" in g]
            if not with_relation and _is_prose(outside):
                return Line(number, raw, "prose")  # prose that mentions a formula in passing
            # "Let $u = x^2$, so $du = 2x\,dx$": every relation on the line is a claim, in order.
            math = " \\implies ".join(with_relation) if with_relation else segments[-1]
        return Line(number, raw, "step", clean_math(math))
    s = clean_math(_LABEL.sub("", s, count=1))
    if not s:
        return Line(number, raw, "prose")
    if _is_prose(s):
        tail = _math_tail(s)
        return Line(number, raw, "step", tail) if tail else Line(number, raw, "prose")
    return Line(number, raw, "step", s)


def _math_tail(s: str) -> str | None:
    """The relation at the end of a plain-text sentence (`Subtracting 6 gives 2x = 8`), or None."""
    words = [m for m in _WORD.finditer(s) if m.group().lower() not in _MATH_WORDS]
    rest = clean_math(s[words[-1].end():]) if words else ""
    if "=" in rest and rest.split("=", 1)[0].strip() and not _is_prose(rest):
        return rest
    return None


def split_lines(completion: str, max_lines: int) -> tuple[list[Line], int]:
    """The classified lines (a `\\\\` inside a line also breaks it, as in `align`), and how many step lines were
    beyond `max_lines` steps (not classified further)."""
    lines: list[Line] = []
    steps = 0
    overflow = 0
    number = 0
    # Scratch work inside <think> is not the derivation (math.md); its lines keep their numbers, blanked.
    completion = blank_thinking(completion)
    for raw in completion.splitlines():
        parts = re.split(r"\\\\(?=\s*\S)", raw) if "\\\\" in raw and len(raw) <= MAX_LINE_CHARS else [raw]
        for part in parts:
            number += 1
            if not part.strip():
                continue
            if steps >= max_lines:
                overflow += 1
                continue
            line = classify(number, part)
            steps += line.kind == "step"
            lines.append(line)
    return lines, overflow

"""Finding the final answer in a completion (math.md, "Extraction")."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Extraction:
    text: str
    method: str  # boxed, phrase, last_math, last_number
    format_ok: bool  # the answer was where the prompt asked for it (a \boxed{})


_BOX = re.compile(r"\\(?:boxed|fbox)\b")
_PHRASES = re.compile(r"(?:final answer|the answer|answer)\s*(?:is|:|=)\s*:?\s*(.+)", re.I)
_INLINE_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.S)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?")


def _braced(text: str, start: int) -> tuple[str, int] | None:
    """The content of the brace group opening at `start`, honouring `\\{` escapes; None when unbalanced."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i + 1
        i += 1
    return None


def last_boxed(text: str) -> str | None:
    """Content of the last `\\boxed{...}` (or `\\fbox`): a self-corrected answer counts, not a merge of all."""
    for m in reversed(list(_BOX.finditer(text))):
        j = m.end()
        while j < len(text) and text[j] == " ":
            j += 1
        if j < len(text) and text[j] == "{":
            found = _braced(text, j)
            if found is not None:
                return found[0].strip()
        else:
            m2 = re.match(r"\s*([^\s$]+)", text[m.end():])
            if m2:
                return m2.group(1)
    return None


def strip_thinking(completion: str) -> str | None:
    """Text after the last `</think>`; None when a `<think>` block never closes (no answer was given)."""
    if "</think>" in completion:
        return completion.rsplit("</think>", 1)[1]
    if "<think>" in completion:
        return None
    return completion


def extract_answer(completion: str) -> Extraction | None:
    text = strip_thinking(completion)
    if text is None or not text.strip():
        return None
    boxed = last_boxed(text)
    if boxed is not None:
        return Extraction(boxed, "boxed", True)
    if _BOX.search(text):
        return Extraction("", "boxed_unclosed", False)  # a boxed answer was attempted: never guess another
    matches = list(_PHRASES.finditer(text))
    if matches:
        lines = matches[-1].group(1).strip().splitlines()
        if not lines:
            return None  # "The final answer is " with nothing after it
        answer = lines[0].strip()
        answer = re.split(r"\.\s", answer)[0].rstrip(". ")
        math = _INLINE_MATH.search(answer)
        if math:
            answer = next(g for g in math.groups() if g is not None)
        return Extraction(answer.strip(), "phrase", False)
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    last = paragraphs[-1] if paragraphs else text
    maths = list(_INLINE_MATH.finditer(last))
    if maths:
        return Extraction(next(g for g in maths[-1].groups() if g is not None).strip(), "last_math", False)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", last.strip()) if s.strip()]
    numbers = _NUMBER.findall(sentences[-1]) if sentences else []
    if numbers:
        return Extraction(numbers[-1].strip(), "last_number", False)
    return None

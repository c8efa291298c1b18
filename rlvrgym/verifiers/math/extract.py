"""Finding the final answer in a completion (math.md, "Extraction")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rlvrgym.verifiers.extract import final_box_group, strip_thinking


@dataclass(frozen=True)
class Extraction:
    """The final answer found. `values` holds every value stated together as the answer (several boxes joined by
    "or"/"and"/commas; `text` is the last); `tail` is the text after the answer, where a hedge may stand."""

    text: str
    method: str  # boxed, boxed_unclosed, phrase, last_math, last_number
    format_ok: bool  # the answer was where the prompt asked for it (a \boxed{})
    values: tuple[str, ...] = ()
    tail: str = ""


_PHRASES = re.compile(r"(?:final answer|the answer|answer)\s*(?:is|:|=)\s*:?\s*(.+)", re.I)
_INLINE_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.S)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?")


def extract_answer(completion: str) -> Extraction | None:
    text = strip_thinking(completion)
    if text is None or not text.strip():
        return None
    group = final_box_group(text)
    if group:
        last = group[-1]
        if last.content is None:
            return Extraction("", "boxed_unclosed", False)  # a boxed answer was attempted: never guess another
        values = tuple(b.content for b in group if b.content is not None)
        return Extraction(last.content, "boxed", True, values, text[last.end:])
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

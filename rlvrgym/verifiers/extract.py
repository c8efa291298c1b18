"""Where a completion states its final answer: thinking, brace groups, `\\boxed{}`, hedges.

One module for the math, math-proof and physics verifiers, so that they read a completion the same way. Each rule
below is decided once here and tested once in tests/test_extract.py:

- Thinking: everything up to the last `</think>` is thinking (chat templates often open `<think>` in the prompt,
  so a completion may hold only the closing tag); a `<think>` opened after that and never closed means the model
  never answered (`strip_thinking` returns None).
- Braces: `\\{` and `\\}` are escaped braces (set notation) and never open or close a group; `\\\\` is a line
  break, so the brace after it is a real one. Matching is linear in the text, whatever its nesting.
- Boxes: `\\boxed{...}` and `\\fbox{...}` both box an answer. The last box is the answer (a self-correction wins,
  earlier boxes are never merged). When the last box never closes (`\\boxed{1} then \\boxed{2`), there is no
  boxed answer at all: an earlier box was superseded and is not taken back. `\\boxed 7` (no brace, as TeX allows)
  boxes the run of characters up to the next space, `$`, `\\)` or `\\]`, without trailing punctuation. A box
  nested inside another closed box is part of its content; `\\boxed{\\boxed{3}}` reads as `3`.
- Hedges: two different values stated as the final answer earn nothing. A hedge is (a) boxes stated together
  whose values differ: only spaces, commas, brackets, `and`/`or`, math delimiters and `x =` between them
  (`\\boxed{3} or \\boxed{4}`), or a phrase offering an alternative (`\\boxed{3} (alternatively \\boxed{4})`), while
  a correction between them ("wait", "actually", "mistake") makes the last box the answer; or (b) after the final
  answer, a phrase offering another value (`or possibly 5`, `though another value is also possible`, `it could
  also be 5`, `5 also works`, `if ... the answer would be 5`, `Final Answer: 5`), unless every value it names is
  the same as the answer (`\\boxed{1/2} (or 0.5)` is not a hedge) or the text itself rejects it ("it could be 5,
  but that is wrong"). "The same value" is the caller's predicate: math compares exactly, physics within its
  tolerance and with units. The values passed to it are texts as written (a bare `5` may follow a `5 m/s` box).
  The work is bounded: identical values are compared once, at most MAX_HEDGE_VALUES distinct values and
  MAX_HEDGE_CHECKS comparisons, past which the text counts as hedged.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: `same(a, b)`: are the answer texts a and b the same value? None (cannot tell) counts as different.
SameValue = Callable[[str, str], bool | None]

_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"


def strip_thinking(text: str) -> str | None:
    """The text after the thinking, or None when a `<think>` is opened and never closed (no answer was given)."""
    if _THINK_CLOSE in text:
        text = text.rsplit(_THINK_CLOSE, 1)[1]
    if _THINK_OPEN in text:
        return None
    return text


def blank_thinking(text: str) -> str:
    """The text with its thinking replaced by the newlines it held (line numbers stay where they were); an
    unclosed `<think>` blanks everything after it. Same rule as `strip_thinking`, for line-based readers."""
    cut = text.rfind(_THINK_CLOSE)
    if cut >= 0:
        cut += len(_THINK_CLOSE)
        text = "\n" * text.count("\n", 0, cut) + text[cut:]
    opened = text.find(_THINK_OPEN)
    if opened >= 0:
        text = text[:opened] + "\n" * text.count("\n", opened)
    return text


# -- braces ---------------------------------------------------------------------------------------------------
_BRACE_TOKEN = re.compile(r"\\.|[{}]", re.S)  # an escaped character is one token: \\{ \\} \\\\ never count


def matching_brace(text: str, open_index: int) -> int:
    """Index of the `}` closing the `{` at `open_index` (escaped braces skipped), or -1 when it never closes."""
    depth = 0
    for m in _BRACE_TOKEN.finditer(text, open_index):
        c = m.group()
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return m.start()
    return -1


def brace_pairs(text: str, start: int = 0) -> dict[int, int]:
    """Every unescaped `{` from `start` on that closes, mapped to its `}`, in one linear pass (a scan from every
    opening would be quadratic on `\\boxed{` repeated 20,000 times). A stray `}` closes nothing."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for m in _BRACE_TOKEN.finditer(text, start):
        c = m.group()
        if c == "{":
            stack.append(m.start())
        elif c == "}" and stack:
            pairs[stack.pop()] = m.start()
    return pairs


# -- boxes ----------------------------------------------------------------------------------------------------
_BOX = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_BARE_ARG = re.compile(r"[ \t]*((?:(?!\\[)\]])[^\s$])+)")


@dataclass(frozen=True)
class Box:
    """One `\\boxed`/`\\fbox` in a text. `content` is None when the box never closes; `end` is the index just past
    the box (the text's length when it never closes); `open` is the index of its `{` (-1 for `\\boxed 7`)."""

    start: int
    end: int
    open: int
    content: str | None

    @property
    def closed(self) -> bool:
        return self.content is not None


def find_boxes(text: str) -> list[Box]:
    """The boxes of `text` in order, boxes inside a closed box excluded (they are part of its content)."""
    matches = list(_BOX.finditer(text))
    if not matches:
        return []
    pairs = brace_pairs(text, matches[0].start())
    boxes: list[Box] = []
    covered_until = -1  # end of the last closed box: boxes before it are nested in it
    for m in matches:
        if m.start() < covered_until:
            continue
        j = m.end()
        while j < len(text) and text[j] in " \t":
            j += 1
        if j < len(text) and text[j] == "{":
            close = pairs.get(j)
            if close is None:
                boxes.append(Box(m.start(), len(text), j, None))
                continue
            boxes.append(Box(m.start(), close + 1, j, _unwrap(text[j + 1:close].strip())))
            covered_until = close + 1
            continue
        bare = _BARE_ARG.match(text, m.end())
        if bare is None:
            boxes.append(Box(m.start(), len(text), -1, None))
            continue
        arg = bare.group(1).rstrip(".,;:!?")
        if not arg:
            boxes.append(Box(m.start(), len(text), -1, None))
            continue
        boxes.append(Box(m.start(), bare.start(1) + len(arg), -1, arg))
    return boxes


def _unwrap(content: str) -> str:
    """`\\boxed{\\boxed{3}}` -> `3`: a box that holds exactly one box holds its content."""
    for _ in range(10):
        inner = find_boxes(content) if _BOX.match(content) else []
        if len(inner) == 1 and inner[0].start == 0 and inner[0].end == len(content) and inner[0].content is not None:
            content = inner[0].content
        else:
            break
    return content


def last_box(text: str) -> Box | None:
    """The final box (closed or not), or None when the text has no box."""
    boxes = find_boxes(text)
    return boxes[-1] if boxes else None


def last_boxed(text: str) -> str | None:
    """Content of the final box, or None when there is none or it never closes."""
    box = last_box(text)
    return None if box is None else box.content


_GLUE = re.compile(r"(?:\s+|\$+|\\[()\[\]]|\\[,;:! ]|\\q?quad(?![A-Za-z])|[,;&/()]|\\(?:text|mathrm|textbf)\s*\{"
                   r"\s*(?:or|and|,)?\s*\}|\b(?:or|and|either)\b|(?<![A-Za-z\\])[A-Za-z](?:_\{?\w+\}?)?\s*=)*")


def final_box_group(text: str) -> list[Box]:
    """The final box with the closed boxes stated together with it (`$x=\\boxed{2}$ or $x=\\boxed{6}$`,
    `\\boxed{1}, \\boxed{2}`): boxes with only glue between them (spaces, commas, `and`/`or`, math delimiters,
    `x =`). Empty when there is no box; the final box alone when it never closes."""
    boxes = find_boxes(text)
    if not boxes:
        return []
    group = [boxes[-1]]
    if not boxes[-1].closed:
        return group
    for box in reversed(boxes[:-1]):
        between = text[box.end:group[0].start]
        if not box.closed or not (_GLUE.fullmatch(between) or _offers_alternative(between)):
            break
        group.insert(0, box)
    return group


# Between two boxes: "\\boxed{5} (alternatively \\boxed{6})" states both; "\\boxed{6}. Wait, no: \\boxed{5}" corrects.
_BETWEEN_ALTERNATIVE = re.compile(r"\b(?:alternatively|though|although|or\s+(?:possibly|maybe|perhaps|else|rather)|"
                                  r"also\s+(?:possible|valid|correct|acceptable)|"
                                  r"(?:could|might|may)\s+(?:also|instead|equally)\s+be|"
                                  r"another\s+(?:possible\s+|valid\s+)?(?:value|answer|solution|option)|either)\b",
                                  re.I)
_CORRECTION = re.compile(r"\b(?:wait|no|actually|oops|mistake|wrong|incorrect|correction|instead|recheck|re-check|"
                         r"recompute|recalculat\w*|redo|sorry|error|fix)\b", re.I)


def _offers_alternative(between: str) -> bool:
    return len(between) <= 200 and bool(_BETWEEN_ALTERNATIVE.search(between)) and not _CORRECTION.search(between)


def final_boxed_answers(text: str) -> list[str] | None:
    """The contents of `final_box_group` (several when values are stated together), [] when the final box never
    closes, None when the text has no box."""
    group = final_box_group(text)
    if not group:
        return None
    if not group[-1].closed:
        return []
    return [b.content for b in group if b.content is not None]


# -- hedges ---------------------------------------------------------------------------------------------------
MAX_HEDGE_VALUES = 16
MAX_HEDGE_CHECKS = 32


def is_hedge(values: Sequence[str], same: SameValue) -> bool:
    """Are two of the stated values different (a hedge)? Identical texts are one value; the others are compared
    with the first. More than MAX_HEDGE_VALUES distinct texts is a hedge without comparing them (a completion of
    2,000 boxes must not cost 2,000 comparisons)."""
    distinct = list(dict.fromkeys(" ".join(v.split()) for v in values))
    if len(distinct) > MAX_HEDGE_VALUES:
        return True
    return any(same(distinct[0], v) is not True for v in distinct[1:])


_WORDS_VALUE = r"(?:values?|answers?|results?|solutions?|options?|possibilit(?:y|ies)|choices?)"
_OK_WORDS = r"(?:possible|valid|correct|acceptable|plausible|likely|right|works?)"
# A phrase that offers another answer on its own ("another value is also possible"): a hedge unless every value
# in its sentence is the answer.
_OFFER = re.compile("|".join((
    r"(?:\d|\$|\\\)|\}|\b" + _WORDS_VALUE + r"|\bit|\bthat|\bthis)\s*(?:is|are|would\s+be|seems?|could\s+be|"
    r"might\s+be|may\s+be)\s+(?:also|equally)\s+" + _OK_WORDS + r"\b",
    r"\b(?:another|other|alternative|second|different)\s+(?:possible\s+|valid\s+|plausible\s+|correct\s+)?"
    + _WORDS_VALUE + r"\b[^.;\n]{0,40}?\b(?:possible|valid|correct|acceptable|plausible|likely|works?)\b",
    r"\bnot\s+the\s+only\s+(?:possible\s+)?" + _WORDS_VALUE + r"\b",
    r"\b(?:another|other|alternative|second)\s+(?:possible|valid|plausible|correct|acceptable)\s+" + _WORDS_VALUE
    + r"\b",
)), re.I)
# A phrase that introduces an alternative value right after it ("or possibly 6", "it could also be 6"): a hedge
# when that value differs from the answer; with no value after it ("but it could be simplified") it is prose.
_ALTERNATIVE = re.compile("|".join((
    r"\b(?:could|might|may|can)\s+(?:also|instead|equally|alternatively|just\s+as\s+well)\s+be\b",
    r"\b(?:could|might|may)\s+(?:well\s+|even\s+)?be\b",
    r"\b(?:maybe|perhaps|possibly)\b(?=\s*(?:\$|\\\(|[-\u2212]?\d)[^\s,.;)]*\s*(?:[,.;!?)]|$|\n|\\\)|\$))",
    r"\bor\s+is\s+it\b",
    r"\bor\s+(?:possibly|maybe|perhaps|alternatively|otherwise|else|rather)\b",
    r"\b(?:alternatively|otherwise)\s*,?\s+(?:the\s+answer|it|the\s+value|the\s+result)\s+(?:is|could\s+be|"
    r"might\s+be|would\s+be|may\s+be)\b",
    r"\bif\b[^.\n]{0,100}?\b(?:the\s+answer|it|the\s+result|the\s+value)\s+(?:would|will|could|might)\s+be\b",
    r"\b(?:ou\s+peut-être|o\s+(?:quizás|quizá|tal\s+vez)|oder\s+vielleicht|oppure|ou\s+talvez)\b",
    r"\b(?:final\s+)?answer\s*(?:is|:|=)",
    r"^(?:\s|\$|[.,;:)\]}]|\\[)\],;:! ]|\\q?quad(?![A-Za-z]))*(?:\(\s*)?(?:\\text\s*\{\s*)?"
    r"(?:or\b|/)(?:\s+(?:possibly|maybe|perhaps|else|rather|even|is\s+it|was\s+it)\b)?",
)), re.I)
_VALUE = re.compile(r"\\boxed\s*\{[^{}]*\}|\$[^$]{1,80}\$|\\\((.{1,80}?)\\\)|(?:[A-Za-z](?:_\w)?\s*=\s*)?"
                    r"(?:[-\u2212]?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?|\\[dt]?frac\s*\{[^{}]*\}\s*\{[^{}]*\})")
# "6 also works": the value before the phrase is the alternative.
_ALSO = re.compile(r"(?P<v>" + _VALUE.pattern.replace("(.{1,80}?)", "(?:.{1,80}?)") + r")\s*(?:(?:would|could|"
                   r"might|may|can)\s+)?(?:also|too|equally)\s+(?:works?|fits?|satisf\w+|solves?|holds?|do(?:es)?)\b")
_LEAD = re.compile(r"(?:\s|:|[*_`}]|about|around|approximately|roughly|exactly)*", re.I)
_SENTENCE_END = re.compile(r"[.;!?](?=\s|$)|\n")


# An alternative that the text itself rejects is reasoning, not a hedge ("it could be 8, but that is wrong").
_REJECTED = re.compile(r"\b(?:wrong|incorrect|not\s+(?:correct|right|valid|possible|allowed|the\s+answer)|reject\w*|"
                       r"extraneous|invalid|impossible|undefined|ruled\s+out|does(?:n't|\s+not)\s+work|mistaken?|"
                       r"discard\w*|exclud\w*|fails?|can(?:not|'t)\s+be)\b", re.I)


_WORDY = re.compile(r"[^\W_]")


def hedge_after(tail: str, answer: str, same: SameValue) -> str | None:
    """The hedge in `tail`, the text after the final answer, as a short quote; None when there is none."""
    if not _WORDY.search(tail):
        return None  # "$." or "}" after the box: nothing to read
    memo: dict[str, bool | None] = {}
    asked = 0

    def differs(value: str) -> bool:
        """Is `value` another value than the answer? Each distinct text is compared once; past MAX_HEDGE_CHECKS
        comparisons a tail of hostile length counts as a hedge rather than costing more time."""
        nonlocal asked
        key = " ".join(value.split())
        if key not in memo:
            asked += 1
            memo[key] = False if asked > MAX_HEDGE_CHECKS else same(answer, key)
        return memo[key] is not True

    ends = [m.end() for m in _SENTENCE_END.finditer(tail)]

    def rejected(pos: int) -> bool:
        k = bisect.bisect_right(ends, pos)
        stop = ends[k] if k < len(ends) else len(tail)
        return _REJECTED.search(tail, pos, stop) is not None

    for cue in _ALTERNATIVE.finditer(tail):
        lead = _LEAD.match(tail, cue.end())
        value = _VALUE.match(tail, lead.end() if lead else cue.end())
        if value is not None and differs(_value_text(value)) and not rejected(value.end()):
            return tail[cue.start():value.end()].strip()[:80]
    for also in _ALSO.finditer(tail):
        found = _VALUE.fullmatch(also.group("v"))
        if found is not None and differs(_value_text(found)) and not rejected(also.end()):
            return also.group().strip()[:80]
    for cue in _OFFER.finditer(tail):
        if rejected(cue.end()):
            continue
        k = bisect.bisect_right(ends, cue.start())
        begin = max(ends[k - 1] if k else 0, tail.rfind("(", 0, cue.start()) + 1)
        after = _SENTENCE_END.search(tail, cue.end())
        sentence = tail[begin:after.start() if after else len(tail)]
        values = [_value_text(m) for m in _VALUE.finditer(sentence)]
        if not values or any(differs(v) for v in values):
            return sentence.strip()[:80]
    return None


def _value_text(m: re.Match[str]) -> str:
    s = m.group()
    if s.startswith("\\boxed"):
        return s[s.index("{") + 1:-1]
    if s.startswith("$"):
        return s.strip("$")
    if m.group(1) is not None:
        return m.group(1)
    return s


def find_hedge(text: str, same: SameValue) -> str | None:
    """The hedge of a completion answered in a box: boxes stated together with different values, or a hedge
    phrase after the final box. None when there is no hedge (or no box: the caller checks its own answer form
    with `hedge_after`)."""
    answer_text = strip_thinking(text)
    if answer_text is None:
        return None
    group = final_box_group(answer_text)
    if not group or not group[-1].closed:
        return None
    values = [b.content for b in group if b.content is not None]
    if len(values) > 1 and is_hedge(values, same):
        return "different values stated together: " + " / ".join(v[:30] for v in values)
    return hedge_after(answer_text[group[-1].end:], values[-1], same)

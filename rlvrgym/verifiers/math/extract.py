"""Finding the final answer in a completion (docs/math.md, "Extraction").

The box rules, `<think>` stripping and the hedge rule are shared with the other verifiers
(`rlvrgym.verifiers.extract`). Without a box, the answer is read from the prose chat models write: Markdown marks
are taken off (outside math), then the last answer statement is used ("The answer is **7**.", "**Final Answer:**
7", "La respuesta es 42.", "答案是 42。", a heading "Final Answer" with the value on the next line), else a result
statement of the last paragraph ("The two numbers are 3 and 4."), else its last math, else math without delimiters
ending its last sentence ("Therefore x = 5."), else its last number. Several values stated together ("the
solutions are $x=2$ and $x=6$") are all kept, so the verifier can read them as one set or refuse them as a hedge.
Multiple choice has its own reader (`extract_choice`).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from rlvrgym.verifiers.extract import final_box_group, strip_thinking


@dataclass(frozen=True)
class Extraction:
    """The final answer found. `values` holds every value stated together as the answer (boxes joined by
    "or"/"and"/commas, math segments in one sentence; `text` is the last); `tail` is the text after the answer,
    where a hedge may stand."""

    text: str
    method: str  # boxed, boxed_unclosed, phrase, phrase_empty, last_math, last_number
    format_ok: bool  # the answer was where the prompt asked for it (a \boxed{})
    values: tuple[str, ...] = ()
    tail: str = ""


# -- Markdown -------------------------------------------------------------------------------------------------
_MATH_SPAN = re.compile(r"\$\$.+?\$\$|(?<!\\)\$(?:\\.|[^$\\])+\$|\\\(.+?\\\)|\\\[.+?\\\]", re.S)
_MD_LINE = re.compile(r"^[ \t]{0,3}(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|```[\w-]*[ \t]*$)", re.M)
# An emphasis mark opens before a word and closes after one: `**7**`, `_Answer:_`, `**_$7$_**`, `**42**입니다`. A
# mark between two ASCII letters or digits (`x_1`, `2*3`) or between two spaces (`2 * 3`) is math, not Markdown.
# \x00 stands for a math span.
_MD_MARK = re.compile(r"(?<![A-Za-z0-9]|\x00|[*_])[*_]{1,3}+(?=[^\W_]|\x00|[\\$(\[\-−+.])"
                      r"|(?<=[^\W_]|\x00|[)\].!?:%=—–\-,;'\"’])[*_]{1,3}+(?![A-Za-z0-9]|\x00|[*_])")
_MD_STRIKE = re.compile(r"~~[^~\n]*~~|<(?:s|del|strike)>.*?</(?:s|del|strike)>", re.I | re.S)
_HTML_TAG = re.compile(r"</?(?:b|strong|i|em|u|code|mark|span|sup|sub|p|br|div)\b[^<>]{0,80}>", re.I)
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")


def strip_markdown(text: str) -> str:
    """Emphasis, inline code, headings, quotes, bullets and simple HTML removed outside math (`x_1` and `a*b`
    inside `$...$` are math, not Markdown); struck-out text is withdrawn, so it goes too."""
    spans: list[str] = []

    def hold(m: re.Match[str]) -> str:
        spans.append(m.group())
        return f"\x00{len(spans) - 1}\x00"

    t = _MATH_SPAN.sub(hold, text.replace("\x00", ""))
    t = _MD_STRIKE.sub("", t)
    t = _HTML_TAG.sub("", t)
    t = _MD_LINE.sub("", t)
    t = _MD_MARK.sub("", t).replace("`", "")
    return _PLACEHOLDER.sub(lambda m: spans[int(m.group(1))], t)


# -- answer statements ----------------------------------------------------------------------------------------
_ADVERB = r"(?:\s+(?:therefore|thus|then|simply|just|exactly|clearly|indeed|hence|now))?"
_CUES = [
    # English
    r"\b(?:final|correct|right|best|my)\s+(?:answer|result|option|choice)s?\b" + _ADVERB
    + r"\s*(?:is|are|would\s+be|will\s+be|should\s+be|must\s+be|equals|=|:|-|—|–)",
    r"^\s*(?:the\s+)?(?:final\s+|correct\s+)?(?:answer|result)s?\s*:?\s*$",
    r"\b(?:the\s+)?answers?\b" + _ADVERB + r"\s*(?:is|are|would\s+be|will\s+be|should\s+be|must\s+be|equals|=|:|—|–)",
    r"(?<!of\s)\bthe\s+(?:solutions?|roots?|zeros?|result)\b(?:\s+(?:of|to)\s+[^.:\n]{1,40}?)?" + _ADVERB
    + r"\s*(?:is|are|=|:)",
    r"\b(?:option|choice)\b\s*(?:is|:|=)",
    # other languages
    r"\b(?:la\s+)?(?:bonne\s+)?réponse(?:\s+(?:finale|correcte))?\s*(?:est|:|=)",
    r"\brésultat(?:\s+final)?\s*(?:est|:|=)",
    r"\b(?:la\s+)?respuesta(?:\s+(?:final|correcta))?\s*(?:es|:|=)", r"\bresultado(?:\s+final)?\s*(?:es|é|:|=)",
    r"\b(?:a\s+)?resposta(?:\s+(?:final|correta))?\s*(?:é|e|:|=)",
    r"\b(?:la\s+)?risposta(?:\s+(?:finale|corretta))?\s*(?:è|e|:|=)", r"\brisultato(?:\s+finale)?\s*(?:è|:|=)",
    r"\b(?:die\s+)?(?:endgültige\s+|richtige\s+|korrekte\s+)?antwort\s*(?:ist|lautet|:|=)",
    r"\b(?:das\s+)?ergebnis\s*(?:ist|lautet|:|=)", r"\b(?:die\s+)?lösung\s*(?:ist|lautet|:)",
    r"(?:الإجابة|الجواب)\s*(?:هي|هو|:)",
    r"\b(?:het\s+)?(?:uiteindelijke\s+)?antwoord\s*(?:is|:|=)",
    r"\bodpowied[źz]\s*(?:to|:|=|wynosi)", r"\bwynik\s*(?:to|:|=|wynosi)",
    r"(?:итоговый\s+)?ответ\s*(?:[:=—-]|равен|будет)", r"\bcevap\s*(?::|=)", r"\byan[ıi]t\s*(?::|=)",
    r"\bjawaban(?:nya)?\s*(?:adalah|:|=)", r"\bđáp\s+(?:án|số)\s*(?:là|:|=)",
    r"(?:最终|最後の|最后)?答案\s*(?:是|为|為|：|:|=)", r"答\s*[：:]", r"结果\s*(?:是|为|：|:)",
    r"(?:最終的な)?答え\s*(?:は|：|:)", r"解答\s*(?:は|：|:)", r"(?:정답|답)\s*(?:은|는|:|：|=)",
    r"उत्तर\s*(?:है|:)",
    r"(?:\b(?:svar(?:et)?|odpověď|відповідь|απάντηση|jawapan|sagot|vastaus|válasz|răspuns(?:ul)?|odgovor|"
    r"atsakymas|atbilde|vastus)|תשובה|คำตอบ|উত্তর|جواب)\s*(?::|：|=|är|er|on|je|є|είναι|คือ|est[eă]|ir|ay)",
]
# Statements of a result that are not called "the answer" ("The two numbers are 3 and 4", "the ordered pair is
# (1, 2)"): used only in the last paragraph and only when no answer statement exists, because explanations
# after an answer often state other quantities ("The answer is 7. The sum of the roots is 5 by Vieta").
_RESULT_CUE = re.compile(
    r"\bthe\s+(?:\w+\s+){0,3}?(?:values?|pair|triple|point|coordinates|sum|product|total|area|perimeter|volume|"
    r"probability|minimum|maximum|numbers?|length|distance|ratio|remainder|integers?|digits?)\b"
    r"(?:\s+of\s+[^.:\n]{1,40}?)?\s+(?:is|are|equals|=)", re.I)
_CUE = re.compile("|".join(f"(?:{c})" for c in _CUES), re.I | re.M)
_CUT = re.compile(
    r"(?<=\S)(?<!\.\.)\.(?=\s|$)|[。！？；\n]|(?<!\\);|，|、"
    r"|,?\s+(?:because|since|as|which|where|so\s+that|given|then|and\s+(?:this|that|it|so|we|the)|but|though"
    r"|although|however|while|for)\b"
    r"|\s\((?=[^()]*[A-Za-z]{3})|\s+(?:or|,)\s+(?=(?:possibly|maybe|perhaps)\b)"
    r"|,?\s+(?:porque|parce\s+que|car|puisque|weil|denn|da|perché|poiché|потому\s+что|так\s+как|omdat|bo|çünkü"
    r"|karena|vì)\b|因为|なぜなら|왜냐하면"
    r"|,\s*(?=(?:approximately|approx\.|about|roughly|nearly|around)\b)"
    r"|\s+(?:by|using|via|according\s+to)\s+(?=[^\W\d_]{2,})"
    r"|,\s+(?!(?:and|or|und|oder|et|ou|y|e|o|и|или)\b)(?=[^\W\d_]{3,})", re.I)
_LEADING = re.compile(r"^(?:\s|:|：|=)*(?:(?:approximately|approx\.?|about|around|roughly|exactly|≈|~|\\approx|"
                      r"\\sim)\s*)?", re.I)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?")
# Words after a number that change its value or that normalize() reads (units it records, percent, degrees): a
# number followed by one of them is left whole, so "5 squared" is never read as 5.
_MATH_WORDS = {"sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "exp", "sqrt", "pi", "and", "or", "plus",
               "minus", "times", "over", "divided", "infinity", "inf", "to", "x", "y", "z", "i", "e", "squared",
               "cubed", "hundred", "hundreds", "thousand", "thousands", "million", "millions", "billion", "billions",
               "dozen", "dozens", "half", "halves", "third", "thirds", "fourth", "fourths", "quarter", "quarters",
               "tenth", "tenths", "hundredth", "hundredths", "percent", "per", "cent", "degree", "degrees", "radian",
               "radians", "factorial", "less", "more", "fewer", "greater", "smaller", "larger", "root", "power",
               "powers", "square", "cube", "not", "than", "of", "point", "mod", "modulo", "pm"}
_WORDS_AFTER_NUMBER = re.compile(r"^(\s*[-+−]?\s*[\d.,/ ]*\d)\s*((?:[^\W\d_]+[\s.]*)+)$")
_GLUE = re.compile(r"^(?:\s|,|;|\\text\s*\{\s*(?:or|and)\s*\}|\b(?:or|and|or\s+(?:possibly|maybe|perhaps))\b)*$",
                   re.I)


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
    plain = strip_markdown(text)
    phrase = _from_statement(plain)
    if phrase is not None:
        return phrase
    paragraphs = [p for p in re.split(r"\n\s*\n", plain.strip()) if p.strip()]
    if paragraphs:
        result = _from_statement(paragraphs[-1], _RESULT_CUE)
        if result is not None and result.method != "phrase_empty":
            return result
    return _from_last_math(plain)


MAX_CUES = 20  # statements examined from the end: a hostile text of 5,000 "answer:" costs no more than 20


def _from_statement(plain: str, pattern: re.Pattern[str] = _CUE, look_back: bool = True) -> Extraction | None:
    """The last answer statement whose value looks like an answer (a later "answer" in passing is skipped)."""
    cues = list(pattern.finditer(plain))[-MAX_CUES:]
    announced = False
    for cue in reversed(cues):
        if _CHECKING.search(plain, max(0, cue.start() - 40), cue.start()):
            continue  # "let me double-check the answer: 7 - 4 = 3" is not a statement of it
        rest = plain[cue.end():]
        if not rest.strip(" \t:：="):
            announced = True
        found = _statement_value(rest)
        if found is None:
            continue
        values, end = found
        prefix = plain[_sentence_start(plain, cue.start()):cue.start()]
        if look_back and (_OFFERS_ANOTHER.search(prefix) or
                          (_HYPOTHETICAL.search(cue.group()) and _CONDITIONAL.search(prefix))):
            # "The answer is 5. Another possible answer is 6.", "If the endpoints count, the answer would be 6.":
            # the earlier statement still stands beside this one.
            before = plain[:cue.start()]
            earlier = _from_statement(before, pattern, look_back=False) or _from_last_math(before)
            if earlier is not None and earlier.values:
                values = [*earlier.values, *values]
        return Extraction(values[-1], "phrase", False, tuple(values), rest[end:])
    if announced:
        return Extraction("", "phrase_empty", False)
    return None


_CHECKING = re.compile(r"\b(?:check(?:ing)?|verif(?:y|ying)|confirm(?:ing)?|test(?:ing)?|plug(?:ging)?|"
                       r"substitut\w*|double[- ]?check(?:ing)?|compare|comparing)\s+(?:the\s+|our\s+|my\s+|this\s+)?"
                       r"(?:final\s+)?$", re.I)
_HYPOTHETICAL = re.compile(r"\b(?:would|could|might)\b", re.I)
_CONDITIONAL = re.compile(r"\b(?:if|were|had|assuming|suppose|otherwise|unless)\b", re.I)
_OFFERS_ANOTHER = re.compile(r"\b(?:another|other|alternative|alternatively|second|also|or)\b", re.I)


def _sentence_start(text: str, pos: int) -> int:
    window = max(0, pos - 300)  # a sentence prefix longer than this is not read
    ends = [m.end() for m in re.finditer(r"[.!?。](?=\s)|\n", text[window:pos])]
    return window + ends[-1] if ends else window


def _statement_value(rest: str) -> tuple[list[str], int] | None:
    """The value(s) right after an answer cue and where they end in `rest`; None when nothing there looks like an
    answer. A cue alone on its line (a heading) takes the next non-empty line or display."""
    offset = 0
    stripped = rest.lstrip(" \t")
    if stripped.startswith("\n") or not stripped:
        body = rest.lstrip()
        offset = len(rest) - len(body)
        display = re.match(r"\$\$.+?\$\$|\\\[.+?\\\]", body, re.S)
        if display:
            value = display.group()
            return [value], offset + display.end()
    lead = _LEADING.match(rest, offset)
    start = lead.end() if lead else offset
    cut = _CUT.search(rest, start)
    end = cut.start() if cut else len(rest)
    raw = rest[start:end]
    if not raw.strip():
        return None
    maths = list(_MATH_SPAN.finditer(raw))
    if maths and not raw[:maths[0].start()].strip():
        values = _glued(raw, maths)
        return values, start + maths[len(values) - 1].end()
    candidate = _drop_trailing_words(raw.strip())
    if maths and not _looks_like_answer(candidate.replace("$", "")):
        return None
    if not _looks_like_answer(candidate):
        return None
    return [candidate], end


def _glued(text: str, maths: list[re.Match[str]]) -> list[str]:
    """The math segments stated together with the first one ("$x=2$ and $x=6$", "$2$, $6$"), their contents."""
    values = [_inner(maths[0].group())]
    for prev, cur in itertools.pairwise(maths):
        if not _GLUE.match(text[prev.end():cur.start()]):
            break
        values.append(_inner(cur.group()))
    return values


def _inner(segment: str) -> str:
    for left, right in (("$$", "$$"), ("$", "$"), (r"\(", r"\)"), (r"\[", r"\]")):
        if segment.startswith(left) and segment.endswith(right):
            return segment[len(left):len(segment) - len(right)].strip()
    return segment.strip()


def _drop_trailing_words(candidate: str) -> str:
    """"12 cookies", "5 です", "6입니다": the number without the words after it (never "2x" or "3 or 4")."""
    m = _WORDS_AFTER_NUMBER.match(candidate)
    if m is None:
        return candidate
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", m.group(2))]
    ascii_words = [w for w in words if w.isascii()]
    if any(w in _MATH_WORDS for w in words) or any(len(w) < 3 for w in ascii_words):
        return candidate
    if ascii_words and not re.match(r"\s", candidate[len(m.group(1)):]):
        return candidate  # "2x", "3cm" glued: not prose after a number
    return m.group(1).strip()


def _looks_like_answer(candidate: str) -> bool:
    """A value, not a sentence: digits, LaTeX or relations, or one or two words (`Tuesday`, `(C)`)."""
    if re.search(r"[\d\\=^_{}()\[\]<>|]", candidate):
        return True
    return len(candidate.split()) <= 2


_PROSE_WORD = re.compile(r"(?<![\\A-Za-z])[^\W\d_₀-₉⁰-⁹]{2,}")
_NUMBER_LIST = re.compile(r"^[-+−]?\d[\d.,/]*(?:\s*(?:,|\band\b|\bor\b)\s*[-+−]?\d[\d./]*)+$")


def _plain_math_tail(sentence: str) -> str | None:
    """Math written without delimiters at the end of the last sentence ("Therefore x = 5.", "x = -3 or x = 5",
    "So 2 and 6."): what follows the last prose word, when it holds a relation or a list of numbers."""
    words = [m for m in _PROSE_WORD.finditer(sentence) if m.group().lower() not in _MATH_WORDS]
    rest = sentence[words[-1].end():] if words else sentence
    rest = rest.strip().rstrip(".!?。").strip(" :,")
    if "=" in rest and re.search(r"\d", rest) and rest.split("=", 1)[0].strip():
        return rest
    if _NUMBER_LIST.match(rest):  # "So 2 and 6.": several values
        return rest
    return None


def _from_last_math(plain: str) -> Extraction | None:
    paragraphs = [p for p in re.split(r"\n\s*\n", plain.strip()) if p.strip()]
    last = paragraphs[-1] if paragraphs else plain
    maths = list(_MATH_SPAN.finditer(last))
    if maths:
        # The last segment and those stated together with it in its sentence ("So $x = 2$ or $x = 6$.").
        first = len(maths) - 1
        while first > 0 and _GLUE.match(last[maths[first - 1].end():maths[first].start()]):
            first -= 1
        values = [_inner(m.group()) for m in maths[first:]]
        return Extraction(values[-1], "last_math", False, tuple(values), last[maths[-1].end():])
    sentences = [s for s in re.split(r"(?<=[.!?。])\s+", last.strip()) if s.strip()]
    tail = _plain_math_tail(sentences[-1]) if sentences else None
    if tail is not None:
        return Extraction(tail, "last_math", False, (tail,), "")
    numbers = list(_NUMBER.finditer(sentences[-1])) if sentences else []
    if numbers:
        return Extraction(numbers[-1].group().strip(), "last_number", False, (numbers[-1].group().strip(),),
                          sentences[-1][numbers[-1].end():])
    return None


# -- multiple choice ------------------------------------------------------------------------------------------
_LETTER = r"[(\[]?\s*(?:\\text(?:bf)?\s*\{\s*\(?)?([A-H])(?:\s*\)?\s*\})?\s*[)\]]?"
_LETTERS = re.compile(r"^\s*(?:(?:the\s+)?(?:option|choice|answer)\s+)?" + _LETTER
                      + r"(?:\s*(?:,|/|&|\bor\b|\band\b)\s*(?:(?:option|choice)\s+)?" + _LETTER + r")*(?![A-Za-z])",
                      re.I)
_ONE_LETTER = re.compile(r"(?<![A-Za-z])" + _LETTER + r"(?![A-Za-z])", re.I)
_CLAIM_LETTER = (r"(?:\$|\\\()?\s*[(\[]?\s*(?:\\text(?:bf)?\s*\{\s*\(?)?(?P<L>[A-H])(?:\s*\)?\s*\})?\s*[)\]]?"
                 r"\s*(?:\$|\\\))?(?![A-Za-z])")
_IS_RIGHT = (r"(?:\s+[^\s.,;:()]{1,20})?(?i:\s+(?:is|would\s+be|must\s+be|seems)\s+(?:the\s+)?"
             r"(?:correct|right|best|answer|true)\b)")
# Positive claims only: "option A is tempting but wrong" names an option without choosing it.
_CHOICE_CLAIMS = [
    r"(?i:\b(?:go(?:ing)?\s+with|choose|chose|pick|picked|select|opt\s+for)\s+(?:option\s+|choice\s+)?)"
    + _CLAIM_LETTER.replace("(?P<L>", "(?P<a>"),
    r"(?i:\b(?:option|choice)\s+)" + _CLAIM_LETTER.replace("(?P<L>", "(?P<b>") + _IS_RIGHT,
    r"(?<![A-Za-z])" + _CLAIM_LETTER.replace("(?P<L>", "(?P<c>") + _IS_RIGHT,
]
_ALONE = re.compile(r"^\s*(?:\$|\\\(|\\\[)?\s*\(?\s*(?:\\text(?:bf)?\s*\{\s*\(?)?[A-H](?:\s*\)?\s*\})?\s*\)?"
                    r"\s*(?:\$|\\\)|\\\])?\s*(?:[.:)]\s*[^A-Za-z]{0,30})?$")
_NEGATED = re.compile(r"^\s*(?:not|n't)\b", re.I)
_CHOICE_CLAIM = re.compile("|".join(f"(?:{c})" for c in _CHOICE_CLAIMS))


@dataclass(frozen=True)
class ChoiceExtraction:
    """The option letters stated as the final answer (several: a hedge), how, and the text after them."""

    letters: tuple[str, ...]
    method: str
    format_ok: bool
    text: str
    tail: str = ""


def choice_letters(text: str) -> tuple[str, ...]:
    """Option letters stated at the start of `text`: `C`, `(C) 42`, `\\textbf{(C)}`, `B or C`, `B/C`, `$(C)$`."""
    text = re.sub(r"^\s*(?:\$+|\\[(\[])", "", text)
    m = _LETTERS.match(text)
    if m is None:
        return ()
    letters = tuple(dict.fromkeys(x.group(1).upper() for x in _ONE_LETTER.finditer(m.group()) if x.group(1)))
    if re.search(r"(?<![A-Za-z(\[])[a-h](?![A-Za-z)\]])(?=\s+[A-Za-z])", text[m.start():m.end() + 2]):
        return ()  # "a prime number": an article, not option (A); "(b)" and a final "b." are options
    return letters


def extract_choice(completion: str) -> ChoiceExtraction | None:
    """The option chosen: a box, else the last answer statement or option claim ("I choose option C",
    "(C) is correct")."""
    text = strip_thinking(completion)
    if text is None or not text.strip():
        return None
    group = final_box_group(text)
    if group:
        last = group[-1]
        if last.content is None:
            return ChoiceExtraction((), "boxed_unclosed", False, "")
        letters: tuple[str, ...] = ()
        for box in group:
            letters += choice_letters(box.content or "")
        return ChoiceExtraction(tuple(dict.fromkeys(letters)), "boxed", True, last.content, text[last.end:])
    plain = strip_markdown(text)
    best: tuple[int, tuple[str, ...], str, int] | None = None
    for cue in _CUE.finditer(plain):
        rest = plain[cue.end():]
        lead = _LEADING.match(rest)
        body = rest[lead.end() if lead else 0:]
        letters = choice_letters(body)
        if letters:
            m = _LETTERS.match(body)
            end = cue.end() + (len(rest) - len(body)) + (m.end() if m else 0)
            if best is None or cue.start() >= best[0]:
                best = (cue.start(), letters, body[:m.end() if m else 0].strip(), end)
    for claim in _CHOICE_CLAIM.finditer(plain):
        letter = claim.group("a") or claim.group("b") or claim.group("c")
        if claim.group("a") is None and _NEGATED.search(plain, claim.end(), claim.end() + 12):
            continue
        if best is None or claim.start() > best[0]:
            best = (claim.start(), (letter,), claim.group(), claim.end())
    if best is None:
        # A last line that is only an option ("**(C)**", "C) 42"): the answer given without words.
        lines = [ln for ln in plain.strip().splitlines() if ln.strip()]
        if lines and _ALONE.match(lines[-1]):
            letters = choice_letters(lines[-1])
            if letters:
                return ChoiceExtraction(letters, "last_line", False, lines[-1].strip())
        return None
    return ChoiceExtraction(best[1], "phrase", False, best[2], plain[best[3]:])

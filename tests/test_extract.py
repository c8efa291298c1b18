"""The shared reading of a completion (rlvrgym/verifiers/extract.py): each rule decided once and tested once here,
then checked to hold the same in the math, math-proof and physics verifiers."""

from __future__ import annotations

import pytest

from rlvrgym.verifiers import get_verifier
from rlvrgym.verifiers.extract import (
    blank_thinking,
    brace_pairs,
    final_boxed_answers,
    find_boxes,
    find_hedge,
    hedge_after,
    is_hedge,
    last_boxed,
    matching_brace,
    strip_thinking,
)
from rlvrgym.verifiers.math.extract import extract_answer
from rlvrgym.verifiers.math_proof.lines import boxed_content
from rlvrgym.verifiers.physics.parse import find_final_answer

# (text, content of the final box: None = no boxed answer)
BOX_CASES = [
    ("\\fbox{3}", "3"),
    ("\\boxed{1} then \\boxed{2", None),
    ("\\boxed 7", "7"),
    ("so $\\boxed 7$.", "7"),
    ("\\(\\boxed 7\\)", "7"),
    ("\\boxed 7.", "7"),
    ("\\boxed {7}", "7"),
    ("\\boxed{\\{1,2\\}}", "\\{1,2\\}"),
    ("\\boxed{\\{1, \\}2\\}}", "\\{1, \\}2\\}"),
    ("\\boxed{\\frac{\\sqrt{2}}{2}}", "\\frac{\\sqrt{2}}{2}"),
    ("\\boxed{6} ... wait, that is wrong: \\boxed{5}", "5"),
    ("\\boxed{\\boxed{3}}", "3"),
    ("\\boxed{\\begin{pmatrix}1\\\\2\\end{pmatrix}}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"),
    ("\\boxed{", None),
    ("\\boxed", None),
    ("no box at all", None),
    ("\\boxedx{3}", None),
    ("\\boxed{1 oops \\boxed{2}", "2"),
]


@pytest.mark.parametrize(("text", "expected"), BOX_CASES)
def test_final_box(text: str, expected: str | None) -> None:
    assert last_boxed(text) == expected


@pytest.mark.parametrize(("text", "expected"), [c for c in BOX_CASES if c[1] is not None])
def test_math_proof_and_physics_read_the_same_box(text: str, expected: str) -> None:
    math = extract_answer(text)
    assert math is not None and math.method == "boxed" and math.text == expected
    assert boxed_content(text) == expected
    found = find_final_answer(text)
    assert found is not None and found[0] == expected


@pytest.mark.parametrize("text", ["\\boxed{1} then \\boxed{2", "\\boxed{", "answer: 3 and \\boxed{4"])
def test_an_unclosed_final_box_is_no_answer_anywhere(text: str) -> None:
    math = extract_answer(text)
    assert math is not None and math.method == "boxed_unclosed"
    assert boxed_content(text) is None
    assert find_final_answer(text) is None
    assert get_verifier("math", isolation="inline").verify(text, "1").correct is False


def test_brace_matching_honours_escapes() -> None:
    text = "{a \\} b {c} \\{ d}"
    assert matching_brace(text, 0) == len(text) - 1
    assert brace_pairs(text) == {0: len(text) - 1, 8: 10}
    assert matching_brace("{\\\\{x}}", 0) == 6  # \\ is a line break: the brace after it is real
    assert matching_brace("{never", 0) == -1


def test_box_finding_on_hostile_text() -> None:
    # A scan from every opening would be quadratic here (hours); benchmarks/math_verify.py times the hostile cases.
    assert last_boxed("\\boxed{" * 50_000) is None
    assert last_boxed("\\boxed{1}" * 50_000) == "1"
    assert len(find_boxes("{" * 100_000 + "\\boxed{2}")) == 1


@pytest.mark.parametrize(("text", "expected"), [
    ("<think>it is 3</think>Final: 4", "Final: 4"),
    ("it is 3</think>Final: 4", "Final: 4"),  # the template opened <think> in the prompt
    ("<think>a</think>b<think>c</think>d", "d"),
    ("<think>still thinking", None),
    ("<think>a</think> answer <think> more", None),
    ("plain", "plain"),
])
def test_strip_thinking(text: str, expected: str | None) -> None:
    assert strip_thinking(text) == expected


def test_blank_thinking_keeps_line_numbers() -> None:
    text = "<think>\nscratch\n</think>\nline 4\n<think>\nunclosed"
    out = blank_thinking(text)
    assert out.splitlines()[3] == "line 4"
    assert "scratch" not in out and "unclosed" not in out
    assert out.count("\n") == text.count("\n")
    assert blank_thinking("a\nb</think>\nc") == "\n\nc"


def _same(a: str, b: str) -> bool | None:
    try:
        return float(a.replace("x=", "").replace(" ", "")) == float(b.replace("x=", "").replace(" ", ""))
    except ValueError:
        return None


@pytest.mark.parametrize(("text", "values"), [
    ("\\boxed{3} or \\boxed{4}", ["3", "4"]),
    ("$x = \\boxed{2}$ or $x = \\boxed{6}$", ["2", "6"]),
    ("either \\boxed{2}, \\boxed{6}", ["2", "6"]),
    ("\\boxed{2} \\text{ and } \\boxed{6}", ["2", "6"]),
    ("\\boxed{6}. Wait, that double counts: \\boxed{5}", ["5"]),
    ("\\boxed{6}\n\nActually the answer is \\boxed{5}", ["5"]),
    ("\\boxed{1} then \\boxed{2", []),
    ("nothing", None),
])
def test_final_boxed_answers(text: str, values: list[str] | None) -> None:
    assert final_boxed_answers(text) == values


def test_is_hedge_uses_the_callers_predicate() -> None:
    assert is_hedge(["3", "4"], _same)
    assert not is_hedge(["3", "3.0"], _same)
    assert is_hedge(["3", "three"], _same)  # cannot tell: different
    assert not is_hedge(["3"], _same)


@pytest.mark.parametrize("tail", [
    " (though another value is also possible)", ", though 6 is also possible.", " or possibly 6.", " (or 6)",
    ". It could also be 6.", ". But it might be $6$.", ". Alternatively, the answer is 6.",
    ". If the endpoints count, the answer would be 7.", ". Another possible answer is 6.",
    ". This is not the only possible answer.", "$ or maybe $x=6$", ", ou peut-être 6", " / 6",
    ". Other values are possible too.", ". 7 is equally valid.", ". Maybe 6 would also work if counted twice.",
    ", maybe 6.", " (possibly 6)", ", perhaps $x=6$.", ". 6 also works.", "\n\n**Final Answer:** 6",
    ". It could be 8, I am not sure.",
])
def test_hedge_after_the_answer(tail: str) -> None:
    assert hedge_after(tail, "5", _same) is not None


@pytest.mark.parametrize("tail", [
    "", ".", " (or 5.0)", ". It could also be written as 5.0.", ". But it could be simplified further.",
    ". If we round, the answer would be 5.", " \\approx 5.0", ". Check: 2 + 3 = 5, which is correct.",
    ". Alternatively, we can verify this by substitution.", ". This also works for 6 apples.",
    ". 5.0 is also correct.", ". There are 6 ways in all, one for each face.", ". This is probably 3 times faster.",
    ". Checking, 2+3=5 also works.", ". It could be 8, but that is wrong.",
    ". The denominator could be 0, which we exclude.",
    ". The answer is 5.", "\n\n**Final Answer:** 5",
])
def test_no_hedge_after_the_answer(tail: str) -> None:
    assert hedge_after(tail, "5", _same) is None


def test_find_hedge_for_a_boxed_completion() -> None:
    assert find_hedge("so \\boxed{5} or \\boxed{6}", _same) is not None
    assert find_hedge("so \\boxed{5} (though 6 is also possible)", _same) is not None
    assert find_hedge("<think>maybe 6</think> so \\boxed{5}", _same) is None
    assert find_hedge("so \\boxed{5}, that is \\boxed{5.0}", _same) is None
    assert find_hedge("no box, 5 or maybe 6", _same) is None  # no box: the caller checks its own answer form


def test_hedge_checks_are_bounded_on_hostile_tails() -> None:
    calls: list[tuple[str, str]] = []

    def counting(a: str, b: str) -> bool | None:
        calls.append((a, b))
        return _same(a, b)

    assert hedge_after(" or possibly 5" * 5000, "5", counting) is None
    assert len(calls) == 1  # one distinct value, compared once
    calls.clear()
    tail = "".join(f" or possibly {5 + i / 10**6:.6f}" for i in range(1, 200))
    assert hedge_after(tail, "5", counting) is not None and len(calls) == 1
    assert is_hedge([str(i) for i in range(1000)], counting)
    assert is_hedge(["1"] * 2000, counting) is False

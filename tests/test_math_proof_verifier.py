"""The math-proof verifier's contract: registry, reasons, weights, anti-padding, hostile input, generated and shipped
derivations (every template derivation is a complete proof; echoing the statement earns nothing)."""

from __future__ import annotations

import json

import pytest

from rlvrgym.tasks.base import GeneratorSource
from rlvrgym.tasks.proof_generators import PROOF_GENERATORS
from rlvrgym.tasks.proof_tasks import prompt_of, shipped_records
from rlvrgym.verifiers import get_verifier
from rlvrgym.verifiers.math_proof import MathProofVerifier, StepWeights
from rlvrgym.verifiers.verdict import VerdictStatus

INLINE = MathProofVerifier(isolation="inline")
SQUARE = {"kind": "identity", "lhs": "(x+1)^2", "rhs": "x^2 + 2x + 1"}
GOOD = "$(x+1)^2 = (x+1)(x+1)$\n$= x^2 + x + x + 1$\n$= x^2 + 2x + 1$"


def test_registered_and_runs_in_a_bounded_worker() -> None:
    verifier = get_verifier("math-proof")
    assert isinstance(verifier, MathProofVerifier) and verifier.timeout == 5.0
    verdict = verifier.verify(GOOD, SQUARE)
    assert verdict.correct is True and verdict.status == VerdictStatus.CORRECT
    assert verdict.details["first_error"] == -1 and len(verdict.steps) == 3
    json.loads(verdict.to_json())  # logs must serialise


def test_every_step_has_a_reason_and_components() -> None:
    verdict = INLINE.verify("$(x+1)^2 = x^2 + 1$\n$= x^2 + 2x + 1$", SQUARE)
    assert verdict.correct is False and verdict.details["first_error"] == 0
    assert "not equal" in verdict.steps[0].reason
    assert verdict.details["step_components"][0] == {"syntax": 1, "validity": 0, "facts": 1, "advances": True,
                                                     "line": 1}
    assert verdict.steps[0].score == 0.0  # parses and its claims hold, but it does not follow: it earns nothing


def test_weights_are_configurable_and_checked() -> None:
    custom = MathProofVerifier(isolation="inline", weights={"syntax": 0.1, "validity": 0.8, "facts": 0.1})
    assert custom.weights == StepWeights(0.1, 0.8, 0.1)
    verdict = custom.verify(GOOD, SQUARE)
    # a step that follows earns all three shares of its progress: a complete proof's scores add up to 1
    assert all(s.valid for s in verdict.steps) and sum(s.score for s in verdict.steps) == pytest.approx(1.0)
    wrong = custom.verify("$(x+1)^2 = x^2 + 1$\n$= x^2 + 2x + 1$", SQUARE)
    assert wrong.steps[0].score == 0.0 and wrong.details["step_components"][0]["syntax"] == 1
    with pytest.raises(ValueError):
        StepWeights(0.5, 0.5, 0.5)


def test_padding_earns_nothing_and_proves_nothing() -> None:
    verdict = INLINE.verify("$0 = 0$\n$1 = 1$\n$(x+1)^2 = (x+1)^2$\n$(x+1)^2 = x^2 + 2x + 1$", SQUARE)
    assert verdict.correct is False and all(s.score == 0.0 and s.valid for s in verdict.steps)
    repeated = INLINE.verify(GOOD + "\n$= x^2 + 2x + 1$\n$= x^2 + 2x + 1$", SQUARE)
    plain = INLINE.verify(GOOD, SQUARE)
    assert [s.score for s in repeated.steps][:3] == [s.score for s in plain.steps]
    assert [s.score for s in repeated.steps][3:] == [0.0, 0.0] and all(s.valid for s in repeated.steps)


def test_prose_qed_and_wrappers() -> None:
    text = ("We expand the square.\n**Step 1:** \\[(x+1)^2 = (x+1)(x+1)\\]\nStep 2: $= x^2 + 2x + 1$.\n"
            "This is what we wanted.\n$\\blacksquare$")
    verdict = INLINE.verify(text, SQUARE)
    assert verdict.correct is True and len(verdict.steps) == 2


def test_unreadable_reference_is_an_error_not_a_reward() -> None:
    wrong_answer = {"kind": "equation", "equation": "2x = 8", "variable": "x", "answer": "x = 5"}
    for ref in ({"kind": "nonsense"}, {"kind": "identity", "lhs": "(", "rhs": "1"}, "x^2", wrong_answer):
        verdict = INLINE.verify(GOOD, ref)
        assert verdict.status == VerdictStatus.ERROR and verdict.correct is None and verdict.score == 0.0


def test_empty_and_refusal_are_unparseable() -> None:
    for text in ("", "I am not sure how to solve this.", "\n\n\n"):
        verdict = INLINE.verify(text, SQUARE)
        assert verdict.score == 0.0 and verdict.status == VerdictStatus.UNPARSEABLE and not verdict.steps


def test_hostile_completions_get_a_clean_verdict() -> None:
    verifier = get_verifier("math-proof")
    cases = {
        "10,000 lines": "\n".join(["$= (x+1)(x+1)$"] * 10_000),
        "50,000-character line": "$(x+1)^2 = " + "x + " * 12_500 + "1$",
        "lines that never parse": "\n".join(["$= \\frac{\\frac{(((}{x$"] * 500),
        "deep nesting": "$(x+1)^2 = " + "(" * 300 + "x" + ")" * 300 + "$",
        "huge power": "$(x+1)^2 = 10^{10^{10^{10}}}$\n$= x^2 + 2x + 1$",
        "prose flood": "words and more words here\n" * 10_000,
    }
    for name, text in cases.items():
        verdict = verifier.verify(text, SQUARE)
        assert verdict.correct is not True, name
        assert verdict.score == 0.0 and verdict.reason, name
        # a step we cannot read (10^{10^{10^{10}}} is too large to read) is undecided, so the verdict may be
        # undecided too (ERROR, correct None): never a reward
        assert verdict.status in (VerdictStatus.WRONG, VerdictStatus.UNPARSEABLE, VerdictStatus.TIMEOUT,
                                  VerdictStatus.ERROR), name
        assert verdict.status != VerdictStatus.ERROR or verdict.correct is None, name
    flood = verifier.verify(cases["10,000 lines"], SQUARE)
    assert flood.details["unchecked_lines"] == 10_000 - 200 and len(flood.steps) == 200


@pytest.mark.parametrize("kind", sorted(PROOF_GENERATORS))
def test_generated_derivations_are_complete_proofs(kind: str) -> None:
    source = GeneratorSource(PROOF_GENERATORS, [1, 2, 3, 4, 5])
    for level in range(1, 6):
        for seed in range(4):
            task = source.make(kind, level, seed)
            verdict = INLINE.verify("\n".join(task.meta["solution"]), task.reference)
            assert verdict.correct is True, (task.id, verdict.reason, [s.reason for s in verdict.steps])
            echo = INLINE.verify(task.prompt, task.reference)
            assert echo.score == 0.0 and all(s.score == 0.0 for s in echo.steps), (task.id, echo.reason)


def test_generators_are_deterministic_and_never_show_the_derivation() -> None:
    source = GeneratorSource(PROOF_GENERATORS, [1, 2, 3, 4, 5])
    for kind in PROOF_GENERATORS:
        a, b = source.make(kind, 3, 7), source.make(kind, 3, 7)
        assert a.prompt == b.prompt and a.reference == b.reference
        if kind != "identity":  # an identity's statement is its target; the others must not give the result away
            final = a.meta["solution"][-1].lstrip("= ")
            assert f"${final}$" not in a.prompt and f" {final}." not in a.prompt, (a.id, final)
        assert "solution" not in a.reference


def test_shipped_set_is_large_graded_and_every_solution_checks() -> None:
    records = shipped_records()
    assert len(records) >= 100 and len({r["id"] for r in records}) == len(records)
    assert {r["kind"] for r in records} == set(PROOF_GENERATORS)
    levels = [r["difficulty"] for r in records]
    assert levels == sorted(levels) and set(levels) == {1, 2, 3, 4, 5}
    for r in records:
        reference = {k: v for k, v in r.items() if k != "solution"}
        verdict = INLINE.verify("\n".join(r["solution"]), reference)
        assert verdict.correct is True, (r["id"], verdict.reason)
        echo = INLINE.verify(prompt_of(r["statement"]), reference)
        assert echo.score == 0.0 and all(s.score == 0.0 for s in echo.steps), r["id"]

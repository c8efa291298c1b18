"""RewardSpec: the arithmetic from a Verdict to the trainer's scalar."""

from __future__ import annotations

import pytest

from rlvrgym.rewards import RewardSpec, aggregate_steps
from rlvrgym.verifiers import StepVerdict, Verdict


@pytest.mark.parametrize(("how", "expected"), [
    ("min", 0.0), ("mean", 0.5), ("product", 0.0), ("first_error", 0.5),
    ("discounted", (1 + 0.5 + 0 * 0.25 + 0 * 0.125) / (1 + 0.5 + 0.25 + 0.125)),
])
def test_step_aggregations(how: str, expected: float) -> None:
    assert aggregate_steps([1.0, 1.0, 0.0, 0.0], how, gamma=0.5) == pytest.approx(expected)  # type: ignore[arg-type]


def test_no_steps_earn_nothing_and_unknown_aggregation_is_rejected() -> None:
    assert aggregate_steps([], "mean") == 0.0
    with pytest.raises(ValueError, match="unknown"):
        aggregate_steps([1.0], "median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aggregation"):
        RewardSpec(aggregation="median")  # type: ignore[arg-type]


def test_weighted_total_of_components() -> None:
    steps = tuple(StepVerdict(i, f"s{i}", True, s, "") for i, s in enumerate([1.0, 0.5]))
    verdict = Verdict(1.0, True, "correct", "ok", steps, {"format_ok": True})
    spec = RewardSpec(outcome_weight=0.5, process_weight=0.3, format_weight=0.2)
    b = spec.compute(verdict, "short")
    assert (b.outcome, b.process, b.format, b.length) == (1.0, 0.75, 1.0, 0.0)
    assert b.total == pytest.approx(0.5 + 0.3 * 0.75 + 0.2)


def test_length_penalty_ramps_before_the_limit() -> None:
    spec = RewardSpec(length_weight=1.0, max_length=100, length_window=40)
    assert spec.length_penalty("x" * 60) == 0.0
    assert spec.length_penalty("x" * 80) == pytest.approx(0.5)
    assert spec.length_penalty("x" * 100) == 1.0 and spec.length_penalty("x" * 500) == 1.0
    with pytest.raises(ValueError, match="length_window"):
        RewardSpec(max_length=10, length_window=20)


def test_failed_verdicts_score_zero_outcome() -> None:
    b = RewardSpec().compute(Verdict.timeout("slow"), "x")
    assert b.outcome == 0.0 and b.total == 0.0


def test_every_term_is_in_the_breakdown_and_the_weights_come_from_the_spec() -> None:
    steps = tuple(StepVerdict(i, f"s{i}", True, s, "") for i, s in enumerate([1.0, 0.5, 0.25]))
    verdict = Verdict(1.0, True, "correct", "ok", steps, {"format_ok": True})
    spec = RewardSpec(outcome_weight=0.5, process_weight=0.5, format_weight=0.1, length_weight=0.2,
                      max_length=10, length_window=5, efficiency_weight=0.4)
    assert spec.components() == ("outcome", "process", "format", "length", "efficiency", "exploration")
    assert spec.weights() == {"outcome": 0.5, "process": 0.5, "format": 0.1, "length": -0.2, "efficiency": 0.4,
                              "exploration": 0.0}
    b = spec.breakdown(verdict, "x" * 8, {"min_steps": 2})
    assert b.to_dict() == {"outcome": 1.0, "process": pytest.approx(1.75 / 3), "format": 1.0, "length": 0.6,
                           "efficiency": pytest.approx(2 / 3), "exploration": 0.0, "total": pytest.approx(b.total)}
    assert b.total == pytest.approx(0.5 + 0.5 * 1.75 / 3 + 0.1 - 0.2 * 0.6 + 0.4 * 2 / 3)
    assert spec.breakdown(verdict, "").efficiency == 0.0  # no known minimum, no efficiency


def test_turn_context_pays_new_steps_now_and_whole_answer_terms_at_the_end() -> None:
    steps = tuple(StepVerdict(i, f"s{i}", True, s, "") for i, s in enumerate([0.25, 0.5, 0.25]))
    verdict = Verdict(1.0, True, "correct", "ok", steps, {"format_ok": True})
    spec = RewardSpec(outcome_weight=1.0, process_weight=1.0, format_weight=1.0, efficiency_weight=1.0)
    turn = spec.breakdown(verdict, "line", {"steps_from": 1, "step_aggregation": "sum", "partial": True,
                                            "min_steps": 3})
    assert (turn.outcome, turn.process, turn.format, turn.efficiency) == (0.0, 0.75, 0.0, 0.0)
    last = spec.breakdown(verdict, "line", {"steps_from": 2, "step_aggregation": "sum", "min_steps": 3})
    assert (last.outcome, last.process, last.format, last.efficiency) == (1.0, 0.25, 1.0, 1.0)
    with pytest.raises(ValueError, match="finite"):
        RewardSpec(efficiency_weight=float("nan"))

"""The physics verifier: answer extraction, units, dimensions, tiers, process steps, fail-closed behaviour."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlvrgym.tasks.base import GeneratorSource
from rlvrgym.tasks.physics import physics_generators
from rlvrgym.verifiers import VerdictStatus, get_verifier, list_verifiers
from rlvrgym.verifiers.physics import PhysicsVerifier

V = PhysicsVerifier(isolation="inline")


def ref(value: float, unit: str, **extra: object) -> dict:
    return {"value": value, "unit": unit, **extra}


@pytest.mark.parametrize(("completion", "reference"), [
    (r"The speed is \boxed{35.3\ \text{km/h}}.", ref(9.80556, "m/s")),
    ("so v = 9.8 m/s", ref(9.8056, "m/s")),
    (r"\boxed{3.0 \times 10^{8}\,\mathrm{m\,s^{-1}}}", ref(2.998e8, "m/s")),
    (r"\boxed{2.356\ \mathrm{m/s^2}}", ref(2.3563, "m/s^2")),
    ("a = 2.356 m/s²", ref(2.3563, "m/s^2")),
    (r"\boxed{1.2\ \text{k}\Omega}", ref(1200, "ohm")),
    ("C = 4.7 µF", ref(4.7e-6, "F")),
    (r"\boxed{4.7\,\mu\text{F}}", ref(4.7e-6, "F")),
    (r"\boxed{\frac{3}{4}\text{ m}}", ref(0.75, "m")),
    ("The final answer is 3.41 s", ref(3.4125, "s")),
    (r"\boxed{t \approx 1.30\ \text{s}}", ref(1.3029, "s")),
    (r"\boxed{5\ \text{ms}}", ref(0.005, "s")),
    (r"\boxed{25\ ^\circ\text{C}}", ref(298.15, "K")),
    (r"\boxed{0.5236\ \text{rad}}", ref(30, "degree")),
    (r"\boxed{30^\circ}", ref(0.5235988, "radian")),
    (r"\boxed{0.228}", ref(0.22824, "")),
    (r"\boxed{1{,}000 N}".replace("{,}", ","), ref(1000, "N")),
    ("g = 9.81 N/kg", ref(9.81, "m/s^2")),
    ("To answer this, note that\ng = 9.81 m/s^2 here.", ref(9.81, "m/s^2")),
    ("**Answer:** **3.4 m/s**", ref(3.4, "m/s")),
    ("I answered this in 2 steps.\nv = 9.8 m/s", ref(9.8, "m/s")),  # a cue line that does not parse falls back
    (r"\boxed{\SI{3.2}{m/s}}", ref(3.2, "m/s")),
    (r"\boxed{2.1\,\mathrm{\mu C}}", ref(2.1e-6, "C")),
    (r"\boxed{12\ \text{N}\,\text{m}}", ref(12, "J")),
    (r"\boxed{1.98\text{ hours}}", ref(7128, "s")),
])
def test_reads_common_answer_forms(completion: str, reference: dict) -> None:
    verdict = V.verify(completion, reference)
    assert verdict.status == VerdictStatus.CORRECT and verdict.score == 1.0, verdict.reason


def test_unit_written_just_outside_the_box_counts_but_is_not_the_asked_format() -> None:
    for completion in (r"\boxed{2.15}\,\text{s}", r"$\boxed{2.15}$ s.", r"\boxed{2.15} seconds"):
        verdict = V.verify(completion, ref(2.15, "s"))
        assert verdict.score == 1.0 and verdict.details["format_ok"] is False, completion
    assert V.verify(r"\boxed{2.15}. So that is it", ref(2.15, "s")).status == VerdictStatus.UNPARSEABLE


def test_design_note_unit_traps() -> None:
    assert V.verify(r"\boxed{5\ \text{m s}}", ref(0.005, "s")).score == 0  # metre·second, not milliseconds
    gram = V.verify(r"\boxed{9.81\ \text{g}}", ref(9.81, "m/s^2"))  # g is a gram, not gravity
    assert gram.status == VerdictStatus.WRONG and "[mass]" in gram.reason


def test_relative_error_tiers_default_and_configurable() -> None:
    r = ref(100.0, "m")
    assert V.verify(r"\boxed{100.9 m}", r).score == 1.0
    half = V.verify(r"\boxed{104 m}", r)
    assert half.score == 0.5 and half.correct is False and "partial" in half.reason
    assert V.verify(r"\boxed{106 m}", r).score == 0.0
    assert V.verify(r"\boxed{96 m}", r).score == 0.5
    strict = PhysicsVerifier(isolation="inline", tiers=[(0.001, 1.0)])
    assert strict.verify(r"\boxed{100.5 m}", r).score == 0.0
    assert V.verify(r"\boxed{100.5 m}", ref(100.0, "m", rel_tol=0.001)).score == 0.5  # half tier still applies
    assert V.verify(r"\boxed{100.05 m}", ref(100.0, "m", rel_tol=0.001)).score == 1.0
    with pytest.raises(ValueError, match="tiers"):
        PhysicsVerifier(tiers=[(0.01, 2.0)])


def test_wrong_dimension_names_both_dimensions() -> None:
    verdict = V.verify(r"\boxed{9.8\ \text{m}}", ref(9.8, "m/s"))
    assert verdict.score == 0 and verdict.status == VerdictStatus.WRONG
    assert "[length]" in verdict.reason and "[length] / [time]" in verdict.reason


def test_missing_unit_is_unparseable_unless_assumed() -> None:
    verdict = V.verify(r"\boxed{3.07}", ref(3.07, "m/s"))
    assert verdict.status == VerdictStatus.UNPARSEABLE and "no unit" in verdict.reason
    lenient = PhysicsVerifier(isolation="inline", assume_reference_unit=True)
    assert lenient.verify(r"\boxed{3.07}", ref(3.07, "m/s")).score == 1.0
    assert lenient.verify(r"\boxed{3.07}", ref(3.07, "m/s")).details["format_ok"] is False


def test_degrees_and_radians_are_told_apart() -> None:
    angle = ref(30.0, "degree")
    assert V.verify(r"\boxed{30}", angle).status == VerdictStatus.UNPARSEABLE  # a bare number is no angle
    assert V.verify(r"\boxed{30\ \text{rad}}", angle).score == 0.0  # 30 rad is not 30°
    assert V.verify(r"\boxed{0.5236}", ref(0.5236, "")).score == 1.0  # a plain ratio needs no unit
    ecc = V.verify(r"\boxed{0.23°}", ref(0.23, ""))
    assert ecc.score == 0 and "angle" in ecc.reason
    omega = V.verify(r"\boxed{6.283\ \text{Hz}}", ref(6.283, "rad/s"))  # pint alone would call these equal
    assert omega.score == 0 and "angle" in omega.reason


def test_zero_reference_uses_absolute_tolerance() -> None:
    assert V.verify(r"\boxed{0\ \text{m/s^2}}", ref(0.0, "m/s^2", abs_tol=1e-3)).score == 1.0
    assert V.verify(r"\boxed{0.0004\ \text{m/s^2}}", ref(0.0, "m/s^2", abs_tol=1e-3)).score == 1.0
    assert V.verify(r"\boxed{0.5\ \text{m/s^2}}", ref(0.0, "m/s^2", abs_tol=1e-3)).score == 0.0
    assert V.verify(r"\boxed{0.001\ \text{m/s^2}}", ref(0.0, "m/s^2")).score == 0.0  # default is tight


@pytest.mark.parametrize("completion", [
    "", "I don't know.", r"\boxed{}", r"\boxed{fast}", r"\boxed{3 m/s**99}", r"\boxed{1e999999 m}",
    r"\boxed{__import__('os').system('touch /tmp/pwned') m}", r"\boxed{3 m)" + "(" * 500 + "}", "=" * 10000,
    r"\boxed{" + "9" * 400 + " m}", "\\boxed{" * 20000, "x = 1\n" * 10000,
])
def test_malformed_answers_score_zero_with_a_reason(completion: str) -> None:
    verdict = V.judge(completion, ref(3.0, "m"))  # judge, not judge_safely: it must not raise either
    assert verdict.score == 0.0 and verdict.status in (VerdictStatus.UNPARSEABLE, VerdictStatus.WRONG)
    assert verdict.reason


def test_bad_reference_is_an_error_not_a_judgement() -> None:
    for bad in ({"unit": "m"}, {"value": "three", "unit": "m"}, {"value": math.inf, "unit": "m"},
                {"value": 1.0, "unit": "furlongs per fortnightx"}, 42):
        verdict = V.verify(r"\boxed{3 m}", bad)
        assert verdict.status == VerdictStatus.ERROR and verdict.correct is None
    assert V.verify(r"\boxed{3 m}", "3.0 m").score == 1.0  # a plain "value unit" string is a fine reference


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.,-+eE mskgNJ/^*(){}\\boxed°Ωµ=≈ \n")), max_size=60)
       | st.text(max_size=80))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    verdict = V.judge(text, ref(9.81, "m/s^2", symbols={"g": "m/s^2", "m": "kg"}))
    assert verdict.status != VerdictStatus.ERROR and 0.0 <= verdict.score <= 1.0


# --- process steps ---------------------------------------------------------------------------------------------

PROJECTILE_REF = ref(90.3493, "m", symbols={"v_0": "m/s", "theta": "degree", "g": "m/s^2", "R": "m", "t_f": "s",
                                             "H": "m"},
                     claims={"flight_time": {"value": 3.9314, "unit": "s", "symbols": ["t_f", "t_{flight}"]},
                             "max_height": {"value": 18.953, "unit": "m", "symbols": ["H"]}})


def test_equations_are_checked_for_dimensional_consistency() -> None:
    completion = (r"The range is $R = \frac{v_0^2 \sin(2\theta)}{g}$, not $R = v_0 t_f^2$." "\n"
                  r"So $\boxed{90.35\ \text{m}}$")
    verdict = V.verify(completion, PROJECTILE_REF)
    (bad,) = verdict.steps  # a consistent equation is reported, not scored: it fits any problem
    assert bad.valid is False and bad.score == 0.0 and "t_f" in bad.text and "[length] * [time]" in bad.reason
    assert any("sin" in t for t in verdict.details["dimensionally_consistent"])


def test_a_generic_consistent_equation_earns_no_process_reward() -> None:
    """`F = m a` is dimensionally fine in any mechanics problem: with a wrong answer it must earn nothing."""
    table = {"F": "N", "m": "kg", "a": "m/s^2", "v": "m/s", "t": "s", "E": "J"}
    completion = "$v = v$\n\n$t = t$\n\n$F = m a$\n\n$E = E$\n\nThe answer is \\boxed{1 \\text{ m/s}}."
    verdict = V.verify(completion, ref(3.0, "m/s^2", symbols=table))
    assert verdict.score == 0.0 and verdict.steps == ()


def test_intermediate_claims_are_matched_by_symbol_and_padding_earns_nothing() -> None:
    completion = ("t_f = 3.93 s\nH = 25 m\nQ = 7 s\nt_f = 3.93 s\nx = 12 m\n" r"\boxed{90.35 m}")
    steps = V.verify(completion, PROJECTILE_REF).steps
    claims = [s for s in steps if s.reason.startswith("claim")]
    assert [(s.text.split(" =")[0], s.valid) for s in claims] == [("t_f", True), ("H", False)]
    assert len(steps) == 2  # the repeated claim counts once; unknown names (Q, x) are ignored


def test_symbols_come_from_the_problem_not_from_sympy() -> None:
    """E, N, I, S, Q are plain quantities here, not Euler's number or sympy singletons."""
    table = {"E": "J", "I": "A", "R": "ohm", "t": "s", "N": "N", "S": "m^2", "Q": "C"}
    completion = r"$E = I^2 R t$ and $N = E / S$ and $Q = I t$. \boxed{5 J}"
    verdict = V.verify(completion, ref(5.0, "J", symbols=table))
    assert [s.valid for s in verdict.steps] == [False]
    assert len(verdict.details["dimensionally_consistent"]) == 2


def test_units_in_equations_and_mass_symbol_m() -> None:
    table = {"m": "kg", "v": "m/s", "p": "kg*m/s", "g": "m/s^2", "h": "m", "E": "J"}
    completion = r"$p = m v = 2 \cdot 3 = 6\ \text{kg m/s}$ and $E = mgh$ and $v = 3\ \text{m/s}$. \boxed{6 kg m/s}"
    verdict = V.verify(completion, ref(6.0, "kg*m/s", symbols=table))
    assert all(s.valid for s in verdict.steps), verdict.steps
    assert len(verdict.details["dimensionally_consistent"]) >= 2


def test_steps_do_not_change_the_outcome_score() -> None:
    wrong_steps = r"$R = v_0 t_f^2$ so \boxed{90.35 m}"
    verdict = V.verify(wrong_steps, PROJECTILE_REF)
    assert verdict.score == 1.0 and verdict.steps and verdict.steps[0].score == 0.0
    assert PhysicsVerifier(isolation="inline", check_steps=False).verify(wrong_steps, PROJECTILE_REF).steps == ()


# --- against the generated tasks -------------------------------------------------------------------------------

SOURCE = GeneratorSource(physics_generators(), difficulty=[1, 2, 3])


def _tasks() -> list:
    return [SOURCE.make(family, d, seed) for family in physics_generators() for d in (1, 2, 3) for seed in range(8)]


def test_generated_ground_truth_round_trips_through_the_verifier() -> None:
    for task in _tasks():
        r = task.reference
        unit = r["unit"] or ""
        exact = V.verify(rf"\boxed{{{r['value']:.6g}\ \text{{{unit}}}}}", r)
        assert exact.score == 1.0, (task.id, exact.reason)
        if r["value"] != 0:
            off = V.verify(rf"\boxed{{{r['value'] * 1.03:.6g}\ \text{{{unit}}}}}", r)
            assert off.score == 0.5 or (abs(r["value"]) * 0.03 <= r.get("abs_tol", 0)), (task.id, off.reason)


def test_answers_in_other_units_are_converted() -> None:
    task = SOURCE.make("projectile", 1, 3)
    metres = task.reference["value"]
    assert V.verify(rf"\boxed{{{metres * 100:.6g}\ \text{{cm}}}}", task.reference).score == 1.0
    assert V.verify(rf"\boxed{{{metres / 0.3048:.6g}\ \text{{ft}}}}", task.reference).score == 1.0


def test_trap_shortcuts_miss_full_credit() -> None:
    traps = [t for t in _tasks() if t.meta["trap"]]
    assert {t.kind for t in traps} >= {"pendulum", "projectile", "spring", "incline", "orbit"}
    for task in traps:
        unit = task.reference["unit"]
        shortcut = V.verify(rf"\boxed{{{task.meta['textbook_value']:.6g}\ \text{{{unit}}}}}", task.reference)
        assert shortcut.score < 1.0, (task.id, shortcut.reason)


def test_registered_and_bounded_in_a_worker_process() -> None:
    assert "physics" in list_verifiers()
    verifier = get_verifier("physics")
    assert isinstance(verifier, PhysicsVerifier)
    verdicts = verifier.verify_batch([r"\boxed{3 m}", r"\boxed{3 s}"], [ref(3.0, "m"), ref(3.0, "m")])
    assert [v.status for v in verdicts] == [VerdictStatus.CORRECT, VerdictStatus.WRONG]


# --- realistic derivations: no false process penalties, and real slips caught --------------------------------

CORRECT_DERIVATIONS = {
    "incline": r"""Along the incline: $ma = mg\sin\theta - \mu_k mg\cos\theta$, so
$$a = g(\sin\theta - \mu_k\cos\theta)$$
It slides since $\tan\theta > \mu_s$. Numbers: $a = 9.81(\sin 30^\circ - 0.3\cos 30^\circ) = 2.36\ \text{m/s}^2$.
$N = mg\cos\theta$, $f_k = \mu_k N$, $d = \frac{1}{2} a t^2$, so $t = \sqrt{2d/a}$ and $v_f = \sqrt{2 a d}$.""",
    "spring": r"""$\omega = \sqrt{k/m}$ and the period $T = 2\pi\sqrt{m/k}$. Position: $x(t) = x_0 \cos(\omega t)$,
velocity $v = -x_0\omega\sin(\omega t)$, energy $E = \frac{1}{2} k x_0^2$.""",
    "pendulum": r"""$T = 4\sqrt{L/g}\,K(k)$ with $k = \sin(\theta_0/2)$; small angles give $T_0 = 2\pi\sqrt{L/g}$.
Energy: $v_{max} = \sqrt{2gL(1-\cos\theta_0)}$.""",
    "orbit": r"""$\varepsilon = \frac{v_0^2}{2} - \frac{GM}{r_0}$, $a = -\frac{GM}{2\varepsilon}$,
$T = 2\pi\sqrt{\frac{a^3}{GM}}$, $h = r_0 v_0$, $e = \sqrt{1 + \frac{2\varepsilon h^2}{(GM)^2}}$, $r_a = a(1+e)$.""",
    "rlc_circuit": r"""$\omega_0 = \frac{1}{\sqrt{LC}}$, $\gamma = \frac{R}{2L}$,
$\omega_d = \sqrt{\omega_0^2 - \gamma^2}$,
$V_C = V\left(1 - e^{-\gamma t}\left(\cos\omega_d t + \frac{\gamma}{\omega_d}\sin\omega_d t\right)\right)$.""",
    "projectile": r"""$v_x = v_0\cos\theta$, $v_y = v_0 \sin\theta$. $y = h + v_y t - \frac{1}{2} g t^2$, so
$t_f = \frac{v_y + \sqrt{v_y^2 + 2 g h}}{g}$, $R = v_x t_f$, $H = h + \frac{v_y^2}{2g}$.""",
}


@pytest.mark.parametrize("family", sorted(CORRECT_DERIVATIONS))
def test_correct_derivations_have_only_valid_steps(family: str) -> None:
    task = SOURCE.make(family, 2, 0)
    verdict = V.verify(CORRECT_DERIVATIONS[family] + r" \boxed{1 m}", task.reference)
    assert all(s.valid for s in verdict.steps), [(s.text, s.reason) for s in verdict.steps if not s.valid]
    assert len(verdict.details["dimensionally_consistent"]) >= 3


@pytest.mark.parametrize(("family", "text", "n_invalid"), [
    ("incline", r"$t = \sqrt{2 a d}$ and $v_f = 2 a d$ and $a = g\sin\theta - \mu_k$ and $N = m g \cos\theta$", 3),
    ("spring", r"$T = 2\pi\sqrt{k/m}$ and $x(t) = x_0\cos(\omega)$ and $E = \frac{1}{2} k x_0$", 3),
    ("rc_circuit", r"$\tau = R/C$ and $V_C = V(1 - e^{-t/\tau})$ and $I = V R$", 2),
    ("incline", r"$v = a Q t$ and $\Delta v = a$", 0),  # unknown Q, glued Δ: not understood, not judged
])
def test_dimensional_slips_are_caught(family: str, text: str, n_invalid: int) -> None:
    steps = V.verify(text, SOURCE.make(family, 2, 0).reference).steps
    assert sum(not s.valid for s in steps) == n_invalid, [(s.text, s.reason) for s in steps]

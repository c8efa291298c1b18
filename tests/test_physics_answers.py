"""Answer forms the physics verifier must read (issue 22), one class at a time, several surface forms each; and the
policies that are a choice (options), the hedge rule shared with math, and the direction/sign conventions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlvrgym.tasks.base import GeneratorSource
from rlvrgym.tasks.physics import RIGHT_POSITIVE, physics_generators
from rlvrgym.verifiers import VerdictStatus
from rlvrgym.verifiers.extract import find_hedge
from rlvrgym.verifiers.physics import PhysicsVerifier

V = PhysicsVerifier(isolation="inline")


def ref(value: float, unit: str, **extra: object) -> dict:
    return {"value": value, "unit": unit, **extra}


def score(completion: str, reference: dict, verifier: PhysicsVerifier = V) -> float:
    return verifier.verify(completion, reference).score


def assert_correct(completion: str, reference: dict, verifier: PhysicsVerifier = V) -> None:
    verdict = verifier.verify(completion, reference)
    assert verdict.status == VerdictStatus.CORRECT and verdict.score == 1.0, (completion, verdict.reason)


def assert_zero(completion: str, reference: dict, verifier: PhysicsVerifier = V) -> str:
    verdict = verifier.verify(completion, reference)
    assert verdict.score == 0.0 and verdict.status != VerdictStatus.ERROR, (completion, verdict.reason)
    return verdict.reason


# --- exact forms -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("completion", "reference"), [
    (r"\boxed{2\sqrt{3}\ \text{m}}", ref(3.4641016, "m")),
    (r"\boxed{2\sqrt3\,\mathrm{m}}", ref(3.4641016, "m")),
    (r"\boxed{\sqrt{12}\ \text{m}}", ref(3.4641016, "m")),
    (r"\boxed{\frac{6}{\sqrt{3}}\text{ m}}", ref(3.4641016, "m")),
    (r"\boxed{2√3 m}", ref(3.4641016, "m")),
    (r"\boxed{12^{1/2}\ \mathrm{m}}", ref(3.4641016, "m")),
    (r"\boxed{\frac{\sqrt{2}}{2}\ \text{m/s}}", ref(0.70710678, "m/s")),
    (r"\boxed{5\sqrt{2}\,\mathrm{m/s}}", ref(7.0710678, "m/s")),
    (r"\boxed{\sqrt{2}\times 10^{3}\ \text{m}}", ref(1414.2136, "m")),
    (r"\boxed{\pi\ \text{s}}", ref(3.14159265, "s")),
    (r"\boxed{\frac{2\pi}{5}\text{ s}}", ref(1.25663706, "s")),
    (r"\boxed{0.4\pi\ \mathrm{s}}", ref(1.25663706, "s")),
    (r"\boxed{2\pi\sqrt{2}\ \text{s}}", ref(8.8857659, "s")),
    ("T = 2π s", ref(6.2831853, "s")),
    (r"so $v = \dfrac{3\sqrt{3}}{2}\ \mathrm{m\,s^{-1}}$", ref(2.5980762, "m/s")),
    (r"\boxed{\sqrt[3]{8}\ \text{m}}", ref(2.0, "m")),
    (r"\boxed{\frac{1}{2}\sqrt{\frac{3}{2}}\ \text{m}}", ref(0.61237244, "m")),
    (r"\boxed{\pi^2\ \text{m}}", ref(9.8696044, "m")),
])
def test_exact_forms(completion: str, reference: dict) -> None:
    assert_correct(completion, reference)


def test_exact_forms_are_evaluated_not_pattern_matched() -> None:
    assert_zero(r"\boxed{3\sqrt{3}\ \text{m}}", ref(3.4641016, "m"))  # 5.196, not 2√3
    assert_zero(r"\boxed{\frac{\pi}{3}\ \text{s}}", ref(0.5235988, "s"))
    assert_zero(r"\boxed{\sqrt{-4}\ \text{m}}", ref(2.0, "m"))


# --- decimal comma -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("completion", "reference"), [
    (r"\boxed{9,81\ \text{m/s}^2}", ref(9.81, "m/s^2")),
    (r"\boxed{2,5\ \text{s}}", ref(2.5, "s")),
    (r"\boxed{0,73 m}", ref(0.73, "m")),
    (r"\boxed{0,500\ \mathrm{kg}}", ref(0.5, "kg")),  # a leading zero is never a thousands group
    (r"\boxed{9{,}81\,\mathrm{m\,s^{-2}}}", ref(9.81, "m/s^2")),
    (r"\boxed{1,5\cdot 10^{3}\ \text{N}}", ref(1500, "N")),
    (r"\boxed{3,0 \times 10^{8}\ \text{m/s}}", ref(3.0e8, "m/s")),
    (r"\boxed{3,1416\ \text{rad}}", ref(3.1416, "rad")),
    ("Die Antwort: v = 4,2 m/s", ref(4.2, "m/s")),
    (r"\boxed{1,000 N}", ref(1000, "N")),  # three digits after the comma: a thousands separator
    (r"\boxed{12,345.6\ \text{m}}", ref(12345.6, "m")),
])
def test_decimal_comma(completion: str, reference: dict) -> None:
    assert_correct(completion, reference)


# --- digit-group separators ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("completion", "reference"), [
    (r"\boxed{1\,500\ \text{N}}", ref(1500, "N")),
    (r"\boxed{12\,345.6\,\text{m}}", ref(12345.6, "m")),
    (r"\boxed{1\,000\,000\ \text{J}}", ref(1e6, "J")),
    (r"\boxed{299\,792\,458\ \mathrm{m/s}}", ref(299792458, "m/s")),
    (r"\boxed{1\;000\ \text{m}}", ref(1000, "m")),
    (r"\boxed{1\thinspace 000 m}", ref(1000, "m")),
    ("\\boxed{1\u202f000 m}", ref(1000, "m")),
    ("\\boxed{1\u2009000 m}", ref(1000, "m")),
    (r"\boxed{3.141\,592\,65\ \text{rad}}", ref(3.14159265, "rad")),
    (r"\boxed{6.674\,30\times10^{-11}\ \mathrm{N\,m^2\,kg^{-2}}}", ref(6.6743e-11, "N*m^2/kg^2")),
    ("The answer is 299 792 458 m/s", ref(299792458, "m/s")),
])
def test_thin_space_digit_separators(completion: str, reference: dict) -> None:
    assert_correct(completion, reference)


def test_a_space_between_two_numbers_is_not_a_separator() -> None:
    assert V.verify(r"\boxed{12.57 1/s}", ref(12.57, "1/s")).score == 1.0  # 12.57 per second, not 12.571
    assert_zero(r"\boxed{2\,5\ \text{m}}", ref(25, "m"))  # "2 5" is no grouping


# --- a closing sentence with no box and no cue -----------------------------------------------------------------

@pytest.mark.parametrize(("completion", "reference"), [
    ("Using energy conservation we get the result.\nTherefore, the ball travels 90.3 m before landing.",
     ref(90.35, "m")),
    ("The period comes out to roughly 2.15 seconds.", ref(2.152875, "s")),
    ("With L = 1 m and g = 9.81 m/s^2, the period of the pendulum is 2.15 s.", ref(2.152875, "s")),
    ("Using T = 2π√(L/g) we first get T ≈ 2.01 s.\n\nIncluding the large amplitude, the period is about 2.15 s.",
     ref(2.152875, "s")),
    ("So the block reaches 3.07 m/s at the bottom of the slope.\n\nHope this helps!", ref(3.07, "m/s")),
    (r"Hence the current through R5 is $0.0101\ \mathrm{A}$.", ref(0.0101, "A")),
    ("which gives a range of 90.35 m", ref(90.35, "m")),
    ("T = 2.15 s\nThat is 7% longer than the small-angle estimate.", ref(2.152875, "s")),
])
def test_final_sentence_without_box_or_cue(completion: str, reference: dict) -> None:
    verdict = V.verify(completion, reference)
    assert verdict.score == 1.0, (completion, verdict.reason)
    assert verdict.details["format_ok"] is False  # read, but not the asked \boxed{} form


def test_final_sentence_with_two_values_of_the_asked_dimension_is_not_guessed() -> None:
    assert_zero("The period is between 2.1 s and 2.2 s.", ref(2.15, "s"))
    assert_zero("The speed is 3 m/s, or possibly 4 m/s.", ref(3.0, "m/s"))


# --- direction words and unit vectors ----------------------------------------------------------------------------

LEFT = ref(-0.3, "m/s", directions=RIGHT_POSITIVE)
RIGHT = ref(0.3, "m/s", directions=RIGHT_POSITIVE)


@pytest.mark.parametrize("completion", [
    r"\boxed{0.3 m/s to the left}",
    r"\boxed{0.3\ \text{m/s}} to the left.",
    r"\boxed{0.3\ \text{m/s, leftward}}",
    r"\boxed{0.3\ \text{m/s}\ \text{(to the left)}}",
    r"\boxed{0.3\,\text{m/s towards the left}}",
    r"\boxed{-0.3\ \text{m/s}} (i.e. to the left)",
    r"\boxed{-0.3 m/s to the left}",
    r"\boxed{0.3\ \text{m/s in the negative }x\text{ direction}}",
    r"\boxed{0.3\ \text{m/s in the -x direction}}",
    r"\boxed{0.3 m/s in the negative direction}",
    r"\boxed{0.3\ \text{m/s}\ \leftarrow}",
    r"\boxed{-0.3\text{ m/s}}\text{ (leftward)}",
    r"\boxed{v_1 = 0.3 \text{ m/s (left)}}",
    "So body 1 moves left at 0.3 m/s after the collision.",
    "So body 1 ends up moving to the left with a speed of 0.3 m/s.",
])
def test_direction_words_map_to_the_stated_convention(completion: str) -> None:
    assert_correct(completion, LEFT)
    flipped = completion.replace("left", "right").replace("negative", "positive").replace("-x", "+x")
    flipped = flipped.replace("-0.3", "0.3").replace("\\leftarrow", "\\rightarrow")
    assert_correct(flipped, RIGHT)


@pytest.mark.parametrize("completion", [
    r"\boxed{-0.3\,\hat{x}\ \text{m/s}}",
    r"\boxed{-0.3\hat{\mathbf{x}}\ \text{m/s}}",
    r"\boxed{-0.3\,\hat{\imath}\ \mathrm{m/s}}",
    r"\boxed{(-0.3\ \text{m/s})\,\hat{i}}",
    r"\boxed{(0.3\ \text{m/s})(-\hat{\imath})}",
    r"\boxed{0.3 m/s (−x̂)}",
    "\\boxed{−0.3 x\u0302 m/s}",
    r"\boxed{-0.3\,\mathbf{i}\ \text{m/s}}",
    r"\boxed{-0.3\,\hat{e}_x\ \text{m/s}}",
    r"\boxed{-0.3\ \hat{\textbf{x}}\ \text{m/s}}",
    r"\boxed{-0.3\,\mathbf{\hat{x}}\ \mathrm{m\,s^{-1}}}",
    r"\boxed{-\hat{x}\,0.3\ \text{m/s}}",
    "\\boxed{-0.3 î m/s}",
    r"$\vec{v}_1 = -0.3\,\hat{\imath}\ \mathrm{m/s}$",
])
def test_unit_vectors(completion: str) -> None:
    assert_correct(completion, LEFT)
    assert_zero(completion, RIGHT)


def test_a_sign_is_never_flipped_silently() -> None:
    reason = assert_zero(r"\boxed{-0.3 m/s to the right}", LEFT)
    assert "disagree" in reason
    assert_zero(r"\boxed{0.3 m/s}", LEFT)  # the magnitude of a signed answer is not the answer
    for unknown in (r"\boxed{0.3 m/s clockwise}", r"\boxed{0.3 m/s downward}", r"\boxed{-0.3\,\hat{y}\ \text{m/s}}"):
        reason = assert_zero(unknown, LEFT)
        assert "convention" in reason, reason
    # a task with no stated convention reads the value as written and says it saw the word
    plain = V.verify(r"\boxed{-0.3 m/s to the left}", ref(-0.3, "m/s"))
    assert plain.score == 1.0 and plain.details["direction"] == "left"
    assert_zero(r"\boxed{0.3 m/s to the left}", ref(-0.3, "m/s"))


def test_a_magnitude_task_accepts_either_sign_and_any_direction() -> None:
    speed = ref(0.3, "m/s", magnitude=True)
    for completion in (r"\boxed{0.3 m/s to the left}", r"\boxed{-0.3\ \text{m/s}}", r"\boxed{0.3\,\hat{y}\ \text{m/s}}",
                       r"\boxed{0.3 m/s downward}"):
        assert_correct(completion, speed)


def test_direction_words_after_a_positive_quantity_are_prose() -> None:
    assert_correct(r"\boxed{35.2^\circ\ \text{below the horizontal}}", ref(35.2, "degree"))
    assert_correct(r"\boxed{2.36\ \text{m/s}^2\ \text{down the slope}}", ref(2.3563, "m/s^2"))
    assert_correct(r"\boxed{3.07 m/s downhill}", ref(3.07, "m/s"))


def test_the_bridge_current_direction() -> None:
    current = ref(-0.0101, "A", directions={"C->D": 1, "D->C": -1})
    for completion in (r"\boxed{0.0101\ \text{A from D to C}}", r"\boxed{0.0101 A (D \to C)}",
                       r"\boxed{-0.0101\ \text{A}}", r"\boxed{10.1\ \text{mA, from D to C}}"):
        assert_correct(completion, current)
    assert_zero(r"\boxed{0.0101\ \text{A from C to D}}", current)


# --- angles, angular frequency -----------------------------------------------------------------------------------

@pytest.mark.parametrize("completion", [
    r"\boxed{\frac{\pi}{4}\ \text{rad}}", r"\boxed{\pi/4}", r"\boxed{0.25\pi\ \text{rad}}", r"\boxed{45^{\circ}}",
    r"\boxed{45\,\text{deg}}", r"\boxed{45 degrees}", r"\boxed{\frac{\pi}{4}\,\mathrm{radians}}", r"\boxed{\ang{45}}",
    r"\boxed{\SI{45}{\degree}}", r"\boxed{\left(\frac{\pi}{4}\right)\,\text{rad}}", r"\boxed{\arctan(1)}",
    r"\boxed{\tan^{-1}(1)}", r"\boxed{\arcsin\left(\frac{\sqrt{2}}{2}\right)}",
    r"\boxed{\arccos(1/\sqrt{2})\ \text{rad}}",
    "So the angle is $\\theta \\approx 45^\\circ$.", "**45°**",
])
def test_angles_as_expressions_in_radians(completion: str) -> None:
    assert_correct(completion, ref(45.0, "degree"))


def test_a_bare_number_is_still_no_angle() -> None:
    assert V.verify(r"\boxed{45}", ref(45.0, "degree")).status == VerdictStatus.UNPARSEABLE
    assert_zero(r"\boxed{\pi/4}", ref(45.0, "m"))  # π without a unit is an angle only where an angle is asked


@pytest.mark.parametrize("completion", [
    r"\boxed{4\pi\ \text{rad/s}}", r"\boxed{12.57\ \text{s}^{-1}}", r"\boxed{12.57\,\mathrm{s^{-1}}}",
    r"\boxed{12.57\ \text{1/s}}", r"\boxed{12.57 /s}", r"\boxed{12.57\,\mathrm{rad\,s^{-1}}}", r"\boxed{120 rpm}",
    r"\boxed{\SI{12.57}{\per\second}}", r"\boxed{12.57 per second}",
])
def test_angular_frequency_in_inverse_seconds(completion: str) -> None:
    assert_correct(completion, ref(12.566, "rad/s"))


def test_a_frequency_in_cycles_is_not_an_angular_frequency() -> None:
    assert_zero(r"\boxed{12.57\ \text{Hz}}", ref(12.566, "rad/s"))
    assert_zero(r"\boxed{2\ \text{Hz}}", ref(12.566, "rad/s"))
    assert_zero(r"\boxed{12.57\ \text{ms}^{-1}}", ref(12.566, "rad/s"))  # per millisecond: 1000 times off


# --- unicode unit code points, siunitx --------------------------------------------------------------------------

@pytest.mark.parametrize(("completion", "reference"), [
    ("\\boxed{25 \u2103}", ref(298.15, "K")),  # DEGREE CELSIUS
    ("\\boxed{77 \u2109}", ref(298.15, "K")),  # DEGREE FAHRENHEIT
    ("\\boxed{4.7 k\u2126}", ref(4700, "ohm")),  # OHM SIGN
    ("\\boxed{4.7 \u33c0}", ref(4700, "ohm")),  # ㏀
    ("\\boxed{300 \u212a}", ref(300, "K")),  # KELVIN SIGN
    ("\\boxed{1.5 \u212b}", ref(1.5e-10, "m")),  # ANGSTROM SIGN
    ("\\boxed{47 \u00b5F}", ref(4.7e-5, "F")),  # MICRO SIGN
    ("\\boxed{47 \u338c}", ref(4.7e-5, "F")),  # ㎌
    ("\\boxed{3.1 \u33a7}", ref(3.1, "m/s")),  # ㎧
    ("\\boxed{9.81 \u33a8}", ref(9.81, "m/s^2")),  # ㎨
    ("\\boxed{2.5 \u338f}", ref(2.5, "kg")),  # ㎏
    ("\\boxed{50 \u3390}", ref(50, "Hz")),  # ㎐
    ("\\boxed{1.2 \u33b3}", ref(1.2e-3, "s")),  # ㎳
    ("\\boxed{3 m\u2215s}", ref(3, "m/s")),  # DIVISION SLASH
    ("\\boxed{2 \u33a1}", ref(2, "m^2")),  # ㎡
])
def test_unicode_unit_code_points(completion: str, reference: dict) -> None:
    assert_correct(completion, reference)


@pytest.mark.parametrize(("completion", "reference"), [
    (r"\boxed{\SI{9.81}{\meter\per\second\squared}}", ref(9.81, "m/s^2")),
    (r"\boxed{\SI{9.81}{m.s^{-2}}}", ref(9.81, "m/s^2")),
    (r"\boxed{\qty{3.5}{\kilo\metre\per\hour}}", ref(0.97222, "m/s")),
    (r"\boxed{\SI[per-mode=symbol]{3}{\metre\per\second}}", ref(3, "m/s")),
    (r"\boxed{3\,\si{\metre\per\second}}", ref(3, "m/s")),
    (r"\boxed{\SI{2.5e-3}{\ampere}}", ref(2.5e-3, "A")),
    (r"\boxed{\SI{2.5}{\milli\ampere}}", ref(2.5e-3, "A")),
    (r"\boxed{3\ \unit{\m\per\s}}", ref(3, "m/s")),
    (r"\boxed{\qty{47}{\micro\farad}}", ref(4.7e-5, "F")),
    (r"\boxed{\SI{1.2}{\kilo\ohm}}", ref(1200, "ohm")),
    (r"\boxed{\SI{25}{\degreeCelsius}}", ref(298.15, "K")),
    (r"\boxed{\SI{2}{\per\square\second}}", ref(2, "1/s^2")),
    (r"\boxed{\SI{5}{\kilogram\metre\squared}}", ref(5, "kg*m^2")),
    (r"\boxed{\num{1.5e3}\,\si{\newton}}", ref(1500, "N")),
    (r"\boxed{3\,\meter\per\second}", ref(3, "m/s")),
    (r"\boxed{\SI{1,5}{\second}}", ref(1.5, "s")),
    (r"\boxed{\qty{2.2}{\joule}}", ref(2.2, "J")),
    (r"\boxed{\SI{7.2}{\kilo\meter/\hour}}", ref(2.0, "m/s")),
    (r"\boxed{\SI{3.2}{\metre\second^{-1}}}", ref(3.2, "m/s")),
])
def test_siunitx(completion: str, reference: dict) -> None:
    assert_correct(completion, reference)


# --- powers of ten, plain-text scientific notation ---------------------------------------------------------------

@pytest.mark.parametrize(("completion", "value"), [
    (r"\boxed{10^{-3}\ \text{s}}", 1e-3), (r"\boxed{10^5\,\mathrm{s}}", 1e5),
    (r"\boxed{1\times10^{-3}\text{ s}}", 1e-3),
    ("\\boxed{10**-3 s}", 1e-3), ("\\boxed{1e-3 s}", 1e-3), ("\\boxed{1E-03 s}", 1e-3), ("\\boxed{10⁻³ s}", 1e-3),
    ("\\boxed{3.2x10^-4 s}", 3.2e-4), ("\\boxed{3.2 x 10^-4 s}", 3.2e-4), ("\\boxed{3.2X10^(-4) s}", 3.2e-4),
    ("\\boxed{3.2*10^-4 s}", 3.2e-4), ("\\boxed{3.2*10**-4 s}", 3.2e-4), ("\\boxed{3.2·10⁻⁴ s}", 3.2e-4),
    ("\\boxed{3.2e-4 s}", 3.2e-4), ("\\boxed{3.2E+2 s}", 320.0), ("The answer is 3.2 × 10^-4 s", 3.2e-4),
    (r"\boxed{3.2\times 10^{+2}\ \mathrm{s}}", 320.0),
])
def test_powers_of_ten_and_plain_scientific_notation(completion: str, value: float) -> None:
    assert_correct(completion, ref(value, "s"))


def test_absurd_powers_are_refused_not_computed() -> None:
    assert_zero(r"\boxed{10^{10^{10}}\ \text{s}}", ref(1.0, "s"))
    assert_zero(r"\boxed{10^{99999}\ \text{s}}", ref(1.0, "s"))


# --- zero ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("completion", [
    r"\boxed{0}", r"\boxed{0\ \text{m/s}}", r"\boxed{0.0\ \mathrm{m\,s^{-1}}}", r"\boxed{\text{zero}}",
    r"\boxed{0 \text{ (the block stays at rest)}}", "The block never moves, so its speed is \\boxed{0}.",
    r"\boxed{-0}", r"\boxed{0\ \text{km/h}}", "The answer is 0", "It stays put: v = 0 m/s.",
])
def test_zero_for_a_zero_quantity(completion: str) -> None:
    assert_correct(completion, ref(0.0, "m/s", abs_tol=1e-3))


def test_zero_is_not_every_answer() -> None:
    assert_zero(r"\boxed{0}", ref(3.07, "m/s"))
    assert_zero(r"\boxed{0\ \text{kg}}", ref(0.0, "m/s"))  # a unit of the wrong dimension is still wrong
    assert V.verify(r"\boxed{0}", ref(273.15, "K")).status == VerdictStatus.UNPARSEABLE  # 0 °C or 0 K?


# --- the hedge (the rule of rlvrgym.verifiers.extract, shared with math) -----------------------------------------

@pytest.mark.parametrize("completion", [
    r"either \boxed{3.1\ \text{m/s}} or \boxed{4.2\ \text{m/s}}",
    r"$v = \boxed{3.1\ \text{m/s}}$ or $v = \boxed{4.2\ \text{m/s}}$",
    r"\boxed{3.1 m/s}, \boxed{-3.1 m/s}",
    r"\boxed{3.1\ \text{m/s}} (or possibly 4.2 m/s)",
    r"\boxed{3.1\ \text{m/s}}, though it could also be 4.2 m/s",
    r"\boxed{3.1\ \text{m/s}}. Another value is also possible.",
    "The answer is 3.1 m/s, or possibly 4.2 m/s.",
    "v = 3.1 m/s, but it could also be 2.9 m/s",
])
def test_a_hedge_earns_nothing(completion: str) -> None:
    verdict = V.verify(completion, ref(3.1, "m/s"))
    assert verdict.score == 0.0 and verdict.details.get("hedge") is True, (completion, verdict.reason)


@pytest.mark.parametrize("completion", [
    r"\boxed{3.1\ \text{m/s}} (or 11.16 km/h)",
    r"\boxed{3.1 m/s} or equivalently \boxed{11.16 km/h}",
    r"\boxed{3.1\ \text{m/s}} or \boxed{310\ \text{cm/s}}",
    r"\boxed{3.1\ \text{m/s}}, i.e. it could also be written 3.1 m s^-1",
    "\\boxed{3.1 m/s} " * 5,
])
def test_the_same_value_twice_is_no_hedge(completion: str) -> None:
    assert_correct(completion, ref(3.1, "m/s"))


def test_the_hedge_rule_is_the_shared_one() -> None:
    """Same predicate, same verdict: the physics hedge is `extract.find_hedge` with a unit-aware predicate."""
    text = r"either \boxed{3.1\ \text{m/s}} or \boxed{4.2\ \text{m/s}}"
    assert find_hedge(text, lambda a, b: a == b) is not None
    assert find_hedge(text, lambda a, b: True) is None


# --- policies that are options ----------------------------------------------------------------------------------

def test_tolerance_tiers_and_significant_figures() -> None:
    r = ref(3.0712, "m/s")
    assert score(r"\boxed{3.07 m/s}", r) == 1.0
    assert score(r"\boxed{3.1 m/s}", r) == 1.0  # two significant figures, 0.9% off: full credit
    assert score(r"\boxed{3 m/s}", r) == 0.5  # one significant figure, 2.3% off: the tier it reaches
    assert score(r"\boxed{3.071200000 m/s}", r) == 1.0  # extra digits neither help nor hurt
    strict = PhysicsVerifier(isolation="inline", tiers=[(0.001, 1.0)])
    assert score(r"\boxed{3.07 m/s}", r, strict) == 1.0 and score(r"\boxed{3.1 m/s}", r, strict) == 0.0


@pytest.mark.parametrize("completion", [
    r"\boxed{3.1\ \text{ms}^{-1}}", r"\boxed{3.1 ms^-1}", r"\boxed{3.1\,\mathrm{ms^{-1}}}", r"\boxed{3.1 m s-1}",
    r"\boxed{3.1\ \text{m s}^{-1}}", r"\boxed{3.1 ms⁻¹}",
])
def test_uk_metres_per_second(completion: str) -> None:
    assert_correct(completion, ref(3.1, "m/s"))
    literal = PhysicsVerifier(isolation="inline", uk_ms_inverse=False)
    if "m s" not in completion:
        assert "dimension" in assert_zero(completion, ref(3.1, "m/s"), literal)


def test_uk_style_keeps_its_dimension() -> None:
    assert_correct(r"\boxed{9.81\ \text{ms}^{-2}}", ref(9.81, "m/s^2"))
    assert_correct(r"\boxed{7.8\ \text{kms}^{-1}}", ref(7800, "m/s"))
    assert_zero(r"\boxed{3.1\ \text{ms}^{-1}}", ref(3.1, "m"))


def test_an_answer_only_inside_think() -> None:
    thinking_only = r"<think>v = 3.1 m/s, so \boxed{3.1\ \text{m/s}}</think>"
    verdict = V.verify(thinking_only, ref(3.1, "m/s"))
    assert verdict.status == VerdictStatus.UNPARSEABLE and "<think>" in verdict.reason
    lenient = PhysicsVerifier(isolation="inline", answer_in_think=True)
    verdict = lenient.verify(thinking_only, ref(3.1, "m/s"))
    assert verdict.score == 1.0 and verdict.details["in_think"] and verdict.details["format_ok"] is False
    assert_correct(r"<think>maybe \boxed{2 m/s}</think> The speed is \boxed{3.1\ \text{m/s}}.", ref(3.1, "m/s"))
    assert_zero(r"<think>it is \boxed{3.1 m/s}</think> I am not sure.", ref(3.1, "m/s"))
    assert_zero(r"<think>it is \boxed{3.1 m/s}", ref(3.1, "m/s"))  # never closed: no answer was given


def test_sim_as_an_answer() -> None:
    for completion in (r"\boxed{\sim 3.1\ \text{m/s}}", r"v \sim 3.1\ \text{m/s}", "v ∼ 3.1 m/s"):
        assert_correct(completion, ref(3.1, "m/s"))
        strict = PhysicsVerifier(isolation="inline", allow_sim=False)
        assert "order of magnitude" in assert_zero(completion, ref(3.1, "m/s"), strict)
    assert score(r"\boxed{\sim 3\ \text{m/s}}", ref(3.1, "m/s")) == 0.5  # the tiers still judge the value


def test_a_percentage_for_a_ratio() -> None:
    for completion in (r"\boxed{23\%}", r"\boxed{23\,\%}", r"\boxed{23 percent}", r"\boxed{\SI{23}{\percent}}"):
        assert_correct(completion, ref(0.23, ""))
        strict = PhysicsVerifier(isolation="inline", accept_percent=False)
        assert "percentage" in assert_zero(completion, ref(0.23, ""), strict)
    assert_zero(r"\boxed{0.23\%}", ref(0.23, ""))  # 0.23 % is 0.0023


# --- generated tasks: the oracle's forms and the sign conventions --------------------------------------------------

SOURCE = GeneratorSource(physics_generators(), difficulty=[1, 2, 3])


def test_negative_generated_answers_read_with_direction_words() -> None:
    for family in ("collision_1d", "spring"):
        for seed in range(40):
            task = SOURCE.make(family, 3, seed)
            r = task.reference
            if r["value"] >= -2 * r.get("abs_tol", 0.0) or "directions" not in r:
                continue  # (a value within the absolute tolerance of 0 has no sign to get wrong)
            word = rf"\boxed{{{abs(r['value']):.6g}\ \text{{{r['unit']} to the left}}}}"
            assert V.verify(word, r).score == 1.0, (task.id, task.prompt)
            assert V.verify(rf"\boxed{{{abs(r['value']):.6g}\ \text{{{r['unit']}}}}}", r).score == 0.0


PIECES = [*"0123456789.,-+eE mskgNJ/^*(){}π√°%=≈~∼", "\\sqrt", "\\frac", "\\pi", "\\hat{x}", "\\,", "\\SI{", "}{",
          "\\si{", "\\kilo", "\\per", "\\metre", "left", "right", "zero", "℃", "㎧", "Ω", "\\boxed{", "<think>",
          "</think>", "or ", "10^{", "x10^", "\\times", "\\sim", "to the ", "\n"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_never_raises_on_arbitrary_answer_like_text(text: str) -> None:
    for reference in (ref(3.1, "m/s", directions=RIGHT_POSITIVE), ref(0.5, "degree"), ref(0.2, "")):
        verdict = V.judge(text, reference)
        assert verdict.status != VerdictStatus.ERROR and 0.0 <= verdict.score <= 1.0, verdict.reason


SI_MACROS = {"m": r"\metre", "s": r"\second", "m/s": r"\metre\per\second", "m/s^2": r"\metre\per\second\squared",
             "J": r"\joule", "V": r"\volt", "A": r"\ampere", "C": r"\coulomb", "ohm": r"\ohm", "degree": r"\degree"}
LATEX_UNITS = {"m": "m", "s": "s", "m/s": r"m\,s^{-1}", "m/s^2": r"m\,s^{-2}", "J": "J", "V": "V", "A": "A",
               "C": "C", "ohm": r"\Omega", "degree": r"^{\circ}"}


def _styles(value: float, unit: str) -> list[str]:
    """The same answer as chat models write it."""
    text = f"{value:.5g}"
    latex = LATEX_UNITS.get(unit, unit)
    comma = text.replace(".", ",") if "e" not in text and len(text.split(".")[-1]) != 3 else text
    out = [rf"\boxed{{{text}\,\mathrm{{{latex}}}}}", rf"**Answer:** {text} {unit}", rf"\[\boxed{{{text}\ {latex}}}\]",
           rf"Working through the algebra carefully.\n\nTherefore the result is {text} {unit}.",
           rf"\boxed{{{comma}\ \text{{{unit}}}}}", rf"$\boxed{{{text}}}\ \mathrm{{{latex}}}$",
           rf"<think>first try: \boxed{{1 {unit}}}</think>\nThe answer is $\boxed{{{text}\ \text{{{unit}}}}}$."]
    if unit in SI_MACROS:
        out.append(rf"\boxed{{\SI{{{text}}}{{{SI_MACROS[unit]}}}}}")
    if "e" in text:
        mantissa, exp = text.split("e")
        out.append(rf"\boxed{{{mantissa} \times 10^{{{int(exp)}}}\ \text{{{unit}}}}}")
    return [o for o in out if unit or "\\text{}" not in o]


def test_generated_answers_in_the_styles_chat_models_write() -> None:
    for family in physics_generators():
        for difficulty in (1, 2, 3):
            for seed in range(4):
                task = SOURCE.make(family, difficulty, seed)
                r = task.reference
                if not r["unit"]:
                    styles = [rf"\boxed{{{r['value']:.5g}}}", f"The eccentricity is {r['value']:.5g}."]
                else:
                    styles = _styles(r["value"], r["unit"])
                for completion in styles:
                    verdict = V.verify(completion, r)
                    assert verdict.score == 1.0, (task.id, completion, verdict.reason)

"""Physics task statements: every answer re-derived from the prompt text alone, sign conventions stated, no
physically impossible scenario, and the scenario each seed draws kept stable.

The re-derivation reads the numbers back out of the prompt (never `task.meta` or the reference) and recomputes
the asked quantity with formulas and integrators written here, independently of `rlvrgym.sim`: a prompt that
omits a quantity the answer depends on, or that leaves the sign of a signed answer undefined, fails here.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from rlvrgym.tasks.base import GeneratorSource, Task
from rlvrgym.tasks.physics import physics_generators

SOURCE = GeneratorSource(physics_generators(), difficulty=[1, 2, 3])
SNAPSHOT = Path(__file__).parent / "data" / "physics_task_snapshot.json"
NUM = r"(-?\d+(?:\.\d+)?(?: × 10\^-?\d+)?)"
BODY_RADIUS = {"Earth": 6.371e6, "Mars": 3.39e6, "the Moon": 1.737e6}


def number(text: str) -> float:
    mantissa, _, exp = text.partition(" × 10^")
    return float(mantissa) * 10 ** int(exp or 0)


def grab(prompt: str, pattern: str) -> float:
    """The number that `pattern` (with one NUM group) finds in the prompt; the test fails when it is missing."""
    m = re.search(pattern.replace("NUM", NUM), prompt)
    assert m, f"the prompt does not state {pattern!r}:\n{prompt}"
    return number(m.group(1))


def asked(prompt: str) -> str:
    m = re.search(r"\n\nFind (.+?)\. Give the final answer", prompt)
    assert m, prompt
    return m.group(1)


def ode_end(rhs: Callable, y0: list[float], t_end: float) -> np.ndarray:
    if t_end == 0:
        return np.array(y0, dtype=float)
    sol = solve_ivp(rhs, (0.0, t_end), y0, method="DOP853", rtol=1e-10, atol=1e-14)
    assert sol.success, sol.message
    return sol.y[:, -1]


# --- one re-derivation per family: (prompt) -> the asked value, in SI --------------------------------------------

def projectile(p: str) -> float:
    v0, g = grab(p, r"with speed NUM m/s"), grab(p, r"g = NUM m/s²")
    angle = grab(p, r"at NUM° (?:above|below)") * (-1 if "° below the horizontal" in p else 1)
    height = 0.0 if "from flat ground" in p else grab(p, r"top of a NUM m high cliff")
    k = grab(p, r"k = NUM m⁻¹") if "Air resistance is quadratic" in p else 0.0
    assert k or "Neglect air resistance" in p, p
    th = math.radians(angle)

    def rhs(_t: float, s: list[float]) -> list[float]:
        speed = math.hypot(s[2], s[3])
        return [s[2], s[3], -k * speed * s[2], -k * speed * s[3] - g]

    def land(_t: float, s: list[float]) -> float:
        return s[1]

    def top(_t: float, s: list[float]) -> float:
        return s[3]

    land.terminal, land.direction, top.direction = True, -1, -1  # type: ignore[attr-defined]
    sol = solve_ivp(rhs, (0, 1e4), [0, height, v0 * math.cos(th), v0 * math.sin(th)], method="RK45", rtol=1e-11,
                    atol=1e-11, events=(land, top))
    x, _, vx, vy = sol.y_events[0][0]
    apex = sol.y_events[1][0][1] if len(sol.t_events[1]) else height
    return {"the horizontal range": x, "the time of flight": sol.t_events[0][0],
            "the maximum height above the ground": max(apex, height), "the speed just before it hits the ground":
            math.hypot(vx, vy), "the angle below the horizontal at which it hits the ground":
            math.degrees(math.atan2(-vy, vx))}[asked(p)]


def incline(p: str) -> float:
    angle, mu_s = grab(p, r"incline at NUM°"), grab(p, r"static friction is NUM")
    mu_k, d, g = grab(p, r"kinetic friction NUM"), grab(p, r"slide NUM m"), grab(p, r"g = NUM m/s²")
    th = math.radians(angle)
    moves = math.sin(th) > mu_s * math.cos(th)  # gravity along the slope beats the largest static friction
    a = g * (math.sin(th) - mu_k * math.cos(th)) if moves else 0.0
    return {"the acceleration of the block along the incline": a,
            "the time the block takes to slide the distance": math.sqrt(2 * d / a) if moves else math.inf,
            "the speed of the block after sliding the distance (0 if it never moves)": math.sqrt(2 * a * d)}[asked(p)]


def collision(p: str) -> float:
    assert "(velocities positive to the right)" in p, p
    m1, u1 = grab(p, r"body 1 \(NUM kg\)"), grab(p, r"to the right at NUM m/s")
    m2 = grab(p, r"body 2 \(NUM kg\)")
    u2 = 0.0 if "which is at rest" in p else grab(p, r"moving at NUM m/s")
    e = 1.0 if "perfectly elastic" in p else 0.0 if "perfectly inelastic" in p else grab(p, r"restitution NUM")
    # momentum in the centre-of-mass frame reverses and shrinks by e
    v_cm = (m1 * u1 + m2 * u2) / (m1 + m2)
    v1, v2 = v_cm - e * (u1 - v_cm), v_cm - e * (u2 - v_cm)
    lost = 0.5 * (m1 * u1**2 + m2 * u2**2) - 0.5 * (m1 * v1**2 + m2 * v2**2)
    return {"the velocity of body 1 after the collision (positive to the right)": v1,
            "the velocity of body 2 after the collision (positive to the right)": v2,
            "the kinetic energy lost in the collision": lost}[asked(p)]


def spring(p: str) -> float:
    m, k = grab(p, r"A NUM kg mass"), grab(p, r"stiffness NUM N/m")
    x0 = grab(p, r"(?:displaced|pulled) NUM m")
    v0 = grab(p, r"given a velocity of NUM m/s") if "given a velocity" in p else 0.0
    assert "released from rest" in p or v0, p
    c = grab(p, r"c = NUM N·s/m") if "viscous damper" in p else 0.0
    assert c or "no friction or damping" in p, p
    question = asked(p)
    if question == "the period":
        return 2 * math.pi / math.sqrt(k / m - (c / (2 * m)) ** 2)
    assert "(positions and velocities are positive to the right)" in p and "to the right of equilibrium" in p, p
    t = grab(p, r"the time t = NUM s")
    x, v = ode_end(lambda _t, s: [s[1], -(k * s[0] + c * s[1]) / m], [x0, v0], t)
    return {"the displacement from equilibrium at that time (positive to the right)": x,
            "the velocity at that time (positive to the right)": v}[question]


def pendulum(p: str) -> float:
    length, theta0, g = grab(p, r"length NUM m"), grab(p, r"rest at NUM°"), grab(p, r"g = NUM m/s²")
    th = math.radians(theta0)
    if asked(p) == "the maximum speed of the bob":
        return math.sqrt(2 * g * length * (1 - math.cos(th)))
    a, b = 1.0, math.cos(th / 2)  # T = 2π sqrt(L/g) / AGM(1, cos(θ0/2))
    for _ in range(40):
        a, b = (a + b) / 2, math.sqrt(a * b)
    assert asked(p) == "the period", p
    return 2 * math.pi * math.sqrt(length / g) / a


def orbit(p: str) -> float:
    body = re.search(r"centre of (Earth|Mars|the Moon)", p)
    assert body, p
    r0, mass = grab(p, r"is NUM km from") * 1e3, grab(p, r"\(mass NUM kg\)")
    v0, big_g = grab(p, r"moves at NUM m/s perpendicular"), grab(p, r"G = NUM N·m²/kg²")
    mu = big_g * mass
    energy, h = v0**2 / 2 - mu / r0, r0 * v0
    a = -mu / (2 * energy)
    e = math.sqrt(max(0.0, 1 + 2 * energy * h**2 / mu**2))
    assert a * (1 - e) > BODY_RADIUS[body.group(1)], f"the orbit dives into {body.group(1)}:\n{p}"
    return {"the period": 2 * math.pi * math.sqrt(a**3 / mu), "the semi-major axis of the orbit": a,
            "the eccentricity of the orbit": e, "the satellite's greatest distance from that centre": a * (1 + e)}[
        asked(p)]


CONVENTION = "Take the current as positive when it flows out of the battery's + terminal"


def rc(p: str) -> float:
    r, c = grab(p, r"A NUM Ω resistor"), grab(p, r"a NUM µF capacitor") * 1e-6
    v = grab(p, r"ideal NUM V battery")
    t = grab(p, r"the time t = NUM ms") * 1e-3 if asked(p) != "the time constant" else 0.0
    v_init = grab(p, r"charged to NUM V") if "initially charged" in p else 0.0
    assert v_init or "initially uncharged" in p, p
    q_end = ode_end(lambda _t, s: [(v - s[0] / c) / r], [c * v_init], t)[0]
    question = asked(p)
    if question in ("the capacitor voltage at that time", "the current at that time") or "charge" in question:
        assert v_init == 0 or CONVENTION in p, f"a signed circuit answer without a sign convention:\n{p}"
    return {"the capacitor voltage at that time": q_end / c, "the current at that time": (v - q_end / c) / r,
            "the time constant": r * c, "the charge on the capacitor's plate on the battery's + side at that time":
            q_end, "the energy stored at that time": q_end**2 / (2 * c)}[question]


def rl(p: str) -> float:
    r, inductance = grab(p, r"A NUM Ω resistor"), grab(p, r"a NUM mH inductor") * 1e-3
    v = grab(p, r"ideal NUM V battery")
    t = grab(p, r"the time t = NUM ms") * 1e-3 if asked(p) != "the time constant" else 0.0
    assert "no current flowing before" in p, p
    i = ode_end(lambda _t, s: [(v - r * s[0]) / inductance], [0.0], t)[0]
    return {"the time constant": inductance / r, "the current at that time": i,
            "the voltage across the inductor at that time": v - r * i,
            "the energy stored at that time": 0.5 * inductance * i * i}[asked(p)]


def rlc(p: str) -> float:
    r, inductance = grab(p, r"A NUM Ω resistor"), grab(p, r"a NUM mH inductor") * 1e-3
    c, v = grab(p, r"uncharged NUM µF capacitor") * 1e-6, grab(p, r"ideal NUM V battery")
    assert "no current flowing before" in p, p
    question = asked(p)
    if question == "the period":
        return 2 * math.pi / math.sqrt(1 / (inductance * c) - (r / (2 * inductance)) ** 2)
    assert CONVENTION in p, f"a signed circuit answer without a sign convention:\n{p}"
    t = grab(p, r"the time t = NUM ms") * 1e-3
    q, i = ode_end(lambda _t, s: [s[1], (v - r * s[1] - s[0] / c) / inductance], [0.0, 0.0], t)
    return {"the capacitor voltage at that time": q / c, "the current at that time": i}[question]


def bridge(p: str) -> float:
    v = grab(p, r"ideal NUM V battery")
    r1, r2, r3 = grab(p, r"R1 = NUM Ω"), grab(p, r"R2 = NUM Ω"), grab(p, r"R3 = NUM Ω")
    r4, r5 = grab(p, r"R4 = NUM Ω"), grab(p, r"R5 = NUM Ω")
    assert re.search(r"\+ terminal connected through R1 = \S+ Ω to node C and through R3 = \S+ Ω to node D", p)
    # mesh analysis (nodal analysis is what the simulator does): loops battery-R1-R2, R1-R5-R3, R2-R4-R5
    a = np.array([[r1 + r2, -r1, -r2], [-r1, r1 + r3 + r5, -r5], [-r2, -r5, r2 + r4 + r5]])
    i_a, i_b, i_c = np.linalg.solve(a, [v, 0.0, 0.0])
    return {"the equivalent resistance seen by the battery": v / i_a, "the current drawn from the battery": i_a,
            "the current through R5, positive from C to D": i_c - i_b}[asked(p)]


DERIVE: dict[str, Callable[[str], float]] = {
    "projectile": projectile, "incline": incline, "collision_1d": collision, "spring": spring,
    "pendulum": pendulum, "orbit": orbit, "rc_circuit": rc, "rl_circuit": rl, "rlc_circuit": rlc,
    "dc_bridge": bridge}


def test_every_family_is_rederived() -> None:
    assert set(DERIVE) == set(physics_generators())


@pytest.mark.parametrize("family", sorted(DERIVE))
def test_answers_follow_from_the_prompt_alone(family: str) -> None:
    for difficulty in (1, 2, 3):
        for seed in range(25):
            task = SOURCE.make(family, difficulty, seed)
            expected, ref = DERIVE[family](task.prompt), task.reference
            tol = max(1e-7 * abs(ref["value"]), 1e-3 * float(ref.get("abs_tol") or 0.0), 1e-300)
            assert abs(expected - ref["value"]) <= tol, (task.id, expected, ref["value"], task.prompt)


def test_the_rederivation_fails_a_statement_that_omits_a_quantity() -> None:
    """The check can fail: a prompt with the damping, the launch height or the convention cut out is caught."""
    damped = SOURCE.make("spring", 3, 0).prompt
    with pytest.raises(AssertionError):
        spring(re.sub(r" A viscous damper[^.]*\.", "", damped))
    cliff = SOURCE.make("projectile", 2, 1).prompt
    assert "cliff" in cliff
    with pytest.raises(AssertionError):
        projectile(cliff.replace("from the top of a", "from a"))
    with pytest.raises(AssertionError):
        spring(damped.replace(" (positions and velocities are positive to the right)", ""))


SIGNED = {("collision_1d", "v1"), ("collision_1d", "v2"), ("spring", "position"), ("spring", "velocity"),
          ("rc_circuit", "capacitor_voltage"), ("rc_circuit", "current"), ("rc_circuit", "charge"),
          ("rlc_circuit", "capacitor_voltage"), ("rlc_circuit", "current"), ("dc_bridge", "bridge_current")}


def test_every_answer_that_can_be_negative_has_a_stated_convention() -> None:
    negative: set[tuple[str, str]] = set()
    for family in sorted(DERIVE):
        for difficulty in (1, 2, 3):
            for seed in range(60):
                task = SOURCE.make(family, difficulty, seed)
                key = (family, task.reference["quantity"])
                if task.reference["value"] < 0:
                    negative.add(key)
                    assert key in SIGNED, key
                if key in SIGNED and ("directions" in task.reference or task.reference["value"] < 0):
                    assert "positive" in task.prompt, task.prompt  # the convention is in the statement
                    assert "directions" in task.reference, task.id  # and the verifier knows it is signed
    assert {("spring", "position"), ("spring", "velocity"), ("rlc_circuit", "current"),
            ("collision_1d", "v1")} <= negative  # the draws do produce negative answers


def _fingerprint(task: Task) -> str:
    r = task.reference
    return json.dumps([task.meta["asked"], sorted(task.meta["params"].items()), f"{r['value']:.9g}", r["unit"]])


def test_no_prompt_gives_its_time_constant_away() -> None:
    """An RC problem at difficulty 1 simulates t = 1, 2 or 3 time constants: asking for the time constant while
    stating t would hand over the answer a third of the time."""
    for seed in range(60):
        for family in ("rc_circuit", "rl_circuit"):
            task = SOURCE.make(family, 1, seed)
            if task.meta["asked"] == "time_constant":
                assert "Consider the time" not in task.prompt, task.prompt


def test_orbits_never_dive_into_the_body() -> None:
    for difficulty in (1, 2, 3):
        for seed in range(300):
            task = SOURCE.make("orbit", difficulty, seed)
            orbit(task.prompt)  # asserts the periapsis clears the surface


def test_each_seed_draws_the_scenario_it_drew_before_the_impossible_ones_were_rejected() -> None:
    """tests/data/physics_task_snapshot.json holds, per family and difficulty, a digest of the scenarios (asked
    quantity, parameters, answer; not the wording) of seeds 0-299 as drawn before impossible orbits were
    rejected, and the seeds whose old draw was impossible. Every other seed must draw the same scenario."""
    snapshot = json.loads(SNAPSHOT.read_text())
    assert set(snapshot) == {f"{f}:{d}" for f in physics_generators() for d in (1, 2, 3)}
    for key, entry in snapshot.items():
        family, difficulty = key.split(":")
        digest = hashlib.sha256()
        for seed in range(300):
            if seed in entry["impossible_seeds"]:
                continue
            digest.update(_fingerprint(SOURCE.make(family, int(difficulty), seed)).encode() + b"\n")
        assert digest.hexdigest()[:16] == entry["sha256"], key
    redrawn = snapshot["orbit:3"]["impossible_seeds"]
    assert redrawn and all(SOURCE.make("orbit", 3, s).meta["params"]["r0"] > 0 for s in redrawn)

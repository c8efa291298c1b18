"""Seeded physics problem generators: numbers drawn from the rng, ground truth from `rlvrgym.sim`.

Every number a prompt states is rounded *before* it is simulated, so the prompt and the ground truth agree to the
last digit. Each task's reference carries the asked quantity (value, SI unit, tolerances), the problem's quantity
table (`symbols`, for the verifier's dimensional checks) and the other simulated quantities (`claims`, for
intermediate results). `meta["trap"]` marks problems where the textbook shortcut (small-angle pendulum, no air
resistance, ignoring damping or static friction, r0 as the semi-major axis) misses the full-credit tolerance;
`meta["textbook_value"]` is that shortcut's answer.

Difficulty: 1 the textbook case; 2 one complication (launch height, static friction, restitution, damping-free
motion at a time, moderate amplitude, ellipse, arbitrary times); 3 the hard case (quadratic drag, near-threshold
friction, both bodies moving, damping, large amplitude, elliptical periods, initial charge, RL).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from rlvrgym.sim.core import FAMILIES, load_families, solve
from rlvrgym.sim.orbit import GRAVITATIONAL_CONSTANT
from rlvrgym.tasks.base import Generator, Task
from rlvrgym.tasks.draws import Redraw, generator, pick, uniform
from rlvrgym.tasks.draws import round_sig as rnd

#: A textbook shortcut that misses by more than this is a trap (the verifier's default full-credit tier).
TRAP_THRESHOLD = 0.01
G = 9.81
#: Difficulty 1 is the textbook case, 3 the hard one; a higher difficulty gives level-3 problems.
MAX_LEVEL = 3
#: No worked example of a boxed answer here: an echo of the prompt must never be able to score.
ANSWER_FORMAT = "Give the final answer with its unit as \\boxed{value unit}."

#: Quantity tables: symbol -> unit, the names a solution may use in its equations (process checks).
SYMBOLS: dict[str, dict[str, str]] = {
    "projectile": {"v_0": "m/s", "v": "m/s", "v_x": "m/s", "v_y": "m/s", "v_{0x}": "m/s", "v_{0y}": "m/s",
                   "θ": "degree", "θ_f": "degree", "θ_{impact}": "degree", "α": "degree", "g": "m/s^2",
                   "h": "m", "h_0": "m", "H": "m", "h_{max}": "m",
                   "y_{max}": "m", "R": "m", "x": "m", "y": "m", "t": "s", "t_f": "s", "t_{flight}": "s",
                   "t_{apex}": "s", "t_{up}": "s", "k": "1/m", "v_f": "m/s", "v_{impact}": "m/s", "a": "m/s^2"},
    "incline": {"θ": "degree", "α": "degree", "μ_s": "", "μ_k": "", "μ": "", "g": "m/s^2", "a": "m/s^2",
                "d": "m", "s": "m", "L": "m", "t": "s", "v": "m/s", "v_f": "m/s", "m": "kg", "F": "N", "N": "N",
                "F_N": "N", "f": "N", "f_k": "N", "f_s": "N", "W": "J"},
    "collision_1d": {"m_1": "kg", "m_2": "kg", "u_1": "m/s", "u_2": "m/s", "v_1": "m/s", "v_2": "m/s", "e": "",
                     "p": "kg*m/s", "p_i": "kg*m/s", "p_f": "kg*m/s", "K": "J", "K_i": "J", "K_f": "J",
                     "ΔK": "J", "E": "J", "v_{cm}": "m/s", "μ": "kg"},
    "spring": {"m": "kg", "k": "N/m", "c": "N*s/m", "b": "N*s/m", "x_0": "m", "v_0": "m/s", "x": "m", "v": "m/s",
               "t": "s", "ω": "1/s", "ω_0": "1/s", "ω_d": "1/s", "γ": "1/s", "β": "1/s", "ζ": "", "T": "s",
               "T_d": "s", "f": "Hz", "A": "m", "φ": "radian", "E": "J"},
    "pendulum": {"L": "m", "l": "m", "g": "m/s^2", "θ_0": "degree", "θ": "degree", "T": "s", "T_0": "s",
                 "v": "m/s", "v_{max}": "m/s", "ω": "1/s", "ω_0": "1/s", "h": "m", "k": ""},
    "orbit": {"M": "kg", "G": "m^3/(kg*s^2)", "r": "m", "r_0": "m", "v_0": "m/s", "v": "m/s", "a": "m",
              "e": "", "T": "s", "ε": "J/kg", "h": "m^2/s", "r_p": "m", "r_a": "m", "μ": "m^3/s^2"},
    "rc_circuit": {"R": "ohm", "C": "F", "V": "V", "V_0": "V", "ε": "V", "V_C": "V", "V_R": "V", "I": "A",
                   "I_0": "A", "Q": "C", "q": "C", "τ": "s", "t": "s", "U": "J", "U_C": "J"},
    "rl_circuit": {"R": "ohm", "L": "H", "V": "V", "ε": "V", "I": "A", "I_0": "A", "I_∞": "A", "τ": "s",
                   "t": "s", "V_L": "V", "V_R": "V", "U": "J", "U_L": "J"},
    "rlc_circuit": {"R": "ohm", "L": "H", "C": "F", "V": "V", "ε": "V", "V_C": "V", "I": "A", "Q": "C", "q": "C",
                    "t": "s", "ω_0": "1/s", "ω_d": "1/s", "γ": "1/s", "α": "1/s", "ζ": "", "T": "s", "T_d": "s"},
    "dc_bridge": {"R_1": "ohm", "R_2": "ohm", "R_3": "ohm", "R_4": "ohm", "R_5": "ohm", "R": "ohm", "R_{eq}": "ohm",
                  "V": "V", "ε": "V", "V_C": "V", "V_D": "V", "V_{CD}": "V", "I": "A", "I_1": "A", "I_2": "A",
                  "I_3": "A", "I_4": "A", "I_5": "A", "I_s": "A", "P": "W"},
}

#: Simulator output -> the symbols that name it in a solution (intermediate claims). Only unambiguous names:
#: "x", "v", "I", "Q" or "U" often name an initial or final value rather than the one at time t, and a claim
#: matched to the wrong quantity would punish a right step.
CLAIM_SYMBOLS: dict[str, dict[str, list[str]]] = {
    "projectile": {"range": ["R", "x_{max}"], "flight_time": ["t_f", "t_{flight}", "T_f", "t_{total}"],
                   "max_height": ["H", "h_{max}", "y_{max}", "H_{max}"],
                   "impact_speed": ["v_f", "v_{impact}", "v_{final}"], "apex_time": ["t_{apex}", "t_{up}", "t_{top}"],
                   "impact_angle_deg": ["θ_f", "θ_{impact}"]},
    "incline": {"acceleration": ["a"], "time": ["t"], "final_speed": ["v_f", "v_{final}"]},
    "collision_1d": {"v1": ["v_1", "v_1'", "v_{1f}"], "v2": ["v_2", "v_2'", "v_{2f}"],
                     "kinetic_energy_lost": ["ΔK", "ΔKE", "K_{lost}", "E_{lost}"], "momentum": ["p", "p_i", "p_f"],
                     "kinetic_energy_before": ["K_i", "KE_i"]},
    "spring": {"period": ["T", "T_d"], "angular_frequency": ["ω_d"], "damping_ratio": ["ζ"]},
    "pendulum": {"period": ["T"], "max_speed": ["v_{max}"], "small_angle_period": ["T_0"]},
    "orbit": {"period": ["T"], "semi_major_axis": ["a"], "eccentricity": ["e"], "periapsis": ["r_p", "r_{peri}"],
              "apoapsis": ["r_a", "r_{apo}"], "specific_energy": ["ε"]},
    "rc_circuit": {"capacitor_voltage": ["V_C", "V_c"], "time_constant": ["τ"]},
    "rl_circuit": {"inductor_voltage": ["V_L"], "time_constant": ["τ"]},
    "rlc_circuit": {"capacitor_voltage": ["V_C"], "period": ["T", "T_d"], "damping_ratio": ["ζ"],
                    "natural_frequency": ["ω_0"]},
    "dc_bridge": {"equivalent_resistance": ["R_{eq}", "R_eq"], "source_current": ["I_s", "I_{total}"],
                  "bridge_current": ["I_5", "I_{CD}"], "voltage_cd": ["V_{CD}"], "power": ["P"]},
}

WORDS = {"range": "the horizontal range", "flight_time": "the time of flight", "max_height":
         "the maximum height above the ground", "impact_speed": "the speed just before it hits the ground",
         "impact_angle_deg": "the angle below the horizontal at which it hits the ground",
         "acceleration": "the acceleration of the block along the incline", "time":
         "the time the block takes to slide the distance", "final_speed": "the speed of the block after sliding "
         "the distance (0 if it never moves)", "v1": "the velocity of body 1 after the collision (positive to the "
         "right)", "v2": "the velocity of body 2 after the collision (positive to the right)",
         "kinetic_energy_lost": "the kinetic energy lost in the collision", "period": "the period",
         "position": "the displacement from equilibrium at that time (positive to the right)",
         "velocity": "the velocity at that time (positive to the right)",
         "max_speed": "the maximum speed of the bob", "semi_major_axis": "the semi-major axis of the orbit",
         "eccentricity": "the eccentricity of the orbit", "apoapsis": "the satellite's greatest distance from that "
         "centre", "capacitor_voltage": "the capacitor voltage at that time", "current": "the current at that time",
         "time_constant": "the time constant",
         "charge": "the charge on the capacitor's plate on the battery's + side at that time",
         "energy_stored": "the energy stored at that time", "inductor_voltage": "the voltage across the inductor "
         "at that time", "equivalent_resistance": "the equivalent resistance seen by the battery",
         "source_current": "the current drawn from the battery", "bridge_current": "the current through R5, "
         "positive from C to D"}


#: The sign conventions the prompts state, as the verifier's direction words (see `make_task`).
RIGHT_POSITIVE = {"right": 1, "left": -1, "+x": 1, "-x": -1}
C_TO_D_POSITIVE = {"C->D": 1, "D->C": -1}
#: Circuits whose current or capacitor voltage can come out negative say which way counts as positive.
CIRCUIT_CONVENTION = ("Take the current as positive when it flows out of the battery's + terminal, and the capacitor's "
                      "voltage and charge as those of its plate on the battery's + side (relative to the other plate).")


def fmt(x: float, sig: int = 4) -> str:
    """A number as a prompt prints it: plain for everyday magnitudes, LaTeX-free scientific otherwise."""
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        text = f"{x:.{sig}g}"
        return text if "e" not in text else f"{float(text):f}".rstrip("0").rstrip(".")
    exp = math.floor(math.log10(abs(x)))
    return f"{x / 10**exp:.{sig}g} × 10^{exp}"


def make_task(family: str, difficulty: int, prompt: str, params: Mapping[str, float], asked: str,
              out: Mapping[str, float], *, abs_tol: float | None = None, textbook: float | None = None,
              trap_reason: str = "", directions: Mapping[str, int] | None = None) -> Task:
    """Assemble the task: the reference for the verifier, the scenario and trap flags for `meta`. `directions`
    marks a signed answer whose convention the prompt states: direction words (canonical names, see the
    verifier's `parse.direction_key`) mapped to the sign they carry in that convention; {} for a signed answer
    with no direction words (a circuit's current)."""
    unit = FAMILIES[family].outputs[asked]
    value = out[asked]
    if not math.isfinite(value):
        raise ValueError(f"{family}: the asked quantity {asked} is not finite")
    reference: dict[str, Any] = {"value": value, "unit": unit, "quantity": asked, "symbols": SYMBOLS[family],
                                 "claims": {name: {"value": out[name], "unit": FAMILIES[family].outputs[name],
                                                   "symbols": aliases}
                                            for name, aliases in CLAIM_SYMBOLS[family].items()
                                            if name != asked and math.isfinite(out[name])}}
    if abs_tol is not None:
        reference["abs_tol"] = abs_tol
    if directions is not None:
        reference["directions"] = dict(directions)
    trap = False
    if textbook is not None and value != 0:
        trap = abs(textbook - value) / abs(value) > TRAP_THRESHOLD
    elif textbook is not None:
        trap = abs(textbook) > (abs_tol or 0.0)
    meta = {"family": family, "params": dict(params), "asked": asked, "trap": trap,
            "trap_reason": trap_reason if trap else "", "textbook_value": textbook}
    return Task("", full_prompt(prompt, asked), reference, family, difficulty, meta)


def full_prompt(prompt: str, asked: str) -> str:
    """A physics task's prompt: the scenario, what to find, and the answer format."""
    return f"{prompt}\n\nFind {WORDS[asked]}. {ANSWER_FORMAT}"


def _projectile_scenario(rng: np.random.Generator, difficulty: int) -> tuple[dict[str, float], str, str]:
    """The projectile's parameters, scenario text and asked quantity: all the draws, none of the simulation."""
    v0 = uniform(rng, 5, 50) if difficulty == 1 else uniform(rng, 10, 60)
    height = 0.0 if difficulty == 1 else uniform(rng, 2, 50)
    angle = float(rng.integers(15, 76)) if difficulty != 2 else float(rng.integers(-20, 71) or 10)
    drag = uniform(rng, 0.002, 0.02, 2) if difficulty >= 3 else 0.0
    params = {"v0": v0, "angle_deg": angle, "height": height, "drag_k": drag, "g": G}
    where = "from flat ground" if height == 0 else f"from the top of a {fmt(height)} m high cliff over flat ground"
    prompt = (f"A ball is launched {where} with speed {fmt(v0)} m/s at {fmt(abs(angle))}° "
              f"{'above' if angle >= 0 else 'below'} the horizontal. Take g = {G} m/s².")
    if drag:
        prompt += (f" Air resistance is quadratic in the speed: the drag deceleration is k|v|v, directed against the "
                   f"velocity, with k = {fmt(drag)} m⁻¹.")
    else:
        prompt += " Neglect air resistance."
    asked = pick(rng, ["range", "flight_time", "max_height"] if difficulty != 2
                  else ["range", "flight_time", "impact_speed", "impact_angle_deg"])
    return params, prompt, asked


Scenario = Callable[[np.random.Generator, int], tuple[dict[str, float], str, str]]


def _sketch(scenario: Scenario) -> Callable[[np.random.Generator, int], Task]:
    """A generator's prompt from its scenario (parameters, text, asked quantity), without the simulation.

    A family whose prompt states no simulated number splits into a scenario, which makes every draw, and the
    simulation: the task's split (a hash of its prompt) is then known before simulating, and the candidates a
    `GeneratorSource` turns down are never simulated. Valid because the simulations draw nothing from the rng,
    raise no `Redraw`, and do not fail on the drawn ranges (projectile: at least 5 m/s, 15° or more from flat
    ground or from a cliff of at least 2 m, and `t_max` bounds a flight with drag; rlc: see `gen_rlc`);
    benchmarks/task_equivalence.py checks it over thousands of seeds per family and level."""

    def sketch(rng: np.random.Generator, difficulty: int) -> Task:
        _, text, asked = scenario(rng, difficulty)
        return Task("", full_prompt(text, asked), None)

    return sketch


@generator("projectile", MAX_LEVEL, sketch=_sketch(_projectile_scenario))
def gen_projectile(rng: np.random.Generator, difficulty: int) -> Task:
    params, prompt, asked = _projectile_scenario(rng, difficulty)
    out = solve("projectile", **params)
    textbook, reason = None, ""
    if params["drag_k"]:
        textbook = solve("projectile", **{**params, "drag_k": 0.0})[asked]
        reason = "quadratic drag: the vacuum formula overestimates"
    return make_task("projectile", difficulty, prompt, params, asked, out, textbook=textbook, trap_reason=reason)


@generator("incline", MAX_LEVEL)
def gen_incline(rng: np.random.Generator, difficulty: int) -> Task:
    mu_k = uniform(rng, 0.05, 0.4, 2)
    mu_s = rnd(mu_k + float(rng.uniform(0.02, 0.2)), 2)
    critical = math.degrees(math.atan(mu_s))
    if difficulty == 1:
        angle = float(rng.integers(math.ceil(critical) + 3, 61)) if critical < 57 else 60.0
    elif difficulty == 2:  # half the blocks stay put
        angle = float(rng.integers(max(5, math.floor(critical) - 8), math.ceil(critical) + 8))
    else:  # within a few degrees of the threshold, where static vs kinetic decides everything
        angle = float(rng.integers(max(5, math.floor(critical) - 3), math.ceil(critical) + 4))
    angle = min(angle, 75.0)
    distance = uniform(rng, 0.5, 5, 2)
    params = {"angle_deg": angle, "mu_s": mu_s, "mu_k": mu_k, "distance": distance, "g": G}
    out = solve("incline", **params)
    prompt = (f"A block is released from rest on a rough incline at {fmt(angle)}° to the horizontal. The coefficient "
              f"of static friction is {fmt(mu_s)} and of kinetic friction {fmt(mu_k)}. It may slide {fmt(distance)} m "
              f"down the slope. Take g = {G} m/s².")
    choices = ["acceleration", "final_speed"] + (["time"] if not out["static"] else [])
    asked = pick(rng, choices if difficulty > 1 else ["acceleration", "time", "final_speed"])
    th = math.radians(angle)
    naive_a = G * (math.sin(th) - mu_k * math.cos(th))  # kinetic friction applied whether or not it slides
    naive = {"acceleration": naive_a, "final_speed": math.sqrt(max(2 * naive_a * distance, 0.0)),
             "time": math.sqrt(2 * distance / naive_a) if naive_a > 0 else math.inf}[asked]
    tol = {"acceleration": 1e-3, "final_speed": 1e-3, "time": None}[asked]
    return make_task("incline", difficulty, prompt, params, asked, out, abs_tol=tol, textbook=naive,
                     trap_reason="static friction holds the block; the kinetic-friction formula says it slides")


def _collision_scenario(rng: np.random.Generator, difficulty: int) -> tuple[dict[str, float], str, str]:
    m1, m2 = uniform(rng, 0.5, 10, 2), uniform(rng, 0.5, 10, 2)
    u1 = uniform(rng, 1, 10, 2)
    if difficulty == 1:
        e, u2 = float(rng.integers(2)), 0.0
    elif difficulty == 2:
        e, u2 = rnd(float(rng.uniform(0.1, 0.95)), 2), 0.0
    else:
        e, u2 = rnd(float(rng.uniform(0.0, 0.95)), 2), uniform(rng, -8, u1 - 0.5, 2)
    params = {"m1": m1, "u1": u1, "m2": m2, "u2": u2, "restitution": e}
    kind = {1.0: "perfectly elastic", 0.0: "perfectly inelastic (the bodies stick together)"}.get(
        e, f"partly elastic, with coefficient of restitution {fmt(e)}")
    second = "at rest" if u2 == 0 else f"moving at {fmt(u2)} m/s"
    prompt = (f"On a frictionless track, body 1 ({fmt(m1)} kg) moves to the right at {fmt(u1)} m/s toward body 2 "
              f"({fmt(m2)} kg), which is {second} (velocities positive to the right). The head-on collision is "
              f"{kind}.")
    asked = pick(rng, ["v1", "v2"] if difficulty < 3 or e == 1.0 else ["v1", "v2", "kinetic_energy_lost"])
    return params, prompt, asked


@generator("collision_1d", MAX_LEVEL, sketch=_sketch(_collision_scenario))
def gen_collision(rng: np.random.Generator, difficulty: int) -> Task:
    params, prompt, asked = _collision_scenario(rng, difficulty)
    out = solve("collision_1d", **params)
    scale = abs(params["u1"]) + abs(params["u2"])
    tol = 1e-3 * scale if asked in ("v1", "v2") else 1e-3 * out["kinetic_energy_before"]
    return make_task("collision_1d", difficulty, prompt, params, asked, out, abs_tol=tol,
                     directions=RIGHT_POSITIVE if asked in ("v1", "v2") else None)


def _spring_scenario(rng: np.random.Generator, difficulty: int) -> tuple[dict[str, float], str, str]:
    mass, k = uniform(rng, 0.1, 5, 2), uniform(rng, 5, 200, 2)
    x0 = uniform(rng, 0.02, 0.3, 2)
    v0 = 0.0 if difficulty < 3 else uniform(rng, -1, 1, 2)
    damping = 0.0
    if difficulty >= 3:
        damping = rnd(2 * math.sqrt(k * mass) * float(rng.uniform(0.05, 0.5)), 2)
    period0 = 2 * math.pi * math.sqrt(mass / k)
    t = 0.0 if difficulty == 1 else rnd(float(rng.uniform(0.1, 3.0)) * period0, 2)
    params = {"mass": mass, "k": k, "damping": damping, "x0": x0, "v0": v0, "t": t}
    start = "released from rest" if v0 == 0 else f"given a velocity of {fmt(v0)} m/s"
    prompt = f"A {fmt(mass)} kg mass on a horizontal spring of stiffness {fmt(k)} N/m is "
    if difficulty == 1:
        prompt += f"displaced {fmt(x0)} m from equilibrium and {start} at t = 0."
    else:  # the answer is a signed position or velocity: the prompt fixes the axis
        prompt += (f"pulled {fmt(x0)} m to the right of equilibrium and {start} at t = 0 (positions and velocities "
                   "are positive to the right).")
    prompt += (f" A viscous damper exerts a force -c v with c = {fmt(damping)} N·s/m." if damping
               else " There is no friction or damping.")
    if difficulty == 1:
        asked = "period"
    else:
        prompt += f" Consider the time t = {fmt(t)} s."
        asked = pick(rng, ["position", "velocity"])
    return params, prompt, asked


@generator("spring", MAX_LEVEL, sketch=_sketch(_spring_scenario))
def gen_spring(rng: np.random.Generator, difficulty: int) -> Task:
    params, prompt, asked = _spring_scenario(rng, difficulty)
    out = solve("spring", **params)
    mass, k, x0, v0, damping = params["mass"], params["k"], params["x0"], params["v0"], params["damping"]
    amplitude = math.hypot(x0, v0 * math.sqrt(mass / k))
    tol = None if asked == "period" else 1e-3 * amplitude * (1 if asked == "position" else math.sqrt(k / mass))
    textbook, reason = None, ""
    if damping:
        textbook = solve("spring", **{**params, "damping": 0.0})[asked]
        reason = "damping: the undamped solution is off"
    return make_task("spring", difficulty, prompt, params, asked, out, abs_tol=tol, textbook=textbook,
                     trap_reason=reason, directions=None if asked == "period" else RIGHT_POSITIVE)


def _pendulum_scenario(rng: np.random.Generator, difficulty: int) -> tuple[dict[str, float], str, str]:
    length = uniform(rng, 0.2, 5, 2)
    lo, hi = {1: (2, 8), 2: (15, 45)}.get(difficulty, (60, 170))
    amplitude = float(rng.integers(lo, hi + 1))
    params = {"length": length, "amplitude_deg": amplitude, "g": G}
    prompt = (f"A simple pendulum of length {fmt(length)} m (a point mass on a light rigid rod) is released from "
              f"rest at {fmt(amplitude)}° from the vertical. Take g = {G} m/s².")
    asked = "period" if difficulty > 1 else pick(rng, ["period", "max_speed"])
    return params, prompt, asked


@generator("pendulum", MAX_LEVEL, sketch=_sketch(_pendulum_scenario))
def gen_pendulum(rng: np.random.Generator, difficulty: int) -> Task:
    params, prompt, asked = _pendulum_scenario(rng, difficulty)
    out = solve("pendulum", **params)
    textbook = out["small_angle_period"] if asked == "period" else None
    return make_task("pendulum", difficulty, prompt, params, asked, out, textbook=textbook,
                     trap_reason="large amplitude: the small-angle period 2π√(L/g) is too short")


PLANETS = (("Earth", 5.972e24, 6.371e6), ("Mars", 6.417e23, 3.39e6), ("the Moon", 7.342e22, 1.737e6))
#: The closest approach must clear the surface by this fraction of the radius (about 130 km for Earth, above the
#: dense atmosphere): an orbit whose periapsis is inside the body never completes, so its period is no answer.
MIN_PERIAPSIS = 1.02
MAX_REDRAWS = 100


@generator("orbit", MAX_LEVEL, max_redraws=MAX_REDRAWS)
def gen_orbit(rng: np.random.Generator, difficulty: int) -> Task:
    # A draw whose orbit would hit the body is drawn again from the same stream (`Redraw`). Valid draws consume
    # the rng exactly as before, so every seed that drew a possible orbit still draws the same task.
    name, mass, radius = PLANETS[int(rng.integers(len(PLANETS)))]
    r0 = rnd(radius * float(rng.uniform(1.1, 3.0)), 3)
    mu = GRAVITATIONAL_CONSTANT * mass
    v_circ = math.sqrt(mu / r0)
    factor = 1.0 if difficulty == 1 else float(rng.uniform(0.85, 1.25))
    v0 = rnd(v_circ * factor, 4 if difficulty == 1 else 3)
    params = {"central_mass": mass, "r0": r0, "v0": v0, "t": 0.0}
    out = solve("orbit", **params)
    if out["periapsis"] < MIN_PERIAPSIS * radius:
        raise Redraw
    prompt = (f"A satellite is {fmt(r0 / 1e3)} km from the centre of {name} (mass {fmt(mass)} kg) and moves at "
              f"{fmt(v0)} m/s perpendicular to the line joining it to the centre. Use "
              f"G = {fmt(GRAVITATIONAL_CONSTANT, 6)} N·m²/kg² and ignore every other body.")
    asked = {1: "period", 2: pick(rng, ["semi_major_axis", "eccentricity"])}.get(
        difficulty, pick(rng, ["period", "apoapsis"]))
    textbook = 2 * math.pi * math.sqrt(r0**3 / mu) if asked == "period" else None
    tol = 1e-3 if asked == "eccentricity" else None
    return make_task("orbit", difficulty, prompt, params, asked, out, abs_tol=tol, textbook=textbook,
                     trap_reason="elliptical orbit: Kepler's third law needs the semi-major axis, not r0")


def _rc_scenario(rng: np.random.Generator, difficulty: int) -> tuple[dict[str, float], str, str]:
    resistance = rnd(float(10 ** rng.uniform(2, 5)), 2)
    capacitance = rnd(float(10 ** rng.uniform(-7, -4)), 2)
    voltage = uniform(rng, 1.5, 24, 2)
    tau = resistance * capacitance
    v_init = 0.0 if difficulty < 3 else uniform(rng, -voltage, voltage, 2)
    t = rnd(tau * (float(rng.integers(1, 4)) if difficulty == 1 else float(rng.uniform(0.1, 4))), 3)
    params = {"resistance": resistance, "capacitance": capacitance, "voltage": voltage, "t": t,
              "initial_voltage": v_init}
    start = "uncharged" if v_init == 0 else f"charged to {fmt(v_init)} V"
    prompt = (f"A {fmt(resistance)} Ω resistor and a {fmt(capacitance * 1e6)} µF capacitor, initially {start}, "
              f"are connected in series to an ideal {fmt(voltage)} V battery at t = 0.")
    options = {1: ["capacitor_voltage", "time_constant"], 2: ["capacitor_voltage", "current"]}.get(
        difficulty, ["capacitor_voltage", "current", "charge", "energy_stored"])
    asked = pick(rng, options)
    if asked != "time_constant":  # at difficulty 1, t is a whole number of time constants: it would give it away
        prompt += f" Consider the time t = {fmt(t * 1e3)} ms."
    if v_init:  # a capacitor charged either way round: its voltage, charge and current can come out negative
        prompt += " " + CIRCUIT_CONVENTION
    return params, prompt, asked


@generator("rc_circuit", MAX_LEVEL, sketch=_sketch(_rc_scenario))
def gen_rc(rng: np.random.Generator, difficulty: int) -> Task:
    params, prompt, asked = _rc_scenario(rng, difficulty)
    out = solve("rc_circuit", **params)
    resistance, capacitance, voltage = params["resistance"], params["capacitance"], params["voltage"]
    scale = {"capacitor_voltage": voltage, "current": voltage / resistance, "charge": capacitance * voltage,
             "energy_stored": 0.5 * capacitance * voltage**2, "time_constant": None}[asked]
    signed = bool(params["initial_voltage"]) and asked in ("capacitor_voltage", "current", "charge")
    return make_task("rc_circuit", difficulty, prompt, params, asked, out,
                     abs_tol=None if scale is None else 1e-3 * abs(scale), directions={} if signed else None)


def _rl_scenario(rng: np.random.Generator, difficulty: int) -> tuple[dict[str, float], str, str]:
    resistance = rnd(float(10 ** rng.uniform(0, 3)), 2)
    inductance = rnd(float(10 ** rng.uniform(-3, 0)), 2)
    voltage = uniform(rng, 1.5, 24, 2)
    tau = inductance / resistance
    t = rnd(tau * float(rng.uniform(0.1, 4)), 3)
    params = {"resistance": resistance, "inductance": inductance, "voltage": voltage, "t": t}
    prompt = (f"A {fmt(resistance)} Ω resistor and a {fmt(inductance * 1e3)} mH inductor are connected in series "
              f"to an ideal {fmt(voltage)} V battery at t = 0, with no current flowing before.")
    asked = pick(rng, {1: ["time_constant", "current"], 2: ["current", "inductor_voltage"]}.get(
        difficulty, ["current", "inductor_voltage", "energy_stored"]))
    if asked != "time_constant":  # a time the question does not use could only hint (or equal) the answer
        prompt += f" Consider the time t = {fmt(t * 1e3)} ms."
    return params, prompt, asked


@generator("rl_circuit", MAX_LEVEL, sketch=_sketch(_rl_scenario))
def gen_rl(rng: np.random.Generator, difficulty: int) -> Task:
    params, prompt, asked = _rl_scenario(rng, difficulty)
    out = solve("rl_circuit", **params)
    resistance, inductance, voltage = params["resistance"], params["inductance"], params["voltage"]
    scale = {"current": voltage / resistance, "inductor_voltage": voltage, "time_constant": None,
             "energy_stored": 0.5 * inductance * (voltage / resistance) ** 2}[asked]
    return make_task("rl_circuit", difficulty, prompt, params, asked, out,
                     abs_tol=None if scale is None else 1e-3 * abs(scale))


def _rlc_scenario(rng: np.random.Generator, difficulty: int) -> tuple[dict[str, float], str, str]:
    inductance = rnd(float(10 ** rng.uniform(-3, 0)), 2)
    capacitance = rnd(float(10 ** rng.uniform(-7, -4)), 2)
    critical = 2 * math.sqrt(inductance / capacitance)  # R at critical damping
    zeta = {1: float(rng.uniform(0.02, 0.3)), 2: float(rng.uniform(0.05, 0.9))}.get(difficulty,
                                                                                    float(rng.uniform(0.1, 3.0)))
    resistance = rnd(zeta * critical, 2)
    voltage = uniform(rng, 1.5, 24, 2)
    period0 = 2 * math.pi * math.sqrt(inductance * capacitance)
    t = rnd(float(rng.uniform(0.1, 2.0)) * period0, 3)
    params = {"resistance": resistance, "inductance": inductance, "capacitance": capacitance, "voltage": voltage,
              "t": t}
    prompt = (f"A {fmt(resistance)} Ω resistor, a {fmt(inductance * 1e3)} mH inductor and an uncharged "
              f"{fmt(capacitance * 1e6)} µF capacitor are connected in series to an ideal {fmt(voltage)} V battery "
              f"at t = 0, with no current flowing before.")
    if difficulty == 1:
        asked = "period"
        prompt += " The current oscillates as it settles."
    else:
        asked = pick(rng, ["capacitor_voltage", "current"])
        prompt += f" Consider the time t = {fmt(t * 1e3)} ms. {CIRCUIT_CONVENTION}"
    return params, prompt, asked


#: Difficulty 1 draws damping ratios below 0.3 (0.3 * 1.005 after rounding R), so its period is always finite and
#: the check in `gen_rlc` never fails: the prompt shortcut holds.
@generator("rlc_circuit", MAX_LEVEL, sketch=_sketch(_rlc_scenario))
def gen_rlc(rng: np.random.Generator, difficulty: int) -> Task:
    params, prompt, asked = _rlc_scenario(rng, difficulty)
    out = solve("rlc_circuit", **params)
    inductance, capacitance, voltage = params["inductance"], params["capacitance"], params["voltage"]
    if asked == "period" and not math.isfinite(out["period"]):
        raise ValueError("rlc_circuit: difficulty 1 draws only under-damped circuits")
    scale = {"capacitor_voltage": voltage, "current": voltage * math.sqrt(capacitance / inductance),
             "period": None}[asked]
    textbook, reason = None, ""
    if asked == "period":
        textbook, reason = 2 * math.pi * math.sqrt(inductance * capacitance), \
            "damping lengthens the period beyond 2π√(LC)"
    return make_task("rlc_circuit", difficulty, prompt, params, asked, out,
                     abs_tol=None if scale is None else 1e-3 * abs(scale), textbook=textbook, trap_reason=reason,
                     directions=None if asked == "period" else {})


def _bridge_scenario(rng: np.random.Generator, difficulty: int) -> tuple[dict[str, float], str, str]:
    r1, r2, r3 = (rnd(float(10 ** rng.uniform(1, 3)), 2) for _ in range(3))
    if difficulty == 1:  # balanced: R5 carries no current, the textbook series-parallel answer is exact
        r4 = rnd(r2 * r3 / r1, 6)
    else:
        r4 = rnd(float(10 ** rng.uniform(1, 3)), 2)
    r5 = rnd(float(10 ** rng.uniform(1, 3)), 2)
    voltage = uniform(rng, 1.5, 24, 2)
    params = {"r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5, "voltage": voltage}
    prompt = (f"A Wheatstone bridge: an ideal {fmt(voltage)} V battery has its + terminal connected through "
              f"R1 = {fmt(r1, 6)} Ω to node C and through R3 = {fmt(r3, 6)} Ω to node D; C connects to the - terminal "
              f"through R2 = {fmt(r2, 6)} Ω and D through R4 = {fmt(r4, 6)} Ω; R5 = {fmt(r5, 6)} Ω joins C and D.")
    asked = {1: pick(rng, ["equivalent_resistance", "source_current"]),
             2: pick(rng, ["equivalent_resistance", "source_current"])}.get(difficulty, "bridge_current")
    return params, prompt, asked


@generator("dc_bridge", MAX_LEVEL, sketch=_sketch(_bridge_scenario))
def gen_bridge(rng: np.random.Generator, difficulty: int) -> Task:
    params, prompt, asked = _bridge_scenario(rng, difficulty)
    out = solve("dc_bridge", **params)
    r1, r2, r3, r4, r5, voltage = (params[k] for k in ("r1", "r2", "r3", "r4", "r5", "voltage"))
    # the shortcut: ignore R5 (true only for a balanced bridge)
    r_open = (r1 + r2) * (r3 + r4) / (r1 + r2 + r3 + r4)
    textbook = {"equivalent_resistance": r_open, "source_current": voltage / r_open, "bridge_current": 0.0}[asked]
    tol = 1e-3 * voltage / max(r1, r2, r3, r4, r5) if asked == "bridge_current" else None
    return make_task("dc_bridge", difficulty, prompt, params, asked, out, abs_tol=tol, textbook=textbook,
                     trap_reason="unbalanced bridge: R5 carries current, so it cannot be left out",
                     directions=C_TO_D_POSITIVE if asked == "bridge_current" else None)


GENERATORS: dict[str, Generator] = {
    "projectile": gen_projectile, "incline": gen_incline, "collision_1d": gen_collision, "spring": gen_spring,
    "pendulum": gen_pendulum, "orbit": gen_orbit, "rc_circuit": gen_rc, "rl_circuit": gen_rl, "rlc_circuit": gen_rlc,
    "dc_bridge": gen_bridge,
}


def physics_generators(families: list[str] | None = None) -> dict[str, Callable[[np.random.Generator, int], Task]]:
    """The generators of `families` (all by default); an unknown family is an error naming the known ones."""
    load_families()
    if families is None:
        return dict(GENERATORS)
    unknown = [f for f in families if f not in GENERATORS]
    if unknown:
        raise ValueError(f"unknown physics family {unknown[0]!r}; known: {', '.join(sorted(GENERATORS))}")
    return {f: GENERATORS[f] for f in families}

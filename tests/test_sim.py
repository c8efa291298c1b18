"""The simulator against closed forms, the design note's reference values and conservation laws."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad, solve_ivp

from rlvrgym.sim import (
    FAMILIES,
    GRAVITATIONAL_CONSTANT,
    get_registry,
    integrate_orbit,
    quantity,
    simulate,
    solve,
)

REL = 1e-6  # the bar; most checks below hold far tighter


def close(a: float, b: float, rel: float = REL) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=0.0)


# --- reference values of the design note, to the digits the note gives -----------------------------------------

@pytest.mark.parametrize(("family", "params", "expected"), [
    ("projectile", {"v0": 30, "angle_deg": 40}, {"range": 90.35}),
    ("projectile", {"v0": 30, "angle_deg": 40, "drag_k": 0.01}, {"range": 56.1313, "flight_time": 3.413}),
    ("incline", {"angle_deg": 30, "mu_s": 0.4, "mu_k": 0.3, "distance": 2},
     {"acceleration": 2.356, "time": 1.303, "final_speed": 3.07}),
    ("collision_1d", {"m1": 2, "u1": 3, "m2": 1, "u2": 0, "restitution": 1}, {"v1": 1, "v2": 4}),
    ("collision_1d", {"m1": 2, "u1": 3, "m2": 1, "u2": 0, "restitution": 0}, {"v1": 2, "v2": 2}),
    ("pendulum", {"length": 1, "amplitude_deg": 10}, {"period": 2.009893}),
    ("pendulum", {"length": 1, "amplitude_deg": 60}, {"period": 2.152875}),
    ("pendulum", {"length": 1, "amplitude_deg": 120}, {"period": 2.754090}),
    ("rc_circuit", {"resistance": 1e3, "capacitance": 1e-6, "voltage": 5, "t": 1e-3}, {"capacitor_voltage": 3.1606}),
])
def test_design_note_reference_values(family: str, params: dict, expected: dict) -> None:
    out = solve(family, **params)
    for name, value in expected.items():
        digits = len(str(value).replace(".", "").lstrip("0")) or 1
        assert math.isclose(out[name], value, rel_tol=0.6 * 10 ** (1 - digits), abs_tol=1e-12), (name, out[name])


def test_incline_at_15_degrees_stays_at_rest() -> None:
    out = simulate("incline", angle_deg=15, mu_s=0.4, mu_k=0.3, distance=2)
    assert out["acceleration"].magnitude == 0.0 and out["final_speed"].magnitude == 0.0
    assert bool(out["static"]) and math.isinf(out["time"].magnitude)


# --- projectile ---------------------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(v0=st.floats(1, 200), angle=st.floats(1, 89), height=st.floats(0, 100), g=st.floats(1, 25))
def test_projectile_vacuum_matches_textbook_and_energy(v0: float, angle: float, height: float, g: float) -> None:
    out = solve("projectile", v0=v0, angle_deg=angle, height=height, g=g)
    th = math.radians(angle)
    t_f = (v0 * math.sin(th) + math.sqrt((v0 * math.sin(th)) ** 2 + 2 * g * height)) / g
    assert close(out["flight_time"], t_f, 1e-12)
    assert close(out["range"], v0 * math.cos(th) * t_f, 1e-12)
    assert close(out["max_height"], height + (v0 * math.sin(th)) ** 2 / (2 * g), 1e-12)
    assert close(out["impact_speed"] ** 2, v0**2 + 2 * g * height, 1e-12)  # energy conservation
    if height == 0:
        assert close(out["range"], v0**2 * math.sin(2 * th) / g, 1e-9)


def test_projectile_with_drag_vertical_launch_matches_closed_form() -> None:
    """Straight up with quadratic drag has closed forms for the ascent and the descent."""
    k, v0, g = 0.01, 30.0, 9.81
    out = solve("projectile", v0=v0, angle_deg=90, drag_k=k, g=g)
    apex_h = math.log(1 + k * v0**2 / g) / (2 * k)
    t_up = math.atan(v0 * math.sqrt(k / g)) / math.sqrt(g * k)
    t_down = math.acosh(math.exp(k * apex_h)) / math.sqrt(g * k)
    v_impact = math.sqrt(g / k) * math.sqrt(1 - math.exp(-2 * k * apex_h))
    assert close(out["max_height"], apex_h, 1e-9)
    assert close(out["apex_time"], t_up, 1e-9)
    assert close(out["flight_time"], t_up + t_down, 1e-9)
    assert close(out["impact_speed"], v_impact, 1e-9)
    assert abs(out["range"]) < 1e-9


@pytest.mark.parametrize(("k", "height"), [(0.05, 40.0), (10.0, 1e5)])  # DOP853, then the stiff (LSODA) branch
def test_projectile_with_drag_dropped_from_height_matches_closed_form(k: float, height: float) -> None:
    """Dropped from rest: t = arccosh(e^{kH}) / sqrt(gk), v = v_t sqrt(1 - e^{-2kH})."""
    g = 9.81
    out = solve("projectile", v0=1e-12, angle_deg=90, height=height, drag_k=k, g=g)
    kh = k * height
    t_fall = (math.acosh(math.exp(kh)) if kh < 300 else kh + math.log(2)) / math.sqrt(g * k)
    assert close(out["flight_time"], t_fall, 1e-9)
    assert close(out["impact_speed"], math.sqrt(g / k) * math.sqrt(-math.expm1(-2 * kh)), 1e-9)


def test_projectile_with_vanishing_drag_tends_to_vacuum() -> None:
    vacuum = solve("projectile", v0=30, angle_deg=40, height=5)
    tiny = solve("projectile", v0=30, angle_deg=40, height=5, drag_k=1e-10)
    for name in ("range", "flight_time", "max_height", "impact_speed", "apex_time"):
        assert close(tiny[name], vacuum[name], 1e-7), name


def test_projectile_with_drag_loses_energy_and_falls_short() -> None:
    vacuum = solve("projectile", v0=50, angle_deg=30, height=10)
    drag = solve("projectile", v0=50, angle_deg=30, height=10, drag_k=0.005)
    assert drag["range"] < vacuum["range"] and drag["impact_speed"] < vacuum["impact_speed"]
    assert drag["max_height"] < vacuum["max_height"]


def test_projectile_launched_downwards_from_a_cliff() -> None:
    out = solve("projectile", v0=10, angle_deg=-30, height=20)
    assert out["max_height"] == 20 and out["apex_time"] == 0
    assert close(out["impact_speed"] ** 2, 100 + 2 * 9.81 * 20, 1e-12)


# --- incline, collision ------------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(angle=st.floats(1, 89), mu_k=st.floats(0, 1), extra=st.floats(0, 0.5), d=st.floats(0.1, 50))
def test_incline_energy_balance(angle: float, mu_k: float, extra: float, d: float) -> None:
    g = 9.81
    out = solve("incline", angle_deg=angle, mu_s=mu_k + extra, mu_k=mu_k, distance=d, g=g)
    th = math.radians(angle)
    if math.tan(th) <= mu_k + extra:
        assert out["static"] == 1.0 and out["acceleration"] == 0.0
        return
    # per unit mass: potential energy released = kinetic energy + friction work
    assert close(g * d * math.sin(th), 0.5 * out["final_speed"] ** 2 + mu_k * g * math.cos(th) * d, 1e-12)
    assert close(d, 0.5 * out["acceleration"] * out["time"] ** 2, 1e-12)


@settings(max_examples=60, deadline=None)
@given(m1=st.floats(0.1, 100), m2=st.floats(0.1, 100), u1=st.floats(-50, 50), gap=st.floats(0.01, 50),
       e=st.floats(0, 1))
def test_collision_conserves_momentum_and_obeys_restitution(m1: float, m2: float, u1: float, gap: float,
                                                           e: float) -> None:
    u2 = u1 - gap
    out = solve("collision_1d", m1=m1, u1=u1, m2=m2, u2=u2, restitution=e)
    p_before, p_after = m1 * u1 + m2 * u2, m1 * out["v1"] + m2 * out["v2"]
    assert math.isclose(p_after, p_before, rel_tol=1e-12, abs_tol=1e-12 * (m1 + m2) * (abs(u1) + abs(u2)))
    assert math.isclose(out["v2"] - out["v1"], e * (u1 - u2), rel_tol=1e-9, abs_tol=1e-9 * gap)
    ke_after = 0.5 * (m1 * out["v1"] ** 2 + m2 * out["v2"] ** 2)
    assert math.isclose(out["kinetic_energy_before"] - ke_after, out["kinetic_energy_lost"],
                        rel_tol=1e-6, abs_tol=1e-9 * out["kinetic_energy_before"] + 1e-12)
    assert out["kinetic_energy_lost"] >= 0


# --- spring -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("damping", [0.0, 0.5, 4.0, 8.0, 20.0])  # undamped, under, critical (c² = 4mk), over
def test_spring_closed_form_matches_numerical_integration(damping: float) -> None:
    m, k, x0, v0, t = 2.0, 8.0, 0.3, -0.7, 3.7
    out = solve("spring", mass=m, k=k, damping=damping, x0=x0, v0=v0, t=t)
    sol = solve_ivp(lambda _t, s: [s[1], -(damping * s[1] + k * s[0]) / m], (0, t), [x0, v0], method="DOP853",
                    rtol=1e-13, atol=1e-15)
    assert math.isclose(out["position"], sol.y[0, -1], rel_tol=1e-8, abs_tol=1e-12)
    assert math.isclose(out["velocity"], sol.y[1, -1], rel_tol=1e-8, abs_tol=1e-12)


def test_spring_undamped_conserves_energy_and_has_textbook_period() -> None:
    m, k, x0, v0 = 0.5, 20.0, 0.1, 1.2
    e0 = 0.5 * m * v0**2 + 0.5 * k * x0**2
    for t in (0.0, 0.3, 7.1, 123.4):
        out = solve("spring", mass=m, k=k, x0=x0, v0=v0, t=t)
        assert close(out["energy"], e0, 1e-12)
        assert close(out["period"], 2 * math.pi * math.sqrt(m / k), 1e-12)


def test_spring_damped_energy_loss_equals_dissipated_work() -> None:
    m, k, c, x0 = 1.0, 10.0, 0.8, 0.2
    t = 2.5
    e0 = 0.5 * k * x0**2
    dissipated, _ = quad(lambda s: c * solve("spring", mass=m, k=k, damping=c, x0=x0, t=s)["velocity"] ** 2, 0, t,
                         epsabs=1e-14, epsrel=1e-12, limit=200)
    out = solve("spring", mass=m, k=k, damping=c, x0=x0, t=t)
    assert close(e0 - out["energy"], dissipated, 1e-9)


def test_spring_overdamped_survives_long_times() -> None:
    out = solve("spring", mass=1, k=1, damping=1e3, x0=1, t=1e4)  # slow mode decays at rate ~1/1000 per second
    b = math.sqrt(500**2 - 1)
    assert close(out["position"], 0.5 * (1 + 500 / b) * math.exp(-1 / (500 + b) * 1e4), 1e-9)
    assert math.isinf(out["period"])


# --- pendulum ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("amplitude", [1.0, 30.0, 90.0, 150.0, 175.0])
def test_pendulum_period_matches_numerical_quarter_swing(amplitude: float) -> None:
    length, g = 1.7, 9.81
    out = solve("pendulum", length=length, amplitude_deg=amplitude, g=g)

    def bottom(_t: float, s: list[float]) -> float:
        return s[0]

    bottom.terminal, bottom.direction = True, -1
    sol = solve_ivp(lambda _t, s: [s[1], -g / length * math.sin(s[0])], (0, 100), [math.radians(amplitude), 0],
                    method="DOP853", rtol=1e-13, atol=1e-14, events=bottom)
    assert close(out["period"], 4 * sol.t_events[0][0], 1e-8)
    assert close(out["max_speed"], length * abs(sol.y_events[0][0][1]), 1e-8)  # energy conservation


def test_pendulum_near_the_top_stays_finite_and_logarithmic() -> None:
    """Near 180° the period grows like 4 sqrt(L/g) ln(8 / (π - θ0)); K(m) with m rounded to 1 would be infinite."""
    eps = 1e-7  # radians short of the top
    out = solve("pendulum", length=1, amplitude_deg=180 - math.degrees(eps))
    assert math.isfinite(out["period"])
    assert close(out["period"], 4 / math.sqrt(9.81) * math.log(8 / eps), 1e-6)


def test_pendulum_small_angle_formula_is_the_trap_it_should_be() -> None:
    at_60 = solve("pendulum", length=1, amplitude_deg=60)
    at_170 = solve("pendulum", length=1, amplitude_deg=170)
    assert 0.06 < 1 - at_60["small_angle_period"] / at_60["period"] < 0.075 or \
        0.06 < at_60["period"] / at_60["small_angle_period"] - 1 < 0.075
    assert at_170["period"] / at_170["small_angle_period"] - 1 > 0.5


# --- orbit ------------------------------------------------------------------------------------------------------

EARTH = 5.972e24


def test_orbit_elements_follow_kepler_third_law_and_vis_viva() -> None:
    mu = GRAVITATIONAL_CONSTANT * EARTH
    r0, v0 = 7.0e6, 8.3e3
    out = solve("orbit", central_mass=EARTH, r0=r0, v0=v0)
    a = out["semi_major_axis"]
    assert close(v0**2, mu * (2 / r0 - 1 / a), 1e-12)
    assert close(out["period"], 2 * math.pi * math.sqrt(a**3 / mu), 1e-12)
    assert close(out["periapsis"], r0, 1e-12)  # faster than circular: launched at periapsis
    e_from_energy = math.sqrt(1 + 2 * (v0**2 / 2 - mu / r0) * (r0 * v0) ** 2 / mu**2)
    assert close(out["eccentricity"], e_from_energy, 1e-9)
    circular = solve("orbit", central_mass=EARTH, r0=r0, v0=math.sqrt(mu / r0))
    assert circular["eccentricity"] < 1e-12


@pytest.mark.parametrize("v0", [6.5e3, 7.546e3, 9.0e3])  # apoapsis launch, near-circular, periapsis launch
def test_symplectic_integrator_agrees_with_kepler_and_conserves(v0: float) -> None:
    mu, r0 = GRAVITATIONAL_CONSTANT * EARTH, 7.0e6
    period = solve("orbit", central_mass=EARTH, r0=r0, v0=v0)["period"]
    energy0, ang0 = v0**2 / 2 - mu / r0, r0 * v0
    orbits, per_orbit = 20, 2000
    x, y, vx, vy = integrate_orbit(EARTH, r0, v0, orbits * period, orbits * per_orbit)
    energy = (vx**2 + vy**2) / 2 - mu / math.hypot(x, y)
    assert abs(energy / energy0 - 1) < 1e-9
    assert abs((x * vy - y * vx) / ang0 - 1) < 1e-12
    assert math.hypot(x - r0, y) / r0 < 1e-6  # back where it started after exactly 20 Kepler periods
    t = 0.37 * period
    x, y, vx, vy = integrate_orbit(EARTH, r0, v0, t, 2000)
    kepler = solve("orbit", central_mass=EARTH, r0=r0, v0=v0, t=t)
    assert close(math.hypot(x, y), kepler["radius"], 1e-7)
    assert close(math.hypot(vx, vy), kepler["speed"], 1e-7)


# --- circuits ---------------------------------------------------------------------------------------------------

def test_rc_matches_ode_and_conserves_energy() -> None:
    r, c, v, v_init, t = 2.2e3, 4.7e-6, 12.0, 3.0, 0.017
    out = solve("rc_circuit", resistance=r, capacitance=c, voltage=v, t=t, initial_voltage=v_init)
    sol = solve_ivp(lambda _t, s: [(v - s[0]) / (r * c)], (0, t), [v_init], method="DOP853", rtol=1e-13,
                    atol=1e-14)
    assert close(out["capacitor_voltage"], sol.y[0, -1], 1e-10)

    def current(s: float) -> float:
        return solve("rc_circuit", resistance=r, capacitance=c, voltage=v, t=s, initial_voltage=v_init)["current"]

    supplied = quad(lambda s: v * current(s), 0, t, epsrel=1e-13)[0]
    heat = quad(lambda s: r * current(s) ** 2, 0, t, epsrel=1e-13)[0]
    assert close(supplied, out["energy_stored"] - 0.5 * c * v_init**2 + heat, 1e-9)
    assert close(out["current"], (v - out["capacitor_voltage"]) / r, 1e-12)


def test_rl_matches_ode() -> None:
    r, ind, v, t = 47.0, 0.3, 9.0, 0.011
    out = solve("rl_circuit", resistance=r, inductance=ind, voltage=v, t=t)
    sol = solve_ivp(lambda _t, s: [(v - r * s[0]) / ind], (0, t), [0.0], method="DOP853", rtol=1e-13, atol=1e-15)
    assert close(out["current"], sol.y[0, -1], 1e-10)
    assert close(out["inductor_voltage"], v - r * out["current"], 1e-12)


@pytest.mark.parametrize("resistance", [0.0, 5.0, 40.0, 200.0])  # undamped, under, critical (R² = 4L/C), over
def test_rlc_matches_ode(resistance: float) -> None:
    ind, cap, v, t = 0.1, 2.5e-4, 10.0, 0.037
    out = solve("rlc_circuit", resistance=resistance, inductance=ind, capacitance=cap, voltage=v, t=t)
    sol = solve_ivp(lambda _t, s: [s[1], (v - resistance * s[1] - s[0] / cap) / ind], (0, t), [0.0, 0.0],
                    method="DOP853", rtol=1e-13, atol=1e-16)
    assert math.isclose(out["capacitor_voltage"], sol.y[0, -1] / cap, rel_tol=1e-8, abs_tol=1e-10 * v)
    assert math.isclose(out["current"], sol.y[1, -1], rel_tol=1e-8, abs_tol=1e-10 * v * math.sqrt(cap / ind))


def bridge_equivalent(r1: float, r2: float, r3: float, r4: float, r5: float) -> float:
    """Closed form (by a delta-star transform) with r1, r3 on the + side and r2, r4 on the - side."""
    num = r1 * r3 * (r2 + r4) + r2 * r4 * (r1 + r3) + r5 * (r1 + r2) * (r3 + r4)
    return num / ((r1 + r3) * (r2 + r4) + r5 * (r1 + r2 + r3 + r4))


@settings(max_examples=40, deadline=None)
@given(r=st.lists(st.floats(1, 1e5), min_size=5, max_size=5), v=st.floats(-50, 50))
def test_dc_bridge_nodal_analysis_obeys_kirchhoff_and_the_closed_form(r: list[float], v: float) -> None:
    r1, r2, r3, r4, r5 = r
    out = solve("dc_bridge", r1=r1, r2=r2, r3=r3, r4=r4, r5=r5, voltage=v)
    assert close(out["equivalent_resistance"], bridge_equivalent(r1, r2, r3, r4, r5), 1e-9)
    vc_vd = out["voltage_cd"]
    assert math.isclose(out["bridge_current"], vc_vd / r5, rel_tol=1e-12, abs_tol=1e-15)
    # power delivered equals the heat in the five resistors (Tellegen / energy conservation)
    i_total = out["source_current"]
    assert math.isclose(out["power"], v * i_total, rel_tol=1e-12, abs_tol=1e-15)
    assert out["power"] >= 0


def test_dc_bridge_limits() -> None:
    balanced = solve("dc_bridge", r1=100, r2=200, r3=150, r4=300, r5=47, voltage=9)
    assert abs(balanced["bridge_current"]) < 1e-15
    assert close(balanced["equivalent_resistance"], (300 * 450) / 750, 1e-12)  # R5 carries nothing: (R1+R2)||(R3+R4)
    shorted = solve("dc_bridge", r1=100, r2=200, r3=300, r4=50, r5=1e-6, voltage=9)
    assert close(shorted["equivalent_resistance"], 100 * 300 / 400 + 200 * 50 / 250, 1e-7)  # R1||R3 + R2||R4
    with pytest.raises(ValueError, match="r5"):  # a ratio nodal analysis cannot resolve in double precision
        solve("dc_bridge", r1=100, r2=200, r3=300, r4=50, r5=1e-12, voltage=9)


# --- the public API ---------------------------------------------------------------------------------------------

def test_simulate_returns_si_quantities_of_the_declared_units() -> None:
    for name, fam in FAMILIES.items():
        params = {"projectile": {"v0": 10, "angle_deg": 30}, "incline": {"angle_deg": 40, "mu_s": .3, "mu_k": .2,
                  "distance": 1}, "collision_1d": {"m1": 1, "u1": 2, "m2": 3, "u2": 0, "restitution": .5},
                  "spring": {"mass": 1, "k": 2, "x0": .1, "t": 1}, "pendulum": {"length": 1, "amplitude_deg": 20},
                  "orbit": {"central_mass": EARTH, "r0": 7e6, "v0": 7.6e3}, "rc_circuit": {"resistance": 1,
                  "capacitance": 1, "voltage": 1, "t": 1}, "rl_circuit": {"resistance": 1, "inductance": 1,
                  "voltage": 1, "t": 1}, "rlc_circuit": {"resistance": 1, "inductance": 1, "capacitance": 1,
                  "voltage": 1, "t": 1}, "dc_bridge": {"r1": 1, "r2": 2, "r3": 3, "r4": 4, "r5": 5, "voltage": 1}}[name]
        out = simulate(name, **params)
        assert set(out) == set(fam.outputs)
        for key, q in out.items():
            assert q.units == get_registry().Unit(fam.outputs[key] or "dimensionless"), (name, key)
        assert out == simulate(name, **params)  # deterministic


def test_parameters_may_be_quantities_in_any_unit() -> None:
    a = solve("projectile", v0=quantity(108, "km/h"), angle_deg=quantity(math.pi / 4, "rad"))
    b = solve("projectile", v0=30, angle_deg=45)
    assert close(a["range"], b["range"], 1e-12)
    with pytest.raises(ValueError, match="'v0'"):
        solve("projectile", v0=quantity(3, "kg"), angle_deg=45)


@pytest.mark.parametrize(("family", "params", "bad"), [
    ("collision_1d", {"m1": -1, "u1": 2, "m2": 1, "u2": 0, "restitution": 1}, "m1"),
    ("projectile", {"v0": 10, "angle_deg": 95}, "angle_deg"),
    ("projectile", {"v0": 10, "angle_deg": 0}, "angle_deg"),
    ("incline", {"angle_deg": 30, "mu_s": -0.1, "mu_k": 0, "distance": 1}, "mu_s"),
    ("incline", {"angle_deg": 30, "mu_s": 0.2, "mu_k": 0.3, "distance": 1}, "mu_k"),
    ("collision_1d", {"m1": 1, "u1": 0, "m2": 1, "u2": 1, "restitution": 1}, "u1"),
    ("collision_1d", {"m1": 1, "u1": 2, "m2": 1, "u2": 0, "restitution": 1.5}, "restitution"),
    ("pendulum", {"length": 1, "amplitude_deg": 180}, "amplitude_deg"),
    ("orbit", {"central_mass": EARTH, "r0": 7e6, "v0": 2e4}, "v0"),
    ("spring", {"mass": 1, "k": 1, "x0": 0, "t": -1}, "'t'"),
    ("spring", {"mass": 1, "k": 1, "x0": 0, "t": float("nan")}, "'t'"),
    ("spring", {"mass": 1, "k": 1, "t": 1}, "x0"),
    ("spring", {"mass": 1, "k": 1, "x0": 0, "t": 1, "colour": 3}, "colour"),
])
def test_invalid_parameters_raise_naming_the_parameter(family: str, params: dict, bad: str) -> None:
    with pytest.raises(ValueError, match=bad):
        simulate(family, **params)


def test_unknown_family() -> None:
    with pytest.raises(ValueError, match="unknown simulator family"):
        simulate("warp_drive")

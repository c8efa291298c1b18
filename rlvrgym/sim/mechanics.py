"""Mechanics families: projectile (with optional quadratic drag), incline, 1-D collision, spring, pendulum.

Closed forms wherever one exists; `solve_ivp` (DOP853, rtol 1e-12, events) for the projectile with drag.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import ellipkm1

from rlvrgym.sim.core import STANDARD_GRAVITY, Param, family

G_PARAM = Param("g", "m/s^2", STANDARD_GRAVITY, low=1e-3, high=1e3, doc="gravitational acceleration")

#: Tolerances of every numerical integration here: far below the verifier's 1% tier, so numerics never decide.
RTOL, ATOL = 1e-12, 1e-12
#: Drag paths longer than this many drag lengths (k x path) are integrated with LSODA instead of DOP853.
STIFF_PATH = 200.0


@family("projectile",
        (Param("v0", "m/s", low=0.0, high=1e4, low_open=True, doc="launch speed"),
         Param("angle_deg", "degree", low=-90.0, high=90.0, low_open=True, doc="launch angle above horizontal"),
         Param("height", "m", 0.0, low=0.0, high=1e5, doc="launch height above the (flat) ground"),
         Param("drag_k", "1/m", 0.0, low=0.0, high=10.0, doc="quadratic drag: a = -k|v|v - g ŷ"),
         G_PARAM),
        {"range": "m", "flight_time": "s", "max_height": "m", "impact_speed": "m/s", "apex_time": "s",
         "impact_angle_deg": "degree"})
def projectile(v0: float, angle_deg: float, height: float, drag_k: float, g: float) -> dict[str, float]:
    """A point mass launched over flat ground until it lands (y = 0). `max_height` is above the ground;
    `impact_angle_deg` is below the horizontal."""
    if height == 0.0 and angle_deg <= 0.0:
        raise ValueError(f"parameter 'angle_deg' must be > 0 when height is 0 (got {angle_deg:g}): "
                         "the projectile would never leave the ground")
    theta = math.radians(angle_deg)
    vx, vy = v0 * math.cos(theta), v0 * math.sin(theta)
    if angle_deg == 90.0:
        vx = 0.0
    if drag_k == 0.0:
        return _projectile_vacuum(vx, vy, height, g)
    return _projectile_drag(vx, vy, height, drag_k, g)


def _projectile_vacuum(vx: float, vy: float, height: float, g: float) -> dict[str, float]:
    # t_f = (vy + sqrt(vy^2 + 2gh)) / g, written to avoid cancellation when vy < 0
    disc = math.sqrt(vy * vy + 2.0 * g * height)
    t_f = (vy + disc) / g if vy >= 0 else 2.0 * height / (disc - vy)
    apex_t = max(vy, 0.0) / g
    vy_end = vy - g * t_f
    return {"range": vx * t_f, "flight_time": t_f, "max_height": height + max(vy, 0.0) ** 2 / (2.0 * g),
            "impact_speed": math.hypot(vx, vy_end), "apex_time": apex_t,
            "impact_angle_deg": math.degrees(math.atan2(-vy_end, vx))}


def _projectile_drag(vx: float, vy: float, height: float, k: float, g: float) -> dict[str, float]:
    def rhs(_t: float, s: np.ndarray) -> list[float]:
        speed = math.hypot(s[2], s[3])
        return [s[2], s[3], -k * speed * s[2], -k * speed * s[3] - g]

    def ground(_t: float, s: np.ndarray) -> float:
        return s[1]

    def apex(_t: float, s: np.ndarray) -> float:
        return s[3]

    ground.terminal, ground.direction = True, -1.0  # type: ignore[attr-defined]
    apex.direction = -1.0  # type: ignore[attr-defined]
    vacuum = _projectile_vacuum(vx, vy, height, g)
    v_term = math.sqrt(g / k)
    # Drag shortens the ascent; the descent is bounded by falling from the vacuum apex at terminal speed.
    t_max = 2.0 * vacuum["flight_time"] + 4.0 * vacuum["max_height"] / v_term + 10.0 / math.sqrt(g * k)
    # Over a path much longer than the drag length 1/k the speed sits at terminal velocity and the problem turns
    # stiff (relaxation time ~1/(k v)); explicit DOP853 would then crawl, LSODA switches to an implicit method.
    path = height + vacuum["max_height"] + abs(vacuum["range"])
    method = "DOP853" if k * path < STIFF_PATH else "LSODA"
    sol = solve_ivp(rhs, (0.0, t_max), [0.0, height, vx, vy], method=method, rtol=RTOL, atol=ATOL,
                    events=(ground, apex))
    if sol.status != 1 or not len(sol.t_events[0]):
        raise RuntimeError(f"projectile with drag did not land within {t_max:g} s ({sol.message})")
    t_f = float(sol.t_events[0][0])
    x, _, vx_end, vy_end = sol.y_events[0][0]
    if len(sol.t_events[1]):
        apex_t, apex_y = float(sol.t_events[1][0]), float(sol.y_events[1][0][1])
    else:
        apex_t, apex_y = 0.0, height
    return {"range": float(x), "flight_time": t_f, "max_height": max(apex_y, height),
            "impact_speed": math.hypot(vx_end, vy_end), "apex_time": apex_t,
            "impact_angle_deg": math.degrees(math.atan2(-vy_end, vx_end))}


@family("incline",
        (Param("angle_deg", "degree", low=0.0, high=90.0, high_open=True, doc="incline angle"),
         Param("mu_s", "", low=0.0, doc="static friction coefficient"),
         Param("mu_k", "", low=0.0, doc="kinetic friction coefficient (<= mu_s)"),
         Param("distance", "m", low=0.0, high=1e6, low_open=True, doc="distance slid down the incline"),
         G_PARAM),
        {"acceleration": "m/s^2", "time": "s", "final_speed": "m/s", "static": ""})
def incline(angle_deg: float, mu_s: float, mu_k: float, distance: float, g: float) -> dict[str, float]:
    """A block released from rest on a rough incline. It stays put when tan θ <= μs (acceleration 0, time
    infinite, `static` 1); otherwise it slides with a = g (sin θ - μk cos θ)."""
    if mu_k > mu_s:
        raise ValueError(f"parameter 'mu_k' ({mu_k:g}) must not exceed mu_s ({mu_s:g})")
    theta = math.radians(angle_deg)
    if math.tan(theta) <= mu_s:
        return {"acceleration": 0.0, "time": math.inf, "final_speed": 0.0, "static": 1.0}
    a = g * (math.sin(theta) - mu_k * math.cos(theta))
    return {"acceleration": a, "time": math.sqrt(2.0 * distance / a), "final_speed": math.sqrt(2.0 * a * distance),
            "static": 0.0}


@family("collision_1d",
        (Param("m1", "kg", low=0.0, high=1e30, low_open=True, doc="mass of body 1 (on the left)"),
         Param("u1", "m/s", low=-1e7, high=1e7, doc="velocity of body 1 before the collision"),
         Param("m2", "kg", low=0.0, high=1e30, low_open=True, doc="mass of body 2 (on the right)"),
         Param("u2", "m/s", low=-1e7, high=1e7, doc="velocity of body 2 before the collision"),
         Param("restitution", "", low=0.0, high=1.0, doc="coefficient of restitution e (1 elastic, 0 sticks)")),
        {"v1": "m/s", "v2": "m/s", "kinetic_energy_lost": "J", "momentum": "kg*m/s", "kinetic_energy_before": "J"})
def collision_1d(m1: float, u1: float, m2: float, u2: float, restitution: float) -> dict[str, float]:
    """Head-on collision: momentum conserved, separation speed = e x approach speed."""
    if u1 <= u2:
        raise ValueError(f"parameter 'u1' ({u1:g}) must exceed u2 ({u2:g}): body 1 starts on the left and "
                         "must catch up with body 2")
    p = m1 * u1 + m2 * u2
    m = m1 + m2
    v1 = (p - m2 * restitution * (u1 - u2)) / m
    v2 = (p + m1 * restitution * (u1 - u2)) / m
    # KE lost in closed form (no cancellation between two large energies): μ (1 - e²) (u1 - u2)² / 2
    lost = 0.5 * (m1 * m2 / m) * (1.0 - restitution**2) * (u1 - u2) ** 2
    return {"v1": v1, "v2": v2, "kinetic_energy_lost": lost, "momentum": p,
            "kinetic_energy_before": 0.5 * (m1 * u1 * u1 + m2 * u2 * u2)}


@family("spring",
        (Param("mass", "kg", low=1e-12, high=1e12), Param("k", "N/m", low=1e-12, high=1e12, doc="stiffness"),
         Param("damping", "N*s/m", 0.0, low=0.0, high=1e12, doc="viscous damping coefficient c"),
         Param("x0", "m", low=-1e6, high=1e6, doc="initial displacement"),
         Param("v0", "m/s", 0.0, low=-1e6, high=1e6, doc="initial velocity"),
         Param("t", "s", low=0.0, high=1e9, doc="time of the observation")),
        {"position": "m", "velocity": "m/s", "period": "s", "angular_frequency": "rad/s", "damping_ratio": "",
         "energy": "J"})
def spring(mass: float, k: float, damping: float, x0: float, v0: float, t: float) -> dict[str, float]:
    """m x'' + c x' + k x = 0 in closed form for every regime. `period` is the damped period 2π/ω_d (infinite
    when critically or over-damped); `energy` is the mechanical energy at t."""
    gamma = damping / (2.0 * mass)
    w0sq = k / mass
    s = w0sq - gamma * gamma  # ω_d² (negative when over-damped)
    # x = e^{-γt}[x0 C + (v0 + γ x0) S], v = e^{-γt}[v0 C - (γ v0 + ω0² x0) S], with C' = -s S and S' = C
    if s > 0:
        wd = math.sqrt(s)
        decay = math.exp(-gamma * t)
        ec, es = decay * math.cos(wd * t), decay * math.sin(wd * t) / wd
        period = 2.0 * math.pi / wd
    elif s < 0:
        b = math.sqrt(-s)
        slow = math.exp(-w0sq / (gamma + b) * t)  # γ - b without cancellation; both rates > 0: no overflow
        fast = math.exp(-(gamma + b) * t)
        ec = 0.5 * (slow + fast)
        es = slow * -math.expm1(-2.0 * b * t) / (2.0 * b)
        period = math.inf
    else:
        ec = math.exp(-gamma * t)
        es = t * ec
        period = math.inf
    x = x0 * ec + (v0 + gamma * x0) * es
    v = v0 * ec - (gamma * v0 + w0sq * x0) * es
    return {"position": x, "velocity": v, "period": period, "angular_frequency": math.sqrt(max(s, 0.0)),
            "damping_ratio": gamma / math.sqrt(w0sq), "energy": 0.5 * mass * v * v + 0.5 * k * x * x}


@family("pendulum",
        (Param("length", "m", low=0.0, high=1e6, low_open=True),
         Param("amplitude_deg", "degree", low=0.0, high=180.0, low_open=True, high_open=True,
               doc="release angle from the vertical, released from rest"),
         G_PARAM),
        {"period": "s", "max_speed": "m/s", "small_angle_period": "s", "max_angular_speed": "rad/s"})
def pendulum(length: float, amplitude_deg: float, g: float) -> dict[str, float]:
    """Exact large-angle period T = 4 sqrt(L/g) K(m = sin²(θ0/2)); `small_angle_period` is the textbook
    2π sqrt(L/g), kept so trap problems can say how wrong it is."""
    theta0 = math.radians(amplitude_deg)
    half_sin = math.sin(theta0 / 2.0)
    v_max = 2.0 * math.sqrt(g * length) * half_sin  # sqrt(2gL(1 - cos θ0)) without the cancellation
    # K(m) through ellipkm1(1 - m) with 1 - m = cos²(θ0/2): near 180° m rounds to 1 and K(m) would be infinite
    k_m = float(ellipkm1(math.cos(theta0 / 2.0) ** 2))
    return {"period": 4.0 * math.sqrt(length / g) * k_m, "max_speed": v_max,
            "small_angle_period": 2.0 * math.pi * math.sqrt(length / g), "max_angular_speed": v_max / length}

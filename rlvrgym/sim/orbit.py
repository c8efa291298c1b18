"""Kepler orbits: closed forms (Kepler III, the vis-viva law, Kepler's equation) and a symplectic integrator.

The closed forms are the ground truth; `integrate_orbit` (4th-order Yoshida, a composition of leapfrog steps) is
the independent simulation the tests hold them against: it keeps energy and angular momentum to ~1e-10 over
tens of orbits, where RK45 at rtol 1e-6 drifts ~1e-4.
"""

from __future__ import annotations

import math

from rlvrgym.sim.core import Param, family

GRAVITATIONAL_CONSTANT = 6.67430e-11  # m^3 kg^-1 s^-2 (CODATA 2018)

# Yoshida's coefficients for a 4th-order symmetric composition of drift-kick-drift steps
_CBRT2 = 2.0 ** (1.0 / 3.0)
_W1 = 1.0 / (2.0 - _CBRT2)
_W0 = -_CBRT2 * _W1
_D = (_W1, _W0, _W1)


def _elements(central_mass: float, r0: float, v0: float) -> tuple[float, float, float, float]:
    """(μ, a, e, T) of a tangential launch; r0 is a periapsis or an apoapsis, so e = |r0 v0²/μ - 1| exactly."""
    mu = GRAVITATIONAL_CONSTANT * central_mass
    v_escape = math.sqrt(2.0 * mu / r0)
    if v0 >= v_escape:
        raise ValueError(f"parameter 'v0' ({v0:g} m/s) must be below the escape speed {v_escape:g} m/s "
                         "for a closed orbit")
    a = 1.0 / (2.0 / r0 - v0 * v0 / mu)
    e = abs(r0 * v0 * v0 / mu - 1.0)
    return mu, a, e, 2.0 * math.pi * math.sqrt(a**3 / mu)


def solve_kepler(mean_anomaly: float, e: float) -> float:
    """Eccentric anomaly E with E - e sin E = M (Newton from E = π for high e, converges for all e < 1)."""
    m = math.remainder(mean_anomaly, 2.0 * math.pi)
    ecc = m if e < 0.8 else math.copysign(math.pi, m) if m else 0.0
    for _ in range(60):
        step = (ecc - e * math.sin(ecc) - m) / (1.0 - e * math.cos(ecc))
        ecc -= step
        if abs(step) < 1e-15:
            break
    return ecc


@family("orbit",
        (Param("central_mass", "kg", low=1.0, high=1e42),
         Param("r0", "m", low=1.0, high=1e16, doc="initial distance from the centre"),
         Param("v0", "m/s", low=0.0, high=1e7, low_open=True, doc="initial speed, perpendicular to the radius"),
         Param("t", "s", 0.0, low=0.0, high=1e12, doc="time at which radius and speed are reported")),
        {"period": "s", "semi_major_axis": "m", "eccentricity": "", "periapsis": "m", "apoapsis": "m",
         "specific_energy": "J/kg", "radius": "m", "speed": "m/s"})
def orbit(central_mass: float, r0: float, v0: float, t: float) -> dict[str, float]:
    """A test mass around a fixed central mass, launched tangentially; `radius` and `speed` at time t."""
    mu, a, e, period = _elements(central_mass, r0, v0)
    starts_at_apoapsis = r0 * v0 * v0 < mu
    mean_anomaly = 2.0 * math.pi * t / period + (math.pi if starts_at_apoapsis else 0.0)
    radius = a * (1.0 - e * math.cos(solve_kepler(mean_anomaly, e)))
    return {"period": period, "semi_major_axis": a, "eccentricity": e, "periapsis": a * (1.0 - e),
            "apoapsis": a * (1.0 + e), "specific_energy": -mu / (2.0 * a), "radius": radius,
            "speed": math.sqrt(mu * (2.0 / radius - 1.0 / a))}


def integrate_orbit(central_mass: float, r0: float, v0: float, t: float,
                    steps: int) -> tuple[float, float, float, float]:
    """State (x, y, vx, vy) at time t, starting at (r0, 0) with velocity (0, v0), by `steps` Yoshida-4 steps.

    Symplectic: the energy error stays bounded (it oscillates, it does not drift), which is why orbits use it.
    """
    if steps < 1:
        raise ValueError(f"parameter 'steps' must be >= 1, got {steps}")
    mu = GRAVITATIONAL_CONSTANT * central_mass
    h = t / steps
    x, y, vx, vy = r0, 0.0, 0.0, v0
    for _ in range(steps):
        for w in _D:  # drift half, kick, drift half: a symmetric leapfrog of weight w
            x += 0.5 * w * h * vx
            y += 0.5 * w * h * vy
            r2 = x * x + y * y
            f = -mu / (r2 * math.sqrt(r2)) * w * h
            vx += f * x
            vy += f * y
            x += 0.5 * w * h * vx
            y += 0.5 * w * h * vy
    return x, y, vx, vy

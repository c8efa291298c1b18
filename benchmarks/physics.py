"""Physics benchmark: simulator time per family, its error against analytic values, and generation/verification
throughput of PhysicsSim-v0 problems.

    .venv/bin/python benchmarks/physics.py [--tasks 200] [--pool]

Prints markdown tables. Errors are the largest relative error over random scenarios against an independent
reference: closed forms where the family uses numerics (drag: vertical launch), numerical integration at
rtol 1e-13 where the family uses closed forms (spring, pendulum, RC, RL), the symplectic integrator against
Kepler's equation (orbit), conservation laws (collision, incline).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

from rlvrgym.sim import GRAVITATIONAL_CONSTANT, integrate_orbit, simulate, solve
from rlvrgym.tasks.base import GeneratorSource
from rlvrgym.tasks.physics import GENERATORS
from rlvrgym.verifiers.physics import PhysicsVerifier


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b else abs(a)


def accuracy(rng: np.random.Generator, n: int) -> dict[str, float]:
    """Largest relative error per family over `n` random scenarios."""
    worst: dict[str, float] = {}

    def note(family: str, err: float) -> None:
        worst[family] = max(worst.get(family, 0.0), err)

    g = 9.81
    for _ in range(n):
        v0, ang, h = rng.uniform(5, 60), rng.uniform(5, 85), rng.uniform(0, 50)
        out = solve("projectile", v0=v0, angle_deg=ang, height=h)
        th = math.radians(ang)

        def ground(_t: float, s: list[float]) -> float:
            return s[1]

        ground.terminal, ground.direction = True, -1  # type: ignore[attr-defined]
        ode = solve_ivp(lambda _t, s: [s[2], s[3], 0.0, -g], (0, 100), [0, h, v0 * math.cos(th), v0 * math.sin(th)],
                        method="DOP853", rtol=1e-13, atol=1e-13, events=ground)
        note("projectile (vacuum closed form vs ODE)", max(rel(out["flight_time"], ode.t_events[0][0]),
                                                           rel(out["range"], ode.y_events[0][0][0])))
        k = rng.uniform(0.001, 0.05)
        up = solve("projectile", v0=v0, angle_deg=90, drag_k=k)
        apex = math.log(1 + k * v0**2 / g) / (2 * k)
        t_total = (math.atan(v0 * math.sqrt(k / g)) + math.acosh(math.exp(k * apex))) / math.sqrt(g * k)
        note("projectile (drag: solve_ivp vs closed-form vertical launch)",
             max(rel(up["max_height"], apex), rel(up["flight_time"], t_total)))

        ang, mu_k, d = rng.uniform(30, 80), rng.uniform(0, 0.5), rng.uniform(0.5, 10)
        inc = solve("incline", angle_deg=ang, mu_s=mu_k, mu_k=mu_k, distance=d)
        th = math.radians(ang)
        note("incline (energy balance)",
             rel(0.5 * inc["final_speed"] ** 2 + mu_k * g * math.cos(th) * d, g * d * math.sin(th)))

        m1, m2, u1, e = rng.uniform(0.1, 10), rng.uniform(0.1, 10), rng.uniform(1, 20), rng.uniform(0, 1)
        col = solve("collision_1d", m1=m1, u1=u1, m2=m2, u2=0.0, restitution=e)
        note("collision_1d (momentum, restitution)", max(rel(m1 * col["v1"] + m2 * col["v2"], m1 * u1),
                                 rel(col["v2"] - col["v1"] + 1e-300, e * u1 + 1e-300)))

        mass, stiff, c, t = rng.uniform(0.1, 5), rng.uniform(1, 100), rng.uniform(0, 20), rng.uniform(0, 5)
        spr = solve("spring", mass=mass, k=stiff, damping=c, x0=0.1, v0=0.3, t=t)
        sol = solve_ivp(lambda _t, s, m=mass, kk=stiff, cc=c: [s[1], -(cc * s[1] + kk * s[0]) / m], (0, t),
                        [0.1, 0.3], method="DOP853", rtol=1e-13, atol=1e-16)
        scale = math.hypot(0.1, 0.3 * math.sqrt(mass / stiff))
        note("spring (closed form vs ODE, all regimes)", abs(spr["position"] - sol.y[0, -1]) / scale)

        amp, length = rng.uniform(1, 175), rng.uniform(0.1, 10)
        pen = solve("pendulum", length=length, amplitude_deg=amp)

        def bottom(_t: float, s: list[float]) -> float:
            return s[0]

        bottom.terminal, bottom.direction = True, -1  # type: ignore[attr-defined]
        ode = solve_ivp(lambda _t, s, gl=g / length: [s[1], -gl * math.sin(s[0])], (0, 1e3),
                        [math.radians(amp), 0], method="DOP853", rtol=1e-13, atol=1e-14, events=bottom)
        note("pendulum (elliptic K vs ODE quarter swing)", rel(pen["period"], 4 * ode.t_events[0][0]))

        r, c_, vb, t = rng.uniform(10, 1e4), rng.uniform(1e-7, 1e-4), rng.uniform(1, 24), rng.uniform(0, 3)
        rc = solve("rc_circuit", resistance=r, capacitance=c_, voltage=vb, t=t * r * c_)
        ode = solve_ivp(lambda _t, s, tau=r * c_, vb=vb: [(vb - s[0]) / tau], (0, t * r * c_), [0.0], method="DOP853",
                        rtol=1e-13, atol=1e-15)
        note("rc_circuit (closed form vs ODE)", rel(rc["capacitor_voltage"], ode.y[0, -1]) if t > 0 else 0.0)
        rl = solve("rl_circuit", resistance=r, inductance=c_ * 1e3, voltage=vb, t=t * c_ * 1e3 / r)
        ode = solve_ivp(lambda _t, s, rr=r, ll=c_ * 1e3, vb=vb: [(vb - rr * s[0]) / ll], (0, t * c_ * 1e3 / r), [0.0],
                        method="DOP853", rtol=1e-13, atol=1e-16)
        note("rl_circuit (closed form vs ODE)", rel(rl["current"], ode.y[0, -1]) if t > 0 else 0.0)
        ind = rng.uniform(1e-3, 1)
        res = rng.uniform(0, 3) * 2 * math.sqrt(ind / c_)
        t_end = rng.uniform(0.1, 3) * 2 * math.pi * math.sqrt(ind * c_)
        rlc = solve("rlc_circuit", resistance=res, inductance=ind, capacitance=c_, voltage=vb, t=t_end)
        ode = solve_ivp(lambda _t, s, ll=ind, rr=res, cc=c_, vb=vb: [s[1], (vb - rr * s[1] - s[0] / cc) / ll],
                        (0, t_end), [0.0, 0.0], method="DOP853", rtol=1e-13, atol=1e-18)
        rs = [float(x) for x in 10 ** rng.uniform(0, 4, 5)]
        bridge = solve("dc_bridge", r1=rs[0], r2=rs[1], r3=rs[2], r4=rs[3], r5=rs[4], voltage=vb)
        num = rs[0] * rs[2] * (rs[1] + rs[3]) + rs[1] * rs[3] * (rs[0] + rs[2]) \
            + rs[4] * (rs[0] + rs[1]) * (rs[2] + rs[3])
        r_eq = num / ((rs[0] + rs[2]) * (rs[1] + rs[3]) + rs[4] * sum(rs[:4]))
        note("dc_bridge (nodal analysis vs delta-star closed form)", rel(bridge["equivalent_resistance"], r_eq))
        note("rlc_circuit (closed form vs ODE, all regimes)", abs(rlc["capacitor_voltage"] - ode.y[0, -1] / c_) / vb)

    earth, r0 = 5.972e24, 7.0e6
    mu = GRAVITATIONAL_CONSTANT * earth
    for _ in range(max(3, n // 20)):
        v0 = math.sqrt(mu / r0) * rng.uniform(0.85, 1.25)
        kep = solve("orbit", central_mass=earth, r0=r0, v0=v0)
        x, y, vx, vy = integrate_orbit(earth, r0, v0, 20 * kep["period"], 80_000)
        energy0 = v0**2 / 2 - mu / r0
        note("orbit (Yoshida-4, 4000 steps/orbit, vs Kepler after 20 orbits)",
             max(rel((vx**2 + vy**2) / 2 - mu / math.hypot(x, y), energy0), math.hypot(x - r0, y) / r0))
    return worst


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds per call."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200, help="problems per family")
    parser.add_argument("--accuracy", type=int, default=200, help="random scenarios per family for the errors")
    parser.add_argument("--pool", action="store_true", help="also time verification through the worker pool")
    args = parser.parse_args()

    source = GeneratorSource(GENERATORS, difficulty=[1, 2, 3])
    verifier = PhysicsVerifier(isolation="inline")
    simulate("pendulum", length=1, amplitude_deg=10)  # warm the unit registry

    print("| family | solve µs (median) | solve µs (max) | simulate µs (median) | generated /s "
          "| verified /s (inline) |")
    print("|---|---:|---:|---:|---:|---:|")
    all_tasks = []
    for family in GENERATORS:
        t0 = time.perf_counter()
        tasks = [source.make(family, 1 + i % 3, i) for i in range(args.tasks)]
        gen_rate = len(tasks) / (time.perf_counter() - t0)
        all_tasks += tasks
        params = [t.meta["params"] for t in tasks[:50]]
        solve_s = [timed(lambda p=p, f=family: solve(f, **p), 3) for p in params]
        sim_s = [timed(lambda p=p, f=family: simulate(f, **p), 3) for p in params]
        completions = [_solution(t) for t in tasks]
        t0 = time.perf_counter()
        for c, t in zip(completions, tasks, strict=True):
            verifier.verify(c, t.reference)
        ver_rate = len(tasks) / (time.perf_counter() - t0)
        print(f"| {family} | {statistics.median(solve_s) * 1e6:,.0f} | {max(solve_s) * 1e6:,.0f} | "
              f"{statistics.median(sim_s) * 1e6:,.0f} | {gen_rate:,.0f} | {ver_rate:,.0f} |")

    if args.pool:
        pooled = PhysicsVerifier()
        pooled.verify_batch([r"\boxed{1 m}"] * 4, [{"value": 1, "unit": "m"}] * 4)  # start and warm the workers
        t0 = time.perf_counter()
        verdicts = pooled.verify_batch([_solution(t) for t in all_tasks], [t.reference for t in all_tasks])
        rate = len(all_tasks) / (time.perf_counter() - t0)
        wrong = sum(v.status != "correct" for v in verdicts)
        print(f"\nworker pool: {rate:,.0f} verifications/s over {len(all_tasks)} problems ({wrong} not correct)")

    print("\n| family | max relative error vs analytic/independent reference |")
    print("|---|---:|")
    for family, err in accuracy(np.random.default_rng(0), args.accuracy).items():
        print(f"| {family} | {err:.1e} |")


def _solution(task: object) -> str:
    """A short worked solution: a claim, an equation the checker can read, and the boxed answer."""
    ref = task.reference  # type: ignore[attr-defined]
    claims = list(ref["claims"].items())
    lines = []
    if claims:
        _, claim = claims[0]
        lines.append(f"{claim['symbols'][0]} = {claim['value']:.5g} {claim['unit']}")
    lines.append(r"By dimensional analysis, $E = \frac{1}{2} m v^2$ holds.")
    lines.append(rf"\boxed{{{ref['value']:.6g}\ \text{{{ref['unit']}}}}}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

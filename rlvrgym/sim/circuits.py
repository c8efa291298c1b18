"""Circuit families: RC charging, RL current build-up and the series RLC step response in closed form; DC
resistor networks (the Wheatstone bridge) by nodal analysis."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rlvrgym.sim.core import Param, family
from rlvrgym.sim.mechanics import spring

_POSITIVE: dict[str, Any] = {"low": 1e-15, "high": 1e15}
_VOLTAGE: dict[str, Any] = {"low": -1e9, "high": 1e9}
_TIME: dict[str, Any] = {"low": 0.0, "high": 1e9}
#: Largest ratio between two resistances of a network: the conductance matrix's condition number grows with it.
MAX_RESISTANCE_RATIO = 1e9


@family("rc_circuit",
        (Param("resistance", "ohm", **_POSITIVE), Param("capacitance", "F", **_POSITIVE),
         Param("voltage", "V", **_VOLTAGE, doc="source EMF, switched on at t = 0"),
         Param("t", "s", **_TIME), Param("initial_voltage", "V", 0.0, **_VOLTAGE, doc="capacitor voltage at t = 0")),
        {"capacitor_voltage": "V", "current": "A", "time_constant": "s", "charge": "C", "energy_stored": "J"})
def rc_circuit(resistance: float, capacitance: float, voltage: float, t: float,
               initial_voltage: float) -> dict[str, float]:
    """Series RC on a DC source: V_C = V + (V_C0 - V) e^{-t/RC}; current flows from the source into C."""
    tau = resistance * capacitance
    decay = math.exp(-t / tau)
    vc = voltage + (initial_voltage - voltage) * decay
    return {"capacitor_voltage": vc, "current": (voltage - initial_voltage) * decay / resistance,
            "time_constant": tau, "charge": capacitance * vc, "energy_stored": 0.5 * capacitance * vc * vc}


@family("rl_circuit",
        (Param("resistance", "ohm", **_POSITIVE), Param("inductance", "H", **_POSITIVE),
         Param("voltage", "V", **_VOLTAGE, doc="source EMF, switched on at t = 0 with no current"),
         Param("t", "s", **_TIME)),
        {"current": "A", "inductor_voltage": "V", "time_constant": "s", "energy_stored": "J"})
def rl_circuit(resistance: float, inductance: float, voltage: float, t: float) -> dict[str, float]:
    """Series RL on a DC source from zero current: I = (V/R)(1 - e^{-tR/L})."""
    tau = inductance / resistance
    current = -voltage / resistance * math.expm1(-t / tau)
    return {"current": current, "inductor_voltage": voltage * math.exp(-t / tau), "time_constant": tau,
            "energy_stored": 0.5 * inductance * current * current}


@family("rlc_circuit",
        (Param("resistance", "ohm", low=0.0, high=1e15), Param("inductance", "H", **_POSITIVE),
         Param("capacitance", "F", **_POSITIVE),
         Param("voltage", "V", **_VOLTAGE, doc="source EMF, switched on at t = 0; C uncharged and no current before"),
         Param("t", "s", **_TIME)),
        {"capacitor_voltage": "V", "current": "A", "period": "s", "damping_ratio": "", "natural_frequency": "rad/s"})
def rlc_circuit(resistance: float, inductance: float, capacitance: float, voltage: float,
                t: float) -> dict[str, float]:
    """Series RLC step response. L q'' + R q' + q/C = V is the damped oscillator with y = q - CV, so the spring's
    closed forms (all three regimes) apply: mass L, damping R, stiffness 1/C, y(0) = -CV, y'(0) = 0."""
    osc = spring(mass=inductance, k=1.0 / capacitance, damping=resistance, x0=-capacitance * voltage, v0=0.0, t=t)
    return {"capacitor_voltage": voltage + osc["position"] / capacitance, "current": osc["velocity"],
            "period": osc["period"], "damping_ratio": osc["damping_ratio"],
            "natural_frequency": 1.0 / math.sqrt(inductance * capacitance)}


def nodal_voltages(n_nodes: int, resistors: Sequence[tuple[int, int, float]],
                   fixed: Mapping[int, float]) -> np.ndarray:
    """Node voltages of a DC resistor network by nodal analysis: Kirchhoff's current law at every node whose
    voltage is not fixed (by a source or ground), as one linear solve G v = i."""
    free = [n for n in range(n_nodes) if n not in fixed]
    index = {n: i for i, n in enumerate(free)}
    g = np.zeros((len(free), len(free)))
    rhs = np.zeros(len(free))
    for a, b, r in resistors:
        for this, other in ((a, b), (b, a)):
            if this not in index:
                continue
            g[index[this], index[this]] += 1.0 / r
            if other in index:
                g[index[this], index[other]] -= 1.0 / r
            else:
                rhs[index[this]] += fixed[other] / r
    v = np.empty(n_nodes)
    for n, value in fixed.items():
        v[n] = value
    if free:
        v[free] = np.linalg.solve(g, rhs)
    return v


@family("dc_bridge",
        (Param("r1", "ohm", **_POSITIVE, doc="top left: + terminal to node C"),
         Param("r2", "ohm", **_POSITIVE, doc="bottom left: node C to - terminal"),
         Param("r3", "ohm", **_POSITIVE, doc="top right: + terminal to node D"),
         Param("r4", "ohm", **_POSITIVE, doc="bottom right: node D to - terminal"),
         Param("r5", "ohm", **_POSITIVE, doc="the bridge, between C and D"),
         Param("voltage", "V", **_VOLTAGE, doc="ideal source across the bridge")),
        {"source_current": "A", "equivalent_resistance": "ohm", "bridge_current": "A", "voltage_cd": "V",
         "power": "W"})
def dc_bridge(r1: float, r2: float, r3: float, r4: float, r5: float, voltage: float) -> dict[str, float]:
    """Wheatstone bridge by nodal analysis (nodes: 0 the + terminal, 1 the - terminal at 0 V, 2 = C, 3 = D),
    solved at 1 V and scaled (the network is linear, and R_eq needs no division by a zero source);
    `bridge_current` flows from C to D."""
    values = {"r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5}
    median = sorted(values.values())[2]
    extreme = max(values, key=lambda k: abs(math.log(values[k] / median)))
    if max(values.values()) / min(values.values()) > MAX_RESISTANCE_RATIO:
        raise ValueError(f"parameter {extreme!r} ({values[extreme]:g} ohm) is too far from the other resistances: "
                         f"ratios above {MAX_RESISTANCE_RATIO:g} are beyond what a double-precision nodal solve "
                         "resolves")
    v = nodal_voltages(4, [(0, 2, r1), (2, 1, r2), (0, 3, r3), (3, 1, r4), (2, 3, r5)], {0: 1.0, 1: 0.0})
    unit_current = (1.0 - v[2]) / r1 + (1.0 - v[3]) / r3
    current = voltage * unit_current
    return {"source_current": float(current), "equivalent_resistance": float(1.0 / unit_current),
            "bridge_current": float(voltage * (v[2] - v[3]) / r5), "voltage_cd": float(voltage * (v[2] - v[3])),
            "power": float(voltage * current)}

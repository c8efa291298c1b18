"""Circuit families: RC charging, RL current build-up and the series RLC step response, in closed form."""

from __future__ import annotations

import math

from rlvrgym.sim.core import Param, family
from rlvrgym.sim.mechanics import spring

_POSITIVE = {"low": 1e-15, "high": 1e15}
_VOLTAGE = {"low": -1e9, "high": 1e9}
_TIME = {"low": 0.0, "high": 1e9}


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

"""Physics ground truth: `simulate(family, **params) -> dict[str, pint.Quantity]` in SI units.

Families (see `FAMILIES[name].params` / `.outputs`): projectile, incline, collision_1d, spring, pendulum, orbit,
rc_circuit, rl_circuit, rlc_circuit, dc_bridge. The simulator computes facts; it never decides a reward.

Names load lazily (PEP 562), so the verifier can import `rlvrgym.sim.units` (pint only) without paying for scipy.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FAMILIES": "rlvrgym.sim.core", "STANDARD_GRAVITY": "rlvrgym.sim.core", "Family": "rlvrgym.sim.core",
    "Param": "rlvrgym.sim.core", "simulate": "rlvrgym.sim.core", "solve": "rlvrgym.sim.core",
    "GRAVITATIONAL_CONSTANT": "rlvrgym.sim.orbit", "integrate_orbit": "rlvrgym.sim.orbit",
    "solve_kepler": "rlvrgym.sim.orbit", "get_registry": "rlvrgym.sim.units", "quantity": "rlvrgym.sim.units",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rlvrgym.sim' has no attribute {name!r}")
    from rlvrgym.sim.core import load_families

    load_families()
    return getattr(importlib.import_module(_EXPORTS[name]), name)

"""Physics ground truth: `simulate(family, **params) -> dict[str, pint.Quantity]` in SI units.

Families (see `FAMILIES[name].params` / `.outputs`): projectile, incline, collision_1d, spring, pendulum, orbit,
rc_circuit, rl_circuit. The simulator computes facts; it never decides a reward.
"""

from rlvrgym.sim import circuits, mechanics, orbit  # noqa: F401  (importing registers the families)
from rlvrgym.sim.core import FAMILIES, STANDARD_GRAVITY, Family, Param, simulate, solve
from rlvrgym.sim.orbit import GRAVITATIONAL_CONSTANT, integrate_orbit, solve_kepler
from rlvrgym.sim.units import get_registry, quantity

__all__ = ["FAMILIES", "GRAVITATIONAL_CONSTANT", "STANDARD_GRAVITY", "Family", "Param", "get_registry",
           "integrate_orbit", "quantity", "simulate", "solve", "solve_kepler"]

"""The simulator's front door: scenario families with typed, validated parameters and SI outputs.

A family's function works on plain floats in SI units (fast, easy to test against closed forms); `simulate`
validates and converts the inputs and wraps the outputs in pint quantities. The simulator computes facts and
never judges an answer: that is the physics verifier's job.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pint

from rlvrgym.sim.units import get_registry, quantity

STANDARD_GRAVITY = 9.81  # m/s^2, the default g of every family; prompts always state the g they use


@dataclass(frozen=True)
class Param:
    """One input of a family. Bounds are checked by `simulate`; `None` means unbounded on that side. Upper bounds
    are generous plausibility limits: they keep absurd inputs (a tool call with v0 = 1e300) from overflowing or
    running an integration for ever."""

    name: str
    unit: str
    default: float | None = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    doc: str = ""

    def check(self, value: float) -> None:
        if not math.isfinite(value):
            raise ValueError(f"parameter {self.name!r} must be a finite number, got {value!r}")
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            op = ">" if self.low_open else ">="
            raise ValueError(f"parameter {self.name!r} must be {op} {self.low:g}, got {value:g}")
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            op = "<" if self.high_open else "<="
            raise ValueError(f"parameter {self.name!r} must be {op} {self.high:g}, got {value:g}")


@dataclass(frozen=True)
class Family:
    """A scenario family: parameters in, named SI quantities out (`outputs` maps name -> unit)."""

    name: str
    params: tuple[Param, ...]
    outputs: dict[str, str]
    fn: Callable[..., dict[str, float]]
    doc: str = ""
    param_index: dict[str, Param] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "param_index", {p.name: p for p in self.params})


FAMILIES: dict[str, Family] = {}
FAMILY_MODULES = ("rlvrgym.sim.mechanics", "rlvrgym.sim.orbit", "rlvrgym.sim.circuits")


def load_families() -> dict[str, Family]:
    """Import the family modules (they register themselves); idempotent and cheap after the first call."""
    for module in FAMILY_MODULES:
        importlib.import_module(module)  # a dictionary look-up once imported
    return FAMILIES


def family(name: str, params: tuple[Param, ...], outputs: dict[str, str]) -> Callable[[Callable], Callable]:
    """Register `fn(**SI floats) -> dict[str, float]` as the family `name`."""

    def decorator(fn: Callable[..., dict[str, float]]) -> Callable[..., dict[str, float]]:
        if name in FAMILIES:
            raise ValueError(f"a simulator family named {name!r} already exists")
        FAMILIES[name] = Family(name, params, outputs, fn, (fn.__doc__ or "").strip())
        return fn

    return decorator


def _to_si(param: Param, value: Any) -> float:
    """Accept a float in the parameter's unit, or any pint quantity of the same dimension."""
    if isinstance(value, pint.Quantity):
        try:
            return float(value.to(param.unit or "dimensionless").magnitude)
        except pint.DimensionalityError:
            raise ValueError(f"parameter {param.name!r} needs a quantity in {param.unit or 'dimensionless'}, "
                             f"got {value.units}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"parameter {param.name!r} must be a number, got {type(value).__name__}")
    return float(value)


def solve(family_name: str, **params: Any) -> dict[str, float]:
    """`simulate` without pint: validated SI floats in, SI floats out (the generators' and benchmarks' fast path)."""
    fam = load_families().get(family_name)
    if fam is None:
        raise ValueError(f"unknown simulator family {family_name!r}; known: {', '.join(sorted(FAMILIES))}")
    unknown = sorted(set(params) - set(fam.param_index))
    if unknown:
        raise ValueError(f"family {family_name!r} has no parameter {unknown[0]!r}; "
                         f"its parameters are {', '.join(p.name for p in fam.params)}")
    values: dict[str, float] = {}
    for p in fam.params:
        if p.name in params:
            values[p.name] = _to_si(p, params[p.name])
        elif p.default is not None:
            values[p.name] = p.default
        else:
            raise ValueError(f"family {family_name!r} needs parameter {p.name!r} ({p.unit or 'dimensionless'})")
        p.check(values[p.name])
    return fam.fn(**values)


def simulate(family_name: str, **params: Any) -> dict[str, pint.Quantity]:
    """Simulate one scenario: named quantities in SI units, deterministic.

    Parameters are floats in the units the family declares (`FAMILIES[name].params`) or pint quantities of the
    right dimension. Invalid parameters raise `ValueError` naming the parameter. Flags (such as the incline's
    `static`) are dimensionless quantities equal to 0 or 1.
    """
    raw = solve(family_name, **params)
    units = FAMILIES[family_name].outputs
    get_registry()
    return {name: quantity(value, units[name]) for name, value in raw.items()}

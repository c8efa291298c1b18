"""One pint `UnitRegistry` per process, shared by the simulator and the physics verifier.

Building a registry costs ~0.3 s and quantities from two registries cannot be mixed, hence a lazy singleton.
"""

from __future__ import annotations

import threading
from typing import Any

import pint

_registry: pint.UnitRegistry | None = None
_lock = threading.Lock()


def get_registry() -> pint.UnitRegistry:
    """The process-wide registry, built on first use."""
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                _registry = pint.UnitRegistry()
    return _registry


def quantity(value: Any, unit: str = "") -> pint.Quantity:
    """A quantity of the shared registry; `unit=""` is dimensionless."""
    return get_registry().Quantity(value, unit or "dimensionless")

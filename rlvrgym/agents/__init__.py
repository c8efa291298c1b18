"""Deprecated: `rlvrgym.agents` was split into `rlvrgym.train` and `rlvrgym.bench` (kept for one release).

Every old module path (`rlvrgym.agents.trl_adapter`, `rlvrgym.agents.bench.runner`, `rlvrgym.agents.policies`...)
still imports, with a `DeprecationWarning`, and is the *same module object* as its new home, so classes and caches
are shared instead of loaded twice.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import Any

#: Old module prefix -> new one; the longest matching prefix wins.
MOVED: dict[str, str] = {
    "rlvrgym.agents.bench": "rlvrgym.bench",
    "rlvrgym.agents.policies": "rlvrgym.bench.policies",
    "rlvrgym.agents.train": "rlvrgym.train.grpo",
    **{f"rlvrgym.agents.{m}": f"rlvrgym.train.{m}"
       for m in ("trl_adapter", "multi_turn", "sft", "tiny", "evaluate", "metrics", "cli")},
}


def new_name(old: str) -> str | None:
    """Where an old `rlvrgym.agents...` module lives now, or None for a name that never existed."""
    for prefix in sorted(MOVED, key=len, reverse=True):
        if old == prefix or old.startswith(prefix + "."):
            return MOVED[prefix] + old[len(prefix):]
    return None


def _warn(old: str, new: str) -> None:
    warnings.warn(f"{old} moved to {new}; the old path goes away in the next release", DeprecationWarning,
                  stacklevel=3)


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves an old module path to the new module object (shared, never executed twice)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        return importlib.util.spec_from_loader(fullname, self) if new_name(fullname) else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = new_name(spec.name)
        assert new is not None
        _warn(spec.name, new)
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        return None  # the new module already ran


if not any(isinstance(f, _MovedModuleFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _MovedModuleFinder())


def __getattr__(name: str) -> Any:
    import rlvrgym.train

    if name in rlvrgym.train._LAZY:
        _warn(f"rlvrgym.agents.{name}", f"rlvrgym.train.{name}")
        return getattr(rlvrgym.train, name)
    raise AttributeError(f"module 'rlvrgym.agents' has no attribute {name!r}")

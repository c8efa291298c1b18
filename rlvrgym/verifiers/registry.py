"""Verifiers by name: built-ins, the `@register_verifier` decorator, and plug-ins from the entry-point group
`rlvrgym.verifiers` (`[project.entry-points."rlvrgym.verifiers"] myname = "mypkg.module:MyVerifier"`)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, TypeVar

from rlvrgym.verifiers.base import Verifier, VerifierLike

ENTRY_POINT_GROUP = "rlvrgym.verifiers"

#: Built-in verifiers, imported on first use so `import rlvrgym` stays cheap (the sandbox pulls in docker).
BUILTIN_MODULES: dict[str, str] = {
    "math": "rlvrgym.verifiers.math",
    "physics": "rlvrgym.verifiers.physics",
    "code": "rlvrgym.verifiers.code",
    "math-proof": "rlvrgym.verifiers.math_proof",
    "reasoning-gym": "rlvrgym.verifiers.reasoning_gym",
}

Factory = Callable[..., VerifierLike]
F = TypeVar("F", bound=Factory)

_registry: dict[str, Factory] = {}


def register_verifier(name: str, *, overwrite: bool = False) -> Callable[[F], F]:
    """Class (or factory) decorator that makes a verifier available as `get_verifier(name)`."""
    if not name or not isinstance(name, str):
        raise ValueError(f"a verifier name must be a non-empty string, got {name!r}")

    def decorator(factory: F) -> F:
        existing = _registry.get(name)
        if existing is not None and existing is not factory and not overwrite:
            raise ValueError(f"a verifier named {name!r} is already registered ({_describe(existing)}); "
                             "pass overwrite=True to replace it")
        _registry[name] = factory
        if isinstance(factory, type) and issubclass(factory, Verifier) and not factory.name:
            factory.name = name
        return factory

    return decorator


def _describe(factory: Factory) -> str:
    return f"{getattr(factory, '__module__', '?')}.{getattr(factory, '__qualname__', repr(factory))}"


def _plugin_entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _resolve(name: str) -> Factory | None:
    if name in _registry:
        return _registry[name]
    if name in BUILTIN_MODULES:
        importlib.import_module(BUILTIN_MODULES[name])
        return _registry.get(name)
    ep = _plugin_entry_points().get(name)
    if ep is None:
        return None
    factory = ep.load()
    if not callable(factory):
        raise TypeError(f"entry point {ep.value!r} of group {ENTRY_POINT_GROUP!r} is not a class or factory")
    _registry.setdefault(name, factory)
    return _registry[name]


def get_verifier(name: str, *, executor: str = "local", **options: Any) -> VerifierLike:
    """Build the verifier registered as `name`, passing `options` to its constructor.

    `executor="ray"` wraps it in `rlvrgym.distributed.RayVerifierPool` (needs `rlvrgym[ray]`): its batches then
    run on the Ray cluster at `$RAY_ADDRESS` (or the Ray already initialised, or a local one), same verdicts.
    """
    if executor not in ("local", "ray"):
        raise ValueError(f"executor must be 'local' or 'ray', got {executor!r}")
    factory = _resolve(name)
    if factory is None:
        raise KeyError(f"no verifier named {name!r}; known verifiers: {', '.join(list_verifiers()) or 'none'}")
    verifier = factory(**options)
    if not isinstance(verifier, VerifierLike):
        raise TypeError(f"verifier factory {_describe(factory)} returned {type(verifier).__name__}, "
                        "which has no `name` and `verify(completion, reference)`")
    if executor == "ray":
        from rlvrgym.distributed import RayVerifierPool

        return RayVerifierPool(verifier)
    return verifier


def list_verifiers() -> list[str]:
    """Every name `get_verifier` accepts: registered, built-in and plug-in verifiers."""
    return sorted(set(_registry) | set(BUILTIN_MODULES) | set(_plugin_entry_points()))

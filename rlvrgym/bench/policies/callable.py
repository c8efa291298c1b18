"""Any Python function as a policy: `module:function` or `path/to/file.py:function`."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class CallablePolicyConfig:
    """Attributes:
        target: `package.module:function` or `file.py:function`.
        batched: the function takes the list of observations and returns a list of completions; with False it
            takes one observation and returns one completion, and is called once per observation.
    """

    target: str
    batched: bool = True


def load_callable(target: str) -> Callable[..., Any]:
    module_name, sep, attr = target.rpartition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"a callable policy is 'module:function' or 'file.py:function', got {target!r}")
    if module_name.endswith(".py"):
        path = Path(module_name)
        if not path.is_file():
            raise FileNotFoundError(f"policy file {path} does not exist")
        spec = importlib.util.spec_from_file_location(f"rlvrgym_policy_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        if os.getcwd() not in sys.path:  # like uvicorn and gunicorn: the user's own modules import from here
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise ValueError(f"cannot import the policy module {module_name!r}: {exc}") from exc
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ValueError(f"{module_name} has no callable {attr!r}")
    return fn


class CallablePolicy:
    """Wraps a user function; the runner still validates what it returns (one str per observation)."""

    def __init__(self, config: CallablePolicyConfig | str, fn: Callable[..., Any] | None = None) -> None:
        self.config = CallablePolicyConfig(config) if isinstance(config, str) else config
        self.fn = fn or load_callable(self.config.target)
        self.name = self.config.target.rpartition(":")[2]

    def act(self, observations: list[str]) -> list[str]:
        if self.config.batched:
            return self.fn(list(observations))
        return [self.fn(o) for o in observations]

    def settings(self) -> dict[str, Any]:
        return {"kind": "callable", **asdict(self.config)}

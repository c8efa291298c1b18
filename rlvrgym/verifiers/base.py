"""The verifier contract: `verify(completion, reference) -> Verdict`, bounded in time, never raising on model text."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from rlvrgym.verifiers.bounded import BoundedPool, default_pool, in_worker
from rlvrgym.verifiers.verdict import Verdict

Isolation = Literal["process", "inline"]


@runtime_checkable
class VerifierLike(Protocol):
    """Anything with a name and `verify` can judge an environment; subclass `Verifier` to get bounds for free."""

    @property
    def name(self) -> str: ...  # read-only, so a class attribute (`Verifier.name`) satisfies it

    def verify(self, completion: str, reference: Any) -> Verdict: ...


class Verifier(ABC):
    """Base class of all verifiers.

    Subclasses implement `judge`, the unbounded judgement. `verify` runs it in a worker process that is killed
    after `timeout` seconds (`isolation="process"`, the default), or in this process (`"inline"`) for verifiers
    whose own backend already enforces bounds, such as the sandbox. Instances must be picklable: they travel to
    the workers.
    """

    name: ClassVar[str] = ""
    default_timeout: ClassVar[float] = 1.0

    def __init__(self, *, timeout: float | None = None, isolation: Isolation = "process",
                 pool: BoundedPool | None = None) -> None:
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
        if isolation not in ("process", "inline"):
            raise ValueError(f"isolation must be 'process' or 'inline', got {isolation!r}")
        self.timeout = float(timeout if timeout is not None else self.default_timeout)
        self.isolation: Isolation = isolation
        self._pool = pool

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_pool"] = None  # a pool holds processes and locks; workers never need one
        return state

    @abstractmethod
    def judge(self, completion: str, reference: Any) -> Verdict:
        """Decide, without any time bound. May raise: `verify` turns exceptions into `status="error"`."""

    def warmup(self) -> None:
        """Called once in each worker before its first job is timed: load lazy imports, fill caches.
        The default does nothing: most verifiers have nothing to warm."""
        return None

    def judge_safely(self, completion: Any, reference: Any) -> Verdict:
        """`judge` with the fail-closed rules: non-text completions are unparseable, exceptions are errors."""
        if not isinstance(completion, str):
            return Verdict.unparseable(f"completion must be text, got {type(completion).__name__}")
        try:
            verdict = self.judge(completion, reference)
        except RecursionError:
            return Verdict.unparseable("input is too deeply nested to check")
        except MemoryError:
            return Verdict.error("the verification ran out of memory")
        except Exception as exc:
            return Verdict.error(f"{self.name or type(self).__name__} failed: {type(exc).__name__}: {exc}")
        if not isinstance(verdict, Verdict):
            return Verdict.error(f"{type(self).__name__}.judge returned {type(verdict).__name__}, not a Verdict")
        return verdict

    def verify(self, completion: str, reference: Any) -> Verdict:
        """Judge one completion against its reference within `self.timeout` seconds."""
        if self.isolation == "inline" or in_worker():
            return self.judge_safely(completion, reference)
        return (self._pool or default_pool()).run(self, completion, reference, self.timeout)

    def verify_batch(self, completions: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        """Judge many completions in parallel over the worker pool; one verdict per completion, in order."""
        if len(completions) != len(references):
            raise ValueError(f"got {len(completions)} completions but {len(references)} references")
        if self.isolation == "inline" or in_worker():
            return [self.judge_safely(c, r) for c, r in zip(completions, references, strict=True)]
        return (self._pool or default_pool()).map(self, completions, references, self.timeout)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, timeout={self.timeout:g}, isolation={self.isolation!r})"

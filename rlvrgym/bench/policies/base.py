"""The policy contract the benchmark runner relies on, and the one failure value policies may hand back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Policy(Protocol):
    """Anything that turns a batch of observations into one completion each.

    Batched because every real backend (a GPU `generate`, an HTTP server with continuous batching) is much faster
    per item with many items in flight. `settings()` is recorded in the run's summary so a result can be
    reproduced; it must be JSON-serialisable and must not contain secrets.
    """

    name: str

    def act(self, observations: list[str]) -> list[str]: ...

    def settings(self) -> dict[str, Any]: ...


class FailedCompletion(str):
    """A completion the policy could not produce (an HTTP error after its retries, a crashed call).

    It is a `str` (empty), so a policy keeps the `list[str]` contract, but the runner recognises it and records the
    episode as `policy_error` with the reason, instead of letting a verifier judge an empty answer or crashing the
    whole run.
    """

    error: str

    def __new__(cls, error: str) -> FailedCompletion:
        obj = super().__new__(cls, "")
        obj.error = error
        return obj

    def __repr__(self) -> str:
        return f"FailedCompletion({self.error!r})"


class PolicyContractError(TypeError):
    """The policy broke the `act` contract (wrong count or type): a bug to fix, so the run stops and says so."""


def check_completions(policy_name: str, observations: Sequence[str], completions: Any) -> list[str]:
    """A policy that returns the wrong number or type of completions is a bug in the policy: say so clearly."""
    if not isinstance(completions, (list, tuple)):
        raise PolicyContractError(f"policy {policy_name!r} returned {type(completions).__name__}; act() must "
                                  "return a list of str, one per observation")
    if len(completions) != len(observations):
        raise PolicyContractError(f"policy {policy_name!r} returned {len(completions)} completions for "
                                  f"{len(observations)} observations")
    for i, c in enumerate(completions):
        if not isinstance(c, str):
            raise PolicyContractError(f"policy {policy_name!r} returned {type(c).__name__} at position {i}; "
                                      "completions must be str")
    return list(completions)

"""What every trainer adapter judges with: an environment's verifier, `RewardSpec`, reward context and completion
limit, fed to the one scoring road `rlvrgym.rewards.score_batch` (the road `env.step` and the GRPO reward functions
take), so an adapter pays exactly what `env.step` pays for the same answer.

`EnvScorer` is built once per process and environment (verl calls its reward function once per sample from many
threads; the verifier's worker pool must be built once).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rlvrgym.envs.text import TextEnv
from rlvrgym.rewards import RewardSpec, Scored, score_batch
from rlvrgym.tasks.base import Task
from rlvrgym.verifiers.base import VerifierLike
from rlvrgym.verifiers.verdict import Verdict

__all__ = ["DATA_SOURCE_PREFIX", "EnvScorer", "Scored", "decode_reference", "encode_reference", "env_id_of",
           "env_scorer", "score_batch", "weigh"]

#: Prefix of a verl `data_source` / OpenRLHF label / verifiers env id that names an rlvrgym environment.
DATA_SOURCE_PREFIX = "rlvrgym/"


def weigh(verdict: Verdict, spec: RewardSpec, completion: str = "") -> Scored:
    """A verdict reached without the verifier (a request item that cannot be judged) weighed by the same spec."""
    return Scored(verdict, spec.breakdown(verdict, completion))


@dataclass
class EnvScorer:
    """One environment as the adapters use it: its verifier, spec, reward context and limit, never its episode
    state (so one instance serves many threads)."""

    env_id: str
    env: TextEnv
    _tasks: dict[str, Task] = field(default_factory=dict)

    @property
    def verifier(self) -> VerifierLike:
        return self.env.verifier

    @property
    def spec(self) -> RewardSpec:
        return self.env.reward_spec

    @property
    def max_chars(self) -> int | None:
        return self.env.judged_chars()

    def task(self, task_id: str) -> Task:
        """The task the environment replays for `task_id` (its reference and facts), cached."""
        if task_id not in self._tasks:
            self._tasks[task_id] = self.env.tasks.get(task_id)
        return self._tasks[task_id]

    def context(self, task: Task) -> dict[str, Any]:
        """The task facts a reward term reads (`env.reward_context`), as `env.step` passes them."""
        return self.env.reward_context(task)

    def score(self, completions: Sequence[str], references: Sequence[Any],
              contexts: Sequence[Mapping[str, Any] | None] | None = None) -> list[Scored]:
        return score_batch(completions, references, self.verifier, self.spec, contexts=contexts,
                           max_chars=self.max_chars)


_scorers: dict[str, EnvScorer] = {}
_lock = threading.Lock()


def env_scorer(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> EnvScorer:
    """The scorer of `env_id` built with `env_kwargs` (as `gym.make` takes them), cached per process."""
    key = f"{env_id}|{json.dumps(dict(env_kwargs or {}), sort_keys=True, default=repr)}"
    with _lock:
        if key not in _scorers:
            from rlvrgym.train.trl_adapter import make_env

            _scorers[key] = EnvScorer(env_id, make_env(env_id, env_kwargs, split=None))
        return _scorers[key]


def env_id_of(name: str) -> str:
    """`rlvrgym/MathAnswer-v0` (or plain `MathAnswer-v0`) -> `MathAnswer-v0`; anything else is a clear error."""
    from rlvrgym.envs import ENVIRONMENTS

    env_id = name[len(DATA_SOURCE_PREFIX):] if isinstance(name, str) and name.startswith(DATA_SOURCE_PREFIX) else name
    if env_id not in ENVIRONMENTS:
        known = ", ".join(DATA_SOURCE_PREFIX + e for e in sorted(ENVIRONMENTS))
        raise ValueError(f"{name!r} names no rlvrgym environment; use one of {known}")
    return str(env_id)


def encode_reference(reference: Any) -> tuple[str, str]:
    """A reference as text for a dataset column, with its format: plain text stays readable (a math answer), a
    structured reference (tests, a simulated quantity) becomes JSON."""
    if isinstance(reference, str):
        return reference, "text"
    return json.dumps(reference, sort_keys=True), "json"


def decode_reference(value: Any, fmt: str | None) -> Any:
    """Inverse of `encode_reference`. A bare number (a user's dataset column of answers; numpy's, from parquet)
    becomes its text, as references of answer-text environments are; other values are used as they are."""
    if fmt == "json" and isinstance(value, str):
        return json.loads(value)
    if hasattr(value, "item") and callable(value.item) and getattr(value, "shape", None) == ():
        value = value.item()  # a numpy scalar
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def decode_context(value: Any) -> dict[str, Any] | None:
    """The reward context a dataset row carries (JSON text, as the exports write it), or None."""
    if isinstance(value, str) and value:
        parsed = json.loads(value)
        return parsed if isinstance(parsed, dict) and parsed else None
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if v is not None} or None
    return None

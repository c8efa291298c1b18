"""The one road from completions to rewards, shared by every trainer adapter, and the environment each adapter
judges with.

`score_batch` has the signature of `rlvrgym.rewards.score_batch` (issue 14) and is used in its place until that
lands; adapters call only this function, so switching is one import here. `EnvScorer` holds what an environment
judges with (its verifier, its `RewardSpec`, its completion limit), built once per process and environment.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rlvrgym.rewards import RewardBreakdown, RewardSpec
from rlvrgym.verifiers.base import VerifierLike
from rlvrgym.verifiers.verdict import Verdict

#: Prefix of a verl `data_source` / OpenRLHF label / verifiers env id that names an rlvrgym environment.
DATA_SOURCE_PREFIX = "rlvrgym/"


@dataclass(frozen=True)
class Scored:
    """A completion's verdict and the reward breakdown its `RewardSpec` made of it (`breakdown.total` is paid)."""

    verdict: Verdict
    breakdown: RewardBreakdown


def score_batch(completions: Sequence[str], references: Sequence[Any], verifier: VerifierLike, spec: RewardSpec,
                *, contexts: Sequence[Any] | None = None, max_chars: int | None = None) -> list[Scored]:
    """Judge each completion against its reference (batched over the verifier's worker pool) and weigh the verdict
    with `spec`. A completion over `max_chars` is unparseable without being judged, as `env.step` does."""
    if len(completions) != len(references):
        raise ValueError(f"got {len(completions)} completions but {len(references)} references")
    del contexts  # the single-turn verifiers judge the completion alone
    texts = [c if isinstance(c, str) else "" for c in completions]
    verdicts: list[Verdict | None] = [None] * len(texts)
    for i, (c, t) in enumerate(zip(completions, texts, strict=True)):
        if not isinstance(c, str):
            verdicts[i] = Verdict.unparseable(f"completion must be text, got {type(c).__name__}")
        elif max_chars is not None and len(t) > max_chars:
            verdicts[i] = Verdict.unparseable(f"completion has {len(t)} characters, over the limit of {max_chars}")
    todo = [i for i, v in enumerate(verdicts) if v is None]
    if todo:
        batch = getattr(verifier, "verify_batch", None)
        pairs = ([texts[i] for i in todo], [references[i] for i in todo])
        judged = batch(*pairs) if batch is not None else [verifier.verify(c, r) for c, r in zip(*pairs, strict=True)]
        for i, v in zip(todo, judged, strict=True):
            verdicts[i] = v
    return [Scored(v, spec.compute(v, t)) for v, t in zip(verdicts, texts, strict=True) if v is not None]


def weigh(verdict: Verdict, spec: RewardSpec, completion: str = "") -> Scored:
    """A verdict reached without the verifier (a request item that cannot be judged) weighed by the same spec."""
    return Scored(verdict, spec.compute(verdict, completion))


@dataclass(frozen=True)
class EnvScorer:
    """What one environment judges with: its verifier, reward spec and completion limit (the env's own)."""

    env_id: str
    verifier: VerifierLike
    spec: RewardSpec
    max_chars: int

    def score(self, completions: Sequence[str], references: Sequence[Any]) -> list[Scored]:
        return score_batch(completions, references, self.verifier, self.spec, max_chars=self.max_chars)


_scorers: dict[str, EnvScorer] = {}
_lock = threading.Lock()


def env_scorer(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> EnvScorer:
    """The scorer of `env_id` built with `env_kwargs` (as `gym.make` takes them), cached per process: verl calls the
    reward function once per sample from many threads, and the verifier's worker pool must be built once."""
    key = f"{env_id}|{json.dumps(dict(env_kwargs or {}), sort_keys=True, default=repr)}"
    with _lock:
        if key not in _scorers:
            from rlvrgym.train.trl_adapter import make_env

            env = make_env(env_id, env_kwargs, split=None)
            _scorers[key] = EnvScorer(env_id, env.verifier, env.reward_spec, env.action_space.max_length)
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

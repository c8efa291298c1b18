"""MathProof-v0 in both modes: Gymnasium's checker, seeding and replay, rewards, episode ends, task sources."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import rlvrgym  # noqa: F401  (registers the environments)
from rlvrgym.rewards import RewardSpec

IDENTITY = {"id": "sq", "kind": "identity", "statement": "Prove the identity $(x+1)^2 = x^2 + 2x + 1$.",
            "lhs": "(x+1)^2", "rhs": "x^2 + 2x + 1",
            "solution": ["(x+1)^2 = (x+1)(x+1)", "= x^2 + x + x + 1", "= x^2 + 2x + 1"]}
EQUATION = {"id": "lin", "kind": "equation", "statement": "Solve $2x + 6 = 14$ for $x$.", "equation": "2x + 6 = 14",
            "variable": "x", "answer": "x = 4", "solution": ["2x = 8", "x = 4"]}


def make(**kwargs: object) -> gym.Env:
    return gym.make("MathProof-v0", disable_env_checker=True, **kwargs)


@pytest.mark.parametrize("mode", ["single", "steps"])
def test_check_env_passes(mode: str) -> None:
    check_env(make(mode=mode).unwrapped, skip_render_check=True)


@pytest.mark.parametrize("mode", ["single", "steps"])
def test_reset_is_reproducible_and_replays_by_task_id(mode: str) -> None:
    env = make(mode=mode)
    obs_a, info_a = env.reset(seed=11)
    obs_b, info_b = env.reset(seed=11)
    assert obs_a == obs_b and info_a["task_id"] == info_b["task_id"]
    env.reset(seed=12)
    obs_c, info_c = env.reset(options={"task_id": info_a["task_id"]})
    assert obs_c == obs_a and info_c["task_id"] == info_a["task_id"]


def test_single_mode_oracle_wrong_and_refusal() -> None:
    env = make(tasks=[IDENTITY])
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step(env.unwrapped.oracle_completion())
    assert reward == pytest.approx(1.0) and terminated and not truncated
    assert info["verdict"]["details"]["first_error"] == -1 and info["reward_breakdown"]["process"] == 1.0
    env.reset(seed=0)
    _, reward, _, _, info = env.step("$(x+1)^2 = x^2 + 1$\n$= x^2 + 2x + 1$")
    assert info["verdict"]["details"]["first_error"] == 0 and info["reward_breakdown"]["outcome"] == 0.0
    assert reward == 0.0  # wrong steps earn nothing: a parseable wrong line is not partial progress
    env.reset(seed=0)
    _, reward, _, _, info = env.step("$(x+1)^2 = x \\cdot x + 2x + 1$\n$= x^2 + 2x + 2$")
    assert info["verdict"]["details"]["first_error"] == 1
    process = info["reward_breakdown"]["process"]  # the valid first step's progress, less than a whole proof's 1
    assert 0.0 < process < 0.75 and reward == pytest.approx(0.5 * process)
    env.reset(seed=0)
    _, reward, _, _, _ = env.step("I am not sure how to solve this.")
    assert reward == 0.0


def test_reward_spec_aggregation_and_efficiency() -> None:
    wrong_first = "$(x+1)^2 = x^2 + 1$\n$= (x+1)^2$\n$= x^2 + 2x + 1$"
    strict = make(tasks=[IDENTITY], reward=RewardSpec(outcome_weight=0.0, process_weight=1.0,
                                                      aggregation="first_error"))
    strict.reset(seed=0)
    assert strict.step(wrong_first)[1] == 0.0
    lenient = make(tasks=[IDENTITY], reward=RewardSpec(outcome_weight=0.0, process_weight=1.0, aggregation="mean"))
    lenient.reset(seed=0)
    _, mean, _, _, info = lenient.step(wrong_first)
    scores = [s["score"] for s in info["verdict"]["steps"]]
    assert scores[0] == 0.0 and scores[2] > 0.0 and mean == pytest.approx(sum(scores) / 3)
    efficient = make(tasks=[IDENTITY], efficiency_weight=0.5)
    efficient.reset(seed=0)
    long_way = "(x+1)^2 = (x+1)(x+1)\n= x(x+1) + (x+1)\n= x^2 + x + x + 1\n= x^2 + 2x + 1"
    _, reward, _, _, info = efficient.step(long_way)
    assert info["reward_breakdown"]["efficiency"] == pytest.approx(3 / 4)
    assert reward == pytest.approx(1.0 + 0.5 * 3 / 4)


def test_steps_mode_rewards_each_line_and_terminates_at_the_target() -> None:
    env = make(tasks=[EQUATION], mode="steps")
    obs, _ = env.reset(seed=0)
    assert "Derivation so far: (none)" in obs
    obs, reward, terminated, truncated, info = env.step("Subtract 6 from both sides.")
    assert reward == 0.0 and not terminated and not truncated and info["new_steps"] == []
    obs, reward, terminated, _, info = env.step("$2x = 9$")
    assert reward == 0.0 and not terminated and "not valid" in obs  # a wrong step earns nothing
    obs, reward, terminated, _, _ = env.step("$2x = 8$")
    assert reward == 0.0 and not terminated  # 2x = 9 -> 2x = 8 does not follow
    env.reset(seed=0)
    first = env.step("$2x = 8$")[1]
    _, reward, terminated, truncated, info = env.step("$x = 4$")
    # each line earns its progress; the episode's process total is the whole proof's 1, as in mode="single"
    assert 0.0 < first < 0.5 and terminated and not truncated and first + reward == pytest.approx(0.5 * 1.0 + 0.5)
    assert "the proof is complete" in env.unwrapped._observation()
    with pytest.raises(RuntimeError):
        env.step("x = 4")


def test_steps_mode_final_line_ends_and_max_steps_truncates() -> None:
    env = make(tasks=[EQUATION], mode="steps", max_steps=3)
    env.reset(seed=0)
    _, _, terminated, _, info = env.step("$\\boxed{x = 5}$")
    assert terminated and info["reward_breakdown"]["outcome"] == 0.0
    env.reset(seed=0)
    results = [env.step("just thinking") for _ in range(3)]
    assert [r[3] for r in results] == [False, False, True] and not any(r[2] for r in results)


def test_task_sources(tmp_path: Path) -> None:
    path = tmp_path / "proofs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (IDENTITY, EQUATION)) + "\n", encoding="utf-8")
    env = make(tasks=str(path), split=None)
    ids = {env.reset(seed=s)[1]["task_id"] for s in range(20)}
    assert ids == {"sq", "lin"}
    shipped = make(tasks="shipped", split=None)
    _, info = shipped.reset(seed=0)
    assert info["task_id"].startswith("proof-")
    assert shipped.step(shipped.unwrapped.oracle_completion())[1] == pytest.approx(1.0)
    one_kind = make(tasks="derivative", difficulty=4)
    _, info = one_kind.reset(seed=3)
    assert info["kind"] == "derivative" and info["difficulty"] == 4 and info["task_id"].startswith("gen:derivative:4:")
    with pytest.raises(ValueError):
        make(tasks="no-such-kind")
    with pytest.raises(ValueError):
        make(tasks=[{"kind": "identity", "statement": "Prove it.", "lhs": "x"}])  # no rhs
    with pytest.raises(ValueError):
        make(mode="batch")


def test_observation_never_contains_the_solution() -> None:
    env = make(difficulty=[1, 2, 3, 4, 5], split=None)
    for seed in range(30):
        obs, _ = env.reset(seed=seed)
        task = env.unwrapped.task
        assert "solution" not in task.reference
        if task.kind != "identity":
            assert task.meta["solution"][-1] not in obs


def test_train_and_test_splits_are_disjoint() -> None:
    train, test = make(split="train"), make(split="test")
    a = {train.reset(seed=s)[0] for s in range(40)}
    b = {test.reset(seed=s)[0] for s in range(40)}
    assert a and b and not a & b


@pytest.mark.parametrize("seed", range(12))
def test_restating_the_problem_or_guessing_earns_nothing(seed: int) -> None:
    """Found by `rlvrgym bench --policy adversary`: copies of the problem's math and boxed guesses were paid."""
    import re

    env = make()
    for template in ("{m} = {m}", "= {m}\n= {m}\n= {m}", "{m}\n{m}", "The answer is \\boxed{{12345}}.", "$x = x$",
                     "= x\n= x"):
        prompt, _ = env.reset(seed=seed)
        stated = re.findall(r"\$(.+?)\$", env.unwrapped.task.reference.get("statement", prompt))
        completion = template.format(m=stated[-1] if stated else "x")
        _, reward, *_, info = env.step(completion)
        assert reward == 0.0, (info["task_id"], completion, info["verdict"]["steps"])

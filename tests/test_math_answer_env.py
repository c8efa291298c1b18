"""MathAnswer-v0 as users drive it: gym.make, seeding, replay, splits, vector envs, rewards and info."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import rlvrgym
from rlvrgym import RewardSpec
from rlvrgym.envs.spaces import UnicodeText
from rlvrgym.verifiers import Verdict, Verifier


def make(**kwargs: object) -> gym.Env:
    return gym.make("MathAnswer-v0", **kwargs)


def test_check_env_passes() -> None:
    env = make()
    check_env(env.unwrapped, skip_render_check=True)


def test_reset_is_reproducible_and_never_shows_the_answer() -> None:
    env = make()
    for seed in range(20):
        obs1, info1 = env.reset(seed=seed)
        obs2, info2 = env.reset(seed=seed)
        assert obs1 == obs2 and info1["task_id"] == info2["task_id"]
        task = env.unwrapped.task
        assert str(task.reference) not in obs1 or len(str(task.reference)) <= 2
    assert len({make().reset(seed=s)[1]["task_id"] for s in range(20)}) > 10


def test_correct_answer_earns_one_and_info_carries_everything() -> None:
    env = make()
    _obs, info = env.reset(seed=3)
    reference = env.unwrapped.task.reference
    _, reward, terminated, truncated, info = env.step(f"Working...\n\\boxed{{{reference}}}")
    assert (reward, terminated, truncated) == (1.0, True, False)
    for key in ("verdict", "reward_breakdown", "task_id", "seed", "rlvrgym_version"):
        assert key in info
    assert info["verdict"]["status"] == "correct" and info["rlvrgym_version"] == rlvrgym.__version__
    assert set(info["reward_breakdown"]) == {"outcome", "process", "format", "length", "efficiency", "exploration",
                                             "total"}
    json.dumps(info)


def test_wrong_and_malformed_answers_score_zero_with_a_reason() -> None:
    env = make(tasks=[{"question": "What is 2+2?", "answer": "4"}], split=None)
    env.reset(seed=0)
    _, reward, *_, info = env.step("\\boxed{5}")
    assert reward == 0.0 and info["verdict"]["status"] == "wrong"
    env.reset(seed=0)
    _, reward, *_, info = env.step("\\boxed{\\frac{1}{")
    assert reward == 0.0 and info["verdict"]["status"] == "unparseable" and info["verdict"]["reason"]
    env.reset(seed=0)
    _, reward, *_, info = env.step("x" * 70_000)
    assert reward == 0.0 and "limit" in info["verdict"]["reason"]


def test_step_before_reset_and_after_the_end_is_an_error() -> None:
    env = make().unwrapped
    with pytest.raises(RuntimeError, match="reset"):
        env.step("1")
    env.reset(seed=0)
    env.step("1")
    with pytest.raises(RuntimeError, match="reset"):
        env.step("1")


def test_task_id_replays_a_task_for_grpo_groups() -> None:
    env = make()
    obs, info = env.reset(seed=11)
    for _ in range(3):
        obs2, info2 = env.reset(options={"task_id": info["task_id"]})
        assert (obs2, info2["task_id"]) == (obs, info["task_id"])


def test_train_and_test_splits_are_disjoint() -> None:
    train, test = make(split="train"), make(split="test")
    train_prompts = {train.reset(seed=s)[0] for s in range(150)}
    test_prompts = {test.reset(seed=s)[0] for s in range(150)}
    assert train_prompts and test_prompts and not train_prompts & test_prompts
    with pytest.raises(ValueError, match="split"):
        make(split="validation")


def test_vector_env_runs_four_copies() -> None:
    envs = gym.make_vec("MathAnswer-v0", num_envs=4)
    obs, _infos = envs.reset(seed=0)
    assert len(obs) == 4 and len(set(obs)) > 1
    _, rewards, terminated, _, _ = envs.step(["\\boxed{0}"] * 4)
    assert rewards.shape == (4,) and terminated.all()
    envs.close()


def test_text_space_admits_latex_and_non_latin_text() -> None:
    space = UnicodeText(100)
    for text in ("\\frac{1}{2}", "答案是 $\\boxed{5}$", "x² + √2 ≤ ∞\n"):
        assert space.contains(text)
    assert not space.contains("a\x00b") and not space.contains(5) and not space.contains("x" * 101)
    assert space.contains(space.sample())


def test_reward_spec_weights_format_and_length() -> None:
    spec = RewardSpec(outcome_weight=1.0, format_weight=0.2, length_weight=0.5, max_length=100, length_window=50)
    env = make(tasks=[{"question": "1+1?", "answer": "2"}], split=None, reward=spec)
    env.reset(seed=0)
    _, reward, *_, info = env.step("\\boxed{2}")
    assert reward == pytest.approx(1.2) and info["reward_breakdown"]["format"] == 1.0
    env.reset(seed=0)
    _, reward, *_, info = env.step("the answer is 2. " + "padding " * 20)
    assert info["reward_breakdown"]["length"] == 1.0 and reward == pytest.approx(1.0 - 0.5)


def test_tasks_from_jsonl_and_reasoning_chain_records(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    rows = [{"question": "Half of 3?", "thought_chain": ["3/2"], "solution": "\\frac32"},
            {"id": "q2", "question": "2*3?", "answer": "6"}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    env = make(tasks=str(path), split=None)
    obs, _ = env.reset(options={"task_id": "tasks-0"})
    assert obs == "Half of 3?" and env.unwrapped.task.meta["thought_chain"] == ["3/2"]
    assert env.step("\\boxed{1.5}")[1] == 1.0
    obs, _info = env.reset(options={"task_id": "q2"})
    assert env.step("\\boxed{6}")[1] == 1.0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x"}\n{oops\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:2"):
        make(tasks=str(bad))


def test_tasks_from_a_datasets_dataset_with_custom_columns() -> None:
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"problem": ["1+2?", "3+4?"], "target": ["3", "7"]})
    env = make(tasks=ds, question="problem", answer="target", split=None)
    obs, _ = env.reset(seed=1)
    expected = {"1+2?": "3", "3+4?": "7"}[obs]
    assert env.step(f"\\boxed{{{expected}}}")[1] == 1.0


class AlwaysRight(Verifier):
    name = "always-right"

    def judge(self, completion: str, reference: object) -> Verdict:
        return Verdict.right("trusting")


def test_a_custom_verifier_instance_swaps_in() -> None:
    env = make(verifier=AlwaysRight(isolation="inline"))
    env.reset(seed=0)
    assert env.step("anything")[1] == 1.0


def test_difficulty_selects_levels() -> None:
    env = make(difficulty=5)
    _, info = env.reset(seed=0)
    assert info["difficulty"] == 5
    env = make(tasks="arithmetic", difficulty=1)
    _, info = env.reset(seed=0)
    assert info["task_id"].startswith("gen:arithmetic:1:")

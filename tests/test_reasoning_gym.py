"""ReasoningGym-v0: reasoning-gym's datasets with disjoint splits, reproducible seeds and fail-closed scoring.

Needs the optional extra (`pip install 'rlvrgym[reasoning-gym]'`, as the README says); CI installs it.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import rlvrgym  # noqa: F401  (registers the environments)
from rlvrgym.bench import BenchConfig
from rlvrgym.bench.policies import AdversaryPolicy, OraclePolicy
from rlvrgym.bench.runner import run_episodes
from rlvrgym.tasks.reasoning_gym import ReasoningGymSource, build, config_key
from rlvrgym.verifiers import get_verifier, list_verifiers

rg = pytest.importorskip("reasoning_gym")

#: Datasets with a stored answer that their scorer gives full marks (the bench oracle can play them).
DATASETS = ["basic_arithmetic", "caesar_cipher", "word_sorting", "gcd"]


def inline() -> Any:
    return get_verifier("reasoning-gym", isolation="inline")


def test_reasoning_gym_items_overlap_across_adjacent_seeds_and_ours_do_not() -> None:
    """reasoning-gym draws item i from seed + i: splits built from seeds 0 and 1 share items. Ours are split by the
    question text, so a question can only ever be in one split."""
    a = rg.create_dataset("basic_arithmetic", seed=0, size=5)
    b = rg.create_dataset("basic_arithmetic", seed=1, size=5)
    assert a[1]["question"] == b[0]["question"]  # the overlap this source exists to avoid

    source = ReasoningGymSource("basic_arithmetic")
    train = [source.sample(np.random.default_rng(s), "train") for s in range(150)]
    test = [source.sample(np.random.default_rng(10_000 + s), "test") for s in range(150)]
    train_q, test_q = {t.prompt for t in train}, {t.prompt for t in test}
    assert len(train_q) > 100 and len(test_q) > 100
    assert not train_q & test_q
    for task in train[:20]:  # the split is a function of the question alone: a replay lands in the same one
        assert source.get(task.id).meta["split"] == "train"


def test_reset_is_reproducible_and_task_ids_replay_the_task() -> None:
    env = gym.make("ReasoningGym-v0", dataset="caesar_cipher,gcd")
    first = [env.reset(seed=s)[1]["task_id"] for s in range(6)]
    again = [env.reset(seed=s)[1]["task_id"] for s in range(6)]
    assert first == again and len(set(first)) == 6
    obs, info = env.reset(seed=3)
    replay, info2 = env.reset(options={"task_id": info["task_id"]})
    assert replay == obs and info2["task_id"] == info["task_id"]
    answer = env.unwrapped.task.meta["answer"]
    assert answer not in env.unwrapped.task.prompt.split("\n\n")[-1]  # the instruction never carries it
    assert "<answer>" in obs


def test_check_env_passes() -> None:
    env = gym.make("ReasoningGym-v0", dataset="basic_arithmetic")
    check_env(env.unwrapped, skip_render_check=True)


def test_oracle_right_padding_and_guesses_unpaid_by_default_paid_with_partial_credit() -> None:
    source = ReasoningGymSource("basic_arithmetic")
    task = source.make("basic_arithmetic", 12345)
    answer = task.meta["answer"]
    v = inline()
    right = v.verify(f"Working... <answer>{answer}</answer>", task.reference)
    assert right.status == "correct" and right.score == 1.0 and right.details["format_ok"]
    padded = v.verify(f"<answer>{answer} or 7</answer>", task.reference)
    assert padded.status == "wrong" and padded.score == 0.0
    assert 0 < padded.details["scorer_score"] < 1 and "not paid" in padded.reason
    partial = get_verifier("reasoning-gym", isolation="inline", partial_credit=True)
    paid = partial.verify(f"<answer>{answer} or 7</answer>", task.reference)
    assert paid.correct is False and 0 < paid.score < 1


def test_the_last_answer_tag_counts_and_thinking_is_ignored() -> None:
    task = ReasoningGymSource("basic_arithmetic").make("basic_arithmetic", 7)
    answer = task.meta["answer"]
    v = inline()
    assert v.verify(f"<answer>wrong</answer> no wait <answer>{answer}</answer>", task.reference).correct
    assert not v.verify(f"<answer>{answer}</answer> no wait <answer>x</answer>", task.reference).correct
    hidden = v.verify(f"<think><answer>{answer}</answer></think> I give up.", task.reference)
    assert hidden.status == "unparseable"  # an answer only inside <think> is not an answer
    assert v.verify(f"<think>{answer}", task.reference).status == "unparseable"


@pytest.mark.parametrize("completion", ["", "The answer is 5.", "<answer>5", "\\boxed{5}"])
def test_untagged_answers_are_unparseable_with_a_reason(completion: str) -> None:
    task = ReasoningGymSource("gcd").make("gcd", 3)
    verdict = inline().verify(completion, task.reference)
    assert verdict.status == "unparseable" and verdict.score == 0.0 and "answer" in verdict.reason
    assert verdict.details["format_ok"] is False


@pytest.mark.parametrize("reference", [None, "basic_arithmetic", {"dataset": "basic_arithmetic"},
                                       {"dataset": "no_such_dataset", "seed": 1},
                                       {"dataset": "basic_arithmetic", "seed": 1, "config": {"no_field": 1}}])
def test_a_bad_reference_is_an_error_not_a_pass(reference: Any) -> None:
    verdict = inline().verify("<answer>1</answer>", reference)
    assert verdict.status == "error" and verdict.correct is None and verdict.score == 0.0


def test_verifier_is_registered_and_runs_in_a_bounded_worker() -> None:
    assert "reasoning-gym" in list_verifiers()
    task = ReasoningGymSource("gcd").make("gcd", 11)
    v = get_verifier("reasoning-gym")
    verdicts = v.verify_batch([f"<answer>{task.meta['answer']}</answer>", "<answer>-1</answer>"],
                              [task.reference, task.reference])
    assert [x.status for x in verdicts] == ["correct", "wrong"]


def test_dataset_config_reaches_reasoning_gym_and_the_verifier() -> None:
    config = {"min_terms": 2, "max_terms": 2, "min_digits": 1, "max_digits": 1}
    env = gym.make("ReasoningGym-v0", dataset="basic_arithmetic", config=config)
    env.reset(seed=0)
    task = env.unwrapped.task
    _, item = build("basic_arithmetic", config_key(config), task.meta["seed"])
    assert item["metadata"]["num_terms"] == 2
    _, reward, *_ = env.step(f"<answer>{task.meta['answer']}</answer>")
    assert reward == 1.0
    with pytest.raises(ValueError, match="unknown reasoning-gym dataset"):
        gym.make("ReasoningGym-v0", dataset="no_such_dataset")


def test_bench_oracle_scores_everything_and_the_adversary_nothing() -> None:
    envs = ["ReasoningGym-v0"]
    for dataset in DATASETS:
        for policy, expected in ((OraclePolicy(), 1.0), (AdversaryPolicy(), 0.0)):
            records: list[dict[str, Any]] = []
            config = BenchConfig(envs=envs, episodes=8, split="test", plots=False, warmup=False, batch_size=4,
                                 env_kwargs={"ReasoningGym-v0": {"dataset": dataset}})
            run_episodes(policy, config, records.append)
            assert len(records) == 8
            rewards = [r["reward"] for r in records]
            assert rewards == [expected] * 8, (dataset, policy.name, [(r["status"], r["verdict"]) for r in records])

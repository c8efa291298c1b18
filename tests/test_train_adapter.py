"""The TRL adapter without a trainer: datasets carry no answers, reward functions judge with the env's verifier
(once per batch), components apply where they should, and batch problems are counted."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rlvrgym.rewards import RewardSpec
from rlvrgym.tasks.base import Task
from rlvrgym.train.sft import chains_from_env, make_sft_dataset, read_reasoning_chains
from rlvrgym.train.trl_adapter import (
    COMPONENTS,
    make_dataset,
    make_env,
    make_reward_funcs,
    reward_weights,
    status_of,
)
from rlvrgym.verifiers.math.verifier import MathVerifier, reference_text
from rlvrgym.verifiers.verdict import Verdict

ARITH = {"tasks": "arithmetic", "difficulty": 1}


class CountingMathVerifier(MathVerifier):
    """The real math verifier, counting the batches the host asks it to judge."""

    name = "math-counting"
    batches: list[tuple[list[str], list[Any]]] = []  # noqa: RUF012  (a test spy shared across instances)

    def verify_batch(self, completions: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        CountingMathVerifier.batches.append((list(completions), list(references)))
        return super().verify_batch(completions, references)


def boxed(answer: Any) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": f"So the final answer is $\\boxed{{{answer}}}$."}]


def test_dataset_rows_replay_their_task_and_never_carry_the_answer() -> None:
    ds = make_dataset("MathAnswer-v0", 12, seed=3, env_kwargs=ARITH, system_prompt="Think, then answer.")
    assert set(ds.column_names) == {"prompt", "task_id", "env_id"}
    assert len(set(ds["task_id"])) == 12
    env = make_env("MathAnswer-v0", ARITH)
    for row in ds:
        assert [m["role"] for m in row["prompt"]] == ["system", "user"]
        obs, info = env.reset(options={"task_id": row["task_id"]})
        assert row["prompt"][-1]["content"] == obs
        assert info["split"] == "train"
        assert env.task is not None and env.task.meta["split"] == "train"


def test_dataset_splits_are_disjoint_and_plain_text_prompts_work() -> None:
    train = make_dataset("MathAnswer-v0", 40, seed=0, env_kwargs=ARITH, chat=False)
    test = make_dataset("MathAnswer-v0", 40, seed=0, split="test", env_kwargs=ARITH, chat=False)
    assert isinstance(train[0]["prompt"], str)
    assert not set(train["prompt"]) & set(test["prompt"])


def test_dataset_rejects_bad_requests() -> None:
    with pytest.raises(ValueError, match="positive"):
        make_dataset("MathAnswer-v0", 0)
    with pytest.raises(ValueError, match="distinct tasks"):  # a source that can only make three problems
        make_dataset("MathAnswer-v0", 50, env_kwargs={"tasks": ThreeDigits()})


class ThreeDigits:
    """A task source of unknown size (no `in_split`) that only ever draws three problems."""

    name = "three-digits"

    def sample(self, rng: np.random.Generator, split: str | None) -> Task:
        return self.get(f"digit-{int(rng.integers(0, 3))}")

    def get(self, task_id: str) -> Task:
        n = task_id.removeprefix("digit-")
        return Task(task_id, f"Write the digit {n}.", n)


def test_finite_record_sets_give_all_their_tasks_when_fewer_are_there() -> None:
    records = [{"question": f"What is {i} + 1?", "answer": str(i + 1)} for i in range(6)]
    ds = make_dataset("MathAnswer-v0", 50, env_kwargs={"tasks": records})
    assert sorted(ds["task_id"]) == [f"task-{i}" for i in range(6)]


def test_reward_functions_judge_with_the_verifier_once_per_batch() -> None:
    CountingMathVerifier.batches.clear()
    kwargs = {**ARITH, "verifier": CountingMathVerifier()}
    ds = make_dataset("MathAnswer-v0", 2, seed=0, env_kwargs=kwargs)
    funcs = make_reward_funcs("MathAnswer-v0", RewardSpec(format_weight=0.25, length_weight=0.5),
                              env_kwargs=kwargs)
    assert [f.__name__ for f in funcs] == list(COMPONENTS)
    # outcome, process, format, length, efficiency, exploration
    assert reward_weights(funcs) == [1.0, 0.0, 0.25, -0.5, 0.0, 0.0]
    env = make_env("MathAnswer-v0", ARITH)
    refs = [env.tasks.get(t).reference for t in ds["task_id"]]
    completions = [boxed(reference_text(refs[0])), boxed(reference_text(refs[0]) + " + 1"),
                   [{"role": "assistant", "content": "I do not know"}], boxed(reference_text(refs[1]))]
    task_ids = [ds["task_id"][0]] * 3 + [ds["task_id"][1]]
    logged: dict[str, float] = {}
    out = {f.__name__: f(prompts=[None] * 4, completions=completions, task_id=task_ids,
                         log_metric=logged.__setitem__) for f in funcs}
    assert out["outcome"] == [1.0, 0.0, 0.0, 1.0]
    assert out["process"] == [None] * 4  # the math answer verifier judges no steps
    assert out["format"] == [1.0, 1.0, 0.0, 1.0]
    assert out["length"] == [0.0] * 4
    assert len(CountingMathVerifier.batches) == 1  # four components, one verification
    assert CountingMathVerifier.batches[0][1] == [refs[0]] * 3 + [refs[1]]
    assert logged["verdicts/unparseable"] == pytest.approx(0.25)
    assert logged["verdicts/correct"] == pytest.approx(0.5)
    stats = funcs[0].scorer.stats
    assert stats.completions == 4 and stats.statuses == {"correct": 2, "wrong": 1, "unparseable": 1}


def test_all_equal_groups_and_truncated_completions_are_counted() -> None:
    ds = make_dataset("MathAnswer-v0", 2, seed=0, env_kwargs=ARITH)
    eos = 7
    funcs = make_reward_funcs("MathAnswer-v0", env_kwargs=ARITH, eos_token_ids=[eos])
    a, b = ds["task_id"]
    ref_b = funcs[0].scorer.reference(b)
    completions = ["no answer", "still thinking", boxed(reference_text(ref_b)), "nothing"]
    ids = [[1, 2, 3], [4, 5, eos], [1, eos], [9, 9]]  # first and last were cut off without an answer
    logged: dict[str, float] = {}
    funcs[0](prompts=[None] * 4, completions=completions, task_id=[a, a, b, b], completion_ids=ids,
             log_metric=logged.__setitem__)
    assert logged["groups/all_equal_frac"] == 0.5  # group a: 0, 0 (no signal); group b: 1, 0
    assert logged["completions/truncated_without_answer_frac"] == 0.5
    stats = funcs[0].scorer.stats
    assert (stats.all_equal_groups, stats.groups, stats.truncated_without_answer) == (1, 2, 2)


def test_reward_functions_refuse_rows_of_another_environment() -> None:
    ds = make_dataset("MathAnswer-v0", 1, env_kwargs=ARITH)
    funcs = make_reward_funcs("MathAnswer-v0", env_kwargs=ARITH)
    with pytest.raises(ValueError, match="PhysicsSim-v0"):
        funcs[0](prompts=[None], completions=["1"], task_id=ds["task_id"], env_id=["PhysicsSim-v0"])
    with pytest.raises(ValueError, match="outcome"):
        make_reward_funcs("MathAnswer-v0", components=("format",))


def test_process_component_applies_where_the_verifier_judges_steps() -> None:
    ds = make_dataset("PhysicsSim-v0", 2, seed=0)
    funcs = make_reward_funcs("PhysicsSim-v0")
    env = make_env("PhysicsSim-v0")
    env.reset(options={"task_id": ds["task_id"][0]})
    oracle = env.oracle_completion()
    assert oracle is not None
    completions = [oracle, "no idea"]
    out = {f.__name__: f(prompts=[None] * 2, completions=completions, task_id=[ds["task_id"][0]] * 2)
           for f in funcs}
    assert out["outcome"] == [1.0, 0.0]
    assert out["process"][1] is None  # nothing was shown, so no step was judged
    assert funcs[1].weight == env.reward_spec.process_weight


def test_sandbox_faults_are_told_apart_from_other_errors() -> None:
    fault = Verdict.error("sandbox error, no verdict", sandbox={"status": "sandbox_error"})
    assert status_of(fault) == "sandbox_error"
    assert status_of(Verdict.error("crashed")) == "error"
    assert status_of(Verdict.timeout("slow")) == "timeout"


def test_sft_chains_from_generators_end_with_the_answer_the_verifier_reads() -> None:
    records = chains_from_env("MathAnswer-v0", 5, seed=1, env_kwargs={"tasks": "linear_equation", "difficulty": 2})
    ds = make_sft_dataset(records, system_prompt="Be brief.")
    env = make_env("MathAnswer-v0", {"tasks": "linear_equation", "difficulty": 2})
    for rec, row in zip(records, ds, strict=True):
        text = row["completion"][0]["content"]
        assert rec["thought_chain"] and text.startswith(rec["thought_chain"][0])
        env.reset(options={"task_id": rec["task_id"]})
        _, reward, *_ = env.step(text)
        assert reward == 1.0
        assert [m["role"] for m in row["prompt"]] == ["system", "user"]


def test_sft_reasoning_chain_jsonl_is_read_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "chains.jsonl"
    good.write_text(json.dumps({"question": "What is 2+3?", "thought_chain": ["2+3 = 5."], "solution": "5"}) + "\n")
    ds = make_sft_dataset(read_reasoning_chains(good))
    assert ds[0]["completion"][0]["content"] == "2+3 = 5.\nThe final answer is $\\boxed{5}$."
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "What is 2+3?", "solution": "5"}) + "\n")
    with pytest.raises(ValueError, match="thought_chain"):
        read_reasoning_chains(bad)


def test_old_agents_import_paths_still_work_with_a_deprecation_warning() -> None:
    import importlib
    import sys

    import rlvrgym.bench.runner
    import rlvrgym.train.trl_adapter

    for old in [m for m in sys.modules if m.startswith("rlvrgym.agents.")]:
        del sys.modules[old]
    with pytest.warns(DeprecationWarning, match="moved to rlvrgym.train.trl_adapter"):
        old_adapter = importlib.import_module("rlvrgym.agents.trl_adapter")
    assert old_adapter is rlvrgym.train.trl_adapter  # one module object: classes and caches are shared
    with pytest.warns(DeprecationWarning, match="moved to rlvrgym.bench.runner"):
        from rlvrgym.agents.bench.runner import run_episodes
    assert run_episodes is rlvrgym.bench.runner.run_episodes
    with pytest.warns(DeprecationWarning, match="rlvrgym.train.make_dataset"):
        from rlvrgym.agents import make_dataset
    assert make_dataset is rlvrgym.train.trl_adapter.make_dataset
    with pytest.raises(ImportError):
        importlib.import_module("rlvrgym.agents.no_such_module")

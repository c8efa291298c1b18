"""`rlvrgym train study` at a tiny scale: every arm starts from the one SFT checkpoint, results are written, the
control arm is paid for the format only, and the exploration term is the group novelty. No learning margin is
asserted here (that is the study's job at its real size, and noisy)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rlvrgym.rewards import RewardSpec, group_novelty
from rlvrgym.train.trl_adapter import exploration_scores, make_reward_funcs


def test_group_novelty_counts_ngrams_no_sibling_has() -> None:
    a, b, c = "6x = 48 x = 8", "6x = 48 x = 8", "6x = 52 x = 9"
    assert group_novelty([a, b]) == [0.0, 0.0]  # duplicates say nothing new
    scores = group_novelty([a, c])
    # bigrams of a: (6x,=) (=,48) (48,x) (x,=) (=,8); c shares (6x,=) and (x,=): 3 of 5 are a's own
    assert scores == [pytest.approx(3 / 5), pytest.approx(3 / 5)]
    assert group_novelty(["", "x"]) == [0.0, 1.0]
    assert group_novelty(["one", "two"], n=2) == [1.0, 1.0]  # shorter than n: the whole text is one gram
    with pytest.raises(ValueError, match="at least 1"):
        group_novelty(["a"], n=0)


def test_exploration_scores_are_per_group_and_off_by_default() -> None:
    texts = ["a b", "a b", "c d", "x y"]
    assert exploration_scores(texts, ["t1", "t1", "t2", "t2"]) == [0.0, 0.0, 1.0, 1.0]
    assert exploration_scores(["a b"], ["alone"]) == [None]  # no sibling: undefined, not zero
    kwargs = {"tasks": "arithmetic", "difficulty": 1}
    assert [f.component for f in make_reward_funcs("MathAnswer-v0", env_kwargs=kwargs)] == \
        ["outcome", "process", "format", "length"]
    funcs = make_reward_funcs("MathAnswer-v0", RewardSpec(exploration_weight=0.1), env_kwargs=kwargs)
    explore = funcs[-1]
    assert explore.component == "exploration" and explore.weight == 0.1
    out = explore(prompts=["p"] * 4, completions=texts, task_id=["t1", "t1", "t2", "t2"])
    assert out == [0.0, 0.0, 1.0, 1.0]


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from rlvrgym.train.study import StudyConfig, run_study

    out = tmp_path_factory.mktemp("study")
    config = StudyConfig.tiny(output_dir=str(out), keep_models=True)
    return out, run_study(config, log=lambda _: None)


def test_study_arms_start_from_one_checkpoint_and_write_results(tiny_study: tuple[Path, dict[str, Any]]) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    out, study = tiny_study
    for name in ("study.json", "report.md", "accuracy.png", "rewards.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    assert set(study["arms"]) == {"outcome", "process", "format", "exploration"}
    starts = {r["start"] for runs in study["runs"].values() for r in runs}
    assert starts == {str(out / "sft")}
    # every arm moved away from that start (so each one trained from it, not from the random base)
    start = AutoModelForCausalLM.from_pretrained(out / "sft").state_dict()
    base = AutoModelForCausalLM.from_pretrained(out / "base").state_dict()
    assert any(not torch.equal(start[k], base[k]) for k in start)
    for arm in study["arms"]:
        after = AutoModelForCausalLM.from_pretrained(out / "arms" / arm / "seed0").state_dict()
        assert any(not torch.equal(start[k], after[k]) for k in start)
    for arm, row in study["arms"].items():
        for mode in ("greedy", "sampled"):
            assert 0.0 <= row[mode]["ci_low"] <= row[mode]["rate"] <= row[mode]["ci_high"] <= 1.0
            assert row[f"{mode}_vs_start"]["n_tasks"] == study["config"]["eval_n"]
        assert 0.0 <= row["all_equal_group_share"] <= 1.0
        if arm != "outcome":
            assert "sampled_vs_outcome" in row
    report = (out / "report.md").read_text()
    assert "SFT start" in report and "process rewards" in report and "Distillation" in report
    d = study["distill"]
    assert d["student_parameters"] < d["teacher_parameters"] and d["kept"] <= d["sampled"]


def test_control_arm_reward_is_the_format_term_only(tiny_study: tuple[Path, dict[str, Any]]) -> None:
    out, study = tiny_study
    reward = study["arms"]["format"]["reward"]
    assert reward["format_weight"] == 1.0
    assert reward["outcome_weight"] == reward["process_weight"] == reward["exploration_weight"] == 0.0
    records = [json.loads(line) for line in (out / "arms" / "format" / "seed0" / "metrics.jsonl").read_text()
               .splitlines()]
    steps = [r for r in records if "reward" in r]
    assert steps
    for r in steps:  # the trainer's total is exactly the format component
        assert r["reward"] == pytest.approx(r["rewards/format/mean"])
    explore = [json.loads(line) for line in (out / "arms" / "exploration" / "seed0" / "metrics.jsonl").read_text()
               .splitlines()]
    assert all("rewards/exploration/mean" in r for r in explore if "reward" in r)


def test_study_resumes_and_refuses_other_settings(tiny_study: tuple[Path, dict[str, Any]]) -> None:
    from rlvrgym.train.study import StudyConfig, run_study

    out, study = tiny_study
    again = run_study(StudyConfig.tiny(output_dir=str(out), keep_models=True, distill=False), log=lambda _: None)
    assert again["runs"]["outcome"][0]["train_seconds"] == study["runs"]["outcome"][0]["train_seconds"]
    with pytest.raises(ValueError, match="other settings"):
        run_study(StudyConfig.tiny(output_dir=str(out), grpo_lr=0.5), log=lambda _: None)
    with pytest.raises(ValueError, match="unknown arm"):
        StudyConfig(arms=("magic",))

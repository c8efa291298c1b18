"""`rlvrgym train study` at a tiny scale: every arm starts from the one SFT checkpoint, results are written, the
control arm is paid for the format only, and the exploration term is the group novelty. No learning margin is
asserted here (that is the study's job at its real size, and noisy)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rlvrgym.rewards import RewardSpec, group_novelty, novelty_by_group, score_batch
from rlvrgym.train.trl_adapter import make_reward_funcs


def test_group_novelty_counts_ngrams_no_sibling_has() -> None:
    a, b, c = "6x = 48 x = 8", "6x = 48 x = 8", "6x = 52 x = 9"
    assert group_novelty([a, b]) == [0.0, 0.0]  # duplicates say nothing new
    scores = group_novelty([a, c])
    # bigrams of a: (6x,=) (=,48) (48,x) (x,=) (=,8); c shares (6x,=) and (x,=): 3 of 5 are a's own
    assert scores == [pytest.approx(3 / 5), pytest.approx(3 / 5)]
    assert group_novelty(["", "x"]) == [0.0, 1.0]
    assert group_novelty(["alone"]) == [0.0]  # no group, nothing to be novel against
    assert group_novelty(["one", "two"], n=2) == [1.0, 1.0]  # shorter than n: the whole text is one gram
    with pytest.raises(ValueError, match="at least 1"):
        group_novelty(["a"], n=0)


def test_exploration_term_is_per_group_weighted_and_off_by_default() -> None:
    from rlvrgym.verifiers.math.verifier import MathVerifier

    texts = ["a b", "a b", "c d", "x y"]
    groups = ["t1", "t1", "t2", "t2"]
    assert novelty_by_group(texts, groups) == [0.0, 0.0, 1.0, 1.0]
    verifier = MathVerifier()
    spec = RewardSpec(exploration_weight=0.5, exploration_on="all")
    scored = score_batch(texts, ["2"] * 4, verifier, spec, groups=groups)
    assert [s.breakdown.exploration for s in scored] == [0.0, 0.0, 1.0, 1.0]
    assert [s.reward for s in scored] == [0.0, 0.0, 0.5, 0.5]  # all four answers are wrong: novelty is the total
    # the default pays novelty to correct answers only: being wrong in a new way earns nothing
    gated = score_batch(texts, ["2"] * 4, verifier, RewardSpec(exploration_weight=0.5), groups=groups)
    assert [s.reward for s in gated] == [0.0] * 4 and [s.breakdown.exploration for s in gated] == [0.0] * 4
    right = ["so \\boxed{2}", "so \\boxed{2}", "thus the answer is \\boxed{2}", "\\boxed{3} here"]
    paid = score_batch(right, ["2"] * 4, verifier, RewardSpec(exploration_weight=0.5), groups=["t"] * 4)
    assert [s.verdict.correct for s in paid] == [True, True, True, False]
    novel = group_novelty(right)
    assert novel[2] > 0 and novel[3] > 0 and novel[0] == novel[1] == 0.0
    assert [s.breakdown.exploration for s in paid] == [0.0, 0.0, novel[2], 0.0]
    assert [s.reward for s in paid] == [1.0, 1.0, pytest.approx(1.0 + 0.5 * novel[2]), 0.0]
    with pytest.raises(ValueError, match="exploration_on"):
        RewardSpec(exploration_on="wrong")  # type: ignore[arg-type]
    assert [s.breakdown.exploration for s in score_batch(texts, ["2"] * 4, verifier, RewardSpec(), groups=groups)
            ] == [0.0] * 4  # off by default
    assert score_batch(texts, ["2"] * 4, verifier, spec)[2].breakdown.exploration == 0.0  # no groups given
    kwargs = {"tasks": "arithmetic", "difficulty": 1}
    off = next(f for f in make_reward_funcs("MathAnswer-v0", env_kwargs=kwargs) if f.component == "exploration")
    assert off.weight == 0.0  # logged like every term, weighted 0, and never computed (score_batch skips it)
    funcs = make_reward_funcs("MathAnswer-v0", RewardSpec(exploration_weight=0.1), env_kwargs=kwargs)
    explore = next(f for f in funcs if f.component == "exploration")
    assert explore.weight == 0.1 and explore.__name__ == "exploration"  # TRL logs rewards/exploration/mean
    from rlvrgym.train.trl_adapter import make_env

    env = make_env("MathAnswer-v0", kwargs)
    env.reset(seed=0)
    assert env.task is not None
    ids = [env.task.id] * 2 + ["other"] * 0
    assert explore(prompts=["p"] * 2, completions=["same words", "same words"], task_id=ids) == [0.0, 0.0]
    assert explore(prompts=["p"] * 2, completions=["one two", "three four"], task_id=ids) == [0.0, 0.0]  # wrong
    ref = env.task.reference
    right = [f"one two \\boxed{{{ref}}}", f"three four \\boxed{{{ref}}}"]
    assert explore(prompts=["p"] * 2, completions=right, task_id=ids) == group_novelty(right)
    assert min(group_novelty(right)) > 0
    assert off(prompts=["p"] * 2, completions=right, task_id=ids) == [0.0, 0.0]
    every = next(f for f in make_reward_funcs("MathAnswer-v0", RewardSpec(exploration_weight=0.1,
                                                                          exploration_on="all"), env_kwargs=kwargs)
                 if f.component == "exploration")
    assert every(prompts=["p"] * 2, completions=["one two", "three four"], task_id=ids) == [1.0, 1.0]


TINY_TASKS = {"tasks": "identity,simplify", "difficulty": 1}


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from rlvrgym.train.study import StudyConfig, run_study

    out = tmp_path_factory.mktemp("study")
    # two kinds (the by-kind table)
    config = StudyConfig.tiny(output_dir=str(out), env_kwargs=TINY_TASKS)
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
    sft_log = (out / "sft" / "sft_metrics.jsonl").read_text()
    assert '"event": "done"' in sft_log and study["sft"]["steps"] >= 1
    for arm, row in study["arms"].items():
        for mode in ("greedy", "sampled"):
            assert 0.0 <= row[mode]["ci_low"] <= row[mode]["rate"] <= row[mode]["ci_high"] <= 1.0
            assert row[f"{mode}_vs_start"]["n_tasks"] == study["config"]["eval_n"]
        assert 0.0 <= row["all_equal_group_share"] <= 1.0
        if arm != "outcome":
            assert "sampled_vs_outcome" in row
    report = (out / "report.md").read_text()
    assert "SFT start" in report and "process rewards" in report and "Distillation" in report
    # accuracy by kind and level: the groups partition the held-out samples and average back to the total
    for row in (study["start"], *study["arms"].values()):
        for mode in ("greedy", "sampled"):
            groups = row[f"{mode}_by_group"]
            assert groups and all(g.count("@") == 1 for g in groups)
            n = sum(g["n"] for g in groups.values())
            assert sum(g["rate"] * g["n"] for g in groups.values()) / n == pytest.approx(row[mode]["rate"])
    assert len(study["start"]["sampled_by_group"]) == 2 and "| kind@level |" in report
    d = study["distill"]  # a model this small rarely solves anything: then the study says so and goes on
    if "error" in d:
        assert "accepted none" in d["error"] and "Not run" in report
    else:
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
    again = run_study(StudyConfig.tiny(output_dir=str(out), env_kwargs=TINY_TASKS, distill=False), log=lambda _: None)
    assert again["runs"]["outcome"][0]["train_seconds"] == study["runs"]["outcome"][0]["train_seconds"]
    with pytest.raises(ValueError, match="other settings"):
        run_study(StudyConfig.tiny(output_dir=str(out), env_kwargs=TINY_TASKS, grpo_lr=0.5), log=lambda _: None)
    with pytest.raises(ValueError, match="unknown arm"):
        StudyConfig(arms=("magic",))


def test_distill_from_a_bench_run_keeps_only_verified_train_episodes(tmp_path: Path) -> None:
    """A bench run's episodes as the teacher: wrong answers and test-split problems never reach the student."""
    from rlvrgym.tasks.base import split_of
    from rlvrgym.train.distill import SAMPLES_FILE, DistillConfig, distill
    from rlvrgym.train.study import tokenizer_texts
    from rlvrgym.train.tiny import build_tiny_model
    from rlvrgym.train.trl_adapter import draw_tasks, make_env

    kwargs = {"tasks": "equation", "difficulty": 1}
    env = make_env("MathProof-v0", kwargs, split="train")
    test_env = make_env("MathProof-v0", kwargs, split="test")
    episodes = []
    for task in draw_tasks(env, 6, 0):
        env.reset(options={"task_id": task.id})
        episodes.append({"env_id": "MathProof-v0", "task_id": task.id, "prompt": task.prompt,
                         "completion": env.oracle_completion(), "success": True, "steps": 1})
    wrong = dict(episodes[0], completion="x = 1000", success=False)
    test_task = draw_tasks(test_env, 1, 0)[0]
    test_env.reset(options={"task_id": test_task.id})
    leaked = {"env_id": "MathProof-v0", "task_id": test_task.id, "prompt": test_task.prompt,
              "completion": test_env.oracle_completion(), "success": True, "steps": 1}
    other_env = dict(episodes[1], env_id="MathAnswer-v0")
    run = tmp_path / "bench"
    run.mkdir()
    (run / "episodes.jsonl").write_text("\n".join(json.dumps(e) for e in [*episodes, wrong, leaked, other_env]))
    assert split_of(test_task.prompt) == "test"

    student = build_tiny_model(tmp_path / "student0", vocab=400, hidden=16, layers=1, heads=2, kv_heads=1,
                               texts=tokenizer_texts("MathProof-v0", kwargs, n=40))
    result = distill(DistillConfig(teacher=str(run), student=str(student), output_dir=str(tmp_path / "out"),
                                   env_id="MathProof-v0", env_kwargs=kwargs, sft_steps=2, sft_batch=4,
                                   eval_n=4, max_new_tokens=8))
    kept = [json.loads(line) for line in (tmp_path / "out" / SAMPLES_FILE).read_text().splitlines()]
    assert result["kept"] == len(kept) == 6 and result["sampled"] == 8  # 8 MathProof episodes judged
    assert {k["task_id"] for k in kept} == {e["task_id"] for e in episodes}
    assert all(k["final"] == e["completion"] for k, e in zip(kept, episodes, strict=True))
    assert "teacher_eval" not in result and result["student_eval"]["greedy"]["per_task"]  # student evaluated
    assert (tmp_path / "out" / "student" / "model.safetensors").is_file()
    with pytest.raises(ValueError, match="neither a model directory"):
        distill(DistillConfig(teacher=str(run), student="no/such/dir", output_dir=str(tmp_path / "x"),
                              env_id="MathProof-v0", env_kwargs=kwargs))
    with pytest.raises(ValueError, match="teacher's tokenizer"):
        distill(DistillConfig(teacher=str(run), student='{"hidden": 16}', output_dir=str(tmp_path / "y"),
                              env_id="MathProof-v0", env_kwargs=kwargs))


def test_cli_study_prints_before_and_after_and_distill_rejects_bad_input(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rlvrgym.cli import main

    out = tmp_path / "learn"
    assert main(["train", "study", "--tiny", "--arms", "outcome", "--no-distill", "--output-dir", str(out),
                 "--grpo-steps", "1"]) == 0
    printed = capsys.readouterr().out
    assert "before GRPO (SFT start)" in printed and "after GRPO, outcome arm" in printed
    assert json.loads((out / "study.json").read_text())["config"]["grpo_steps"] == 1
    assert main(["train", "study", "--tiny", "--arms", "outcome", "--output-dir", str(out), "--grpo-lr", "0.5"]) == 2
    assert "other settings" in capsys.readouterr().err
    assert main(["train", "distill", "--teacher", str(tmp_path / "none"), "--student", "nowhere",
                 "--env", "MathProof-v0"]) == 2


def test_sft_chains_state_a_proof_once_and_an_answer_after_its_steps() -> None:
    from rlvrgym.train.sft import chain_text, chains_from_env

    proof = chains_from_env("MathProof-v0", 3, env_kwargs={"tasks": "identity", "difficulty": 1})
    for rec in proof:  # the oracle completion is the whole derivation: no second copy in front of it
        assert rec["thought_chain"] == [] and chain_text(rec["thought_chain"], rec["final"]) == rec["final"]
    answer = chains_from_env("MathAnswer-v0", 3, env_kwargs={"tasks": "arithmetic", "difficulty": 1})
    for rec in answer:  # worked steps, then the boxed answer
        assert rec["thought_chain"] and "boxed" in rec["final"]

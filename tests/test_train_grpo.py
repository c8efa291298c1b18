"""GRPO and SFT with TRL on the CPU, on tiny models built offline: the policy moves, the rewards come from our
verifiers, the run leaves its metrics, and SFT then GRPO raises the verified reward on a trivial task."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rlvrgym.rewards import RewardSpec
from rlvrgym.tasks.base import GeneratorSource, Task
from rlvrgym.verifiers.math.verifier import MathVerifier
from rlvrgym.verifiers.verdict import Verdict

ARITH = {"tasks": "arithmetic", "difficulty": 1}


class SpyMathVerifier(MathVerifier):
    """The real math verifier, recording what the host asked it to judge and what it answered."""

    name = "math-spy"
    seen: list[tuple[list[str], list[Any], list[Verdict]]] = []  # noqa: RUF012  (a test spy)

    def verify_batch(self, completions: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        verdicts = super().verify_batch(completions, references)
        SpyMathVerifier.seen.append((list(completions), list(references), verdicts))
        return verdicts


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rlvrgym.tasks.math_generators import MATH_GENERATORS
    from rlvrgym.train.tiny import build_tiny_model, corpus_from_generators

    texts = list(corpus_from_generators({"arithmetic": MATH_GENERATORS["arithmetic"]}, per_generator=60))
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", vocab=400, layers=2, hidden=64, texts=texts)


def test_tiny_model_is_an_ordinary_model_directory(tiny_model: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    tok = AutoTokenizer.from_pretrained(tiny_model)
    assert model.config.model_type == "qwen2" and model.config.vocab_size == len(tok)
    text = tok.apply_chat_template([{"role": "user", "content": "Compute $12 + 30$."}], tokenize=False,
                                   add_generation_prompt=True)
    assert text.endswith("<|im_start|>assistant\n")
    assert tok.decode(tok("Compute $12 + 30$.")["input_ids"]) == "Compute $12 + 30$."
    assert "1" in tok.convert_ids_to_tokens(tok("12")["input_ids"])  # digits are single tokens
    assert model.generation_config.eos_token_id == tok.eos_token_id == tok.convert_tokens_to_ids("<|im_end|>")
    with pytest.raises(ValueError, match="divide"):
        from rlvrgym.train.tiny import tiny_config

        tiny_config("qwen2", 300, 60, 1, 8, 2, 64, 64, {})


def test_tiny_llama_and_bad_sizes(tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    from rlvrgym.train.tiny import build_tiny_model, count_parameters

    path = build_tiny_model(tmp_path / "llama", arch="llama", vocab=300, hidden=32, layers=1, heads=2, kv_heads=1,
                            texts=["Compute $1 + 1$.", "The final answer is $\\boxed{2}$."])
    model = AutoModelForCausalLM.from_pretrained(path)
    assert model.config.model_type == "llama" and model.config.num_hidden_layers == 1
    assert count_parameters(model) < sum(p.numel() for p in model.state_dict().values())  # tied embeddings
    with pytest.raises(ValueError, match="arch"):
        build_tiny_model(tmp_path / "gpt", arch="gpt2", vocab=300, texts=["x"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="vocab_size"):
        build_tiny_model(tmp_path / "small", vocab=100, texts=["x"])


def test_grpo_steps_on_math_answer_move_the_policy_with_verified_rewards(tiny_model: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from rlvrgym.train.grpo import GRPOTrainConfig, train_grpo

    SpyMathVerifier.seen.clear()
    env_kwargs = {**ARITH, "verifier": SpyMathVerifier()}
    # A random model never answers, so outcome is 0 everywhere; the length term differs between completions and
    # gives the groups an advantage, which is what moves the weights in three steps.
    reward = RewardSpec(format_weight=0.5, length_weight=1.0, max_length=48, length_window=40)
    config = GRPOTrainConfig(output_dir=str(tmp_path / "run"), env_kwargs=env_kwargs, num_tasks=8, max_steps=3,
                             num_generations=4, per_device_train_batch_size=8, learning_rate=1e-2,
                             max_completion_length=16, reward=reward, progress=False)
    result = train_grpo("MathAnswer-v0", str(tiny_model), config)

    before = AutoModelForCausalLM.from_pretrained(tiny_model).state_dict()
    after = AutoModelForCausalLM.from_pretrained(result.output_dir).state_dict()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert len(changed) > len(before) // 2

    assert len(SpyMathVerifier.seen) == 3  # one batched verification per step, shared by the four components
    from rlvrgym.train.trl_adapter import make_env

    env = make_env("MathAnswer-v0", ARITH)
    known = {env.tasks.get(t.id).reference for t in _train_tasks(env, 8)}
    for completions, references, verdicts in SpyMathVerifier.seen:
        assert len(completions) == len(verdicts) == 8
        assert set(references) <= known

    records = [json.loads(line) for line in result.metrics_path.read_text().splitlines()]
    steps = [r for r in records if "rewards/outcome/mean" in r]
    assert [r["step"] for r in steps] == [1, 2, 3]
    for r, (_, _, verdicts) in zip(steps, SpyMathVerifier.seen, strict=True):
        assert r["rewards/outcome/mean"] == pytest.approx(np.mean([v.score for v in verdicts]))
        assert r["verdicts/unparseable"] == pytest.approx(np.mean([v.status == "unparseable" for v in verdicts]))
        assert "groups/all_equal_frac" in r and "completions/truncated_without_answer_frac" in r
    assert any(r["rewards/length/std"] > 0 for r in steps)
    assert result.plot_path is not None and result.plot_path.stat().st_size > 10_000
    summary = json.loads((result.output_dir / "summary.json").read_text())
    assert summary["completions"] == 24 and sum(summary["verdict_statuses"].values()) == 24


def _train_tasks(env: Any, n: int) -> list[Task]:
    from rlvrgym.train.trl_adapter import draw_tasks

    return draw_tasks(env, n, seed=0)


def test_grpo_config_rejects_batches_of_partial_groups() -> None:
    from rlvrgym.train.grpo import GRPOTrainConfig

    with pytest.raises(ValueError, match="multiple of num_generations"):
        GRPOTrainConfig(num_generations=3, per_device_train_batch_size=8)
    with pytest.raises(ValueError, match="at least 2"):
        GRPOTrainConfig(num_generations=1, per_device_train_batch_size=8)


def skewed_echo(rng: np.random.Generator, difficulty: int) -> Task:
    """A trivial task: write back the number in the prompt, which is 7 half of the time."""
    n = 7 if rng.random() < 0.5 else int(rng.integers(0, 10))
    return Task("", f"Write the number {n}.\n\nPut your final answer in \\boxed{{}}.", str(n), "echo", difficulty,
                {"solution": []})


@pytest.mark.slow
def test_sft_then_grpo_raises_the_verified_reward(tmp_path: Path) -> None:
    """SFT imitates the answers' distribution, so sampling from it scores about sum(p^2); GRPO maximises the
    verified reward, which at least means always answering the most likely number (0.5), more if it learns to
    copy. Held-out here means fresh draws, scored by sampling as the trainer does."""
    from rlvrgym.train.evaluate import evaluate
    from rlvrgym.train.grpo import GRPOTrainConfig, load_policy, mean_of, train_grpo
    from rlvrgym.train.sft import SFTTrainConfig, train_sft
    from rlvrgym.train.tiny import build_tiny_model

    env_kwargs = {"tasks": GeneratorSource({"echo": skewed_echo}, 1)}
    texts = [skewed_echo(np.random.default_rng(i), 1).prompt for i in range(40)]
    texts += ["The final answer is $\\boxed{7}$."] * 5
    base = build_tiny_model(tmp_path / "base", vocab=300, hidden=64, layers=2, texts=texts)

    sft_dir = train_sft(str(base), SFTTrainConfig(
        output_dir=str(tmp_path / "sft"), env_kwargs=env_kwargs, num_examples=640, max_steps=60,
        learning_rate=3e-3, per_device_train_batch_size=16, logging_steps=10, progress=False))
    sft_log = [json.loads(line) for line in (sft_dir / "sft_metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in sft_log if "loss" in r]
    assert losses[-1] < losses[0] / 5

    def sampled_accuracy(path: Path) -> float:
        model, tok = load_policy(str(path))
        return evaluate(model, tok, "MathAnswer-v0", 128, seed=50_000, env_kwargs=env_kwargs, split="train",
                        max_new_tokens=16, greedy=False).accuracy

    before = sampled_accuracy(sft_dir)
    result = train_grpo("MathAnswer-v0", str(sft_dir), GRPOTrainConfig(
        output_dir=str(tmp_path / "grpo"), env_kwargs=env_kwargs, num_tasks=256, max_steps=40, num_generations=4,
        per_device_train_batch_size=32, learning_rate=2e-3, max_completion_length=16, progress=False))
    after = sampled_accuracy(result.output_dir)
    first, last = mean_of(result.log_history, "reward", slice(0, 10)), mean_of(result.log_history, "reward",
                                                                                slice(-10, None))
    print(f"sampled accuracy {before:.3f} -> {after:.3f}; train reward first 10 steps {first:.3f}, last 10 {last:.3f}")
    assert after >= before + 0.1
    assert last >= first + 0.1


@pytest.mark.slow
def test_cli_builds_warm_starts_and_trains(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rlvrgym.cli import main

    model = tmp_path / "tiny"
    assert main(["train", "tiny-model", str(model), "--vocab", "320", "--hidden", "32", "--layers", "1"]) == 0
    sft = tmp_path / "sft"
    assert main(["train", "sft", "--model", str(model), "--output-dir", str(sft), "--tasks", "arithmetic",
                 "--difficulty", "1", "--num-examples", "32", "--max-steps", "2", "--batch-size", "8",
                 "--learning-rate", "1e-3", "--logging-steps", "1", "--no-progress"]) == 0
    assert (sft / "model.safetensors").exists() and (sft / "sft_metrics.jsonl").exists()
    grpo = tmp_path / "grpo"
    assert main(["train", "--model", str(sft), "--output-dir", str(grpo), "--tasks", "arithmetic",
                 "--difficulty", "1", "--num-tasks", "8", "--max-steps", "2", "--num-generations", "4",
                 "--batch-size", "8", "--learning-rate", "1e-3", "--max-completion-length", "12",
                 "--format-weight", "0.2", "--beta", "0.04", "--task-seed", "1000", "--no-progress"]) == 0
    records = [json.loads(line) for line in (grpo / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "rewards/format/mean" in r] == [1, 2]
    config = json.loads((grpo / "summary.json").read_text())["config"]
    assert config["reward"]["format_weight"] == 0.2 and config["task_seed"] == 1000
    assert (grpo / "rewards.png").exists()
    assert all("kl" in r for r in records if "rewards/format/mean" in r)  # beta > 0 loads a reference model
    assert main(["train", "eval", "--model", str(grpo), "--tasks", "arithmetic", "--difficulty", "1", "--n", "4",
                 "--max-new-tokens", "8", "--json"]) == 0
    evaluation = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert evaluation["n"] == 4 and sum(evaluation["statuses"].values()) == 4
    assert main(["train", "--output-dir", str(grpo)]) == 2  # no --model
    assert main(["train", "--model", str(sft), "--num-generations", "3", "--batch-size", "8"]) == 2

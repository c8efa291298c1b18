"""Multi-turn GRPO rollouts: real episodes of MathProof-v0 in steps mode, the environment's tokens masked out, the
return made of `env.step` rewards."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from rlvrgym.train.multi_turn import Episode, MultiTurnRollout, episode_return, task_index
from rlvrgym.train.trl_adapter import make_dataset, make_env

PROOF = {"mode": "steps", "tasks": "equation", "difficulty": 1}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rlvrgym.train.tiny import build_tiny_model

    env = make_env("MathProof-v0", PROOF)
    texts = []
    for seed in range(30):
        obs, _ = env.reset(seed=seed)
        texts += [obs, env.oracle_completion() or ""]
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", vocab=400, hidden=32, layers=1, texts=texts)


class ScriptedRollout(MultiTurnRollout):
    """Plays the task's known derivation one line per turn instead of sampling, so the outcome is known."""

    def generate(self, trainer: Any, episodes: list[Episode], limits: list[int]) -> list[list[int]]:
        tok = trainer.processing_class
        script = {id(e): (e.env.oracle_completion() or "").split("\n") for e in episodes}
        return [tok(script[id(e)][len(e.rewards)], add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
                for e in episodes]


def test_rollout_plays_episodes_and_masks_the_environment_turns(tiny_model: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    ds = make_dataset("MathProof-v0", 2, seed=0, env_kwargs=PROOF)
    rollout = ScriptedRollout("MathProof-v0", task_index(ds), PROOF, max_turns=5)
    trainer = SimpleNamespace(processing_class=tok, args=SimpleNamespace(max_completion_length=2048))
    prompts = [ds[0]["prompt"], ds[0]["prompt"], ds[1]["prompt"]]
    out = rollout(prompts, trainer)

    env = make_env("MathProof-v0", PROOF)
    for i, row in enumerate([ds[0], ds[0], ds[1]]):
        env.reset(options={"task_id": row["task_id"]})
        lines = (env.oracle_completion() or "").split("\n")
        returns = [env.step(line)[1] for line in lines]  # the same episode played directly
        assert out["episode_return"][i] == pytest.approx(sum(returns))
        assert out["final_outcome"][i] == 1.0 and out["turns"][i] == len(lines)
        ids, mask = out["completion_ids"][i], out["env_mask"][i]
        assert len(ids) == len(mask)
        model_text = tok.decode([t for t, m in zip(ids, mask, strict=True) if m], skip_special_tokens=True)
        env_text = tok.decode([t for t, m in zip(ids, mask, strict=True) if not m], skip_special_tokens=True)
        assert model_text == "".join(lines)
        assert ("Feedback: step 1: valid" in env_text) == (len(lines) > 1)
        assert lines[0] not in env_text.split("Derivation so far:")[0]  # feedback is the env's, not a model echo
    assert out["logprobs"] is None
    assert rollout.stats.completions == 3 and rollout.stats.groups == 1 and rollout.stats.all_equal_groups == 1


def test_rollout_refuses_prompts_it_cannot_replay(tiny_model: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    rollout = MultiTurnRollout("MathProof-v0", {}, PROOF)
    trainer = SimpleNamespace(processing_class=tok, args=SimpleNamespace(max_completion_length=64))
    with pytest.raises(KeyError, match="task index"):
        rollout([[{"role": "user", "content": "Prove that 1 = 1."}]], trainer)
    with pytest.raises(ValueError, match="return_mode"):
        MultiTurnRollout("MathProof-v0", {}, PROOF, return_mode="max")  # type: ignore[arg-type]


def test_episode_return_logs_turns() -> None:
    logged: dict[str, float] = {}
    assert episode_return([None] * 2, [None] * 2, episode_return=[0.5, 1.5], turns=[1, 3],
                          episode_truncated=[False, True], log_metric=logged.__setitem__) == [0.5, 1.5]
    assert logged == {"episodes/turns_mean": 2.0, "episodes/truncated_frac": 0.5}


@pytest.mark.slow
def test_grpo_runs_real_multi_turn_episodes(tiny_model: Path, tmp_path: Path) -> None:
    from rlvrgym.train.grpo import GRPOTrainConfig, train_grpo

    config = GRPOTrainConfig(output_dir=str(tmp_path / "run"), env_kwargs=PROOF, num_tasks=4, max_steps=2,
                             num_generations=2, per_device_train_batch_size=4, learning_rate=1e-3,
                             max_completion_length=400, progress=False)
    result = train_grpo("MathProof-v0", str(tiny_model), config,
                        multi_turn={"max_turns": 3, "max_turn_tokens": 8})
    records = [json.loads(line) for line in result.metrics_path.read_text().splitlines()]
    steps = [r for r in records if "rewards/episode_return/mean" in r]
    assert [r["step"] for r in steps] == [1, 2]
    assert all(1 <= r["episodes/turns_mean"] <= 3 for r in steps)
    assert any(r["episodes/turns_mean"] > 1 for r in steps)  # the environment answered and the model went on
    assert result.completions == 8
    with pytest.raises(ValueError, match=r"env\.step"):
        from rlvrgym.rewards import RewardSpec

        train_grpo("MathProof-v0", str(tiny_model),
                   GRPOTrainConfig(output_dir=str(tmp_path / "bad"), env_kwargs=PROOF, reward=RewardSpec()),
                   multi_turn={"max_turns": 2})


class TwoAttempts(MultiTurnRollout):
    """A wrong program first, then the task's known solution: the code environment's feedback mode."""

    def generate(self, trainer: Any, episodes: list[Episode], limits: list[int]) -> list[list[int]]:
        tok = trainer.processing_class
        wrong = "```python\ndef nothing():\n    pass\n```"
        texts = [wrong if not e.rewards else f"```python\n{e.env.task.meta['solution']}```" for e in episodes]
        return [tok(t, add_special_tokens=False)["input_ids"] + [tok.eos_token_id] for t in texts]


def test_rollout_plays_the_code_environment_feedback_mode(tiny_model: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    code = {"max_attempts": 3, "sandbox": "local", "allow_unsafe": True, "split": None}  # trusted code only
    ds = make_dataset("CodeUnitTest-v0", 2, seed=0, env_kwargs=code)
    rollout = TwoAttempts("CodeUnitTest-v0", task_index(ds), code, max_turns=3, return_mode="last")
    trainer = SimpleNamespace(processing_class=tok, args=SimpleNamespace(max_completion_length=100_000))
    out = rollout([ds[0]["prompt"], ds[1]["prompt"]], trainer)
    assert out["turns"] == [2, 2]  # solved on the second attempt, so the third never happens
    assert out["episode_return"] == [1.0, 1.0] and out["final_outcome"] == [1.0, 1.0]
    for ids, mask in zip(out["completion_ids"], out["env_mask"], strict=True):
        env_text = tok.decode([t for t, m in zip(ids, mask, strict=True) if not m], skip_special_tokens=True)
        assert "Your attempt 1 of 3 did not pass" in env_text
    assert rollout.stats.statuses == {"correct": 2}

"""TRL's environment_factory: our environments as tool-calling environments, driven by TRL's own GRPOTrainer (its
tool schema, its response parser, its tool loop, its `get_reward` column) for two steps with a tiny model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rlvrgym.integrations.trl_env import RlvrgymEnvironment, environment_factory
from rlvrgym.train.trl_adapter import make_dataset
from tests.integration_cases import CODE_KWARGS, right_and_wrong


@pytest.mark.parametrize(("env_id", "kwargs"), [("MathAnswer-v0", None), ("PhysicsSim-v0", None),
                                                ("CodeUnitTest-v0", CODE_KWARGS)])
def test_submit_pays_what_env_step_pays(env_id: str, kwargs: dict[str, Any] | None) -> None:
    cls = environment_factory(env_id, kwargs)
    ds = make_dataset(env_id, 1, seed=3, env_kwargs=kwargs)
    row = ds[0]
    right, wrong = right_and_wrong(env_id, kwargs, row["task_id"])
    env = cls()
    assert env.get_reward() == 0.0
    hint = env.reset(**row)
    assert hint and "submit" in hint
    assert env.get_reward() == 0.0  # nothing submitted, nothing earned
    assert env.submit(right).startswith("correct")
    assert env.get_reward() == 1.0
    assert "already ended" in env.submit(wrong) and env.get_reward() == 1.0  # a second answer changes nothing
    env.reset(**row)
    assert not env.submit(wrong).startswith("correct")
    assert env.get_reward() == 0.0


def test_multi_attempt_code_feedback_and_return_modes() -> None:
    kwargs = {**CODE_KWARGS, "max_attempts": 2}
    row = make_dataset("CodeUnitTest-v0", 1, seed=1, env_kwargs=kwargs)[0]
    right, wrong = right_and_wrong("CodeUnitTest-v0", kwargs, row["task_id"])
    env = environment_factory("CodeUnitTest-v0", kwargs, return_mode="sum")()
    env.reset(**row)
    first = env.submit(wrong)
    assert "did not pass" in first  # the environment's feedback observation comes back to the model
    assert env.submit(right).startswith("correct")
    assert env.get_reward() == pytest.approx(sum(i["reward_breakdown"]["total"] for i in env.infos))
    assert len(env.infos) == 2


def test_without_a_dataset_reset_draws_and_returns_the_prompt() -> None:
    env = environment_factory("MathAnswer-v0", seed=5)()
    text = env.reset()
    assert text and "submit" in text and len(text) > len(env.instructions or "")


def test_factory_rejects_unknown_environments() -> None:
    with pytest.raises(ValueError, match="names no rlvrgym environment"):
        environment_factory("Pong-v5")
    with pytest.raises(TypeError):
        RlvrgymEnvironment()


@pytest.fixture(scope="module")
def tool_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random model whose tokenizer carries TRL's Qwen2.5 chat template (tool calls and their parser)."""
    pytest.importorskip("trl")
    from trl.chat_template_utils import qwen2_5_chat_template

    from rlvrgym.train.tiny import build_tiny_model, corpus_from_generators

    texts = [*corpus_from_generators(per_generator=2), '<tool_call>\n{"name": "submit", "arguments": {"answer": '
             '"x"}}\n</tool_call>', "<tool_response>", "</tool_response>", "tool"]
    out = build_tiny_model(tmp_path_factory.mktemp("trl_env") / "model", vocab=500, hidden=32, layers=1,
                           max_positions=2048, texts=texts)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(out)
    tok.chat_template = qwen2_5_chat_template
    tok.save_pretrained(out)
    return out


def test_grpo_trainer_two_steps_through_environment_factory(tool_model: Path, tmp_path: Path) -> None:
    """TRL renders the `submit` tool into the prompt, parses the tool call out of the completion, calls our
    environment, feeds the result back, and takes the reward from `get_reward`. Generation is scripted (a random
    tiny model never writes a tool call): in each group of two, one rollout submits the right answer and one a
    wrong one, so the logged mean is exactly 0.5 with a nonzero spread."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    env_id = "MathAnswer-v0"
    ds = make_dataset(env_id, 2, seed=0)
    by_prompt = {row["prompt"][-1]["content"]: right_and_wrong(env_id, None, row["task_id"]) for row in ds}
    seen: dict[str, int] = {}
    calls: list[str] = []

    class ScriptedGRPO(GRPOTrainer):
        def _generate_single_turn(self, prompt_ids: list[list[int]], *args: Any, **kwargs: Any) -> Any:
            tok = self.processing_class
            out = []
            for ids in prompt_ids:
                text = tok.decode(ids)
                if "<tool_response>" in text:  # second turn, after our tool answered: close the turn
                    calls.append("final")
                    reply = "Submitted."
                else:
                    problem = next(p for p in by_prompt if p in text)
                    k = seen.get(problem, 0)
                    seen[problem] = k + 1
                    answer = by_prompt[problem][k % 2]
                    calls.append("submit")
                    reply = ('<tool_call>\n' + json.dumps({"name": "submit", "arguments": {"answer": answer}})
                             + '\n</tool_call>')
                out.append(tok(reply, add_special_tokens=False)["input_ids"] + [tok.eos_token_id])
            return out, None

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tool_model)
    tok = AutoTokenizer.from_pretrained(tool_model, padding_side="left")
    args = GRPOConfig(output_dir=str(tmp_path), max_steps=2, num_generations=2, per_device_train_batch_size=4,
                      max_completion_length=256, logging_steps=1, save_strategy="no", report_to="none",
                      disable_tqdm=True, use_cpu=True, bf16=False, seed=0)
    cls = environment_factory(env_id)
    trainer = ScriptedGRPO(model=model, args=args, train_dataset=ds, processing_class=tok, environment_factory=cls)
    assert any(getattr(t, "__name__", "") == "submit" for t in trainer.tools)
    trainer.train()
    logs = [r for r in trainer.state.log_history if f"rewards/{cls.__name__}/mean" in r]
    assert len(logs) == 2
    for r in logs:
        assert r[f"rewards/{cls.__name__}/mean"] == pytest.approx(0.5)
        assert r["reward_std"] > 0
    assert calls.count("submit") == 8 and calls.count("final") == 8


def test_a_row_of_another_environment_is_refused() -> None:
    row = make_dataset("PhysicsSim-v0", 1, seed=0)[0]
    with pytest.raises(ValueError, match="plays MathAnswer-v0"):
        environment_factory("MathAnswer-v0")().reset(**row)

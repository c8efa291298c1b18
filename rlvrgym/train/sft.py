"""Supervised warm-start on reasoning chains with TRL's `SFTTrainer`, the first stage of the two-stage recipe.

A randomly initialised (or weak) model never ends a completion with an answer, so every GRPO group scores 0 and
there is nothing to learn from. SFT on worked solutions teaches the format and a first guess; GRPO then explores
past it. Chains come from a `{"question", "thought_chain", "solution"}` JSONL file, or from our generators' worked
solutions (`task.meta["solution"]`) with the final line written by the environment's own `oracle_completion`,
so the format the model learns is the one the verifier reads.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlvrgym.tasks.base import Task, read_jsonl
from rlvrgym.train.trl_adapter import as_messages, draw_tasks, make_env

SFT_METRICS_FILE = "sft_metrics.jsonl"


@dataclass
class SFTTrainConfig:
    """A supervised warm-start run.

    Args:
        output_dir: where the fine-tuned model, its tokenizer and `sft_metrics.jsonl` go.
        data: a `{"question", "thought_chain", "solution"}` JSONL file; None generates chains from `env_id`.
        env_id: the environment whose tasks (train split) and answer format the chains use when `data` is None.
        env_kwargs: keyword arguments of `gym.make` for `env_id`.
        num_examples: generated chains (ignored with `data`).
        seed: seeds the task draw and the trainer.
        system_prompt: optional system message, as in the GRPO stage (use the same one there).
        max_steps: optimizer steps; None trains `num_train_epochs` epochs.
        num_train_epochs: epochs when `max_steps` is None.
        per_device_train_batch_size: sequences per step.
        learning_rate: peak learning rate (TRL's 2e-5 suits pretrained models; ~1e-3 for a tiny random one).
        max_length: longest tokenized example; longer ones are truncated.
        logging_steps: log every this many steps.
        progress: show a progress bar.
        use_cpu, bf16: None picks what the machine supports (as in `GRPOTrainConfig`).
        sft_kwargs: any other `trl.SFTConfig` field, passed as is.
    """

    output_dir: str = "runs/sft"
    data: str | None = None
    env_id: str = "MathAnswer-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    num_examples: int = 2000
    seed: int = 0
    system_prompt: str | None = None
    max_steps: int | None = None
    num_train_epochs: float = 1.0
    per_device_train_batch_size: int = 16
    learning_rate: float = 2e-5
    max_length: int = 512
    logging_steps: int = 10
    progress: bool = True
    use_cpu: bool | None = None
    bf16: bool | None = None
    sft_kwargs: dict[str, Any] = field(default_factory=dict)


def chain_text(thought_chain: str | Sequence[str], final: str) -> str:
    steps = [thought_chain] if isinstance(thought_chain, str) else [str(s) for s in thought_chain]
    return "\n".join([*(s for s in steps if s.strip()), final])


def boxed_final(answer: Any) -> str:
    return f"The final answer is $\\boxed{{{answer}}}$."


def read_reasoning_chains(path: str | Path) -> list[dict[str, Any]]:
    """Records of a reasoning-chain JSONL file, each checked for the three fields."""
    records = read_jsonl(path)
    if not records:
        raise ValueError(f"{path} has no records")
    for i, rec in enumerate(records, 1):
        missing = [k for k in ("question", "thought_chain", "solution") if k not in rec]
        if missing:
            raise ValueError(f"{path}: record {i} lacks {', '.join(missing)} (expected question, thought_chain, "
                             "solution)")
        if not isinstance(rec["thought_chain"], (str, list)):
            raise ValueError(f"{path}: record {i}: thought_chain must be a string or a list of strings")
    return records


def chains_from_env(env_id: str, n: int, seed: int = 0, env_kwargs: Mapping[str, Any] | None = None
                    ) -> list[dict[str, Any]]:
    """Worked solutions of `n` train-split tasks as reasoning-chain records; the last line is the env's oracle
    completion (the answer stated the way its verifier expects)."""
    env = make_env(env_id, env_kwargs, split="train")
    records = []
    for task in draw_tasks(env, n, seed):
        env.reset(options={"task_id": task.id})
        final = env.oracle_completion()
        if final is None:
            raise ValueError(f"{env_id} cannot state a reference answer (no oracle_completion): give SFT data as a "
                             "question/thought_chain/solution JSONL file instead")
        steps = _steps(task)
        if steps and all(step in final for step in steps):  # the oracle already is the worked solution
            steps = []  # (MathProof-v0): writing it twice would teach the model to repeat its derivation
        records.append({"question": task.prompt, "thought_chain": steps, "final": final, "task_id": task.id})
    return records


def _steps(task: Task) -> list[str]:
    chain = task.meta.get("solution") or task.meta.get("thought_chain") or []
    return [chain] if isinstance(chain, str) else [str(s) for s in chain]


def make_sft_dataset(records: Sequence[Mapping[str, Any]], system_prompt: str | None = None) -> Any:
    """Conversational prompt/completion rows: TRL then computes the loss on the assistant's completion only."""
    from datasets import Dataset

    prompts, completions = [], []
    for rec in records:
        final = rec.get("final") or boxed_final(rec["solution"])
        prompts.append(as_messages(str(rec["question"]), system_prompt))
        completions.append([{"role": "assistant", "content": chain_text(rec["thought_chain"], final)}])
    return Dataset.from_dict({"prompt": prompts, "completion": completions})


def train_sft(model: Any, config: SFTTrainConfig | None = None) -> Path:
    """Fine-tune `model` (directory or hub name) on reasoning chains; returns the output directory, a model
    directory that `train_grpo` (or `rlvrgym train --model`) starts from."""
    from trl import SFTConfig, SFTTrainer

    from rlvrgym.train.grpo import device_flags, load_policy, replace_default_callbacks
    from rlvrgym.train.metrics import MetricsJSONL, ProgressBar

    config = config or SFTTrainConfig()
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    metrics_path = out / SFT_METRICS_FILE
    metrics_path.unlink(missing_ok=True)

    policy, tokenizer = load_policy(model)
    records = (read_reasoning_chains(config.data) if config.data
               else chains_from_env(config.env_id, config.num_examples, config.seed, config.env_kwargs))
    dataset = make_sft_dataset(records, config.system_prompt)
    steps: dict[str, Any] = ({"max_steps": config.max_steps} if config.max_steps
                             else {"num_train_epochs": config.num_train_epochs})
    args = SFTConfig(output_dir=str(out), per_device_train_batch_size=config.per_device_train_batch_size,
                     learning_rate=config.learning_rate, max_length=config.max_length,
                     logging_steps=config.logging_steps, seed=config.seed, save_strategy="no", report_to="none",
                     disable_tqdm=True, **steps, **device_flags(config.use_cpu, config.bf16), **config.sft_kwargs)
    trainer = SFTTrainer(model=policy, args=args, train_dataset=dataset, processing_class=tokenizer,
                         callbacks=[MetricsJSONL(metrics_path, stage="sft")])
    replace_default_callbacks(trainer, ProgressBar("SFT") if config.progress else None)
    start = time.perf_counter()
    trainer.train()
    trainer.save_model(str(out))
    tokenizer.save_pretrained(str(out))
    with metrics_path.open("a", encoding="utf-8") as fh:
        fh.write(f'{{"stage": "sft", "event": "done", "train_seconds": {time.perf_counter() - start:.3f}, '
                 f'"examples": {len(dataset)}}}\n')
    return out

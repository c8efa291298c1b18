"""GRPO on an rlvrgym environment with TRL's `GRPOTrainer`, rewards from the environment's verifier.

Read `train_grpo` top to bottom: tasks become a prompt dataset, the verifier becomes reward functions, TRL does the
sampling, group advantages and policy update, and the run leaves `metrics.jsonl`, `rewards.png` and the model.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rlvrgym.rewards import RewardSpec

METRICS_FILE = "metrics.jsonl"
PLOT_FILE = "rewards.png"
SUMMARY_FILE = "summary.json"


@dataclass
class GRPOTrainConfig:
    """What a GRPO run on our environments is, with TRL's names where TRL has one.

    Args:
        output_dir: where the model, `metrics.jsonl`, `rewards.png` and `summary.json` go.
        env_kwargs: keyword arguments of `gym.make` (e.g. `{"tasks": "arithmetic", "difficulty": 1}`).
        num_tasks: distinct training tasks drawn from the env's train split.
        seed: seeds the trainer, and the task draw unless `task_seed` is set.
        task_seed: first seed of the task draw (tasks come from `reset(seed=task_seed + i)`); after SFT, give GRPO a
            range that does not overlap the SFT chains', or it trains on problems the model has memorised.
        system_prompt: optional system message before each task prompt.
        reward: how a verdict becomes the reward; None uses the environment's own `RewardSpec`.
        max_steps: optimizer steps.
        num_generations: completions per prompt (the GRPO group); the batch must divide by it.
        per_device_train_batch_size: completions per optimizer step (prompts = this / num_generations).
        gradient_accumulation_steps: steps accumulated per update.
        learning_rate: TRL's default 1e-6 suits pretrained models; a tiny random model needs about 1e-3.
        max_completion_length: tokens generated per completion; longer ones are cut (and logged as truncated).
        temperature: sampling temperature of the rollouts.
        beta: KL coefficient against the reference model (0: no reference model is loaded).
        loss_type: TRL loss ("dapo", "grpo", "dr_grpo", "bnpo", ...).
        scale_rewards: "group", "batch" or "none" (Dr. GRPO argues for "none").
        num_iterations: policy updates per generated batch (PPO epochs).
        logging_steps: log (and write a JSONL line) every this many steps.
        save_model: save the final model and tokenizer to `output_dir`.
        plot: write `rewards.png` at the end.
        progress: show a progress bar with the latest rewards.
        use_cpu: None picks the CPU when no CUDA device exists.
        bf16: None uses bf16 on a CUDA device that supports it, fp32 elsewhere.
        grpo_kwargs: any other `trl.GRPOConfig` field, passed as is.
    """

    output_dir: str = "runs/grpo"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    num_tasks: int = 512
    seed: int = 0
    task_seed: int | None = None
    system_prompt: str | None = None
    reward: RewardSpec | None = None
    max_steps: int = 200
    num_generations: int = 8
    per_device_train_batch_size: int = 16
    gradient_accumulation_steps: int = 1
    learning_rate: float = 1e-6
    max_completion_length: int = 256
    temperature: float = 1.0
    beta: float = 0.0
    loss_type: str = "dapo"
    scale_rewards: str = "group"
    num_iterations: int = 1
    logging_steps: int = 1
    save_model: bool = True
    plot: bool = True
    progress: bool = True
    use_cpu: bool | None = None
    bf16: bool | None = None
    grpo_kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task_seed is not None and self.task_seed < 0:
            raise ValueError(f"task_seed must be a non-negative int, got {self.task_seed}")
        if self.num_generations < 2:
            raise ValueError(f"num_generations must be at least 2 (GRPO compares a group), got {self.num_generations}")
        if self.per_device_train_batch_size % self.num_generations:
            raise ValueError(f"per_device_train_batch_size ({self.per_device_train_batch_size}) must be a multiple of "
                             f"num_generations ({self.num_generations}): a batch holds whole groups")
        for name in ("max_steps", "num_tasks", "max_completion_length", "logging_steps"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.learning_rate <= 0 or self.temperature <= 0 or self.beta < 0:
            raise ValueError("need learning_rate > 0, temperature > 0 and beta >= 0")


@dataclass
class TrainResult:
    output_dir: Path
    metrics_path: Path
    plot_path: Path | None
    log_history: list[dict[str, Any]]
    reward_seconds: float
    train_seconds: float
    completions: int


def device_flags(use_cpu: bool | None, bf16: bool | None) -> dict[str, Any]:
    """TRL defaults to bf16, which fails on a CPU without `use_cpu`: pick what the machine can do."""
    import torch

    cuda = torch.cuda.is_available()
    cpu = (not cuda) if use_cpu is None else use_cpu
    if bf16 is None:
        bf16 = (not cpu) and cuda and torch.cuda.is_bf16_supported()
    return {"use_cpu": cpu, "bf16": bf16}


def load_policy(model: Any) -> tuple[Any, Any]:
    """A model directory or hub name (or an already loaded model with its `.name_or_path`) and its tokenizer,
    left-padded as GRPO generation requires."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = model if isinstance(model, (str, Path)) else getattr(model, "name_or_path", None)
    if not path:
        raise ValueError("pass a model directory or name (or a loaded model whose name_or_path is its directory)")
    if isinstance(model, (str, Path)):
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype="auto")
    tokenizer = AutoTokenizer.from_pretrained(str(path), padding_side="left")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if tokenizer.chat_template is None:
        raise ValueError(f"the tokenizer of {path} has no chat template; prompts are chat messages")
    return model, tokenizer


def replace_default_callbacks(trainer: Any, progress: Any | None) -> None:
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(ProgressCallback)
    trainer.remove_callback(PrinterCallback)
    if progress is not None:
        trainer.add_callback(progress)


def train_grpo(env_id: str, model: Any, config: GRPOTrainConfig | None = None,
               multi_turn: dict[str, Any] | None = None) -> TrainResult:
    """Train `model` (a directory, a hub name, or a loaded model) with GRPO on `env_id`; returns where the run's
    files are and the reward-time accounting a throughput benchmark needs.

    `multi_turn` (options of `MultiTurnRollout`: max_turns, max_turn_tokens, return_mode) plays real episodes of a
    multi-turn environment (MathProof-v0 mode="steps", CodeUnitTest-v0 max_attempts>1) instead of single completions.
    """
    from trl import GRPOConfig, GRPOTrainer

    from rlvrgym.train.metrics import MetricsJSONL, ProgressBar, plot_metrics
    from rlvrgym.train.trl_adapter import make_dataset, make_reward_funcs, reward_weights

    config = config or GRPOTrainConfig()
    if multi_turn is not None and config.reward is not None:
        raise ValueError("a multi-turn run takes its rewards from env.step; set the RewardSpec in env_kwargs")
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    metrics_path = out / METRICS_FILE
    metrics_path.unlink(missing_ok=True)

    # 1. the policy, and the tasks it will see (prompts only; the answers stay in the environment)
    policy, tokenizer = load_policy(model)
    task_seed = config.seed if config.task_seed is None else config.task_seed
    dataset = make_dataset(env_id, config.num_tasks, seed=task_seed, split="train",
                           env_kwargs=config.env_kwargs, system_prompt=config.system_prompt)

    # 2. the rewards: one function per RewardSpec component, all judged by the environment's verifier; or, for
    #    multi-turn episodes, the return of `env.step` rewards collected by the rollout
    rollout = None
    if multi_turn is None:
        eos_ids = [i for i in {tokenizer.eos_token_id, tokenizer.pad_token_id} if i is not None]
        reward_funcs: list[Any] = make_reward_funcs(env_id, config.reward, env_kwargs=config.env_kwargs,
                                                    eos_token_ids=eos_ids)
        weights = reward_weights(reward_funcs)
        stats = reward_funcs[0].scorer.stats
    else:
        from rlvrgym.train.multi_turn import MultiTurnRollout, episode_return, final_outcome, task_index

        rollout = MultiTurnRollout(env_id, task_index(dataset), config.env_kwargs,
                                   system_prompt=config.system_prompt, **multi_turn)
        reward_funcs, weights, stats = [episode_return, final_outcome], [1.0, 0.0], rollout.stats

    # 3. TRL does the rest: sample groups, score them, normalise within groups, update the policy
    args = GRPOConfig(
        output_dir=str(out), max_steps=config.max_steps, num_generations=config.num_generations,
        per_device_train_batch_size=config.per_device_train_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps, learning_rate=config.learning_rate,
        max_completion_length=config.max_completion_length, temperature=config.temperature, beta=config.beta,
        loss_type=config.loss_type, scale_rewards=config.scale_rewards, num_iterations=config.num_iterations,
        reward_weights=weights, logging_steps=config.logging_steps, seed=config.seed,
        save_strategy="no", report_to="none", disable_tqdm=True,
        **device_flags(config.use_cpu, config.bf16), **config.grpo_kwargs)
    trainer = GRPOTrainer(model=policy, reward_funcs=reward_funcs, args=args, train_dataset=dataset,
                          processing_class=tokenizer, rollout_func=rollout,
                          callbacks=[MetricsJSONL(metrics_path, stage="grpo")])
    replace_default_callbacks(trainer, ProgressBar(f"GRPO {env_id}") if config.progress else None)
    start = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - start

    # 4. what the run leaves behind
    if config.save_model:
        trainer.save_model(str(out))
        tokenizer.save_pretrained(str(out))
    plot_path = plot_metrics(metrics_path, out / PLOT_FILE, title=f"GRPO on {env_id}") if config.plot else None
    summary = {"env_id": env_id, "config": _jsonable(asdict(config)), "train_seconds": train_seconds,
               "reward_seconds": stats.seconds, "completions": stats.completions,
               "verdict_statuses": dict(stats.statuses), "all_equal_groups": stats.all_equal_groups,
               "groups": stats.groups, "truncated_without_answer": stats.truncated_without_answer}
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
    return TrainResult(out, metrics_path, plot_path, list(trainer.state.log_history), stats.seconds, train_seconds,
                       stats.completions)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def mean_of(log_history: Sequence[dict[str, Any]], key: str, steps: slice = slice(None)) -> float:
    """Mean of a logged metric over a slice of the logging steps (e.g. the first and last ten)."""
    values = [r[key] for r in log_history if isinstance(r.get(key), (int, float))][steps]
    if not values:
        raise KeyError(f"{key!r} was never logged")
    return float(sum(values) / len(values))

"""Distillation, the third training stage: a teacher's verified completions become a smaller student's SFT data.

Rejection sampling: the teacher (a model directory, or a `rlvrgym bench` run directory whose `episodes.jsonl`
already holds its completions) answers train-split problems; only completions our verifier accepts are kept, so
the student never imitates a wrong derivation. The student (a model directory, or a JSON object of tiny-model
sizes built from scratch with the teacher's tokenizer) is fine-tuned on them with TRL's `SFTTrainer`, and teacher
and student are evaluated on the same held-out (test split) problems.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rlvrgym.tasks.base import split_of

SAMPLES_FILE = "distill_samples.jsonl"
RESULT_FILE = "distill.json"
TINY_KEYS = ("vocab", "layers", "hidden", "heads", "kv_heads", "intermediate", "max_positions", "arch", "seed")


@dataclass
class DistillConfig:
    """A distillation run.

    Args:
        teacher: a model directory (or hub name), or a `rlvrgym bench` run directory (with `episodes.jsonl`).
        student: a model directory, or a JSON object of `build_tiny_model` sizes (e.g. '{"hidden": 32}') for a new
            model from scratch that shares the teacher's tokenizer (needs a model directory as teacher).
        output_dir: where the student, `distill_samples.jsonl` and `distill.json` go.
        env_id, env_kwargs: the environment whose train split is sampled and whose verifier filters.
        num_tasks, samples, task_seed: train problems (seeds task_seed...) and teacher samples per problem.
        temperature, max_new_tokens: teacher sampling.
        sft_steps, sft_batch, sft_lr: the student's SFT.
        eval_n, eval_seed, eval_samples: held-out problems for both models (greedy, and sampled per problem).
        seed: seeds sampling and training.
    """

    teacher: str
    student: str
    output_dir: str = "runs/distill"
    env_id: str = "MathAnswer-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    num_tasks: int = 512
    samples: int = 4
    task_seed: int = 200_000
    temperature: float = 1.0
    max_new_tokens: int = 256
    sft_steps: int = 200
    sft_batch: int = 16
    sft_lr: float = 3e-3
    eval_n: int = 200
    eval_seed: int = 10_000
    eval_samples: int = 1
    seed: int = 0


def held_out(path: str | Path, env_id: str, env_kwargs: Mapping[str, Any], n: int, *, seed: int = 10_000,
             max_new_tokens: int = 256, temperature: float = 1.0, samples: int = 1, torch_seed: int = 0
             ) -> dict[str, Any]:
    """Greedy and sampled accuracy on `n` test-split problems, with each problem's results (for paired tests)."""
    import torch

    from rlvrgym.train.evaluate import evaluate
    from rlvrgym.train.grpo import load_policy

    model, tokenizer = load_policy(str(path))
    result: dict[str, Any] = {}
    for mode in ("greedy", "sampled"):
        per_task: dict[str, list[float]] = {}
        examples: list[dict[str, Any]] = []
        for k in range(1 if mode == "greedy" else samples):
            torch.manual_seed(torch_seed + 1000 * k)
            r = evaluate(model, tokenizer, env_id, n, seed=seed, env_kwargs=env_kwargs, max_new_tokens=max_new_tokens,
                         greedy=mode == "greedy", temperature=temperature, keep_samples=n)
            for s in r.samples:
                per_task.setdefault(s["task_id"], []).append(float(s["status"] == "correct"))
            examples = examples or [{k2: s[k2] for k2 in ("prompt", "completion", "status")} for s in r.samples[:3]]
        flat = [x for v in per_task.values() for x in v]
        result[mode] = {"accuracy": float(np.mean(flat)), "per_task": per_task, "examples": examples}
    return result


def teacher_samples(config: DistillConfig) -> tuple[list[dict[str, Any]], int]:
    """Verified teacher completions on train-split problems: `(kept records, completions judged)`."""
    teacher = Path(config.teacher)
    if (teacher / "episodes.jsonl").is_file():
        return samples_from_bench_run(teacher, config.env_id)
    return samples_from_model(config)


def samples_from_bench_run(run_dir: Path, env_id: str) -> tuple[list[dict[str, Any]], int]:
    """Single-turn episodes of `env_id` the verifier judged correct, from a bench run. Episodes on test-split
    problems are dropped (bench plays the test split by default; training on them would leak the held-out set)."""
    from rlvrgym.bench.runner import read_episodes

    episodes = [e for e in read_episodes(run_dir) if e.get("env_id") == env_id]
    if not episodes:
        raise ValueError(f"{run_dir}/episodes.jsonl has no {env_id} episodes")
    kept, seen = [], set()
    for e in episodes:
        if e.get("success") is not True or e.get("steps") != 1 or not e.get("prompt") or e.get("completion") is None:
            continue
        if split_of(str(e["prompt"])) != "train":
            continue
        key = (e["prompt"], e["completion"])
        if key not in seen:
            seen.add(key)
            kept.append({"task_id": e.get("task_id"), "prompt": e["prompt"], "completion": e["completion"]})
    if not kept:
        raise ValueError(f"no correct single-turn train-split episodes of {env_id} in {run_dir} (bench plays the "
                         "test split unless run with --split train)")
    return kept, len(episodes)


def samples_from_model(config: DistillConfig) -> tuple[list[dict[str, Any]], int]:
    """Sample the teacher `samples` times per train problem; keep distinct completions the verifier accepts."""
    import torch

    from rlvrgym.train.grpo import load_policy
    from rlvrgym.train.trl_adapter import VerifiedScorer, as_messages, draw_tasks, make_env

    env = make_env(config.env_id, config.env_kwargs, split="train")
    tasks = draw_tasks(env, config.num_tasks, config.task_seed)
    model, tokenizer = load_policy(config.teacher)
    model.eval()
    scorer = VerifiedScorer(config.env_id, env_kwargs=config.env_kwargs)
    torch.manual_seed(config.seed)
    kept, seen, judged = [], set(), 0
    batch = max(1, 64 // config.samples)
    for i in range(0, len(tasks), batch):
        chunk = tasks[i:i + batch]
        prompts = [tokenizer.apply_chat_template(as_messages(t.prompt), tokenize=False, add_generation_prompt=True)
                   for t in chunk]
        enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**enc, max_new_tokens=config.max_new_tokens, do_sample=True,
                                 temperature=config.temperature, num_return_sequences=config.samples,
                                 pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
        texts = tokenizer.batch_decode(out[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
        ids = [t.id for t in chunk for _ in range(config.samples)]
        verdicts = scorer.score(texts, ids).verdicts
        judged += len(texts)
        for task_id, text, verdict in zip(ids, texts, verdicts, strict=True):
            if verdict.correct is True and (task_id, text) not in seen:
                seen.add((task_id, text))
                kept.append({"task_id": task_id, "prompt": scorer.env.tasks.get(task_id).prompt, "completion": text})
    return kept, judged


def make_student(config: DistillConfig, out: Path) -> Path:
    """The student's starting weights: a model directory as given, or a tiny model from scratch with the
    teacher's tokenizer (so both read the prompts the same way)."""
    spec = config.student.strip()
    if not spec.startswith("{"):
        if not Path(spec).exists():
            raise ValueError(f"--student {spec!r} is neither a model directory nor a JSON object of tiny-model sizes")
        return Path(spec)
    sizes = json.loads(spec)
    unknown = sorted(set(sizes) - set(TINY_KEYS))
    if unknown:
        raise ValueError(f"unknown student size(s) {unknown}; choose from {', '.join(TINY_KEYS)}")
    if not (Path(config.teacher) / "tokenizer.json").is_file():
        raise ValueError("a student built from scratch takes the teacher's tokenizer: give a model directory as "
                         "teacher, or a model directory as student")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    from rlvrgym.train.tiny import tiny_config

    tokenizer = AutoTokenizer.from_pretrained(config.teacher)
    ids = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
           "pad_token_id": tokenizer.pad_token_id}
    hidden = int(sizes.get("hidden", 32))
    cfg = tiny_config(sizes.get("arch", "qwen2"), len(tokenizer), hidden, int(sizes.get("layers", 1)),
                      int(sizes.get("heads", 2)), int(sizes.get("kv_heads", 1)),
                      int(sizes.get("intermediate", 4 * hidden)), int(sizes.get("max_positions", 1024)), ids)
    torch.manual_seed(int(sizes.get("seed", config.seed)))
    model = AutoModelForCausalLM.from_config(cfg)
    model.generation_config = GenerationConfig(**ids)
    path = out / "student_init"
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def distill(config: DistillConfig) -> dict[str, Any]:
    """Rejection-sample the teacher, SFT the student on what the verifier accepted, evaluate both on the same
    held-out problems. Writes `distill_samples.jsonl`, the student and `distill.json` to `output_dir`."""
    from transformers import AutoModelForCausalLM

    from rlvrgym.train.sft import SFTTrainConfig, train_sft
    from rlvrgym.train.tiny import count_parameters

    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    student_init = make_student(config, out)  # bad student input fails before the teacher is sampled
    kept, judged = teacher_samples(config)
    if not kept:
        raise ValueError(f"the verifier accepted none of the teacher's {judged} completions: nothing to distill")
    data = out / SAMPLES_FILE
    with data.open("w", encoding="utf-8") as fh:
        for rec in kept:  # the reasoning-chain schema `rlvrgym train sft --data` reads; the completion is whole
            fh.write(json.dumps({"question": rec["prompt"], "thought_chain": [], "solution": "",
                                 "final": rec["completion"], "task_id": rec["task_id"]}) + "\n")
    student_dir = train_sft(str(student_init), SFTTrainConfig(
        output_dir=str(out / "student"), data=str(data), env_id=config.env_id, env_kwargs=config.env_kwargs,
        seed=config.seed, max_steps=config.sft_steps, per_device_train_batch_size=config.sft_batch,
        learning_rate=config.sft_lr, logging_steps=10, progress=False))
    evals: dict[str, Any] = {}
    teacher_model = None if (Path(config.teacher) / "episodes.jsonl").is_file() else config.teacher
    for who, path in (("teacher", teacher_model), ("student", student_dir)):
        if path is not None:
            evals[who] = held_out(path, config.env_id, config.env_kwargs, config.eval_n, seed=config.eval_seed,
                                  max_new_tokens=config.max_new_tokens, temperature=config.temperature,
                                  samples=config.eval_samples, torch_seed=config.seed)
    params = {who: count_parameters(AutoModelForCausalLM.from_pretrained(str(p))) for who, p in
              (("teacher", teacher_model), ("student", student_dir)) if p is not None}
    result = {"teacher": config.teacher, "student": config.student, "config": asdict(config),
              "sampled": judged, "kept": len(kept), "accept_rate": len(kept) / max(judged, 1),
              "tasks": len({r["task_id"] for r in kept}), "teacher_parameters": params.get("teacher", 0),
              "student_parameters": params["student"], "seconds": time.perf_counter() - began,
              **{f"{who}_eval": e for who, e in evals.items()}}
    (out / RESULT_FILE).write_text(json.dumps(result))
    return result

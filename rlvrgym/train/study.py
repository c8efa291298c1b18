"""`rlvrgym train study`: a controlled experiment that asks whether GRPO on our rewards makes a policy better, and
which reward does it best.

One supervised (SFT) checkpoint, trained from scratch on our generators' worked solutions and deliberately left
imperfect, is the common start of every arm; each arm then runs the same GRPO budget with a different reward:

- `outcome`: the verified final result only (is the derivation complete and correct);
- `process`: outcome plus the step-checked process reward (mean step score of the symbolic step verifier);
- `format`: a control that pays only for the form (every line parses as a step); it must not raise accuracy;
- `exploration`: outcome plus the group-novelty term (`rlvrgym.rewards.group_novelty`).

The default task is MathProof-v0 identities at level 1 (`5(x - 3) = 5 \\cdot x - 5 \\cdot 3`, `= 5x - 15`):
every line is a step the verifier checks symbolically, so a process reward is exact (no reward model) and
meaningful (the first step can be right while the second is wrong, which the outcome alone does not tell apart from
nothing right). It is the default because it is where this model's SFT start generalises partly to unseen problems:
held-out accuracy is measured on test-split problems, which SFT and GRPO never see, and at level 1 each kind has
only 20 to 3,648 distinct problems, so what a model can carry to a test problem is the facts it shares with train
problems. On the kinds a 153k-parameter model cannot carry that way (simplify, derivative, integral and
equation at level 1 stay near 0-33% held-out), GRPO gains nothing measurable (its groups there are mostly
all-equal); the report's table by kind and level shows it for any `--env-kwargs`. GRPO draws its problems from
`task_seed` on, past the SFT chains' seeds.

Each arm runs `seeds` times; every checkpoint is evaluated on the same held-out (test split) problems, greedy and
sampled at temperature 1. The report gives accuracy with Wilson intervals (pooled over seeds with the design-effect
correction of `bench.metrics.clustered_rate`), the arm-minus-start and arm-minus-outcome differences with the
paired bootstrap of `rlvrgym bench compare`, the share of GRPO groups whose rewards were all equal (no signal), and
reward curves. Optionally a smaller student is distilled from the best outcome-arm model (`rlvrgym.train.distill`).
Finished runs are not redone: rerunning with the same `output_dir` resumes.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from rlvrgym.rewards import RewardSpec

ARMS: dict[str, str] = {
    "outcome": "outcome reward only (derivation complete and correct)",
    "process": "outcome + step-checked process reward (mean step score)",
    "format": "control: format term only (every line parses as a step)",
    "exploration": "outcome + exploration (novelty of a correct completion within its GRPO group)",
}
#: MathProof-v0 tasks of the default study (see the module docstring for why these).
DEFAULT_TASKS: dict[str, Any] = {"tasks": "identity", "difficulty": 1}
STUDY_FILE = "study.json"
REPORT_FILE = "report.md"
EVAL_FILE = "eval.json"


@dataclass
class StudyConfig:
    """Sizes of the study; the defaults fit a 2-core CPU in about 45 minutes, `quick()` in a few.

    Model: `vocab`, `hidden`, `layers` (a Qwen2-style model from scratch). SFT: `sft_examples` worked solutions
    from seeds `seed`..., `sft_steps` steps of `sft_batch` at `sft_lr`. GRPO per arm and seed: `grpo_steps` steps
    of `grpo_batch` completions in groups of `num_generations`, learning rate `grpo_lr`, KL `beta`, on
    `num_tasks` problems drawn from `task_seed` on. Rewards: `process_weight` (arm process, beside outcome 1),
    `exploration_weight` (arm exploration). Evaluation: `eval_n` test problems from `eval_seed` on, greedy and
    `eval_samples` samples each at temperature 1. Distillation: a student of `student_hidden` x `student_layers`
    trained on the verified samples of the outcome arm's best model (`distill_tasks` train problems x
    `distill_samples` samples, `distill_steps` SFT steps); `distill=False` skips it.
    """

    output_dir: str = "runs/study"
    env_id: str = "MathProof-v0"
    env_kwargs: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_TASKS))
    arms: tuple[str, ...] = ("outcome", "process", "format", "exploration")
    seeds: int = 3
    seed: int = 0
    vocab: int = 1024
    hidden: int = 64
    layers: int = 2
    sft_examples: int = 2000
    sft_steps: int = 800
    sft_chunk: int = 100
    sft_target: float = 0.3
    val_n: int = 64
    val_seed: int = 900_000
    sft_batch: int = 32
    sft_lr: float = 3e-3
    grpo_steps: int = 200
    grpo_batch: int = 32
    num_generations: int = 8
    grpo_lr: float = 3e-4
    beta: float = 0.0
    temperature: float = 1.0
    max_completion_length: int = 48
    num_tasks: int = 1024
    task_seed: int = 100_000
    process_weight: float = 0.5
    exploration_weight: float = 0.1
    eval_n: int = 200
    eval_seed: int = 10_000
    eval_samples: int = 1
    distill: bool = True
    distill_tasks: int = 256
    distill_samples: int = 4
    distill_steps: int = 100
    student_hidden: int = 32
    student_layers: int = 2
    resamples: int = 10_000

    def __post_init__(self) -> None:
        unknown = [a for a in self.arms if a not in ARMS]
        if unknown or not self.arms:
            raise ValueError(f"unknown arm(s) {unknown}; choose from {', '.join(ARMS)}")
        if self.seeds < 1 or self.eval_n < 1 or self.eval_samples < 1:
            raise ValueError("seeds, eval_n and eval_samples must be at least 1")
        if self.grpo_batch % self.num_generations:
            raise ValueError(f"grpo_batch ({self.grpo_batch}) must be a multiple of num_generations "
                             f"({self.num_generations})")

    @classmethod
    def quick(cls, **overrides: Any) -> StudyConfig:
        """A few minutes on a CPU: one arm, one seed, small evaluation (what `scripts/main.sh` runs)."""
        base = {"arms": ("outcome",), "seeds": 1, "eval_n": 100, "distill": False}
        return cls(**{**base, **overrides})

    @classmethod
    def tiny(cls, **overrides: Any) -> StudyConfig:
        """Seconds per stage: checks the machinery (CI), says nothing about learning."""
        base = {"seeds": 1, "vocab": 400, "hidden": 32, "layers": 1, "sft_examples": 64, "sft_steps": 4,
                "sft_chunk": 2, "val_n": 4, "sft_batch": 16,
                "grpo_steps": 2, "grpo_batch": 8, "num_generations": 4, "num_tasks": 16,
                "max_completion_length": 16, "eval_n": 8, "distill_tasks": 8, "distill_samples": 2,
                "distill_steps": 2, "student_hidden": 16, "student_layers": 1, "resamples": 200}
        return cls(**{**base, **overrides})


def arm_reward(arm: str, config: StudyConfig) -> RewardSpec:
    """The reward of each arm; every arm is judged by the same verifier, only the weights differ."""
    if arm == "outcome":
        return RewardSpec(outcome_weight=1.0)
    if arm == "process":
        return RewardSpec(outcome_weight=1.0, process_weight=config.process_weight, aggregation="mean")
    if arm == "format":
        return RewardSpec(outcome_weight=0.0, format_weight=1.0)
    if arm == "exploration":
        return RewardSpec(outcome_weight=1.0, exploration_weight=config.exploration_weight)
    raise ValueError(f"unknown arm {arm!r}; choose from {', '.join(ARMS)}")


# ------------------------------------------------------------------------------------------------- stages
def tokenizer_texts(env_id: str, env_kwargs: dict[str, Any], n: int = 300, seed: int = 123_456) -> list[str]:
    """Prompts and worked solutions of the study's own task family, so the tokenizer encodes them compactly."""
    from rlvrgym.train.trl_adapter import draw_tasks, make_env

    env = make_env(env_id, env_kwargs, split="train")
    texts = ["system", "user", "assistant"]
    for task in draw_tasks(env, n, seed):
        env.reset(options={"task_id": task.id})
        texts += [task.prompt, env.oracle_completion() or ""]
    return texts


def evaluate_checkpoint(path: str | Path, config: StudyConfig, out: Path) -> dict[str, Any]:
    """Greedy and sampled accuracy on the held-out problems, with every task's result (for paired statistics);
    cached in `out/eval.json`."""
    cached = out / EVAL_FILE
    if cached.is_file():
        return dict(json.loads(cached.read_text()))
    from rlvrgym.train.distill import held_out

    result = held_out(path, config.env_id, config.env_kwargs, config.eval_n, seed=config.eval_seed,
                      max_new_tokens=config.max_completion_length, temperature=config.temperature,
                      samples=config.eval_samples, torch_seed=config.seed)
    out.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(result))
    return result


def build_start(config: StudyConfig, log: Callable[[str], None]) -> tuple[Path, dict[str, Any]]:
    """The common start: a model from scratch, then SFT on worked solutions (seeds `seed`...) in chunks of
    `sft_chunk` steps at a constant learning rate, until greedy accuracy on `val_n` validation problems (train
    split, seeds `val_seed`..., never the test split) reaches `sft_target` or `sft_steps` are spent. Stopping there
    is what makes the start deliberately imperfect whatever the machine's speed: groups then mix right and wrong."""
    from rlvrgym.train.evaluate import evaluate
    from rlvrgym.train.grpo import load_policy
    from rlvrgym.train.sft import SFT_METRICS_FILE, SFTTrainConfig, train_sft
    from rlvrgym.train.tiny import build_tiny_model

    root = Path(config.output_dir)
    sft_dir = root / "sft"
    info_path = sft_dir / "start.json"
    if info_path.is_file():
        return sft_dir, dict(json.loads(info_path.read_text()))
    began = time.perf_counter()
    current = build_tiny_model(root / "base", vocab=config.vocab, hidden=config.hidden, layers=config.layers,
                               seed=config.seed, texts=tokenizer_texts(config.env_id, config.env_kwargs))
    steps, history, logs = 0, [], []
    while steps < config.sft_steps:
        chunk = min(config.sft_chunk, config.sft_steps - steps)
        current = train_sft(str(current), SFTTrainConfig(
            output_dir=str(sft_dir), env_id=config.env_id, env_kwargs=config.env_kwargs,
            num_examples=config.sft_examples, seed=config.seed, max_steps=chunk,
            per_device_train_batch_size=config.sft_batch, learning_rate=config.sft_lr, logging_steps=10,
            progress=False, sft_kwargs={"lr_scheduler_type": "constant"}))
        logs += [{**r, "step": r.get("step", 0) + steps} if "step" in r else r
                 for r in (json.loads(line) for line in (sft_dir / SFT_METRICS_FILE).read_text().splitlines())]
        steps += chunk
        model, tokenizer = load_policy(str(sft_dir))
        val = evaluate(model, tokenizer, config.env_id, config.val_n, seed=config.val_seed,
                       env_kwargs=config.env_kwargs, max_new_tokens=config.max_completion_length, split="train",
                       keep_samples=0).accuracy
        history.append({"steps": steps, "validation_greedy": val, "seconds": time.perf_counter() - began})
        log(f"SFT {steps} steps: validation greedy accuracy {val:.3f} ({time.perf_counter() - began:.0f} s)")
        if val >= config.sft_target:
            break
    (sft_dir / SFT_METRICS_FILE).write_text("".join(json.dumps(r) + "\n" for r in logs))
    info = {"steps": steps, "validation": history, "seconds": time.perf_counter() - began}
    info_path.write_text(json.dumps(info))
    return sft_dir, info


def run_arm(arm: str, seed: int, start: Path, config: StudyConfig, log: Callable[[str], None]) -> dict[str, Any]:
    """One GRPO run from the common start, then its held-out evaluation; cached in its directory."""
    from rlvrgym.train.grpo import SUMMARY_FILE, GRPOTrainConfig, train_grpo
    from rlvrgym.train.metrics import read_metrics

    out = Path(config.output_dir) / "arms" / arm / f"seed{seed}"
    done = out / "run.json"
    if done.is_file():
        return dict(json.loads(done.read_text()))
    began = time.perf_counter()
    result = train_grpo(config.env_id, str(start), GRPOTrainConfig(
        output_dir=str(out), env_kwargs=config.env_kwargs, num_tasks=config.num_tasks, seed=seed,
        task_seed=config.task_seed, reward=arm_reward(arm, config), max_steps=config.grpo_steps,
        num_generations=config.num_generations, per_device_train_batch_size=config.grpo_batch,
        learning_rate=config.grpo_lr, max_completion_length=config.max_completion_length,
        temperature=config.temperature, beta=config.beta, logging_steps=1, progress=False))
    evaluation = evaluate_checkpoint(out, config, out)
    summary = json.loads((out / SUMMARY_FILE).read_text())
    curve = [{k: v for k, v in r.items() if k == "step" or k == "reward" or k.startswith("rewards/")
              or k in ("groups/all_equal_frac", "frac_reward_zero_std", "completions/mean_length")}
             for r in read_metrics(result.metrics_path) if "reward" in r]
    record = {"arm": arm, "seed": seed, "start": str(start), "reward": asdict(arm_reward(arm, config)),
              "train_seconds": result.train_seconds, "reward_seconds": result.reward_seconds,
              "all_equal_groups": summary["all_equal_groups"], "groups": summary["groups"],
              "truncated_without_answer": summary["truncated_without_answer"],
              "completions": summary["completions"], "curve": curve,
              "greedy": evaluation["greedy"]["accuracy"], "sampled": evaluation["sampled"]["accuracy"],
              "seconds": time.perf_counter() - began}
    done.write_text(json.dumps(record))
    log(f"{arm} seed {seed}: greedy {record['greedy']:.3f}, sampled {record['sampled']:.3f}, all-equal groups "
        f"{record['all_equal_groups']}/{record['groups']}, {record['seconds']:.0f} s")
    return record


# ------------------------------------------------------------------------------------------------- statistics
def per_task_matrix(evals: Sequence[dict[str, Any]], mode: str) -> tuple[list[str], list[list[float]]]:
    """Task ids shared by all evaluations, and per task every sample of every evaluation (seeds pooled)."""
    ids = sorted(set.intersection(*(set(e[mode]["per_task"]) for e in evals)))
    return ids, [[x for e in evals for x in e[mode]["per_task"][t]] for t in ids]


def arm_stats(evals: Sequence[dict[str, Any]], mode: str) -> dict[str, Any]:
    from rlvrgym.bench.metrics import clustered_rate

    _, rows = per_task_matrix(evals, mode)
    pooled = clustered_rate(rows)
    return {**pooled, "per_seed": [e[mode]["accuracy"] for e in evals]}


def task_group(task_id: str) -> str:
    """`kind@level` of a generator task id (`gen:<kind>:<level>:<seed>`); other ids are their own group."""
    parts = task_id.split(":")
    return f"{parts[1]}@{parts[2]}" if len(parts) == 4 and parts[0] == "gen" else "other"


def by_group(evals: Sequence[dict[str, Any]], mode: str) -> dict[str, dict[str, float]]:
    """Held-out accuracy per task kind and level (seeds pooled): shows where the start has signal for GRPO (a
    kind it never or always solves gives all-equal groups) and where an arm gained."""
    groups: dict[str, list[float]] = {}
    for e in evals:
        for task_id, values in e[mode]["per_task"].items():
            groups.setdefault(task_group(task_id), []).extend(values)
    return {g: {"rate": float(np.mean(v)), "n": len(v)} for g, v in sorted(groups.items())}


def paired_difference(a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]], mode: str, resamples: int,
                      seed: int = 0) -> dict[str, Any]:
    """B - A over the held-out tasks both saw, each task's value the mean over its seeds and samples; a paired
    bootstrap over tasks (`bench.metrics.paired_bootstrap`, as in `rlvrgym bench compare`)."""
    from rlvrgym.bench.metrics import paired_bootstrap

    ids, _ = per_task_matrix([*a, *b], mode)
    mean = lambda evals, t: float(np.mean([x for e in evals for x in e[mode]["per_task"][t]]))  # noqa: E731
    return paired_bootstrap([mean(a, t) for t in ids], [mean(b, t) for t in ids], resamples=resamples, seed=seed)


def summarize(config: StudyConfig, start_eval: dict[str, Any], runs: dict[str, list[dict[str, Any]]],
              evals: dict[str, list[dict[str, Any]]], distill: dict[str, Any] | None, seconds: float
              ) -> dict[str, Any]:
    arms: dict[str, Any] = {}
    for arm, arm_runs in runs.items():
        groups = sum(r["groups"] for r in arm_runs)
        row: dict[str, Any] = {"description": ARMS[arm], "reward": arm_runs[0]["reward"],
                               "all_equal_group_share": sum(r["all_equal_groups"] for r in arm_runs) / max(groups, 1),
                               "train_seconds": [r["train_seconds"] for r in arm_runs],
                               "truncated_without_answer": sum(r["truncated_without_answer"] for r in arm_runs),
                               "completions": sum(r["completions"] for r in arm_runs)}
        for mode in ("greedy", "sampled"):
            row[mode] = arm_stats(evals[arm], mode)
            row[f"{mode}_by_group"] = by_group(evals[arm], mode)
            row[f"{mode}_vs_start"] = paired_difference([start_eval], evals[arm], mode, config.resamples)
            if arm != "outcome" and "outcome" in evals:
                row[f"{mode}_vs_outcome"] = paired_difference(evals["outcome"], evals[arm], mode, config.resamples)
        arms[arm] = row
    start: dict[str, Any] = {mode: arm_stats([start_eval], mode) for mode in ("greedy", "sampled")}
    start.update({f"{mode}_by_group": by_group([start_eval], mode) for mode in ("greedy", "sampled")})
    goal = None
    if "outcome" in arms:
        d = arms["outcome"]["sampled_vs_start"]
        goal = {"metric": "sampled accuracy (temperature 1), outcome arm pooled over seeds, minus the SFT start",
                "diff": d["diff"], "ci_low": d["ci_low"], "ci_high": d["ci_high"],
                "met": bool(d["diff"] >= 0.10 and d["ci_low"] > 0)}
    return {"config": _jsonable(asdict(config)), "machine": _machine(), "seconds": seconds, "start": start,
            "sft": {},
            "start_in_range": 0.2 <= start["greedy"]["rate"] <= 0.7 or 0.2 <= start["sampled"]["rate"] <= 0.7,
            "arms": arms, "goal": goal, "distill": distill,
            "runs": {arm: [{k: v for k, v in r.items() if k != "curve"} for r in rs] for arm, rs in runs.items()},
            "curves": {arm: [r["curve"] for r in rs] for arm, rs in runs.items()}}


def _machine() -> dict[str, Any]:
    import os

    import torch

    return {"platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
            "cpus": os.cpu_count(), "threads": torch.get_num_threads(), "cuda": torch.cuda.is_available()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


# ------------------------------------------------------------------------------------------------- outputs
def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _ci(row: dict[str, Any]) -> str:
    return f"{_pct(row['rate'])}% [{_pct(row['ci_low'])}, {_pct(row['ci_high'])}]"


def _diff(row: dict[str, Any]) -> str:
    mark = " *" if row["significant"] else ""
    return f"{100 * row['diff']:+.1f} [{100 * row['ci_low']:+.1f}, {100 * row['ci_high']:+.1f}]{mark}"


def stage_seconds(study: dict[str, Any]) -> dict[str, float]:
    """Seconds each stage took when it ran (SFT, the GRPO arms with their evaluations, distillation): a resumed
    study's own wall time leaves out the stages it found done, these do not."""
    arms = sum(float(r.get("seconds", 0.0)) for runs in study["runs"].values() for r in runs)
    distill = study.get("distill") or {}
    return {"sft": float(study.get("sft", {}).get("seconds", 0.0)), "arms": arms,
            "distill": float(distill.get("seconds", 0.0))}


def _time_line(study: dict[str, Any]) -> str:
    t = stage_seconds(study)
    return (f"Time: {sum(t.values()) / 60:.1f} min in all (SFT {t['sft'] / 60:.1f}, GRPO arms with their evaluations "
            f"{t['arms'] / 60:.1f}, distillation {t['distill'] / 60:.1f}; the start's evaluation and the report "
            "not counted)")


def write_report(study: dict[str, Any], out: Path) -> Path:
    cfg = study["config"]
    lines = [f"# GRPO study: {cfg['env_id']} {json.dumps(cfg['env_kwargs'])}", "",
             f"Model from scratch ({cfg['hidden']} hidden x {cfg['layers']} layers, vocab {cfg['vocab']}); SFT "
             f"{study['sft']['steps']} steps x {cfg['sft_batch']} on worked solutions (stopped when greedy "
             f"accuracy on {cfg['val_n']} validation problems reached {cfg['sft_target']} or after "
             f"{cfg['sft_steps']}); every arm: GRPO {cfg['grpo_steps']} "
             f"steps x {cfg['grpo_batch']} completions (groups of {cfg['num_generations']}), lr {cfg['grpo_lr']}, "
             f"beta {cfg['beta']}, problems from seed {cfg['task_seed']} (not SFT's), {cfg['seeds']} seed(s) per "
             f"arm. Held-out: {cfg['eval_n']} test-split problems, greedy and {cfg['eval_samples']} sample(s) at "
             f"temperature {cfg['temperature']}. {_time_line(study)} on {study['machine']['cpus']} CPUs (torch "
             f"{study['machine']['threads']} threads).", "",
             "Accuracy: percent with 95% Wilson interval (seeds pooled; effective size corrected for repeated "
             "tasks). Differences: percentage points, 95% paired-bootstrap interval over tasks (each task's value "
             "the mean over seeds); * = interval excludes 0.", "",
             "| arm | reward | greedy | sampled | sampled - start | greedy - start | sampled - outcome arm | "
             "all-equal groups | per-seed sampled |",
             "|---|---|---|---|---|---|---|---|---|",
             f"| SFT start | - | {_ci(study['start']['greedy'])} | {_ci(study['start']['sampled'])} | | | | | |"]
    for arm, row in study["arms"].items():
        vs_outcome = _diff(row["sampled_vs_outcome"]) if "sampled_vs_outcome" in row else ""
        seeds = ", ".join(_pct(x) for x in row["sampled"]["per_seed"])
        lines.append(f"| {arm} | {row['description']} | {_ci(row['greedy'])} | {_ci(row['sampled'])} | "
                     f"{_diff(row['sampled_vs_start'])} | {_diff(row['greedy_vs_start'])} | {vs_outcome} | "
                     f"{_pct(row['all_equal_group_share'])}% | {seeds} |")
    lines.append("")
    if study["goal"] is not None:
        g = study["goal"]
        lines.append(f"**Goal** (outcome-reward GRPO beats the SFT start by >= 10 points held-out, interval "
                     f"excluding 0; metric: {g['metric']}): {'met' if g['met'] else 'NOT met'} "
                     f"({100 * g['diff']:+.1f} points, [{100 * g['ci_low']:+.1f}, {100 * g['ci_high']:+.1f}]).")
        lines.append("")
    groups = list(study["start"].get("sampled_by_group", {}))
    if len(groups) > 1:
        lines += ["Held-out sampled accuracy by kind and level (start, then each arm, seeds pooled; n = samples):",
                  "", "| kind@level | n | SFT start | " + " | ".join(study["arms"]) + " |",
                  "|---|---|---|" + "---|" * len(study["arms"])]
        for g in groups:
            first = study["start"]["sampled_by_group"][g]
            cells = [_pct(row["sampled_by_group"][g]["rate"]) if g in row.get("sampled_by_group", {}) else ""
                     for row in study["arms"].values()]
            lines.append(f"| {g} | {first['n']} | {_pct(first['rate'])} | " + " | ".join(cells) + " |")
        lines.append("")
    if not study["start_in_range"]:
        lines += ["The SFT start is outside the intended 20-70% band; groups may carry little signal.", ""]
    for name, text in findings(study):
        lines += [f"- **{name}**: {text}"]
    if study.get("distill") and "error" in study["distill"]:
        lines += ["", "## Distillation", "", f"Not run: {study['distill']['error']}"]
    elif study.get("distill"):
        d = study["distill"]
        lines += ["", "## Distillation", "",
                  f"Teacher: {d['teacher']} ({d['teacher_parameters']:,} parameters); student: "
                  f"{d['student_parameters']:,} parameters, SFT on {d['kept']} verified samples of {d['sampled']} "
                  f"({d['accept_rate']:.0%} accepted) from {d['tasks']} train problems.", "",
                  "| model | greedy | sampled |", "|---|---|---|",
                  f"| teacher | {_ci(d['teacher_eval']['greedy'])} | {_ci(d['teacher_eval']['sampled'])} |",
                  f"| student | {_ci(d['student_eval']['greedy'])} | {_ci(d['student_eval']['sampled'])} |", "",
                  f"Student / teacher accuracy: greedy {d['ratio']['greedy']:.2f}, sampled "
                  f"{d['ratio']['sampled']:.2f}."]
    lines += ["", "Plots: `accuracy.png` (held-out accuracy per arm), `rewards.png` (training reward per arm, mean "
              "over seeds). Raw numbers: `study.json`."]
    path = out / REPORT_FILE
    path.write_text("\n".join(lines) + "\n")
    return path


def findings(study: dict[str, Any]) -> list[tuple[str, str]]:
    """Plain statements read off the numbers (no judgement beyond what the intervals say)."""
    arms = study["arms"]
    said: list[tuple[str, str]] = []
    for arm in arms:
        row = arms[arm]
        for mode in ("sampled", "greedy"):
            d = row[f"{mode}_vs_start"]
            verdict = ("raised" if d["ci_low"] > 0 else "lowered" if d["ci_high"] < 0 else "did not significantly "
                       "change")
            said.append((f"{arm}, {mode}", f"{verdict} held-out accuracy against the SFT start ({_diff(d)})."))
    if "process" in arms and "sampled_vs_outcome" in arms["process"]:
        d = arms["process"]["sampled_vs_outcome"]
        helped = ("helped" if d["ci_low"] > 0 else "hurt" if d["ci_high"] < 0 else
                  "made no significant difference")
        said.append(("process rewards", f"adding the process reward to the outcome reward {helped} (sampled "
                                        f"accuracy, process arm - outcome arm: {_diff(d)})."))
    return said


def plot_study(study: dict[str, Any], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    names = ["SFT start", *study["arms"]]
    rows = [study["start"], *study["arms"].values()]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(names)), 4))
    x = np.arange(len(names))
    for i, mode in enumerate(("greedy", "sampled")):
        rates = [r[mode]["rate"] for r in rows]
        err = [[r[mode]["rate"] - r[mode]["ci_low"] for r in rows], [r[mode]["ci_high"] - r[mode]["rate"]
                                                                    for r in rows]]
        ax.bar(x + (i - 0.5) * 0.38, rates, 0.38, yerr=err, capsize=3, label=mode, color=f"C{i}")
    ax.set_xticks(x, names)
    ax.set(ylabel="held-out accuracy", ylim=(0, 1), title="held-out accuracy (95% Wilson intervals)")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    paths.append(out / "accuracy.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for color, (arm, curves) in enumerate(study["curves"].items()):
        for ax, key in zip(axes, ("rewards/outcome/mean", "reward"), strict=True):
            series = [[(r["step"], r[key]) for r in c if isinstance(r.get(key), (int, float))] for c in curves]
            series = [s for s in series if s]
            if not series:
                continue
            steps = sorted({s for ser in series for s, _ in ser})
            means = [np.mean([v for ser in series for s, v in ser if s == step]) for step in steps]
            ax.plot(steps, _smooth(means), label=arm, color=f"C{color}")
    axes[0].set(title="outcome (verified correct) during GRPO, mean over seeds", xlabel="step", ylabel="reward")
    axes[1].set(title="each arm's own total reward", xlabel="step")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "rewards.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def _smooth(values: Sequence[float], window: int = 5) -> list[float]:
    return [float(np.mean(values[max(0, i - window + 1):i + 1])) for i in range(len(values))]


# ------------------------------------------------------------------------------------------------- driver
def run_study(config: StudyConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run (or resume) the study; writes `study.json`, `report.md`, `accuracy.png` and `rewards.png` to
    `config.output_dir` and returns the study dict."""
    root = Path(config.output_dir)
    root.mkdir(parents=True, exist_ok=True)
    saved = root / "config.json"
    if saved.is_file():
        previous = json.loads(saved.read_text())
        changed = [f.name for f in fields(config) if f.name not in ("arms", "seeds", "output_dir", "distill",
                                                                   "resamples")
                   and _jsonable(getattr(config, f.name)) != previous.get(f.name)]
        if changed:
            raise ValueError(f"{root} holds a study with other settings ({', '.join(changed)}); pick another "
                             "output directory or remove it")
    saved.write_text(json.dumps(_jsonable(asdict(config)), indent=2))
    began = time.perf_counter()
    start, start_info = build_start(config, log)
    start_eval = evaluate_checkpoint(start, config, root / "sft")
    log(f"SFT start held-out: greedy {start_eval['greedy']['accuracy']:.3f}, sampled "
        f"{start_eval['sampled']['accuracy']:.3f}")
    runs: dict[str, list[dict[str, Any]]] = {arm: [] for arm in config.arms}
    evals: dict[str, list[dict[str, Any]]] = {arm: [] for arm in config.arms}
    for seed in range(config.seeds):  # seeds outer: a run cut short still has every arm at equal seeds
        for arm in config.arms:
            runs[arm].append(run_arm(arm, seed, start, config, log))
            evals[arm].append(json.loads((root / "arms" / arm / f"seed{seed}" / EVAL_FILE).read_text()))
    distill = None
    if config.distill and "outcome" in config.arms:
        distill = distill_from_best(config, runs["outcome"], log)
    study = summarize(config, start_eval, runs, evals, distill, time.perf_counter() - began)
    study["sft"] = start_info
    (root / STUDY_FILE).write_text(json.dumps(study, indent=1))
    write_report(study, root)
    plot_study(study, root)
    return study


def distill_from_best(config: StudyConfig, outcome_runs: Sequence[dict[str, Any]], log: Callable[[str], None]
                      ) -> dict[str, Any]:
    """Third stage: the outcome arm's best seed (by sampled held-out accuracy) teaches a smaller student."""
    from rlvrgym.train.distill import DistillConfig, distill

    best = max(outcome_runs, key=lambda r: r["sampled"])
    teacher = Path(config.output_dir) / "arms" / "outcome" / f"seed{best['seed']}"
    try:
        result = distill(DistillConfig(
            teacher=str(teacher), student=json.dumps({"hidden": config.student_hidden, "layers": config.student_layers,
                                                     "heads": 2, "kv_heads": 1}),
            output_dir=str(Path(config.output_dir) / "distill"), env_id=config.env_id, env_kwargs=config.env_kwargs,
            num_tasks=config.distill_tasks, samples=config.distill_samples, task_seed=config.task_seed + 500_000,
            sft_steps=config.distill_steps, sft_batch=config.sft_batch, sft_lr=config.sft_lr,
            max_new_tokens=config.max_completion_length, eval_n=config.eval_n, eval_seed=config.eval_seed,
            seed=config.seed))
    except ValueError as exc:  # e.g. the teacher solved nothing: the study still reports its arms
        log(f"distillation skipped: {exc}")
        return {"teacher": str(teacher), "error": str(exc)}
    evals = {who: {mode: arm_stats([result[f"{who}_eval"]], mode) for mode in ("greedy", "sampled")}
             for who in ("teacher", "student")}
    ratio = {mode: (evals["student"][mode]["rate"] / evals["teacher"][mode]["rate"]
                    if evals["teacher"][mode]["rate"] else float("nan")) for mode in ("greedy", "sampled")}
    log(f"distilled: teacher sampled {evals['teacher']['sampled']['rate']:.3f}, student "
        f"{evals['student']['sampled']['rate']:.3f}")
    return {**{k: v for k, v in result.items() if not k.endswith("_eval")}, "teacher_eval": evals["teacher"],
            "student_eval": evals["student"], "ratio": ratio}

"""What a training run leaves behind for people: a live progress bar, a metrics JSONL, and a PNG of the rewards.

The JSONL is one object per logging step (the trainer's log dict plus `stage` and `step`), so a run can be plotted
or compared later without TensorBoard or a tracking service.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

#: Logged keys shown next to the progress bar, with their short labels.
PROGRESS_KEYS = {"reward": "reward", "rewards/outcome/mean": "outcome", "loss": "loss",
                 "completions/clipped_ratio": "clipped", "frac_reward_zero_std": "zero-std"}


class MetricsJSONL(TrainerCallback):
    """Appends every log of the trainer to `path` as one JSON line."""

    def __init__(self, path: str | Path, stage: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.stage = stage
        self.start = time.perf_counter()

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
               logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not logs:
            return
        record = {"stage": self.stage, "step": state.global_step,
                  "elapsed_s": round(time.perf_counter() - self.start, 3)}
        record.update({k: v for k, v in logs.items() if isinstance(v, (int, float, str, bool)) or v is None})
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


class ProgressBar(TrainerCallback):
    """One tqdm bar per run with the latest reward components, instead of transformers' printed dicts."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.bar: Any = None

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                       **kwargs: Any) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=state.max_steps, desc=self.description, dynamic_ncols=True)

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
               logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if self.bar is not None and logs:
            shown = {label: f"{logs[k]:.3g}" for k, label in PROGRESS_KEYS.items()
                     if isinstance(logs.get(k), (int, float))}
            self.bar.set_postfix(shown, refresh=False)

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                     **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def reward_keys(records: Sequence[dict[str, Any]]) -> list[str]:
    """The total reward and every `rewards/<component>/mean` the run logged, in a stable order."""
    keys = sorted({k for r in records for k in r if k.startswith("rewards/") and k.endswith("/mean")})
    return (["reward"] if any("reward" in r for r in records) else []) + keys


def plot_metrics(metrics_path: str | Path, png_path: str | Path, title: str = "") -> Path:
    """Reward components over steps (left) and completion length and clipped share (right), one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [r for r in read_metrics(metrics_path) if r.get("stage", "grpo") == "grpo"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for key in reward_keys(records):
        points = [(r["step"], r[key]) for r in records if isinstance(r.get(key), (int, float))
                  and math.isfinite(r[key])]
        if points:
            left.plot(*zip(*points, strict=True), label=key.removeprefix("rewards/").removesuffix("/mean"),
                      marker="." if len(points) < 30 else None)
    left.set(xlabel="step", ylabel="reward (unweighted components)", title="rewards")
    left.legend(loc="best", fontsize=8)
    left.grid(alpha=0.3)
    for key, style in (("completions/mean_length", "-"), ("completions/clipped_ratio", "--")):
        points = [(r["step"], r[key]) for r in records if isinstance(r.get(key), (int, float))]
        if points:
            axis = right if key.endswith("length") else right.twinx()
            axis.plot(*zip(*points, strict=True), style, label=key, color="C0" if style == "-" else "C3")
            axis.set_ylabel(key.split("/")[-1].replace("_", " "))
    right.set(xlabel="step", title="completions")
    right.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    out = Path(png_path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out

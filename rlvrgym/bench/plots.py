"""The run's pictures: reward distribution, pass@k curve and success by difficulty, one panel per environment."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rlvrgym.bench.summary import by_env

#: Verdict statuses in the reward histogram, coloured by how the episode ended.
STATUS_COLORS = {"correct": "C2", "wrong": "C3", "unparseable": "C1", "timeout": "C4", "error": "C5",
                 "policy_error": "C7", "env_error": "C8", "max_steps": "C9"}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _panels(plt: Any, n: int, title: str) -> tuple[Any, list[Any]]:
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n + 0.6, 3.6), squeeze=False)
    fig.suptitle(title)
    return fig, list(axes[0])


def plot_rewards(records: Sequence[dict[str, Any]], path: Path, label: str) -> Path:
    plt = _pyplot()
    groups = by_env(records)
    fig, axes = _panels(plt, len(groups), f"reward per episode: {label}")
    for ax, (env_id, rs) in zip(axes, groups.items(), strict=True):
        rewards = np.array([r["reward"] for r in rs], dtype=float)
        low, high = min(0.0, rewards.min()), max(1.0, rewards.max())
        statuses = sorted({str(r["status"]) for r in rs}, key=lambda s: (s not in STATUS_COLORS, s))
        stacks = [[r["reward"] for r in rs if str(r["status"]) == s] for s in statuses]
        ax.hist(stacks, bins=np.linspace(low, high, 21), stacked=True, edgecolor="white", label=statuses,
                color=[STATUS_COLORS.get(s, "C7") for s in statuses])
        ax.axvline(rewards.mean(), color="black", linestyle="--", label=f"mean {rewards.mean():.3f}")
        ax.set(title=env_id, xlabel="episode reward", ylabel="episodes")
        ax.legend(fontsize=8)
    return _save(plt, fig, path)


def plot_pass_at_k(summary: dict[str, dict[str, Any]], path: Path, label: str) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for env_id, m in summary.items():
        ks = [int(k) for k in m["pass_at_k"]]
        ax.plot(ks, [m["pass_at_k"][str(k)] for k in ks], marker="o", label=env_id)
    ax.set(title=f"pass@k (unbiased estimator): {label}", xlabel="k", ylabel="pass@k", ylim=(-0.02, 1.02))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(plt, fig, path)


def plot_difficulty(summary: dict[str, dict[str, Any]], path: Path, label: str) -> Path:
    plt = _pyplot()
    fig, axes = _panels(plt, len(summary), f"success rate by difficulty (95% CI): {label}")
    for ax, (env_id, m) in zip(axes, summary.items(), strict=True):
        levels = list(m["by_difficulty"])
        rates = np.array([m["by_difficulty"][d]["rate"] for d in levels])
        err = np.array([[r - m["by_difficulty"][d]["ci_low"] for d, r in zip(levels, rates, strict=True)],
                        [m["by_difficulty"][d]["ci_high"] - r for d, r in zip(levels, rates, strict=True)]])
        err = np.clip(np.nan_to_num(err), 0, 1)  # rounding at 0% and 100% must not make a bar's error negative
        ax.bar(levels, rates, yerr=err, capsize=4, color="C2")
        for x, d in enumerate(levels):
            ax.annotate(f"n={m['by_difficulty'][d]['n']}", (x, 0.02), ha="center", fontsize=7)
        ax.set(title=env_id, xlabel="difficulty", ylabel="success rate", ylim=(0, 1.05))
    return _save(plt, fig, path)


def _save(plt: Any, fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_plots(records: Sequence[dict[str, Any]], summary: dict[str, dict[str, Any]], run_dir: Path,
                label: str) -> list[Path]:
    plots = run_dir / "plots"
    return [plot_rewards(records, plots / "reward_distribution.png", label),
            plot_pass_at_k(summary, plots / "pass_at_k.png", label),
            plot_difficulty(summary, plots / "success_by_difficulty.png", label)]

"""Two runs side by side: every metric of both, the difference B - A, and whether it is significant by a paired
bootstrap over the tasks both runs played (same seeds give the same tasks, so each task is its own control)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from rlvrgym.bench.metrics import paired_bootstrap, pass_at_k
from rlvrgym.bench.runner import read_episodes
from rlvrgym.bench.summary import TaskKey, by_env, by_task

#: Per-task quantities compared: name -> (records of one task) -> value.
PER_TASK = {
    "success": lambda rs: float(np.mean([r["success"] for r in rs])),
    "reward": lambda rs: float(np.mean([r["reward"] for r in rs])),
    "steps": lambda rs: float(np.mean([r["steps"] for r in rs])),
}


def _pass_k(k: int) -> Any:
    return lambda rs: pass_at_k(len(rs), sum(bool(r["success"]) for r in rs), k)


def _component(name: str) -> Any:
    return lambda rs: float(np.mean([(r.get("reward_breakdown") or {}).get(name, 0.0) for r in rs]))


def compare_runs(run_a: str | Path, run_b: str | Path, resamples: int = 10_000, seed: int = 0) -> dict[str, Any]:
    """Metrics per environment both runs played: value in A, value in B, B - A with its 95% interval and p-value.

    Only tasks present in both runs (same task index and task id) are compared; the counts say how many.
    """
    a_env, b_env = by_env(read_episodes(run_a)), by_env(read_episodes(run_b))
    shared = [e for e in a_env if e in b_env]
    if not shared:
        raise ValueError(f"the runs share no environment: A has {sorted(a_env)}, B has {sorted(b_env)}")
    out: dict[str, Any] = {"run_a": str(run_a), "run_b": str(run_b), "resamples": resamples, "envs": {}}
    for env_id in shared:
        a_tasks, b_tasks = by_task(a_env[env_id]), by_task(b_env[env_id])
        keys: list[TaskKey] = [k for k in a_tasks if k in b_tasks]
        if not keys:
            raise ValueError(f"{env_id}: the runs played no task in common; rerun with the same --seed and "
                             "--episodes (and environment options) to compare them")
        samples = min(min(len(a_tasks[k]), len(b_tasks[k])) for k in keys)
        metrics = dict(PER_TASK)
        for k in sorted({1, samples}):
            metrics[f"pass@{k}"] = _pass_k(k)
        components = sorted({c for r in [*a_env[env_id], *b_env[env_id]] for c in r.get("reward_breakdown") or {}}
                            - {"total"})
        for c in components:
            metrics[f"reward: {c}"] = _component(c)
        rows = {}
        for name, fn in metrics.items():
            a_vals = [fn(a_tasks[k][:samples] if name.startswith("pass@") else a_tasks[k]) for k in keys]
            b_vals = [fn(b_tasks[k][:samples] if name.startswith("pass@") else b_tasks[k]) for k in keys]
            test = paired_bootstrap(a_vals, b_vals, resamples=resamples, seed=seed)
            rows[name] = {"a": float(np.mean(a_vals)), "b": float(np.mean(b_vals)), **test}
        for who, env_records in (("a", a_env[env_id]), ("b", b_env[env_id])):
            for part in ("policy_s", "verify_s"):
                values = [r[part] for r in env_records if part == "policy_s" or r["steps"]]
                rows.setdefault(f"{part.removesuffix('_s')} latency p50 (s)", {})[who] = (
                    float(np.percentile(values, 50)) if values else float("nan"))
        statuses = {who: dict(Counter(str(r["status"]) for r in recs)) for who, recs in
                    (("a", a_env[env_id]), ("b", b_env[env_id]))}
        out["envs"][env_id] = {"paired_tasks": len(keys), "tasks_a": len(a_tasks), "tasks_b": len(b_tasks),
                               "samples": samples, "metrics": rows, "statuses": statuses}
    return out


def print_comparison(result: dict[str, Any], name_a: str, name_b: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 140))
    for env_id, env in result["envs"].items():
        table = Table("metric", name_a, name_b, "B - A", "95% CI", "p", "significant",
                      title=f"{env_id}: {env['paired_tasks']} paired tasks x {env['samples']} samples "
                            f"(paired bootstrap, {result['resamples']} resamples)", header_style="bold")
        for metric, row in env["metrics"].items():
            if "diff" not in row:
                table.add_row(metric, f"{row['a']:.4f}", f"{row['b']:.4f}", "", "", "", "")
                continue
            color = ("green" if row["diff"] > 0 else "red") if row["significant"] else "dim"
            table.add_row(metric, f"{row['a']:.3f}", f"{row['b']:.3f}", f"[{color}]{row['diff']:+.3f}[/]",
                          f"[{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]",
                          f"{row['p_value']:.3g}" if row["p_value"] > 0 else f"< {1 / result['resamples']:.1g}",
                          "yes" if row["significant"] else "no")
        console.print(table)
        for who, name in (("a", name_a), ("b", name_b)):
            counts = ", ".join(f"{k} {v}" for k, v in sorted(env["statuses"][who].items()))
            console.print(f"  verdicts {name}: {counts}", highlight=False)


def plot_comparison(result: dict[str, Any], path: Path, name_a: str, name_b: str) -> Path:
    """Success and reward of both runs per environment, with the difference's interval in the title of each bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    envs = list(result["envs"])
    fig, axes = plt.subplots(1, 2, figsize=(max(8.0, 2.6 * len(envs) + 3), 4), squeeze=False)
    for ax, metric in zip(axes[0], ("success", "reward"), strict=True):
        x = np.arange(len(envs))
        rows = [result["envs"][e]["metrics"][metric] for e in envs]
        ax.bar(x - 0.2, [r["a"] for r in rows], 0.4, label=name_a, color="C0")
        ax.bar(x + 0.2, [r["b"] for r in rows], 0.4, label=name_b, color="C1")
        for xi, r in zip(x, rows, strict=True):
            mark = "*" if r["significant"] else ""
            ax.annotate(f"{r['diff']:+.3f}{mark}", (xi, max(r["a"], r["b"]) + 0.02), ha="center", fontsize=8)
        ax.set_xticks(x, envs, fontsize=8)
        ax.set(title=f"{metric} (B - A; * = significant)", ylim=(0, 1.15 * max(1.0, *(max(r["a"], r["b"])
                                                                                      for r in rows))))
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

"""From episode records to the metrics of `summary.json`: per environment, everything a reader needs to trust a
number (its interval, how many episodes, how they ended, how long they took)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rlvrgym.bench.metrics import clustered_rate, mean_interval, pass_at_k_curve, percentiles

TaskKey = tuple[int, str | None]


def by_env(records: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        out[r["env_id"]].append(r)
    return dict(out)


def by_task(records: Iterable[dict[str, Any]]) -> dict[TaskKey, list[dict[str, Any]]]:
    """Samples grouped by task; the key (task index, task id) pairs the same task across two runs."""
    out: dict[TaskKey, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        out[(r["task_index"], r["task_id"])].append(r)
    return dict(sorted(out.items(), key=lambda kv: kv[0][0]))


def env_metrics(records: Sequence[dict[str, Any]], expected_reward: float | None = None) -> dict[str, Any]:
    tasks = by_task(records)
    success = [[float(r["success"]) for r in rs] for rs in tasks.values()]
    rewards = [[float(r["reward"]) for r in rs] for rs in tasks.values()]
    components: dict[str, list[float]] = defaultdict(list)
    for r in records:
        for key, value in (r.get("reward_breakdown") or {}).items():
            if isinstance(value, (int, float)):
                components[key].append(float(value))
    difficulty: dict[str, list[list[float]]] = defaultdict(list)
    for rs in tasks.values():
        difficulty[str(rs[0]["difficulty"]) if rs[0]["difficulty"] is not None else "n/a"].append(
            [float(r["success"]) for r in rs])
    samples = min(len(rs) for rs in tasks.values())
    out: dict[str, Any] = {
        "episodes": len(records),
        "tasks": len(tasks),
        "distinct_task_ids": len({r["task_id"] for r in records}),
        "samples_per_task": samples,
        "success": clustered_rate(success),
        "reward": mean_interval(rewards),
        "reward_components": {k: float(np.mean(v)) for k, v in sorted(components.items())},
        "pass_at_k": {str(k): v for k, v in pass_at_k_curve([[bool(x) for x in t] for t in success], samples).items()},
        "steps_mean": float(np.mean([r["steps"] for r in records])),
        "statuses": dict(sorted(Counter(str(r["status"]) for r in records).items())),
        "latency_s": {"reset": percentiles([r.get("reset_s", float("nan")) for r in records]),
                      "policy": percentiles([r["policy_s"] for r in records]),
                      "verifier": percentiles([r["verify_s"] for r in records if r["steps"]])},
        "by_difficulty": {d: clustered_rate(v) for d, v in sorted(difficulty.items())},
    }
    if expected_reward is not None:
        rewards_flat = [float(r["reward"]) for r in records]
        if expected_reward == 0:
            offenders = [r for r in records if float(r["reward"]) > 0 or r["success"]]
        else:
            offenders = [r for r in records if not r["success"] or float(r["reward"]) < expected_reward]
        out["sanity"] = {"expected_reward": expected_reward, "ok": not offenders and bool(rewards_flat),
                         "offenders": [{"task_id": r["task_id"], "seed": r["seed"], "status": r["status"],
                                        "reward": r["reward"], "reason": (r.get("verdict") or {}).get("reason")
                                        or r.get("error"), "policy_info": r.get("policy_info"),
                                        "completion": (r.get("completion") or "")[:500]} for r in offenders[:20]],
                         "offender_count": len(offenders)}
    return out


def summarize(records: Sequence[dict[str, Any]], expected_reward: float | None = None) -> dict[str, dict[str, Any]]:
    return {env_id: env_metrics(rs, expected_reward) for env_id, rs in by_env(records).items()}

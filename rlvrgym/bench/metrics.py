"""The statistics of a benchmark: intervals that account for repeated samples of a task, the unbiased pass@k, and
a paired bootstrap over tasks. Pure functions of numbers, so they can be tested against hand computations."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval: unlike the normal approximation it stays inside [0, 1] and is not degenerate at 0% or
    100% (an oracle at 200/200 still gets a lower bound under 1). `n` may be an effective, non-integer size."""
    if n <= 0:
        return (float("nan"), float("nan"))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half)))


def clustered_rate(per_task: Sequence[Sequence[float]]) -> dict[str, float]:
    """Success rate over all samples, with a Wilson interval on the effective sample size.

    Samples of one task are correlated (an easy task is solved every time), so counting them as independent would
    make the interval too narrow. The effective size is p(1-p) / var(mean), where var(mean) comes from the spread
    of the per-task means (the design effect); it lies between the number of tasks and the number of samples.
    """
    flat = np.array([x for task in per_task for x in task], dtype=float)
    n_tasks, n_total = len(per_task), flat.size
    if n_total == 0:
        return {"rate": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n": 0, "n_eff": 0.0}
    p = float(flat.mean())
    n_eff = float(n_total)
    if n_tasks > 1 and n_total > n_tasks and 0 < p < 1:
        means = np.array([np.mean(t) for t in per_task if len(t)], dtype=float)
        weights = np.array([len(t) for t in per_task if len(t)], dtype=float)
        # variance of a ratio estimator of the mean over clusters of (possibly) unequal size
        var_mean = float(np.sum((weights * (means - p)) ** 2) / (weights.sum() ** 2) * n_tasks / (n_tasks - 1))
        if var_mean > 0:
            n_eff = min(float(n_total), max(float(n_tasks), p * (1 - p) / var_mean))
    low, high = wilson_interval(p * n_eff, n_eff)
    return {"rate": p, "ci_low": low, "ci_high": high, "n": int(n_total), "n_eff": round(n_eff, 2)}


def mean_interval(per_task: Sequence[Sequence[float]]) -> dict[str, float]:
    """Mean of a bounded score (the reward) with a t interval over per-task means (tasks are the independent unit),
    clipped to the observed range."""
    flat = [x for task in per_task for x in task]
    if not flat:
        return {"mean": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}
    mean = float(np.mean(flat))
    means = np.array([np.mean(t) for t in per_task if len(t)], dtype=float)
    if len(means) < 2:  # one task: no spread to estimate, so no interval
        return {"mean": mean, "ci_low": float("nan"), "ci_high": float("nan")}
    if float(np.std(means)) == 0.0:
        return {"mean": mean, "ci_low": mean, "ci_high": mean}
    half = float(stats.t.ppf(0.975, len(means) - 1) * np.std(means, ddof=1) / math.sqrt(len(means)))
    # the mean cannot leave the range of what was observed: clip the interval there (small samples overshoot)
    return {"mean": mean, "ci_low": max(mean - half, float(np.min(flat))),
            "ci_high": min(mean + half, float(np.max(flat)))}


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one task with `c` correct out of `n` samples (Chen et al., 2021): 1 - C(n-c, k)/C(n, k),
    computed as a product so large n does not overflow."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_at_k_curve(per_task: Sequence[Sequence[bool]], max_k: int | None = None) -> dict[int, float]:
    """Mean pass@k over tasks for k = 1..max_k (default: the fewest samples any task has)."""
    counts = [(len(t), int(sum(t))) for t in per_task if len(t)]
    if not counts:
        return {}
    top = min(n for n, _ in counts) if max_k is None else max_k
    return {k: float(np.mean([pass_at_k(n, c, k) for n, c in counts])) for k in range(1, top + 1)}


def percentiles(values: Sequence[float], qs: Sequence[float] = (50, 99)) -> dict[str, float]:
    if not values:
        return {f"p{q:g}": float("nan") for q in qs} | {"mean": float("nan")}
    arr = np.asarray(values, dtype=float)
    return {f"p{q:g}": float(np.percentile(arr, q)) for q in qs} | {"mean": float(arr.mean())}


def paired_bootstrap(a: Sequence[float], b: Sequence[float], resamples: int = 10_000,
                     seed: int = 0) -> dict[str, float]:
    """Difference of means b - a over paired tasks, with a 95% percentile interval and a two-sided p-value from
    resampling the tasks (the pairs stay together, so task difficulty cancels out)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"paired_bootstrap needs two equal, non-empty sequences, got {x.size} and {y.size}")
    diff = y - x
    observed = float(diff.mean())
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, diff.size, size=(resamples, diff.size))
    boot = diff[idx].mean(axis=1)
    low, high = (float(v) for v in np.percentile(boot, [2.5, 97.5]))
    if np.all(diff == 0):
        p_value = 1.0
    else:
        p_value = float(min(1.0, 2 * min(np.mean(boot <= 0), np.mean(boot >= 0))))
    return {"diff": observed, "ci_low": low, "ci_high": high, "p_value": p_value,
            "significant": bool(low > 0 or high < 0), "n_tasks": int(diff.size)}

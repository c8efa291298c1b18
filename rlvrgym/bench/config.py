"""What a benchmark run does, in one dataclass (recorded whole in the run's summary)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any


@dataclass
class BenchConfig:
    """Attributes:
        envs: environment ids to play (any registered Gymnasium id whose observations and actions are text).
        episodes: tasks per environment; task i is drawn by `reset(seed=seed + i)`, so two runs with the same
            seed see the same tasks and can be compared pair by pair.
        samples: completions per task (replayed with `options={"task_id": ...}`); pass@k is reported up to it.
        seed: first task seed.
        split: the split passed to every environment ("test" by default: benchmarks use held-out tasks; None
            for every task).
        env_kwargs: env id -> keyword arguments for `gym.make` (difficulty, tasks, ...).
        batch_size: episodes in flight: observations per `policy.act` call, environments stepped in parallel.
        workers: threads that step environments (verification runs in the verifiers' own pools); 0 = cores.
        max_steps: cap on steps per episode for multi-turn environments (tool calls, feedback attempts).
        out_dir: where run directories are created.
        plots: write the PNG plots.
        warmup: before timing an environment, step it once per worker thread with an empty completion (result
            discarded) so that verifier worker start-up does not count as verifier latency.
        ray: None to step the environments here; a Ray address (or "" for `$RAY_ADDRESS`, else a local Ray) to
            step them on the cluster's nodes (`rlvrgym bench --ray [ADDRESS]`, see `rlvrgym.distributed`).
    """

    envs: list[str]
    episodes: int = 100
    samples: int = 1
    seed: int = 0
    split: str | None = "test"
    env_kwargs: dict[str, dict[str, Any]] = field(default_factory=dict)
    batch_size: int = 32
    workers: int = 0
    max_steps: int = 16
    out_dir: str = "runs/bench"
    plots: bool = True
    warmup: bool = True
    ray: str | None = None

    def __post_init__(self) -> None:
        if not self.envs:
            raise ValueError("give at least one environment id")
        if self.episodes < 1 or self.samples < 1:
            raise ValueError(f"episodes and samples must be >= 1, got {self.episodes} and {self.samples}")
        if self.batch_size < 1 or self.max_steps < 1 or self.workers < 0:
            raise ValueError("need batch_size >= 1, max_steps >= 1 and workers >= 0")
        if self.split not in (None, "train", "test"):
            raise ValueError(f"split must be 'train', 'test' or None, got {self.split!r}")
        unknown = set(self.env_kwargs) - set(self.envs)
        if unknown:
            raise ValueError(f"env_kwargs for environments not in the run: {sorted(unknown)}")

    @property
    def threads(self) -> int:
        if not self.workers and self.ray is not None:
            return self.batch_size  # remote steps only wait on the cluster: one thread per episode in flight
        return self.workers or os.cpu_count() or 1

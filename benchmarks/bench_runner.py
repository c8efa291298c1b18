"""Benchmark of the benchmark runner: episodes per second per environment and batch size, against the bare verifier.

    .venv/bin/python benchmarks/bench_runner.py [--episodes 64] [--env MathAnswer-v0 ...] [--batch-sizes 1 8 32]

The policy is the oracle (it costs nothing, so the time is the runner's and the verifier's). The baseline is the
environment's own verifier judging the same completions with `verify_batch` (its worker pool or sandbox in parallel):
what the runner adds on top of it (resets, which draw the tasks, threads, logging, metrics, report) is the
difference; the reset column shows how much of it is the environment's own task generation. Prints a markdown
table; no plots are written (`plots=False`).

"runner episodes/s" is episodes over the whole `run_bench` call. Part of that call is a fixed cost per run, not
per episode: the run directory, provenance (git, package versions), the summary and the report; the "fixed s"
column is that part (the call's time minus the episode loop's `wall_s`), and "loop episodes/s" is the episode loop
alone (environment creation and warm-up included). With few episodes the fixed cost dominates: run with a larger
`--episodes` to see the loop's own rate; both columns are printed, neither replaces the other.

Every row starts with the task caches and sympy's cache cleared: the baseline drew the same seeds first, and a
generator's cache warmed by them would flatter the runner.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import gymnasium as gym
from sympy.core.cache import clear_cache

import rlvrgym  # noqa: F401  (registers the environments)
from rlvrgym.bench import BenchConfig, run_bench
from rlvrgym.bench.policies import OraclePolicy
from rlvrgym.envs import ENVIRONMENTS


def cold() -> None:
    """Forget every cached computation of the task generators and of sympy."""
    clear_cache()
    try:
        from rlvrgym.tasks.draws import clear_caches
    except ImportError:  # a checkout from before the task caches (to compare against it with this script)
        return
    clear_caches()


def baseline(env_id: str, episodes: int) -> float:
    """Episodes per second of `verify_batch` alone on the oracle's completions of the same tasks."""
    env = gym.make(env_id, split="test")
    oracle = OraclePolicy()
    completions, references = [], []
    for i in range(episodes):
        env.reset(seed=i)
        completions += oracle.act([""], envs=[env])
        references.append(env.unwrapped.task.reference)
    verifier = env.unwrapped.verifier
    verifier.verify_batch(completions[:2], references[:2])  # warm the pool: start-up is not throughput
    start = time.perf_counter()
    verifier.verify_batch(completions, references)
    seconds = time.perf_counter() - start
    env.close()
    return episodes / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=64)
    parser.add_argument("--env", action="append", help="environment id (repeatable; default: every registered one)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for env_id in args.env or sorted(ENVIRONMENTS):
            base = baseline(env_id, args.episodes)
            for batch in args.batch_sizes:
                config = BenchConfig(envs=[env_id], episodes=args.episodes, batch_size=batch, plots=False)
                cold()
                start = time.perf_counter()
                result = run_bench(OraclePolicy(), config, run_dir=Path(tmp) / f"{env_id}-{batch}")
                total = time.perf_counter() - start
                loop = float(result.summary["wall_s"])
                m = result.summary["envs"][env_id]
                rows.append((env_id, batch, args.episodes / total, base, args.episodes / loop, total - loop,
                             m["latency_s"]["reset"]["p50"] * 1000, m["latency_s"]["verifier"]["p50"] * 1000,
                             m["latency_s"]["verifier"]["p99"] * 1000, m["success"]["rate"]))
    print(f"\n{args.episodes} oracle episodes per row; baseline = the verifier's verify_batch alone, warm\n")
    print("| environment | batch | runner episodes/s | verify_batch episodes/s | runner / baseline "
          "| loop episodes/s | loop / baseline | fixed s | reset (task draw) ms p50 | step ms p50 | step ms p99 "
          "| oracle success |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for env_id, batch, rate, base, loop, fixed, reset, p50, p99, success in rows:
        print(f"| {env_id} | {batch} | {rate:.1f} | {base:.1f} | {rate / base:.2f} | {loop:.1f} | {loop / base:.2f} "
              f"| {fixed:.2f} | {reset:.1f} | {p50:.1f} | {p99:.1f} | {100 * success:.0f}% |")


if __name__ == "__main__":
    main()

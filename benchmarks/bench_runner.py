"""Benchmark of the benchmark runner: episodes per second per environment and batch size, against the bare verifier.

    .venv/bin/python benchmarks/bench_runner.py [--episodes 256] [--env MathAnswer-v0 ...] [--batch-sizes 1 8 32]
                                                [--repeat 3]

The policy is the oracle (it costs nothing, so the time is the runner's and the verifier's). The baseline is the
environment's own verifier judging the same completions with one `verify_batch` (its worker pool or sandbox in
parallel): what the runner adds on top of it (resets, which draw the tasks, threads, logging, metrics, report) is the
difference; the reset column shows how much of it is the environment's own task generation. The runner verifies a
turn of a batch in one `verify_batch` (`TextEnv.step_batch`), so the column "verify_batch in batches of this size" is
the most it could reach with free resets. Each row is measured `--repeat` times, the baseline right before each run
(a loaded machine moves both), and the medians are printed; the ratio is the median of the runs' own ratios.
Prints a markdown table; no plots are written (`plots=False`).

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
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

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


def oracle_batch(env_id: str, episodes: int) -> tuple[Any, list[str], list[Any]]:
    """The environment's verifier and the oracle's completions of the tasks of seeds 0..episodes-1."""
    env = gym.make(env_id, split="test")
    oracle = OraclePolicy()
    completions, references = [], []
    for i in range(episodes):
        env.reset(seed=i)
        completions += oracle.act([""], envs=[env])
        references.append(env.unwrapped.task.reference)
    verifier = env.unwrapped.verifier
    verifier.verify_batch(completions[:2], references[:2])  # warm the pool: start-up is not throughput
    env.close()
    return verifier, completions, references


def verify_rate(verifier: Any, completions: list[str], references: list[Any], chunk: int) -> float:
    """Episodes per second of `verify_batch` on the completions, `chunk` at a time."""
    start = time.perf_counter()
    for i in range(0, len(completions), chunk):
        verifier.verify_batch(completions[i:i + chunk], references[i:i + chunk])
    return len(completions) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=256)
    parser.add_argument("--env", action="append", help="environment id (repeatable; default: every registered one)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--repeat", type=int, default=3,
                        help="measure each row this many times, baseline and runner in turn, and print medians")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for env_id in args.env or sorted(ENVIRONMENTS):
            verifier, completions, references = oracle_batch(env_id, args.episodes)
            for batch in args.batch_sizes:
                runs = []
                for r in range(args.repeat):
                    base = verify_rate(verifier, completions, references, len(completions))
                    chunked = verify_rate(verifier, completions, references, batch)
                    config = BenchConfig(envs=[env_id], episodes=args.episodes, batch_size=batch, plots=False)
                    cold()
                    start = time.perf_counter()
                    result = run_bench(OraclePolicy(), config, run_dir=Path(tmp) / f"{env_id}-{batch}-{r}")
                    total = time.perf_counter() - start
                    loop = float(result.summary["wall_s"])
                    m = result.summary["envs"][env_id]
                    runs.append((args.episodes / total, base, chunked, args.episodes / loop, total - loop,
                                 m["latency_s"]["reset"]["p50"] * 1000, m["latency_s"]["verifier"]["p50"] * 1000,
                                 m["latency_s"]["verifier"]["p99"] * 1000, m["success"]["rate"],
                                 args.episodes / total / base))
                rows.append((env_id, batch, *(statistics.median(col) for col in zip(*runs, strict=True))))
    print(f"\n{args.episodes} oracle episodes per row, medians of {args.repeat} runs; baseline = the verifier's "
          "verify_batch alone on all of them, warm, measured right before each run\n")
    print("| environment | batch | runner episodes/s | verify_batch episodes/s | runner / baseline "
          "| verify_batch in batches of this size, episodes/s | loop episodes/s | fixed s | reset (task draw) ms p50 "
          "| step ms p50 (the batch's verification) | step ms p99 | oracle success |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for env_id, batch, rate, base, chunked, loop, fixed, reset, p50, p99, success, ratio in rows:
        print(f"| {env_id} | {batch} | {rate:.1f} | {base:.1f} | {ratio:.2f} | {chunked:.1f} | {loop:.1f} "
              f"| {fixed:.2f} | {reset:.2f} | {p50:.1f} | {p99:.1f} | {100 * success:.0f}% |")


if __name__ == "__main__":
    main()

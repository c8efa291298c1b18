"""`rlvrgym bench` (play environments with policies, write run directories) and `rlvrgym bench compare A B`."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from rlvrgym.cli_args import named_json_objects

EPILOG = """examples:
  rlvrgym bench --policy oracle --policy adversary --episodes 20
  rlvrgym bench --env MathAnswer-v0 --policy hf:runs/tiny/model --policy-option temperature=0.7 --samples 4
  rlvrgym bench --env MathAnswer-v0 --policy openai:my-model --policy-option base_url=http://127.0.0.1:8000/v1
  rlvrgym bench --env CodeUnitTest-v0 --policy openai:my-model --ray 10.0.0.1:6379   # steps on a Ray cluster
  rlvrgym bench compare runs/bench/RUN_A runs/bench/RUN_B"""


def _key_values(pairs: list[str] | None, flag: str) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"{flag} takes KEY=VALUE, got {pair!r}")
        out[key.strip()] = value
    return out


def _env_kwargs(pairs: list[str] | None) -> dict[str, dict[str, Any]]:
    try:
        return named_json_objects(pairs, "--env-kwargs")
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


def cmd_bench(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from rlvrgym.bench import BenchConfig, run_bench
    from rlvrgym.bench.policies import SANITY, make_policy
    from rlvrgym.bench.report import print_table
    from rlvrgym.envs import available_environments

    if not args.policy:
        raise SystemExit("give at least one --policy (oracle, adversary, hf:DIR, openai:MODEL, py:module:function)")
    options = _key_values(args.policy_option, "--policy-option")
    if options and all(p in SANITY for p in args.policy):
        raise SystemExit("--policy-option applies to hf:, openai: and py: policies; the sanity policies take none")
    if args.run_dir and len(args.policy) > 1:
        raise SystemExit("--run-dir names one run: give a single --policy with it (or use --out)")
    try:
        config = BenchConfig(envs=args.env or available_environments(), episodes=args.episodes, samples=args.samples,
                             seed=args.seed, split=None if args.split == "all" else args.split,
                             env_kwargs=_env_kwargs(args.env_kwargs), batch_size=args.batch_size,
                             workers=args.workers, max_steps=args.max_steps, out_dir=args.out,
                             plots=not args.no_plots, warmup=not args.no_warmup, ray=args.ray)
        policies = [make_policy(spec, {} if spec in SANITY else options) for spec in args.policy]
    except (ValueError, OSError) as exc:
        raise SystemExit(f"rlvrgym bench: {exc}") from None
    command = shlex.join(["rlvrgym", *sys.argv[1:]]) if Path(sys.argv[0]).name == "rlvrgym" else None
    summaries, ok = [], True
    for policy in policies:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      transient=True) as bar:
            tasks: dict[str, Any] = {}

            def progress(env_id: str, done: int, total: int, bar: Progress = bar, tasks: dict = tasks,
                         name: str = policy.name) -> None:
                if env_id not in tasks:
                    tasks[env_id] = bar.add_task(f"{name} on {env_id}", total=total)
                bar.update(tasks[env_id], completed=done)

            try:
                result = run_bench(policy, config, run_dir=args.run_dir, progress=progress, command=command)
            except (ValueError, FileExistsError) as exc:
                raise SystemExit(f"rlvrgym bench: {exc}") from None
        summaries.append(result.summary)
        ok = ok and result.sanity_ok
    print_table(summaries, title=f"rlvrgym bench: {config.episodes} tasks x {config.samples} samples per "
                                 f"environment, seeds {config.seed}..{config.seed + config.episodes - 1}, "
                                 f"split {config.split or 'all'}")
    for s in summaries:
        print(f"{s['policy']['name']}: {s['run_dir']} (report.md, summary.json, episodes.jsonl, plots/)")
    return 0 if ok else 1


def cmd_compare(args: argparse.Namespace) -> int:
    from rlvrgym.bench import load_summary
    from rlvrgym.bench.compare import compare_runs, plot_comparison, print_comparison

    try:
        result = compare_runs(args.run_a, args.run_b, resamples=args.resamples, seed=args.seed)
        names = [load_summary(r)["policy"]["name"] for r in (args.run_a, args.run_b)]
    except (ValueError, FileNotFoundError) as exc:
        raise SystemExit(f"rlvrgym bench compare: {exc}") from None
    name_a, name_b = (f"A: {names[0]}", f"B: {names[1]}")
    print_comparison(result, name_a, name_b)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.plot:
        print(f"plot: {plot_comparison(result, Path(args.plot), name_a, name_b)}")
    return 0


def add_bench_commands(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser("bench", help="benchmark policies on environments: metrics, report, plots",
                              description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", action="append", help="environment id (repeatable; default: every registered one)")
    p.add_argument("--policy", action="append",
                   help="oracle, adversary, hf:MODEL_DIR, openai:MODEL, py:module:function (repeatable)")
    p.add_argument("--policy-option", action="append", metavar="KEY=VALUE",
                   help="a field of the policy's config, e.g. temperature=0.7, base_url=..., batched=false")
    p.add_argument("--episodes", type=int, default=100, help="tasks per environment (default 100)")
    p.add_argument("--samples", type=int, default=1, help="completions per task; pass@k up to it (default 1)")
    p.add_argument("--seed", type=int, default=0, help="task i is drawn with seed SEED+i (default 0)")
    p.add_argument("--split", choices=["test", "train", "all"], default="test", help="task split (default test)")
    p.add_argument("--env-kwargs", action="append", metavar="ENV=JSON",
                   help='options for one environment, e.g. MathAnswer-v0=\'{"difficulty": 3}\'')
    p.add_argument("--batch-size", type=int, default=32, help="episodes in flight per policy call (default 32)")
    p.add_argument("--workers", type=int, default=0, help="threads stepping environments (default: cores)")
    p.add_argument("--max-steps", type=int, default=16, help="step cap for multi-turn episodes (default 16)")
    p.add_argument("--out", default="runs/bench", help="where run directories are created (default runs/bench)")
    p.add_argument("--run-dir", help="exact run directory (one policy only)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--no-warmup", action="store_true",
                   help="count verifier worker start-up in the latency (default: one discarded step per worker first)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="step the environments on a Ray cluster: ADDRESS, else $RAY_ADDRESS, else a local Ray "
                        '(needs rlvrgym[ray]; code environments need nodes with the resource {"rlvrgym_docker": 1})')
    p.set_defaults(func=cmd_bench)
    sub = p.add_subparsers(dest="bench_command", metavar="{compare}")
    c = sub.add_parser("compare", help="two runs side by side, with paired-bootstrap significance over tasks")
    c.add_argument("run_a", help="run directory A (the baseline)")
    c.add_argument("run_b", help="run directory B")
    c.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples (default 10000)")
    c.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    c.add_argument("--json", help="also write the comparison to this JSON file")
    c.add_argument("--plot", help="also write a PNG of both runs side by side to this path")
    c.set_defaults(func=cmd_compare)
    return p

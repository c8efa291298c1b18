"""The `rlvrgym` command: list environments and verifiers, verify a completion, and the sub-commands of parts."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

#: Sub-command groups that live with their part of the package: module -> function(subparsers).
PART_COMMANDS = {"rlvrgym.sandbox.cli": "add_sandbox_commands",
                 "rlvrgym.bench.cli": "add_bench_commands",
                 "rlvrgym.train.cli": "add_train_commands",
                 "rlvrgym.tasks.proof_export": "add_export_steps_command",
                 "rlvrgym.serve.cli": "add_serve_command",
                 "rlvrgym.integrations.export": "add_export_commands"}


def _cmd_envs(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from rlvrgym.envs import ENVIRONMENTS

    table = Table("environment", "what it is", box=None, header_style="bold")
    for env_id, (_, description) in sorted(ENVIRONMENTS.items()):
        table.add_row(env_id, description)
    Console(width=max(Console().width, 120)).print(table)
    return 0


def _cmd_verifiers(args: argparse.Namespace) -> int:
    from rlvrgym.verifiers import list_verifiers

    for name in list_verifiers():
        print(name)
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from rlvrgym.verifiers import get_verifier

    options = json.loads(args.options) if args.options else {}
    if args.timeout is not None:
        options["timeout"] = args.timeout
    verifier = get_verifier(args.verifier, **options)
    completion = sys.stdin.read() if args.completion == "-" else args.completion
    try:
        reference = json.loads(args.reference) if args.json_reference else args.reference
    except json.JSONDecodeError as exc:
        print(f"--reference is not valid JSON: {exc}", file=sys.stderr)
        return 2
    verdict = verifier.verify(completion, reference)
    if args.json:
        print(verdict.to_json())
    else:
        from rich.console import Console
        from rich.markup import escape

        color = {"correct": "green", "wrong": "red"}.get(str(verdict.status), "yellow")
        console = Console()
        console.print(f"[bold {color}]{verdict.status}[/] score={verdict.score:g}: {escape(verdict.reason)}")
        for key, value in verdict.details.items():
            if key != "traceback":
                console.print(f"  {key}: {value}", highlight=False, markup=False)
        for step in verdict.steps:
            console.print(f"  step {step.index}: valid={step.valid} score={step.score:g} {step.reason}",
                          markup=False)
    return 0 if verdict.correct else 1


def _cmd_demo(args: argparse.Namespace) -> int:
    """The sanity policies played in memory through the bench runner (`rlvrgym bench` writes a run directory)."""
    import statistics
    from collections import Counter

    from rich.console import Console
    from rich.table import Table

    from rlvrgym.bench import BenchConfig
    from rlvrgym.bench.policies import SANITY
    from rlvrgym.bench.runner import run_episodes
    from rlvrgym.envs import ENVIRONMENTS

    console = Console(width=max(Console().width, 140))
    env_ids = args.env or sorted(ENVIRONMENTS)
    table = Table("environment", "policy", "episodes", "mean reward", "expected", "verdicts", "median verify ms",
                  title=f"sanity run: {args.episodes} episodes per policy, seeds {args.seed}..")
    failed = 0
    for name, policy_cls in SANITY.items():
        policy = policy_cls()
        records: list[dict] = []
        config = BenchConfig(envs=env_ids, episodes=args.episodes, seed=args.seed, split=None, plots=False,
                             warmup=False, batch_size=min(args.episodes, 8))
        with console.status(f"playing the environments with {name}..."):
            run_episodes(policy, config, records.append)
        for env_id in env_ids:
            mine = [r for r in records if r["env_id"] == env_id]
            rewards = [float(r["reward"]) for r in mine]
            mean = statistics.fmean(rewards) if rewards else float("nan")
            ok = bool(rewards) and abs(mean - policy.expected_reward) < 1e-9
            failed += not ok
            statuses = Counter(str(r["status"]) for r in mine)
            ms = statistics.median(r["verify_s"] for r in mine) * 1000 if mine else float("nan")
            table.add_row(env_id, name, str(len(mine)), f"{'[green]' if ok else '[red]'}{mean:.3f}",
                          f"{policy.expected_reward:g}", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
                          f"{ms:.1f}")
    console.print(table)
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rlvrgym", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("envs", help="list the registered environments")
    p.set_defaults(func=_cmd_envs)
    p = sub.add_parser("verifiers", help="list the verifiers get_verifier accepts (built-in and plug-ins)")
    p.set_defaults(func=_cmd_verifiers)
    p = sub.add_parser("verify", help="verify one completion against a reference and print the verdict",
                       description="Exit status: 0 when correct, 1 otherwise.")
    p.add_argument("verifier", help="verifier name, e.g. math")
    p.add_argument("completion", help="the completion text, or - to read it from standard input")
    p.add_argument("--reference", required=True, help="the reference answer")
    p.add_argument("--json-reference", action="store_true", help="parse --reference as JSON (records, lists)")
    p.add_argument("--options", help='verifier options as JSON, e.g. \'{"require_evaluated": true}\'')
    p.add_argument("--timeout", type=float, help="time bound in seconds")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.set_defaults(func=_cmd_verify)
    p = sub.add_parser("demo", help="play every environment with the sanity policies (oracle, adversary)")
    p.add_argument("--env", action="append", help="environment id (repeatable; default: all)")
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_demo)
    for module, function in PART_COMMANDS.items():
        try:
            getattr(importlib.import_module(module), function)(sub)
        except ImportError:
            continue
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())

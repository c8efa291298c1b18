"""The `rlvrgym` command: list environments and verifiers, verify a completion, and the sub-commands of parts."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

#: Sub-command groups that live with their part of the package: module -> function(subparsers).
PART_COMMANDS = {"rlvrgym.sandbox.cli": "add_sandbox_commands",
                 "rlvrgym.agents.bench.cli": "add_bench_commands",
                 "rlvrgym.agents.cli": "add_train_commands",
                 "rlvrgym.tasks.proof_export": "add_export_steps_command"}


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
    from rich.console import Console
    from rich.table import Table

    from rlvrgym.agents.sanity import EXPECTED, run_sanity
    from rlvrgym.envs import ENVIRONMENTS

    console = Console(width=max(Console().width, 140))
    env_ids = args.env or sorted(ENVIRONMENTS)
    with console.status("playing the environments...") as status:
        rows = run_sanity(env_ids, episodes=args.episodes, seed=args.seed, progress=status.update)
    table = Table("environment", "policy", "episodes", "mean reward", "expected", "verdicts", "median step ms",
                  title=f"sanity run: {args.episodes} episodes per policy, seeds {args.seed}..")
    failed = 0
    for r in rows:
        if not r.episodes:
            table.add_row(r.env_id, r.policy, "0", "-", "-", "no oracle for this environment", "-")
            continue
        failed += not r.ok
        mark = "[green]" if r.ok else "[red]"
        ms = sorted(r.step_seconds)[len(r.step_seconds) // 2] * 1000
        table.add_row(r.env_id, r.policy, str(r.episodes), f"{mark}{r.mean_reward:.3f}", f"{EXPECTED[r.policy]:g}",
                      ", ".join(f"{k} {v}" for k, v in sorted(r.statuses.items())), f"{ms:.1f}")
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
    p = sub.add_parser("demo", help="play every environment with sanity policies (oracle, refusal, echo)")
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

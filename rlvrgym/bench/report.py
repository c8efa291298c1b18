"""The human side of a run: the console table and the Markdown report (which embeds the plots)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def pct(x: float) -> str:
    """A share as a percentage without the sign (the column header says %), to keep the table narrow."""
    return "-" if x != x else f"{100 * x:.1f}"


def success_cell(s: dict[str, Any]) -> str:
    return f"{pct(s['rate'])} [{pct(s['ci_low'])}, {pct(s['ci_high'])}]"


def reward_cell(r: dict[str, Any]) -> str:
    if r["ci_low"] != r["ci_low"]:
        return f"{r['mean']:.3f} [-]"
    return f"{r['mean']:.3f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]"


def ms(seconds: float) -> str:
    value = 1000 * seconds
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def ms_cell(lat: dict[str, float]) -> str:
    return "-" if lat["p50"] != lat["p50"] else f"{ms(lat['p50'])} / {ms(lat['p99'])}"


def pass_cell(m: dict[str, Any]) -> str:
    ks = list(m["pass_at_k"])
    shown = ks if len(ks) <= 3 else [ks[0], ks[len(ks) // 2], ks[-1]]
    return " ".join(f"@{k} {pct(m['pass_at_k'][k])}" for k in shown)


def statuses_cell(m: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in m["statuses"].items())


COLUMNS = ("environment", "policy", "tasks x k", "success % [95% CI]", "reward [95% CI]", "pass@k %", "steps",
           "verdicts", "policy ms p50/p99", "step ms p50/p99")


def rows(summaries: Sequence[dict[str, Any]]) -> list[list[str]]:
    out = []
    for s in summaries:
        for env_id, m in s["envs"].items():
            out.append([env_id, s["policy"]["name"], f"{m['tasks']}x{m['samples_per_task']}",
                        success_cell(m["success"]), reward_cell(m["reward"]), pass_cell(m), f"{m['steps_mean']:.2f}",
                        statuses_cell(m), ms_cell(m["latency_s"]["policy"]), ms_cell(m["latency_s"]["verifier"])])
    return out


def print_table(summaries: Sequence[dict[str, Any]], title: str = "rlvrgym bench") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*COLUMNS, title=title, header_style="bold")
    owners = [s for s in summaries for _ in s["envs"]]
    for owner, row in zip(owners, rows(summaries), strict=True):
        sanity = owner["envs"][row[0]].get("sanity")
        if sanity is not None:
            mark = "green" if sanity["ok"] else "red"
            row[3], row[4] = f"[{mark}]{row[3]}[/]", f"[{mark}]{row[4]}[/]"
        table.add_row(*row)
    Console(width=max(Console().width, 180)).print(table)
    for s in summaries:
        for env_id, m in s["envs"].items():
            sanity = m.get("sanity")
            if sanity and not sanity["ok"]:
                Console().print(f"[red]sanity check failed[/]: {s['policy']['name']} on {env_id}: "
                                f"{sanity['offender_count']} episode(s) away from reward "
                                f"{sanity['expected_reward']:g}; see {s['run_dir']}/report.md", highlight=False)


def _md_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    clean = [[str(c).replace("|", "\\|") for c in row] for row in body]
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in clean)]


def markdown(summary: dict[str, Any], records: Sequence[dict[str, Any]], plots: Sequence[Path]) -> str:
    cfg, prov, pol = summary["config"], summary["provenance"], summary["policy"]
    commit = f"`{(prov['git'].get('commit') or 'unknown')[:12]}`" + (" (with local changes)"
                                                                   if prov["git"].get("dirty") else "")
    lines = [f"# Benchmark of `{pol['name']}`", "",
             f"{summary['started']} · rlvrgym {prov['packages'].get('rlvrgym')} · commit {commit}"
             f" · {cfg['episodes']} tasks x {cfg['samples']} samples per environment, seeds {cfg['seed']}.."
             f"{cfg['seed'] + cfg['episodes'] - 1}, split `{cfg['split']}` · {summary['wall_s']:.1f} s", "",
             "## Results", "", *_md_table(COLUMNS, rows([summary])), "",
             "Success is the share of episodes whose final verdict is `correct` (95% Wilson interval on the effective "
             "sample size, which discounts repeated samples of a task); the reward interval is a t interval over "
             "per-task means; pass@k is the unbiased estimator.", ""]
    components = sorted({k for m in summary["envs"].values() for k in m["reward_components"]})
    if components:
        lines += ["## Reward components (mean, unweighted)", "",
                  *_md_table(["environment", *components],
                             [[env_id, *(f"{m['reward_components'].get(k, float('nan')):.3f}" for k in components)]
                              for env_id, m in summary["envs"].items()]), ""]
    lines += ["## Plots", "", *(f"![{p.stem}](plots/{p.name})" for p in plots), ""]
    for env_id, m in summary["envs"].items():
        sanity = m.get("sanity")
        if sanity is None:
            continue
        verdict = "passed" if sanity["ok"] else f"FAILED on {sanity['offender_count']} episode(s)"
        lines += [f"## Sanity check on {env_id}: {verdict}", "",
                  f"`{pol['name']}` must score {sanity['expected_reward']:g} on every episode.", ""]
        for o in sanity["offenders"][:10]:
            lines += [f"- task `{o['task_id']}` (seed {o['seed']}): {o['status']}, reward {o['reward']:g}"
                      f"{' (' + o['policy_info']['attack'] + ')' if o.get('policy_info') else ''}: {o['reason']}"]
        lines += [""]
    failures = [r for r in records if not r["success"]][:5]
    if failures:
        lines += ["## First failed episodes", ""]
        for r in failures:
            reason = (r.get("verdict") or {}).get("reason") or r.get("error") or ""
            lines += [f"- {r['env_id']} task `{r['task_id']}` sample {r['sample']}: **{r['status']}**, reward "
                      f"{r['reward']:g}: {reason}"]
        lines += [""]
    command = summary.get("command") or shlex.join(prov["argv"])
    lines += ["## Reproduce", "", "```", command, "```",
              "", "Versions, environment options, the sandbox image and the policy settings are in `summary.json`.",
              ""]
    return "\n".join(lines)

"""Benchmark a policy on rlvrgym environments: `run_bench(policy, BenchConfig(...))` or `rlvrgym bench`.

A run directory holds `episodes.jsonl` (every episode: prompt, completion, verdict, reward breakdown, timings),
`summary.json` (metrics with intervals, versions, seeds, environment options, sandbox image, policy settings),
`report.md` and `plots/*.png`. `rlvrgym bench compare A B` compares two of them task by task.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rlvrgym.bench.config import BenchConfig
from rlvrgym.bench.runner import EPISODES_FILE, JSONLWriter, ProgressFn, make_env, read_episodes, run_episodes

__all__ = ["BenchConfig", "BenchResult", "load_summary", "read_episodes", "run_bench"]

SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.md"


@dataclass
class BenchResult:
    run_dir: Path
    summary: dict[str, Any]
    records: list[dict[str, Any]]

    @property
    def sanity_ok(self) -> bool:
        """False when a sanity policy missed its known score on some environment (a verifier bug to report)."""
        return all(m.get("sanity", {"ok": True})["ok"] for m in self.summary["envs"].values())


def new_run_dir(out_dir: str | Path, policy_name: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    base = Path(out_dir) / f"{stamp}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', policy_name)}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def _environments(config: BenchConfig) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Each environment's description (options, verifier, reward spec) and the sandbox image, from one instance."""
    from rlvrgym.bench.provenance import env_description, sandbox_image

    envs = {env_id: make_env(env_id, config) for env_id in config.envs}
    try:
        described = {env_id: env_description(env, {"split": config.split, **config.env_kwargs.get(env_id, {})})
                     for env_id, env in envs.items()}
        return described, sandbox_image(list(envs.values()))
    finally:
        for env in envs.values():
            env.close()


def run_bench(policy: Any, config: BenchConfig, run_dir: str | Path | None = None,
              progress: ProgressFn | None = None, command: str | None = None) -> BenchResult:
    """Play `config.episodes * config.samples` episodes of every environment and write the run directory."""
    from rlvrgym.bench.provenance import provenance
    from rlvrgym.bench.report import markdown
    from rlvrgym.bench.summary import summarize

    name = getattr(policy, "name", type(policy).__name__)
    path = Path(run_dir) if run_dir is not None else new_run_dir(config.out_dir, name)
    if (path / EPISODES_FILE).exists():
        raise FileExistsError(f"{path} already holds a run; choose another --run-dir")
    path.mkdir(parents=True, exist_ok=True)
    environments, image = _environments(config)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    records: list[dict[str, Any]] = []
    writer = JSONLWriter(path / EPISODES_FILE)
    t0 = time.perf_counter()
    try:
        def sink(record: dict[str, Any]) -> None:
            records.append(record)
            writer(record)

        run_episodes(policy, config, sink, progress)
    finally:
        writer.close()
    wall = time.perf_counter() - t0
    settings = policy.settings() if callable(getattr(policy, "settings", None)) else {}
    summary: dict[str, Any] = {
        "started": started, "wall_s": round(wall, 3), "run_dir": str(path), "command": command,
        "policy": {"name": name, "settings": settings, "expected_reward": getattr(policy, "expected_reward", None)},
        "config": dataclasses.asdict(config), "environments": environments, "sandbox_image": image,
        "provenance": provenance(cluster=config.ray is not None),
        "envs": summarize(records, getattr(policy, "expected_reward", None)),
    }
    plots = []
    if config.plots and records:
        from rlvrgym.bench.plots import write_plots

        plots = write_plots(records, summary["envs"], path, name)
    (path / SUMMARY_FILE).write_text(json.dumps(_strict_json(summary), indent=2, default=str, allow_nan=False)
                                     + "\n", encoding="utf-8")
    (path / REPORT_FILE).write_text(markdown(summary, records, plots), encoding="utf-8")
    return BenchResult(path, summary, records)


def _strict_json(value: Any) -> Any:
    """NaN (an interval that does not exist, a latency never measured) becomes null: standard JSON has no NaN."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict_json(v) for v in value]
    return value


def load_summary(run_dir: str | Path) -> dict[str, Any]:
    path = Path(run_dir) / SUMMARY_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a finished benchmark run (no {SUMMARY_FILE})")
    return json.loads(path.read_text(encoding="utf-8"))

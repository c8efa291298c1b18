"""`RayVerifierPool`: any verifier's `verify_batch`, spread over a Ray cluster, with the same verdicts.

The batch is cut into chunks; each node worker has a few chunks in flight at a time and gets the next one as soon as
one comes back (`ray.wait`), so fast nodes take more and one slow job holds only its own chunk. Chunks amortise
Ray's per-call cost (a task round trip is about a millisecond) over many jobs.

Faults: a chunk whose node worker dies (node lost, actor killed) goes back in the queue and runs on another worker,
at most `max_retries` more times; a chunk that runs out of tries, or finds no node left that can run it, gets
`status="error"` verdicts saying why. Every result slot is filled exactly once from the one answer accepted for its
chunk: nothing is lost, duplicated or turned into a pass. Each verification keeps its own hard bound on the node;
the driver also gives every chunk a deadline (`chunk_deadline`), after which the worker is presumed hung, killed,
and the chunk retried, so no node can hang a batch.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rlvrgym.distributed.cluster import DOCKER_RESOURCE, NoDockerNode, connect, import_ray, live_nodes
from rlvrgym.distributed.fleet import Member, get_fleet
from rlvrgym.distributed.node import needs_docker
from rlvrgym.verifiers.verdict import Verdict


@dataclass
class _Chunk:
    start: int
    stop: int
    attempts: int = 0
    failures: list[str] = field(default_factory=list)


class RayVerifierPool:
    """Wraps a verifier so that `verify_batch` runs on a Ray cluster; a drop-in `VerifierLike` (name, verify,
    verify_batch) for environments, reward functions and the benchmark.

    Args:
        verifier: any verifier (built-in, plug-in or your own; it must be picklable and importable on the nodes).
        address: the cluster to join; default `$RAY_ADDRESS`, else the Ray already initialised in this process,
            else a local instance started now. Connecting happens on the first batch, never at import.
        chunk_size: jobs per Ray call; default: enough chunks for every node to have several, at most 64 jobs.
        max_retries: how many more times a chunk lost with its node is run elsewhere before it becomes `error`.
        inflight_per_node: chunks each node worker holds at once (one running, the next ones queued behind it).
        docker_resource: the custom resource that marks nodes with a Docker engine (code jobs go only there).
        startup_grace: seconds a chunk may take beyond its verifications' own bounds (worker and container
            start-up on a cold node) before the driver declares the node hung.
        node_ids: use only these Ray nodes (default: every live node that can run the verifier).
    """

    def __init__(self, verifier: Any, *, address: str | None = None, chunk_size: int | None = None,
                 max_retries: int = 2, inflight_per_node: int = 3, docker_resource: str = DOCKER_RESOURCE,
                 startup_grace: float = 180.0, node_ids: Sequence[str] | None = None) -> None:
        if not callable(getattr(verifier, "verify", None)):
            raise TypeError(f"RayVerifierPool wraps a verifier (something with verify()), got {verifier!r}")
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
        if max_retries < 0 or inflight_per_node < 1:
            raise ValueError("need max_retries >= 0 and inflight_per_node >= 1")
        self.verifier = verifier
        self.name = getattr(verifier, "name", type(verifier).__name__)
        self.address = address
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        self.inflight_per_node = inflight_per_node
        self.docker_resource = docker_resource
        self.startup_grace = startup_grace
        self.node_ids = frozenset(node_ids) if node_ids is not None else None
        #: Node id that produced each verdict of the last batch ("" where none did): for tests and dashboards.
        self.last_placement: list[str] = []
        self.stats = {"batches": 0, "jobs": 0, "chunks": 0, "retries": 0, "lost_chunks": 0, "errors": 0}

    @property
    def timeout(self) -> float:
        return float(getattr(self.verifier, "timeout", 60.0))

    def __getattr__(self, item: str) -> Any:
        # backend, limits, reward settings...: read through to the wrapped verifier (environments look at them)
        if item == "verifier":
            raise AttributeError(item)
        return getattr(self.verifier, item)

    def __repr__(self) -> str:
        return f"RayVerifierPool({self.verifier!r}, address={self.address!r})"

    def verify(self, completion: str, reference: Any) -> Verdict:
        return self.verify_batch([completion], [reference])[0]

    def _chunk_size(self, n: int, slots: int) -> int:
        if self.chunk_size is not None:
            return self.chunk_size
        return max(1, min(64, math.ceil(n / max(1, 2 * slots))))

    def chunk_deadline(self, jobs: int, node_cpus: int) -> float:
        """Seconds a chunk of `jobs` may take on a node before its worker is presumed hung: every job of every
        chunk in flight there at its own bound, one core's worth at a time, plus the start-up grace."""
        waves = math.ceil(jobs * self.inflight_per_node / max(1, node_cpus))
        return self.startup_grace + self.timeout * waves

    def verify_batch(self, completions: Sequence[Any], references: Sequence[Any]) -> list[Verdict]:
        """One verdict per completion, in input order, judged on the cluster's nodes."""
        if len(completions) != len(references):
            raise ValueError(f"got {len(completions)} completions but {len(references)} references")
        n = len(completions)
        self.last_placement = [""] * n
        if n == 0:
            return []
        ray = import_ray()
        connect(self.address)
        fleet = get_fleet()
        docker = needs_docker(self.verifier)
        members = self._members(fleet, docker)
        if docker and not members:
            nodes = live_nodes(self.docker_resource)
            raise NoDockerNode(
                f"{self.name} runs model code in the Docker sandbox, and none of the cluster's {len(nodes)} live "
                f"node(s) advertises the resource {self.docker_resource!r}. On a node with Docker and the sandbox "
                f"image: ray start --address=HEAD:6379 --resources='{{\"{self.docker_resource}\": 1}}'")
        self.stats["batches"] += 1
        self.stats["jobs"] += n
        size = self._chunk_size(n, sum(m.node.cpus for m in members) or 1)
        queue = deque(_Chunk(i, min(n, i + size)) for i in range(0, n, size))
        results: list[Verdict | None] = [None] * n
        vref = ray.put(self.verifier)
        inflight: dict[Any, tuple[_Chunk, Member, float]] = {}
        load: dict[str, int] = {}

        def fail(chunk: _Chunk, why: str) -> None:
            self.stats["errors"] += chunk.stop - chunk.start
            for i in range(chunk.start, chunk.stop):
                if results[i] is None:
                    results[i] = Verdict.error(why, lost_attempts=chunk.attempts, failures=list(chunk.failures))

        while queue or inflight:
            # hand out chunks to the least loaded workers that still have room
            while queue:
                free = [m for m in members if load.get(m.key, 0) < self.inflight_per_node]
                if not free:
                    break
                member = min(free, key=lambda m: load.get(m.key, 0))
                chunk = queue.popleft()
                ref = member.actor.verify_chunk.remote(vref, list(completions[chunk.start:chunk.stop]),
                                                       list(references[chunk.start:chunk.stop]))
                chunk.attempts += 1
                self.stats["chunks"] += 1
                deadline = time.monotonic() + self.chunk_deadline(chunk.stop - chunk.start, member.node.cpus)
                inflight[ref] = (chunk, member, deadline)
                load[member.key] = load.get(member.key, 0) + 1
            if not inflight:  # chunks left and no worker at all: every capable node is gone
                members = self._members(fleet, docker)
                if members:
                    continue
                where = "with Docker " if docker else ""
                while queue:
                    chunk = queue.popleft()
                    fail(chunk, f"no live node {where}is left to run this job; "
                                f"lost {chunk.attempts} time(s): {'; '.join(chunk.failures) or 'never started'}")
                break
            wait_s = max(0.0, min(d for _, _, d in inflight.values()) - time.monotonic())
            ready, _ = ray.wait(list(inflight), num_returns=1, timeout=min(wait_s, 5.0))
            if ready:  # collect everything else that is already done too
                ready, _ = ray.wait(list(inflight), num_returns=len(inflight), timeout=0)
            lost_any = False
            for ref in ready:
                chunk, member, _ = inflight.pop(ref)
                load[member.key] -= 1
                try:
                    verdicts = ray.get(ref)
                except (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError) as exc:
                    lost_any = True
                    self._lost(fleet, member, chunk, f"{type(exc).__name__} on node {member.key[:12]}", queue, fail)
                    continue
                except ray.exceptions.RayError as exc:  # the call itself failed: not a node fault, no retry
                    fail(chunk, f"the Ray call failed: {type(exc).__name__}: {str(exc)[:300]}")
                    continue
                for offset, verdict in enumerate(verdicts):
                    results[chunk.start + offset] = verdict
                    self.last_placement[chunk.start + offset] = member.key
            now = time.monotonic()
            for ref, (chunk, member, deadline) in list(inflight.items()):
                if now > deadline:
                    inflight.pop(ref)
                    load[member.key] -= 1
                    try:
                        ray.cancel(ref)
                    except Exception:
                        pass  # the worker is killed below anyway
                    lost_any = True
                    bound = self.chunk_deadline(chunk.stop - chunk.start, member.node.cpus)
                    self._lost(fleet, member, chunk, f"node {member.key[:12]} gave no answer within {bound:.0f} s",
                               queue, fail)
            if lost_any:
                members = self._members(fleet, docker)
        out = [v if v is not None else Verdict.error("no verdict came back for this job") for v in results]
        return out

    def _members(self, fleet: Any, docker: bool) -> list[Member]:
        members = fleet.members(docker, self.docker_resource)
        return [m for m in members if self.node_ids is None or m.key in self.node_ids]

    def _lost(self, fleet: Any, member: Member, chunk: _Chunk, why: str, queue: deque, fail: Any) -> None:
        """A chunk's worker is gone (or hung): drop the worker, then retry the chunk or give it error verdicts."""
        fleet.lost(member)
        self.stats["lost_chunks"] += 1
        chunk.failures.append(why)
        if chunk.attempts <= self.max_retries:
            self.stats["retries"] += 1
            queue.append(chunk)
        else:
            fail(chunk, f"this job's node was lost {chunk.attempts} times ({'; '.join(chunk.failures)}); "
                        "no verdict")

    def close(self) -> None:
        """Nothing to release per pool: node workers are shared; `rlvrgym.distributed.shutdown()` ends them."""

    def __enter__(self) -> RayVerifierPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

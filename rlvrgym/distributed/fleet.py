"""The driver's view of its node workers: one `NodeWorker` actor per live node, created on demand, pinned to its
node, replaced when it dies, shared by every `RayVerifierPool` and remote environment of this process."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from rlvrgym.distributed.cluster import DOCKER_RESOURCE, NodeInfo, import_ray, live_nodes

#: After a node's worker is lost, no new worker is placed there for this long: Ray may still list a dead node as
#: alive for a while, and an actor pinned to it would never start.
NODE_COOLDOWN_S = 30.0


@dataclass
class Member:
    """A node worker: its actor handle and the node it is pinned to."""

    node: NodeInfo
    actor: Any

    @property
    def key(self) -> str:
        return self.node.node_id


class Fleet:
    """Node workers of this driver, keyed by node id."""

    def __init__(self) -> None:
        self.pool_label = f"ray-{uuid.uuid4().hex[:12]}"
        self._members: dict[str, Member] = {}
        self._lost: dict[str, float] = {}
        self._lock = threading.Lock()
        self._actor_class: Any = None

    def _remote_class(self) -> Any:
        if self._actor_class is None:
            ray = import_ray()
            from rlvrgym.distributed.node import NodeWorker

            self._actor_class = ray.remote(NodeWorker)
        return self._actor_class

    def members(self, docker: bool, docker_resource: str = DOCKER_RESOURCE) -> list[Member]:
        """Live workers on the nodes that can take the work (Docker nodes only when `docker`), starting one on each
        such node that has none. Empty when no node qualifies."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        nodes = live_nodes(docker_resource)
        now = time.monotonic()
        with self._lock:
            alive = {n.node_id for n in nodes}
            for key in [k for k in self._members if k not in alive]:
                self._members.pop(key)  # Ray says the node is gone: its actor went with it
            out = []
            for node in nodes:
                if docker and not node.docker:
                    continue
                member = self._members.get(node.node_id)
                if member is None:
                    if now - self._lost.get(node.node_id, -1e9) < NODE_COOLDOWN_S:
                        continue
                    actor = self._remote_class().options(
                        num_cpus=0, max_concurrency=max(8, 4 * node.cpus), max_restarts=0,
                        scheduling_strategy=NodeAffinitySchedulingStrategy(node.node_id, soft=False),
                    ).remote(node.node_id, node.cpus, self.pool_label)
                    member = self._members[node.node_id] = Member(node, actor)
                elif node.docker != member.node.docker:
                    member.node = node  # the node's resources changed; its worker is still good
                out.append(member)
            return out

    def lost(self, member: Member) -> None:
        """A call to this worker failed with the actor gone: forget it, kill what may be left, cool the node off."""
        ray = import_ray()
        with self._lock:
            if self._members.get(member.key) is member:
                self._members.pop(member.key)
            self._lost[member.key] = time.monotonic()
        try:
            ray.kill(member.actor, no_restart=True)
        except Exception:
            pass

    def all_members(self) -> list[Member]:
        with self._lock:
            return list(self._members.values())

    def close(self, timeout: float = 60.0) -> None:
        """Close every worker (each stops its worker processes and removes its containers), then end the actors."""
        ray = import_ray()
        with self._lock:
            members, self._members = list(self._members.values()), {}
        refs = [m.actor.close.remote() for m in members]
        if refs:
            ray.wait(refs, num_returns=len(refs), timeout=timeout)
        for m in members:
            try:
                ray.kill(m.actor, no_restart=True)
            except Exception:
                pass


_fleet: Fleet | None = None
_fleet_lock = threading.Lock()


def get_fleet() -> Fleet:
    global _fleet
    with _fleet_lock:
        if _fleet is None:
            _fleet = Fleet()
        return _fleet


def close_fleet() -> None:
    """Close this process's node workers (no-op when there are none or Ray is already down)."""
    global _fleet
    with _fleet_lock:
        fleet, _fleet = _fleet, None
    if fleet is None:
        return
    try:
        import ray
    except ImportError:
        return
    if ray.is_initialized():
        fleet.close()


def fleet_reports(timeout: float = 10.0) -> dict[str, Any]:
    """Each live worker's `report()`, by node id (workers that do not answer in time are left out)."""
    with _fleet_lock:
        fleet = _fleet
    if fleet is None:
        return {}
    ray = import_ray()
    members = fleet.all_members()
    refs = {m.key: m.actor.report.remote() for m in members}
    ready, _ = ray.wait(list(refs.values()), num_returns=len(refs), timeout=timeout) if refs else ([], [])
    out = {}
    for key, ref in refs.items():
        if ref in ready:
            try:
                out[key] = ray.get(ref)
            except Exception as exc:
                out[key] = {"error": f"{type(exc).__name__}"}
    return out

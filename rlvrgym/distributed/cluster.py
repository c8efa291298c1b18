"""Connecting to Ray, and the cluster's nodes as rlvrgym sees them.

Nothing here imports `ray` at module import time: `import rlvrgym` (and even `import rlvrgym.distributed`) never
imports Ray or starts it. Ray is imported, and a cluster joined or a local instance started, only when a caller asks
for the Ray executor.
"""

from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any

#: The custom resource a node advertises when it has a Docker engine and the sandbox image
#: (`ray start --resources='{"rlvrgym_docker": 1}'`). Code jobs go only to such nodes.
DOCKER_RESOURCE = "rlvrgym_docker"

INSTALL_HINT = 'pip install "rlvrgym[ray]"'

_lock = threading.Lock()
_started_here = False
_exit_hook = False


class NoDockerNode(ValueError):
    """A batch needs the Docker sandbox and no live node of the cluster advertises the Docker resource."""


def import_ray() -> ModuleType:
    """`ray`, or an ImportError that says how to get it."""
    try:
        import ray
    except ImportError as exc:
        raise ImportError(f"the Ray executor needs Ray: {INSTALL_HINT} ({exc})") from None
    return ray


def connect(address: str | None = None, **init_kwargs: Any) -> str:
    """Join the Ray cluster at `address` (else `$RAY_ADDRESS`), or start a local instance when neither is set.

    A Ray already initialised in this process is used as it is (a trainer such as verl or OpenRLHF has done it).
    The local instance binds 127.0.0.1 and has no dashboard: it is for one machine only. Returns the GCS address.
    """
    global _started_here, _exit_hook
    ray = import_ray()
    with _lock:
        if not ray.is_initialized():
            address = address or os.environ.get("RAY_ADDRESS") or None
            if address:
                ray.init(address=address, **init_kwargs)
            else:
                # address="local": never attach silently to some other instance found in /tmp/ray on this host
                options = {"include_dashboard": False, "_node_ip_address": "127.0.0.1", **init_kwargs}
                ray.init(address="local", **options)
                _started_here = True
        if not _exit_hook:  # after ray.init, so it runs before Ray's own exit hook (atexit is LIFO)
            atexit.register(shutdown)
            _exit_hook = True
        return str(ray.get_runtime_context().gcs_address)


def shutdown() -> None:
    """Close every node actor of this process (their warm workers and containers go with them), and stop Ray if
    `connect` started a local instance. Safe to call twice; a cluster joined by address keeps running."""
    global _started_here
    from rlvrgym.distributed.fleet import close_fleet

    close_fleet()
    if _started_here:
        import ray

        ray.shutdown()
        _started_here = False


@dataclass(frozen=True)
class NodeInfo:
    """One live Ray node: its id, address, CPUs Ray counts on it, and whether it advertises Docker."""

    node_id: str
    address: str
    cpus: int
    docker: bool
    resources: dict[str, float]


def live_nodes(docker_resource: str = DOCKER_RESOURCE) -> list[NodeInfo]:
    """The cluster's live nodes, in Ray's order."""
    ray = import_ray()
    out = []
    for node in ray.nodes():
        if not node.get("Alive"):
            continue
        resources = {k: float(v) for k, v in (node.get("Resources") or {}).items()}
        out.append(NodeInfo(node_id=node["NodeID"], address=str(node.get("NodeManagerAddress", "")),
                            cpus=max(1, int(resources.get("CPU", 1))),
                            docker=resources.get(docker_resource, 0) > 0, resources=resources))
    return out


def cluster_description(docker_resource: str = DOCKER_RESOURCE) -> dict[str, Any] | None:
    """What a benchmark's provenance records about the cluster: address, Ray version, each node's resources and,
    for nodes that have run work, the host and sandbox image seen there. None when Ray is not initialised."""
    try:
        import ray
    except ImportError:
        return None
    if not ray.is_initialized():
        return None
    from rlvrgym.distributed.fleet import fleet_reports

    reports = fleet_reports()
    nodes = []
    for node in live_nodes(docker_resource):
        resources = {k: v for k, v in node.resources.items() if not k.startswith("node:")}
        nodes.append({"node_id": node.node_id, "address": node.address, "cpus": node.cpus, "docker": node.docker,
                      "resources": resources, "worker": reports.get(node.node_id)})
    return {"address": str(ray.get_runtime_context().gcs_address), "ray_version": ray.__version__,
            "docker_resource": docker_resource, "nodes": nodes}

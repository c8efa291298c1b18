"""Verification and benchmark episodes on a Ray cluster (`pip install "rlvrgym[ray]"`).

`RayVerifierPool(verifier, address=...)` (or `get_verifier(name, executor="ray")`) runs `verify_batch` over the
cluster's nodes with the verdicts the verifier gives locally; `rlvrgym bench --ray [ADDRESS]` steps the benchmark's
environments there. Importing this package does not import Ray; the first batch connects (see `connect`).
"""

from rlvrgym.distributed.cluster import (
    DOCKER_RESOURCE,
    NodeInfo,
    NoDockerNode,
    cluster_description,
    connect,
    live_nodes,
    shutdown,
)
from rlvrgym.distributed.executor import RayVerifierPool
from rlvrgym.distributed.node import POOL_LABEL, NodeWorker, needs_docker

__all__ = ["DOCKER_RESOURCE", "POOL_LABEL", "NoDockerNode", "NodeInfo", "NodeWorker", "RayVerifierPool",
           "cluster_description", "connect", "live_nodes", "needs_docker", "shutdown"]

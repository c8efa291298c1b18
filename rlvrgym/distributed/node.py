"""What runs on each node: one long-lived `NodeWorker` (a Ray actor) owning that node's warm verifier workers, its
warm Docker sandbox pool and the benchmark environments placed there.

Every verification still runs where it runs locally, under the same bounds: a `BoundedPool` worker killed at the
verifier's timeout, or a sandbox container with its own wall clock. The actor only hands work to them, so a verdict
from a node is the verdict the same verifier gives on the caller's machine.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
from collections.abc import Sequence
from typing import Any

from rlvrgym.verifiers.base import Verifier
from rlvrgym.verifiers.bounded import BoundedPool
from rlvrgym.verifiers.verdict import Verdict

#: Label on every container a node worker starts, valued with the worker's pool label, so that its containers can
#: be found (and tests can check none is left) without touching other users' sandboxes on a shared engine.
POOL_LABEL = "rlvrgym.distributed.pool"


def needs_docker(verifier: Any) -> bool:
    """True for verifiers that run model code in the Docker sandbox (their jobs go only to Docker nodes)."""
    return getattr(verifier, "backend", None) == "docker"


class NodeWorker:
    """Runs chunks of a batch and steps environments on one node. Thread-safe: Ray runs several calls at once
    (a threaded actor), and they share the node's pools, which bound the parallelism to the node's cores."""

    def __init__(self, node_id: str, cpus: int, pool_label: str) -> None:
        self.node_id = node_id
        self.cpus = max(1, int(cpus))
        self.pool_label = pool_label
        self.pool = BoundedPool(self.cpus)
        self._sandboxes: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._envs: dict[int, Any] = {}
        self._env_ids = itertools.count(1)
        self.stats = {"chunks": 0, "jobs": 0, "env_steps": 0}

    # -- verification -----------------------------------------------------------------------------------------
    def _sandbox(self, verifier: Any) -> Any:
        """The node's one warm sandbox for this verifier's configuration (created on first use, never per job)."""
        from rlvrgym.sandbox import make_sandbox

        options = dict(getattr(verifier, "sandbox_options", {}) or {})
        backend = verifier.backend
        key = repr((backend, bool(getattr(verifier, "allow_unsafe", False)), sorted(options.items())))
        with self._lock:
            sandbox = self._sandboxes.get(key)
            if sandbox is None:
                if backend == "docker":
                    labels = {**options.get("extra_labels", {}), POOL_LABEL: self.pool_label}
                    sandbox = make_sandbox("docker", **{**options, "extra_labels": labels})
                else:
                    sandbox = make_sandbox(backend, allow_unsafe=bool(verifier.allow_unsafe), **options)
                self._sandboxes[key] = sandbox
            return sandbox

    def bind(self, verifier: Any) -> Any:
        """Point a verifier that arrived by pickle at this node's pools: its worker processes and, for the code
        verifier, the node's warm sandbox (the same thing `CodeVerifier(sandbox=...)` does at construction)."""
        if isinstance(verifier, Verifier):
            verifier._pool = self.pool
        if hasattr(verifier, "_sandbox") and getattr(verifier, "backend", None) in ("docker", "local"):
            verifier._sandbox = self._sandbox(verifier)
        return verifier

    def verify_chunk(self, verifier: Any, completions: Sequence[Any], references: Sequence[Any]) -> list[Verdict]:
        """One verdict per item, in order. Never raises for what the work does: a fault of this node (no sandbox,
        a broken verifier) is an `error` verdict for each item of the chunk, never a pass."""
        self.stats["chunks"] += 1
        self.stats["jobs"] += len(completions)
        try:
            self.bind(verifier)
            if callable(getattr(verifier, "verify_batch", None)):
                verdicts = list(verifier.verify_batch(completions, references))
            else:
                verdicts = [verifier.verify(c, r) for c, r in zip(completions, references, strict=True)]
            if len(verdicts) != len(completions) or not all(isinstance(v, Verdict) for v in verdicts):
                raise TypeError(f"verify_batch returned {len(verdicts)} items for {len(completions)} completions")
            return verdicts
        except Exception as exc:
            why = f"verification failed on node {self.node_id[:12]}: {type(exc).__name__}: {exc}"
            return [Verdict.error(why)] * len(completions)

    # -- environments (rlvrgym bench --ray) ---------------------------------------------------------------------
    def env_open(self, env_id: str, kwargs: dict[str, Any]) -> int:
        import gymnasium as gym

        import rlvrgym  # noqa: F401  (registers the environments)

        env = gym.make(env_id, disable_env_checker=True, **kwargs)
        verifier = getattr(env.unwrapped, "verifier", None)
        if verifier is not None:
            self.bind(verifier)
        handle = next(self._env_ids)
        self._envs[handle] = env
        return handle

    def env_call(self, handle: int, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if method not in ("reset", "step"):
            raise ValueError(f"an environment is reset or stepped remotely, not {method!r}")
        if method == "step":
            self.stats["env_steps"] += 1
        return getattr(self._envs[handle], method)(*args, **kwargs)

    def env_close(self, handle: int) -> None:
        env = self._envs.pop(handle, None)
        if env is not None:
            env.close()

    # -- life cycle -------------------------------------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        """Where this worker runs and what it has done: recorded in a benchmark's provenance."""
        images = {}
        for sandbox in list(self._sandboxes.values()):
            image = getattr(sandbox, "image", None)
            if image:
                try:
                    images[image] = sandbox.client.images.get(image).id
                except Exception as exc:
                    images[image] = f"unknown ({type(exc).__name__})"
        return {"host": socket.gethostname(), "pid": os.getpid(), "cpus": self.cpus, "sandbox_images": images,
                **self.stats}

    def close(self) -> int:
        """Stop the environments, the worker processes and every container; returns how many sandboxes closed."""
        for handle in list(self._envs):
            try:
                self.env_close(handle)
            except Exception:
                pass
        self.pool.shutdown()
        with self._lock:
            sandboxes, self._sandboxes = list(self._sandboxes.values()), {}
        for sandbox in sandboxes:
            sandbox.close()
        return len(sandboxes)

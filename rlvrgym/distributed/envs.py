"""Environments that step on the cluster's nodes, for `rlvrgym bench --ray`.

A `RemoteEnv` pairs an environment living in a node worker (where `step` verifies, with that node's warm workers
and containers) with a local twin that is reset alike but never stepped: the runner and the privileged sanity
policies read the task from the twin (`env.unwrapped`), while every verification happens on the node. If the node is
lost, the environment is opened again on another node and its episode replayed (reset with the same seed, then the
same actions: rlvrgym's environments are deterministic given those), at most `max_retries` times; after that the
step raises and the runner records the episode as `env_error`.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from rlvrgym.distributed.cluster import DOCKER_RESOURCE, NoDockerNode, connect, import_ray, live_nodes
from rlvrgym.distributed.fleet import Fleet, Member, get_fleet
from rlvrgym.distributed.node import needs_docker


class RemoteEnv:
    """Duck-typed `gym.Env` for the benchmark runner: `reset`, `step`, `close`, `unwrapped`, `spec`."""

    def __init__(self, local: gym.Env, env_id: str, kwargs: dict[str, Any], member: Member, fleet: Fleet,
                 docker: bool, max_retries: int = 2) -> None:
        self.local = local
        self.env_id = env_id
        self.kwargs = kwargs
        self.fleet = fleet
        self.docker = docker
        self.max_retries = max_retries
        self.member = member
        self.handle: int | None = None
        self._history: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    @property
    def unwrapped(self) -> gym.Env:
        return self.local.unwrapped

    @property
    def spec(self) -> Any:
        return self.local.spec

    def _open(self) -> None:
        ray = import_ray()
        self.handle = ray.get(self.member.actor.env_open.remote(self.env_id, self.kwargs))

    def _call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        ray = import_ray()
        failures: list[str] = []
        while True:
            try:
                if self.handle is None:
                    self._open()
                    for past in self._history:  # replay the episode so far on the new node
                        ray.get(self.member.actor.env_call.remote(self.handle, *past))
                return ray.get(self.member.actor.env_call.remote(self.handle, method, args, kwargs))
            except (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError) as exc:
                failures.append(f"{type(exc).__name__} on node {self.member.key[:12]}")
                self.fleet.lost(self.member)
                if len(failures) > self.max_retries:
                    raise RuntimeError(f"the environment's node was lost {len(failures)} times: "
                                       f"{'; '.join(failures)}") from None
                self.member = _pick(self.fleet, self.docker)
                self.handle = None
            except ray.exceptions.RayTaskError as exc:  # the environment itself raised: same as a local env
                raise exc.as_instanceof_cause() from None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        self.local.reset(seed=seed, options=options)
        self._history = []
        out = self._call("reset", (), {"seed": seed, "options": options})
        self._history.append(("reset", (), {"seed": seed, "options": options}))
        return out

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        out = self._call("step", (action,), {})
        self._history.append(("step", (action,), {}))
        return out

    def close(self) -> None:
        self.local.close()
        if self.handle is not None:
            try:
                self.member.actor.env_close.remote(self.handle)
            except Exception:
                pass
            self.handle = None


def _pick(fleet: Fleet, docker: bool, docker_resource: str = DOCKER_RESOURCE, index: int = 0) -> Member:
    members = fleet.members(docker, docker_resource)
    if not members:
        if docker:
            raise NoDockerNode(f"this environment runs model code in the Docker sandbox, and no live node advertises "
                               f"the resource {docker_resource!r} ({len(live_nodes(docker_resource))} live nodes)")
        raise RuntimeError("no live Ray node can run this environment")
    return members[index % len(members)]


def remote_envs(envs: list[gym.Env], env_id: str, kwargs: dict[str, Any], address: str | None) -> list[RemoteEnv]:
    """Spread `envs` (made locally, kept as twins) round-robin over the nodes that can run them, and open each
    one's remote counterpart now (in parallel), so a missing Docker node fails the run before any episode."""
    ray = import_ray()
    connect(address or None)
    fleet = get_fleet()
    docker = any(needs_docker(getattr(e.unwrapped, "verifier", None)) for e in envs)
    out = [RemoteEnv(env, env_id, kwargs, _pick(fleet, docker, index=i), fleet, docker) for i, env in enumerate(envs)]
    refs = [r.member.actor.env_open.remote(env_id, kwargs) for r in out]
    for remote, handle in zip(out, ray.get(refs), strict=True):
        remote.handle = handle
    return out

"""The Docker backend: a pool of warm, hardened containers, each running the runner, one job at a time.

Every setting of the design note (docs/sandbox.md) is here: no network, read-only root, a small
noexec /tmp, no IPC namespace sharing, memory = memory+swap, CPU quota, a pid limit, all capabilities dropped
except the three the runner needs to switch to the job uids and kill them, no-new-privileges with the default
seccomp profile, ulimits, an init that reaps zombies, an explicit environment, no volumes, bounded logs, and labels
a janitor uses to remove leftovers at start-up and exit.
"""

from __future__ import annotations

import atexit
import os
import socket
import struct
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Any

from rlvrgym.sandbox.base import ChannelError, FrameReader, PooledSandbox, RunnerChannel, SandboxUnavailable
from rlvrgym.sandbox.image import RUNNER_PATH, image_tag

LABEL = "rlvrgym.sandbox"
OWNER_LABEL = "rlvrgym.sandbox.owner"
FIX_ENGINE = ("start the Docker engine (Debian: sudo apt-get install -y docker.io && sudo dockerd &), "
              "or run `source scripts/setup.sh && ensure_docker`")
FIX_IMAGE = "build the sandbox image: rlvrgym sandbox build-image"


@dataclass(frozen=True)
class DockerConfig:
    """Container-level bounds and pool shape (per-job bounds are `Limits`).

    Attributes:
        image: image tag; default the content-hash tag of this version's recipe.
        pool_size: warm containers; default the number of cores.
        memory_mb: container memory limit, also its memory+swap limit (no swap).
        cpus: CPU quota per container.
        pids_limit: processes per container (a fork bomb stops here; `ulimit nproc` would count across containers).
        tmpfs_mb: size of the container's only writable place, /tmp.
        max_jobs: jobs before a container is replaced as a matter of routine.
        pin_cpus: give container i the CPU i mod cores (less cache thrash; off by default).
        runtime: an OCI runtime such as "runsc" (gVisor) or "crun"; None is the engine's default.
    """

    image: str | None = None
    pool_size: int | None = None
    memory_mb: int = 512
    cpus: float = 1.0
    pids_limit: int = 128
    tmpfs_mb: int = 32
    max_jobs: int = 200
    pin_cpus: bool = False
    runtime: str | None = None
    extra_labels: dict[str, str] = field(default_factory=dict)


def docker_client(timeout: int = 60) -> Any:
    import docker

    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as exc:
        raise SandboxUnavailable(f"the Docker engine is not reachable ({type(exc).__name__}: {exc}); "
                                 f"{FIX_ENGINE}") from None
    return client


def container_kwargs(cfg: DockerConfig, image: str, name: str, cpu_index: int, owner: str) -> dict[str, Any]:
    """The hardened settings of one sandbox container (docker-py `containers.create` keyword arguments)."""
    from docker.types import LogConfig, Ulimit

    kwargs: dict[str, Any] = dict(
        image=image, name=name, command=["python3", "-I", "-S", RUNNER_PATH], detach=True, stdin_open=True,
        tty=False, network_mode="none", read_only=True,
        tmpfs={"/tmp": f"rw,nosuid,nodev,noexec,size={cfg.tmpfs_mb}m,mode=1777"}, ipc_mode="none",
        mem_limit=f"{cfg.memory_mb}m", memswap_limit=f"{cfg.memory_mb}m", nano_cpus=int(cfg.cpus * 1e9),
        pids_limit=cfg.pids_limit, cap_drop=["ALL"], cap_add=["SETUID", "SETGID", "KILL"],
        security_opt=["no-new-privileges"], user="0:0", init=True, working_dir="/tmp", hostname="sandbox",
        ulimits=[Ulimit(name="nofile", soft=1024, hard=1024), Ulimit(name="core", soft=0, hard=0),
                 Ulimit(name="fsize", soft=cfg.tmpfs_mb << 20, hard=cfg.tmpfs_mb << 20)],
        environment={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
                     "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
        labels={LABEL: "1", OWNER_LABEL: owner, **cfg.extra_labels},
        log_config=LogConfig(type="json-file", config={"max-size": "1m", "max-file": "1"}),
    )
    if cfg.pin_cpus:
        kwargs["cpuset_cpus"] = str(cpu_index % (os.cpu_count() or 1))
    if cfg.runtime:
        kwargs["runtime"] = cfg.runtime
    return kwargs


def new_owner() -> str:
    """host:pid:instance, so the janitor can tell a dead owner's leftovers from a live sandbox's containers."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_alive(owner: str) -> bool:
    host, pid, _ = [*owner.split(":"), "", "", ""][:3]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def janitor(client: Any, owner: str | None = None) -> int:
    """Remove labelled sandbox containers of `owner`, or (no owner) those whose owner process is gone; returns how
    many. Containers of other live processes are left alone: several trainers may share one engine."""
    removed = 0
    # sparse: no per-container inspect, which races with containers other sandboxes are removing right now
    for c in client.containers.list(all=True, filters={"label": LABEL}, sparse=True):
        label = (c.attrs.get("Labels") or {}).get(OWNER_LABEL, "")
        if label == owner if owner is not None else not _owner_alive(label):
            try:
                c.remove(force=True)
                removed += 1
            except Exception:
                pass
    return removed


class DockerChannel(RunnerChannel):
    """A runner in a container, reached through the attach socket (stdin in, multiplexed stdout out)."""

    def __init__(self, client: Any, kwargs: dict[str, Any], start_timeout: float) -> None:
        self.client = client
        self.name = kwargs["name"]
        self.container = None
        self.sock: socket.socket | None = None
        self.frames = FrameReader()
        self.pending = b""
        self._killed = False
        try:
            self.container = client.containers.create(**kwargs)
            attach = client.api.attach_socket(self.container.id, params={"stdin": 1, "stdout": 1, "stream": 1})
            self.sock = attach._sock if hasattr(attach, "_sock") else attach
            self.container.start()
            ready = self.recv(time.monotonic() + start_timeout, 1 << 16)
            if not ready.get("ready"):
                raise ChannelError(f"runner did not say ready: {ready}")
        except BaseException:
            self.kill()
            raise

    def send(self, data: bytes) -> None:
        assert self.sock is not None
        try:
            self.sock.settimeout(30)
            self.sock.sendall(data)
        except OSError as exc:
            raise ChannelError(f"cannot send to the runner: {exc}") from None

    def recv(self, deadline: float, max_bytes: int) -> dict[str, Any]:
        assert self.sock is not None
        while True:
            msg = self.frames.next(max_bytes)
            if msg is not None:
                return msg
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelError("the runner missed the host-side deadline")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(1 << 16)
            except TimeoutError:
                raise ChannelError("the runner missed the host-side deadline") from None
            except OSError as exc:
                raise ChannelError(f"lost the runner: {exc}") from None
            if not chunk:
                raise ChannelError("the runner exited")
            self._demux(chunk, max_bytes)

    def _demux(self, chunk: bytes, max_bytes: int) -> None:
        """Docker's attach stream: 8-byte headers (stream, 0, 0, 0, size) before each payload piece."""
        self.pending += chunk
        while len(self.pending) >= 8:
            stream, size = self.pending[0], struct.unpack(">I", self.pending[4:8])[0]
            if size > max_bytes + 8:
                raise ChannelError(f"attach frame of {size} bytes is over the budget")
            if len(self.pending) < 8 + size:
                return
            payload, self.pending = self.pending[8:8 + size], self.pending[8 + size:]
            if stream == 1:
                self.frames.feed(payload)
                if len(self.frames.buf) > max_bytes + 4:
                    raise ChannelError("the runner's answer is over the host-side byte budget")

    def kill(self) -> None:
        if self._killed:
            return
        self._killed = True
        if self.sock is not None:
            # shut the attach stream down, then close it, before removing: a removal while docker-py still reads
            # the socket waits out its 60 s read timeout
            for end in (lambda: self.sock.shutdown(socket.SHUT_RDWR), self.sock.close):
                try:
                    end()
                except OSError:
                    pass
        if self.container is not None:
            try:
                self.container.remove(force=True)
            except Exception:
                pass


_LIVE: weakref.WeakSet[DockerSandbox] = weakref.WeakSet()


def close_all() -> None:
    """Close every Docker sandbox of this process (their containers go). Runs at exit; a server must also call it
    on shutdown, because uvicorn re-raises SIGTERM after its graceful shutdown and the process then dies without
    running exit handlers."""
    for sandbox in list(_LIVE):
        sandbox.close()


atexit.register(close_all)


class DockerSandbox(PooledSandbox):
    """The default and only secure backend. See `DockerConfig` for the knobs and `Limits` for per-job bounds."""

    backend = "docker"
    secure = True

    def __init__(self, config: DockerConfig | None = None, *, client: Any = None, warm: bool = False) -> None:
        self.config = config or DockerConfig()
        super().__init__(self.config.pool_size or os.cpu_count() or 1, max_jobs=self.config.max_jobs)
        self.client = client or docker_client()
        self.image = self.config.image or image_tag()
        import docker

        try:
            self.client.images.get(self.image)
        except docker.errors.ImageNotFound:
            raise SandboxUnavailable(f"the sandbox image {self.image} is missing; {FIX_IMAGE}") from None
        self.owner = new_owner()
        janitor(self.client)
        self._cpu = 0
        self._cpu_lock = threading.Lock()
        _LIVE.add(self)
        if warm:
            self.warm_up()

    def _start_runner(self) -> RunnerChannel:
        with self._cpu_lock:
            index, self._cpu = self._cpu, self._cpu + 1
        name = f"rlvrgym-sbx-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        return DockerChannel(self.client, container_kwargs(self.config, self.image, name, index, self.owner),
                             self.start_timeout)

    def close(self, wait: float = 60.0) -> None:
        if self._closed:
            return
        super().close(wait)
        try:
            janitor(self.client, owner=self.owner)
        except Exception:
            pass

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("a DockerSandbox holds live containers and cannot be pickled; pickle its DockerConfig")

"""`LocalProcessSandbox`: the runner as a plain child process, for trusted code and machines without Docker.

It keeps the bounds (rlimits, wall clock from the host, output budget, a process group per run, a temp dir) but not
the isolation: the code can read and write your files, reach the network, and a `setsid` escapee can outlive it.
It is therefore refused for untrusted code unless `allow_unsafe=True`, and every result says `backend="local"`.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

from rlvrgym.sandbox.base import ChannelError, FrameReader, PooledSandbox, RunnerChannel, SandboxUnavailable
from rlvrgym.sandbox.image import runner as runner_module


class LocalChannel(RunnerChannel):
    def __init__(self, start_timeout: float) -> None:
        self.dir = tempfile.mkdtemp(prefix="rlvrgym-local-")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RLVRGYM_RUNNER_LOCAL": self.dir, "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen([sys.executable, "-I", "-S", runner_module.__file__], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, start_new_session=True)
        self.name = f"local-{self.proc.pid}"
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.out = self.proc.stdout.fileno()
        self.frames = FrameReader()
        try:
            ready = self.recv(time.monotonic() + start_timeout, 1 << 16)
            if not ready.get("ready"):
                raise ChannelError(f"runner did not say ready: {ready}")
        except BaseException:
            self.kill()
            raise

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except OSError as exc:
            raise ChannelError(f"cannot send to the runner: {exc}") from None

    def recv(self, deadline: float, max_bytes: int) -> dict[str, Any]:
        while True:
            msg = self.frames.next(max_bytes)
            if msg is not None:
                return msg
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelError("the runner missed the host-side deadline")
            ready, _, _ = select.select([self.out], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.out, 1 << 16)
            if not chunk:
                raise ChannelError("the runner exited")
            self.frames.feed(chunk)
            if len(self.frames.buf) > max_bytes + 4:
                raise ChannelError("the runner's answer is over the host-side byte budget")

    def kill(self) -> None:
        for sig in (signal.SIGKILL,):
            try:
                os.killpg(self.proc.pid, sig)
            except OSError:
                pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class LocalProcessSandbox(PooledSandbox):
    """Runner processes on this machine. Bounds yes, isolation no; see the module docstring."""

    backend = "local"
    secure = False

    def __init__(self, *, allow_unsafe: bool = False, pool_size: int | None = None, max_jobs: int = 200) -> None:
        if not allow_unsafe:
            raise SandboxUnavailable("LocalProcessSandbox does not isolate model code from this machine's files and "
                                     "network; pass allow_unsafe=True only for trusted code, or use the Docker "
                                     "sandbox")
        super().__init__(pool_size or os.cpu_count() or 1, max_jobs=max_jobs)

    def _start_runner(self) -> RunnerChannel:
        return LocalChannel(self.start_timeout)

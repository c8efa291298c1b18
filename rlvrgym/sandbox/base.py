"""The sandbox interface and the warm-runner pool shared by the Docker and local backends.

A backend supplies `RunnerChannel`s: a live runner process (`image/runner.py`) it can send a framed job to, read a
framed answer from under a deadline and a byte budget, and kill. The pool keeps `size` of them warm, gives each one
job at a time, and recycles a runner after a timeout, an out-of-memory kill, an output overflow, an infrastructure
fault, leftovers, or `max_jobs` jobs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import queue
import struct
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rlvrgym.sandbox.job import ExecResult, ExecStatus, Job, answer_bytes, result_from_wire

#: Statuses after which a runner is replaced. A timeout, an out-of-memory kill or an output overflow needs no
#: replacement: the runner kills every process of the job's uids and removes their IPC objects and files after every
#: job, then checks that nothing is left, and reports anything it cannot prove gone as `dirty` (also a replacement).
RECYCLE_AFTER = frozenset({ExecStatus.SANDBOX_ERROR})


class SandboxUnavailable(RuntimeError):
    """The backend cannot run anything here (no engine, no image); the message says how to fix it."""


class ChannelError(RuntimeError):
    """The runner broke the protocol, went away or missed the deadline; the runner is then killed."""


class RunnerChannel(ABC):
    """One live runner. `recv` must enforce `deadline` (monotonic seconds) and `max_bytes` on the host side."""

    name: str = ""

    @abstractmethod
    def send(self, data: bytes) -> None: ...

    @abstractmethod
    def recv(self, deadline: float, max_bytes: int) -> dict[str, Any]: ...

    @abstractmethod
    def kill(self) -> None:
        """SIGKILL the runner and everything it started, and release every resource. Idempotent."""


def frame(obj: dict[str, Any]) -> bytes:
    data = json.dumps(obj).encode()
    return struct.pack(">I", len(data)) + data


class FrameReader:
    """Cuts runner frames (4-byte length + JSON) out of a byte stream, refusing any frame over the budget."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, chunk: bytes) -> None:
        self.buf += chunk

    def next(self, max_bytes: int) -> dict[str, Any] | None:
        if len(self.buf) < 4:
            return None
        (size,) = struct.unpack(">I", self.buf[:4])
        if size > max_bytes:
            raise ChannelError(f"runner answer of {size} bytes is over the budget of {max_bytes}")
        if len(self.buf) < 4 + size:
            return None
        body = bytes(self.buf[4:4 + size])
        del self.buf[:4 + size]
        try:
            msg = json.loads(body)
        except ValueError as exc:
            raise ChannelError(f"runner sent malformed JSON: {exc}") from None
        if not isinstance(msg, dict):
            raise ChannelError("runner sent a non-object message")
        return msg


class Sandbox(ABC):
    """Runs untrusted code and returns raw facts (`ExecResult`); it never decides a reward."""

    backend: str = ""
    #: Whether the backend isolates untrusted code from the host (file system, network, other processes).
    secure: bool = False

    @abstractmethod
    def run(self, job: Job) -> ExecResult:
        """Run one job to completion; never raises for anything the job's code does."""

    def run_batch(self, jobs: Sequence[Job]) -> list[ExecResult]:
        """Run jobs concurrently (as many at once as the backend has warm runners); results in job order."""
        if not jobs:
            return []
        with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), self.parallelism))) as ex:
            return list(ex.map(self.run, jobs))

    async def arun(self, job: Job) -> ExecResult:
        return await asyncio.to_thread(self.run, job)

    async def arun_batch(self, jobs: Sequence[Job]) -> list[ExecResult]:
        return await asyncio.to_thread(self.run_batch, jobs)

    @property
    def parallelism(self) -> int:
        return 1

    def close(self) -> None:  # noqa: B027 - backends without resources have nothing to release
        """Release every runner; the sandbox cannot be used afterwards."""

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Runner:
    def __init__(self, channel: RunnerChannel) -> None:
        self.channel = channel
        self.jobs = 0


class PooledSandbox(Sandbox):
    """`size` warm runners, one job each at a time. Subclasses implement `_start_runner`."""

    def __init__(self, size: int, max_jobs: int = 200, start_timeout: float = 60.0, grace: float = 10.0) -> None:
        if size < 1:
            raise ValueError(f"pool size must be at least 1, got {size}")
        self.size = size
        self.max_jobs = max_jobs
        self.start_timeout = start_timeout
        self.grace = grace
        self._idle: queue.Queue[_Runner | None] = queue.Queue()
        self._lock = threading.Lock()
        self._live = 0
        self._closed = False
        self._ids = itertools.count(1)
        self._start_error: str = ""
        self._starting = 0  # runners being started right now; close() waits for them
        self._started = threading.Condition(self._lock)
        self.recycled = 0

    @property
    def parallelism(self) -> int:
        return self.size

    @abstractmethod
    def _start_runner(self) -> RunnerChannel:
        """Start a runner and wait for its ready message; raise `SandboxUnavailable` or `ChannelError`."""

    def warm_up(self) -> None:
        """Start all runners now (in parallel) rather than on first use."""
        with self._lock:
            missing = self.size - self._live
            self._live += missing
        with ThreadPoolExecutor(max_workers=max(1, missing)) as ex:
            list(ex.map(lambda _: self._spawn(), range(missing)))
        if self._start_error and self._idle.qsize() == 0:
            raise SandboxUnavailable(self._start_error)

    def _in_background(self, target: Any, *args: Any) -> None:
        """Run a start-up or replacement in a thread, counted from now on so that close() waits for it."""
        with self._lock:
            self._starting += 1

        def run() -> None:
            try:
                target(*args)
            finally:
                with self._lock:
                    self._starting -= 1
                    self._started.notify_all()

        threading.Thread(target=run, daemon=True).start()

    def _spawn(self) -> None:
        """Start one runner into the idle queue; `_live` was already counted for it."""
        try:
            channel = self._start_runner()
        except Exception as exc:  # reported to the waiting job
            self._start_error = f"{type(exc).__name__}: {exc}"
            with self._lock:
                self._live -= 1
            self._idle.put(None)  # wake a waiter so it can report the failure
            return
        if self._closed:
            channel.kill()
            return
        self._idle.put(_Runner(channel))

    def _acquire(self, deadline: float) -> _Runner:
        while True:
            with self._lock:
                if self._closed:
                    raise SandboxUnavailable("the sandbox is closed")
                grow = self._live < self.size and self._idle.qsize() == 0
                if grow:
                    self._live += 1
            if grow:
                self._in_background(self._spawn)
            try:
                runner = self._idle.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise ChannelError(f"no runner became free in time ({self._start_error or 'pool busy'})") from None
            if runner is not None:
                return runner
            with self._lock:
                failed = self._live == 0
            if failed:
                raise SandboxUnavailable(self._start_error or "could not start a runner")

    def _release(self, runner: _Runner, recycle: bool) -> None:
        if recycle or self._closed or runner.jobs >= self.max_jobs:
            self.recycled += 1
            self._in_background(self._replace, runner)
        else:
            self._idle.put(runner)

    def _replace(self, runner: _Runner) -> None:
        # the old one goes away in parallel: its removal must not delay the replacement
        threading.Thread(target=runner.channel.kill, daemon=True).start()
        if self._closed:
            with self._lock:
                self._live -= 1
            return
        self._spawn()

    def run(self, job: Job) -> ExecResult:
        job_id = next(self._ids)
        try:
            wire = job.to_wire(job_id)
        except (TypeError, ValueError) as exc:
            return ExecResult.failure(self.backend, f"bad job: {exc}")
        try:
            runner = self._acquire(time.monotonic() + self.start_timeout)
        except (SandboxUnavailable, ChannelError) as exc:
            return ExecResult.failure(self.backend, str(exc))
        recycle = True
        try:
            runner.jobs += 1
            runner.channel.send(frame(wire))
            msg = runner.channel.recv(time.monotonic() + job.timeout + self.grace, answer_bytes(job.limits))
            if msg.get("id") != job_id:
                raise ChannelError(f"runner answered job {msg.get('id')!r}, expected {job_id}")
            result = result_from_wire(msg, job, self.backend, runner.channel.name)
            recycle = result.status in RECYCLE_AFTER or bool(msg.get("dirty"))
            if msg.get("dirty"):
                result = _with_flag(result, "leftovers_removed_by_recycling")
            return result
        except ChannelError as exc:
            return ExecResult.failure(self.backend, f"runner failed: {exc}", container=runner.channel.name)
        except Exception as exc:
            return ExecResult.failure(self.backend, f"{type(exc).__name__}: {exc}", container=runner.channel.name)
        finally:
            self._release(runner, recycle)

    def close(self, wait: float = 60.0) -> None:
        """Stop every runner, waiting up to `wait` seconds for those still starting (their containers too)."""
        with self._lock:
            self._closed = True
            self._started.wait_for(lambda: self._starting == 0, timeout=wait)
        while True:
            try:
                runner = self._idle.get_nowait()
            except queue.Empty:
                break
            if runner is not None:
                runner.channel.kill()
                with self._lock:
                    self._live -= 1


def _with_flag(result: ExecResult, flag: str) -> ExecResult:
    from dataclasses import replace

    return replace(result, flags=(*result.flags, flag))

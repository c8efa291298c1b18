"""Hard wall-clock bounds on verification, enforced from outside the work.

A verification runs in a warm worker process; the caller waits on a pipe with a deadline and SIGKILLs the worker
when it passes. `signal.alarm` is not enough (it works only on the main thread, and C code such as a sympy or gmpy
call ignores it), and `concurrent.futures.ProcessPoolExecutor` cannot kill one stuck task without breaking the
whole pool, hence this small pool of our own.
"""

from __future__ import annotations

import atexit
import math
import os
import pickle
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, Protocol

from rlvrgym.verifiers.verdict import Verdict

#: Modules a fresh worker imports before its first job, so the first verification is not charged for them.
PRELOAD = ["rlvrgym.verifiers"]

_IN_WORKER = False


class BoundedJob(Protocol):
    """What the pool runs: a picklable object whose `judge_safely` never raises (a `Verifier` is one). Said here,
    not by importing `Verifier`, so that `base` depends on this module and never the other way."""

    def judge_safely(self, completion: Any, reference: Any) -> Verdict: ...


def in_worker() -> bool:
    """True inside a verification worker: nested verifications then run inline under the outer bound."""
    return _IN_WORKER


class _Worker:
    """A `python -m rlvrgym.verifiers._worker` child. A fresh interpreter rather than multiprocessing's fork or
    forkserver: forking a multi-threaded trainer can deadlock, and forkserver/spawn re-run the user's `__main__`."""

    def __init__(self, memory_limit_mb: int | None, preload: list[str]) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        env["RLVRGYM_WORKER_MEMORY_MB"] = str(memory_limit_mb or 0)
        self.process = subprocess.Popen([sys.executable, "-m", "rlvrgym.verifiers._worker", *preload],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                        start_new_session=True)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.send_conn = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.recv_conn = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self.ready = False
        self.prepared: set[bytes] = set()
        # One poller for the worker's lifetime: Connection.poll builds and tears down a selector on every call.
        self._poller = select.poll()
        self._poller.register(self.recv_conn.fileno(), select.POLLIN)

    def answered_within(self, timeout: float) -> bool:
        """True once a reply (or EOF) is ready to read, False when `timeout` seconds pass first."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                if self._poller.poll(max(1, math.ceil(remaining * 1000))):
                    return True
            except InterruptedError:
                continue

    def wait_ready(self, timeout: float) -> bool:
        """The first message is the worker's "ready"; its start-up is not counted against a job's bound."""
        if not self.ready and self.answered_within(timeout):
            self.ready = self.recv_conn.recv() == "ready"
        return self.ready

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait(timeout=10)
        self.send_conn.close()
        self.recv_conn.close()


class BoundedPool:
    """A pool of warm worker processes; every job gets a deadline and a stuck worker is killed and replaced.

    Thread-safe: trainers call it from data-loader threads, the benchmark runner from a thread pool. A replacement
    worker starts as soon as one is killed, so its interpreter start-up overlaps with the caller's other work.
    """

    def __init__(self, max_workers: int | None = None, *, memory_limit_mb: int | None = 4096,
                 preload: Sequence[str] = PRELOAD, startup_timeout: float = 120.0) -> None:
        self.max_workers = max_workers or os.cpu_count() or 1
        self.memory_limit_mb = memory_limit_mb
        self.preload = list(preload)
        self.startup_timeout = startup_timeout
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._alive = 0
        self._closed = False
        self._threads: ThreadPoolExecutor | None = None
        self.stats = {"jobs": 0, "timeouts": 0, "crashes": 0, "workers_started": 0}

    def _spawn(self) -> _Worker:
        self.stats["workers_started"] += 1
        return _Worker(self.memory_limit_mb, self.preload)

    def _checkout(self) -> _Worker:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                with self._lock:
                    if self._closed:
                        raise RuntimeError("BoundedPool is shut down") from None
                    grow = self._alive < self.max_workers
                    if grow:
                        self._alive += 1
                if grow:
                    try:
                        return self._spawn()
                    except BaseException:
                        with self._lock:
                            self._alive -= 1
                        raise
                worker = self._idle.get()
            if worker.alive():
                return worker
            self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            closed = self._closed
            if closed:
                self._alive -= 1
        if not closed:
            try:
                self._idle.put(self._spawn())
            except OSError:
                with self._lock:
                    self._alive -= 1

    def run(self, verifier: BoundedJob, completion: Any, reference: Any, timeout: float) -> Verdict:
        """Judge one completion in a worker; never raises for what the work does, never waits past `timeout`
        (plus the worker's interpreter start-up, the first time)."""
        if type(verifier).__module__ == "__main__":
            raise TypeError(f"{type(verifier).__name__} is defined in __main__, which a worker process cannot "
                            "import: move it to a module, or construct it with isolation='inline'")
        blob = pickle.dumps(verifier)
        worker = self._checkout()
        try:
            if not worker.wait_ready(self.startup_timeout):
                self._replace(worker)
                return Verdict.error(f"a verification worker did not start within {self.startup_timeout:g} s")
            if blob not in worker.prepared:
                worker.send_conn.send(("prepare", blob))
                if not worker.answered_within(self.startup_timeout):
                    self._replace(worker)
                    return Verdict.error(f"a verifier did not load within {self.startup_timeout:g} s")
                worker.recv_conn.recv()
                if len(worker.prepared) > 32:  # the worker's own cache is cleared at that size too
                    worker.prepared.clear()
                worker.prepared.add(blob)
            self.stats["jobs"] += 1
            start = time.perf_counter()
            worker.send_conn.send(("job", blob, completion, reference))
            if worker.answered_within(timeout):
                verdict = worker.recv_conn.recv()
                self._idle.put(worker)
                return verdict
        except (EOFError, OSError, pickle.PicklingError) as exc:
            self.stats["crashes"] += 1
            code = worker.process.poll()
            self._replace(worker)
            return Verdict.error(f"the verification worker died (exit code {code}): {type(exc).__name__}")
        self.stats["timeouts"] += 1
        self._replace(worker)
        return Verdict.timeout(f"verification did not finish within {timeout:g} s and was killed",
                               timeout_s=timeout, elapsed_s=round(time.perf_counter() - start, 3))

    def map(self, verifier: BoundedJob, completions: Sequence[Any], references: Sequence[Any],
            timeout: float) -> list[Verdict]:
        """`run` over many pairs, spread over the workers by the pool's threads (one per worker); results keep
        their order."""
        if len(completions) != len(references):
            raise ValueError(f"got {len(completions)} completions but {len(references)} references")
        if not completions:
            return []
        with self._lock:
            if self._closed:
                raise RuntimeError("BoundedPool is shut down")
            if self._threads is None:
                # Kept for the pool's lifetime: starting a thread pool per call cost more than the verifications
                # themselves at the batch sizes of a benchmark or a GRPO group (8 verdicts in 6 ms instead of 1.5).
                self._threads = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="rlvrgym-verify")
            threads = self._threads
        return list(threads.map(lambda pair: self.run(verifier, pair[0], pair[1], timeout),
                                zip(completions, references, strict=True)))

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            threads, self._threads = self._threads, None
        if threads is not None:
            threads.shutdown(wait=False, cancel_futures=True)
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            try:
                worker.send_conn.send(None)
            except OSError:
                pass
            worker.kill()
            with self._lock:
                self._alive -= 1


_default_pool: BoundedPool | None = None
_default_lock = threading.Lock()


def default_pool() -> BoundedPool:
    """The process-wide pool (size: the number of cores), created on first use and shut down at exit."""
    global _default_pool
    with _default_lock:
        if _default_pool is None or _default_pool._closed:
            size = int(os.environ.get("RLVRGYM_VERIFY_WORKERS", "0")) or None
            _default_pool = BoundedPool(size)
            atexit.register(_default_pool.shutdown)
        return _default_pool

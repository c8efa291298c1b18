"""Verification off the event loop: verifier instances, admission control and the executor that runs batches.

A request's items are grouped by (verifier, options); each group is one `verify_batch` call on a thread of a
bounded pool, so it lands in the verifier's own worker pool (math, physics) or the Docker pool (code) exactly as
in-process. Admission is counted in items: when the items waiting or running would pass `max_queue`, the request is
refused at once (503) instead of queuing without end.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rlvrgym.rewards import RewardBreakdown, RewardSpec
from rlvrgym.serve.config import ServeConfig, client_verifier_options
from rlvrgym.serve.metrics import Metrics
from rlvrgym.verifiers.base import VerifierLike
from rlvrgym.verifiers.registry import get_verifier
from rlvrgym.verifiers.verdict import Verdict

logger = logging.getLogger("rlvrgym.serve")

Scored = tuple[Verdict, RewardBreakdown | None]


def score_items(verifier: VerifierLike, completions: Sequence[str], references: Sequence[Any],
                spec: RewardSpec | None) -> list[Scored]:
    """The one place the server turns completions into verdicts and reward breakdowns.

    The breakdown is `RewardSpec.compute` on the verdict, as the environments do (until the shared
    `rewards.score_batch` lands, this is the only call site to switch). A verifier whose batch call crashes is
    asked item by item, so a crash costs only the item that caused it (an `error` verdict), never the batch.
    """
    verdicts = _verify_batch(verifier, completions, references)
    if spec is None:
        return [(v, None) for v in verdicts]
    return [(v, spec.compute(v, c)) for v, c in zip(verdicts, completions, strict=True)]


def _verify_batch(verifier: VerifierLike, completions: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
    batch = getattr(verifier, "verify_batch", None)
    if batch is not None:
        try:
            verdicts = list(batch(list(completions), list(references)))
            if len(verdicts) == len(completions) and all(isinstance(v, Verdict) for v in verdicts):
                return verdicts
            logger.warning("%s.verify_batch returned %d results for %d items; verifying one by one",
                           type(verifier).__name__, len(verdicts), len(completions))
        except Exception as exc:  # a plug-in's batch path failed as a whole: fall back to one call per item
            logger.warning("%s.verify_batch failed (%s: %s); verifying one by one", type(verifier).__name__,
                           type(exc).__name__, exc)
    out = []
    for completion, reference in zip(completions, references, strict=True):
        try:
            verdict = verifier.verify(completion, reference)
            if not isinstance(verdict, Verdict):
                verdict = Verdict.error(f"{type(verifier).__name__}.verify returned {type(verdict).__name__}")
        except Exception as exc:
            verdict = Verdict.error(f"{getattr(verifier, 'name', '') or type(verifier).__name__} failed: "
                                    f"{type(exc).__name__}: {exc}")
        out.append(verdict)
    return out


class VerifierCache:
    """Verifier instances by (name, options), built once: building one may import sympy or start a sandbox pool."""

    def __init__(self, config: ServeConfig, size: int = 64) -> None:
        self.config = config
        self.size = size
        self._items: OrderedDict[tuple[str, str], VerifierLike] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, name: str, options: dict[str, Any]) -> VerifierLike:
        """Raises KeyError (unknown name), PolicyError (operator-only option), TypeError/ValueError (bad option)."""
        merged = client_verifier_options(name, options, self.config)
        key = (name, json.dumps(merged, sort_keys=True, default=str))
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        verifier = get_verifier(name, **merged)
        with self._lock:
            self._items[key] = verifier
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return verifier


@dataclass
class Job:
    verifier: VerifierLike
    name: str
    completions: list[str]
    references: list[Any]
    spec: RewardSpec | None


class Overloaded(RuntimeError):
    """The queue is full; the client should come back after Retry-After."""


class LocalExecutor:
    """Runs jobs on a thread pool of this process; the threads wait on the verifiers' own pools."""

    name = "local"

    def __init__(self, threads: int) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rlvrgym-serve")

    def submit(self, fn: Callable[[], list[Scored]]) -> concurrent.futures.Future[list[Scored]]:
        return self._pool.submit(fn)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class Verification:
    """Admission, the executor and the metrics of verification; `submit` is safe to call from the event loop."""

    def __init__(self, config: ServeConfig, metrics: Metrics, executor: Any | None = None) -> None:
        self.config = config
        self.metrics = metrics
        self.verifiers = VerifierCache(config)
        self.executor = executor or LocalExecutor(config.batch_threads)
        self._lock = threading.Lock()
        self._admitted = 0

    @property
    def admitted(self) -> int:
        return self._admitted

    def admit(self, n: int) -> None:
        with self._lock:
            if self._admitted + n > self.config.max_queue:
                self.metrics.rejected.labels("queue_full").inc()
                raise Overloaded(f"the verification queue is full ({self._admitted} items waiting or running, "
                                 f"limit {self.config.max_queue}); retry later")
            self._admitted += n
        self.metrics.enqueue(n)

    def _release(self, n: int) -> None:
        with self._lock:
            self._admitted -= n

    def submit(self, job: Job) -> concurrent.futures.Future[list[Scored]]:
        """Queue one admitted job; its accounting and metrics complete even when nobody waits for it any more."""
        n = len(job.completions)
        started = threading.Event()
        metrics = self.metrics

        def run() -> list[Scored]:
            started.set()
            metrics.start(n)
            t0 = time.perf_counter()
            scored = score_items(job.verifier, job.completions, job.references, job.spec)
            metrics.verify_seconds.labels(job.name).observe(time.perf_counter() - t0)
            for verdict, _ in scored:
                metrics.verifications.labels(job.name, str(verdict.status)).inc()
            return scored

        def done(_: concurrent.futures.Future[list[Scored]]) -> None:
            metrics.finish(n, started.is_set())
            self._release(n)

        future = self.executor.submit(run)
        future.add_done_callback(done)
        return future

    def shutdown(self) -> None:
        self.executor.shutdown()

"""Verification off the event loop: verifier instances, admission control and the executor that runs batches.

A request's items are grouped by (verifier, options); each group is one `verify_batch` call on a thread of a
bounded pool, so it lands in the verifier's own worker pool (math, physics) or the Docker pool (code) exactly as
in-process. Admission is counted in items: when the items waiting or running would pass `max_queue`, the request is
refused at once (503) instead of queuing without end.
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rlvrgym.rewards import RewardBreakdown, RewardSpec, score_batch
from rlvrgym.serve.config import ServeConfig, client_verifier_options
from rlvrgym.serve.metrics import Metrics
from rlvrgym.verifiers.base import VerifierLike
from rlvrgym.verifiers.registry import get_verifier
from rlvrgym.verifiers.verdict import Verdict

logger = logging.getLogger("rlvrgym.serve")

Scored = tuple[Verdict, RewardBreakdown | None]


def score_items(verifier: VerifierLike, completions: Sequence[str], references: Sequence[Any],
                spec: RewardSpec | None, contexts: Sequence[Mapping[str, Any] | None] | None = None
                ) -> list[Scored]:
    """The one place the server turns completions into verdicts and reward breakdowns: the project's scoring
    function, `rlvrgym.rewards.score_batch`, as the environments and the GRPO reward functions call it.

    The verifier is handed over behind `_ItemByItemOnCrash`: a verifier whose batch call crashes as a whole is asked
    item by item, so a crash costs only the item that caused it (an `error` verdict), never the batch.
    """
    scored = score_batch(completions, references, _ItemByItemOnCrash(verifier), spec or RewardSpec(),
                         contexts=contexts)
    return [(s.verdict, s.breakdown if spec is not None else None) for s in scored]


class _ItemByItemOnCrash:
    """A verifier as `score_batch` sees it, with `verify_batch` that never raises for what the verifier does."""

    def __init__(self, verifier: VerifierLike) -> None:
        self.verifier = verifier

    @property
    def name(self) -> str:
        return str(getattr(self.verifier, "name", "") or type(self.verifier).__name__)

    def verify(self, completion: str, reference: Any) -> Verdict:
        return _verify_batch(self.verifier, [completion], [reference])[0]

    def verify_batch(self, completions: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        return _verify_batch(self.verifier, completions, references)


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
        if self.config.executor == "ray":
            verifier = on_ray(verifier, self.config)
        with self._lock:
            self._items[key] = verifier
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return verifier


def on_ray(verifier: VerifierLike, config: ServeConfig) -> VerifierLike:
    """The verifier with its batches on the Ray cluster (`rlvrgym.distributed`), the same verdicts."""
    from rlvrgym.distributed import RayVerifierPool

    if isinstance(verifier, RayVerifierPool):
        return verifier
    return RayVerifierPool(verifier, address=config.ray_address)


@dataclass
class Job:
    verifier: VerifierLike
    name: str
    completions: list[str]
    references: list[Any]
    spec: RewardSpec | None
    contexts: list[Mapping[str, Any] | None] | None = None


class Overloaded(RuntimeError):
    """The queue is full; the client should come back after Retry-After."""


class LocalExecutor:
    """Runs jobs on a thread pool of this process; the threads wait on the verifiers' own pools."""

    name = "local"

    def __init__(self, threads: int) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rlvrgym-serve")

    def submit(self, fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        return self._pool.submit(fn)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class Verification:
    """Admission, coalescing, the executor and the metrics of verification; `submit` is safe from any thread.

    Jobs for the same verifier (and reward spec) that arrive while that verifier is busy are merged into its next
    `verify_batch` call, up to `max_batch` items: a math check takes well under a millisecond, so the cost of a
    call (threads, hand-offs) would otherwise dominate when many small requests arrive at once. No job waits for
    company: an idle verifier starts on a job at once. At most `batches_per_verifier` batches of one verifier run
    at a time, so one batch's slow tail does not leave the workers idle.
    """

    def __init__(self, config: ServeConfig, metrics: Metrics, executor: Any | None = None) -> None:
        self.config = config
        self.metrics = metrics
        self.verifiers = VerifierCache(config)
        self.executor = executor or LocalExecutor(config.batch_threads)
        self._lock = threading.Lock()
        self._admitted = 0
        self._pending: dict[tuple[int, Any], list[tuple[Job, concurrent.futures.Future[list[Scored]]]]] = {}
        self._running: dict[tuple[int, Any], int] = {}

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

    def submit(self, job: Job) -> concurrent.futures.Future[list[Scored]]:
        """Queue one admitted job. Its accounting and metrics complete even when nobody waits for it any more;
        cancelling the future before the job's batch starts drops the job (its client went away)."""
        n = len(job.completions)
        future: concurrent.futures.Future[list[Scored]] = concurrent.futures.Future()

        def done(_: concurrent.futures.Future[list[Scored]]) -> None:
            with self._lock:
                self._admitted -= n

        future.add_done_callback(done)
        self.metrics.enqueue(n)
        key = (id(job.verifier), job.spec)
        with self._lock:
            self._pending.setdefault(key, []).append((job, future))
        self._dispatch(key)
        return future

    def _dispatch(self, key: tuple[int, Any]) -> None:
        """Start a batch of `key`'s pending jobs if fewer than `batches_per_verifier` run; called on every submit
        and whenever a batch ends."""
        while True:
            with self._lock:
                pending = self._pending.get(key)
                if not pending or self._running.get(key, 0) >= self.config.batches_per_verifier:
                    return
                taken: list[tuple[Job, concurrent.futures.Future[list[Scored]]]] = []
                size = 0
                while pending and (not taken or size + len(pending[0][0].completions) <= self.config.max_batch):
                    job, future = pending.pop(0)
                    size += len(job.completions)
                    taken.append((job, future))
                if not pending:
                    del self._pending[key]
                self._running[key] = self._running.get(key, 0) + 1
            live = []
            for job, future in taken:
                if future.set_running_or_notify_cancel():
                    live.append((job, future))
                else:
                    self.metrics.finish(len(job.completions), started=False)
            if not live:
                self._ended(key)
                continue
            self.executor.submit(functools.partial(self._run, key, live))
            return

    def _ended(self, key: tuple[int, Any]) -> None:
        with self._lock:
            self._running[key] -= 1
            if not self._running[key]:
                del self._running[key]

    def _run(self, key: tuple[int, Any], live: list[tuple[Job, concurrent.futures.Future[list[Scored]]]]) -> None:
        n = sum(len(job.completions) for job, _ in live)
        metrics = self.metrics
        metrics.start(n)
        first = live[0][0]
        try:
            t0 = time.perf_counter()
            contexts = [c for job, _ in live for c in (job.contexts or [None] * len(job.completions))]
            scored = score_items(first.verifier, [c for job, _ in live for c in job.completions],
                                 [r for job, _ in live for r in job.references], first.spec,
                                 contexts if any(c is not None for c in contexts) else None)
            metrics.verify_seconds.labels(first.name).observe(time.perf_counter() - t0)
            for verdict, _ in scored:
                metrics.verifications.labels(first.name, str(verdict.status)).inc()
            start = 0
            for job, future in live:
                future.set_result(scored[start:start + len(job.completions)])
                start += len(job.completions)
        except BaseException as exc:  # score_items does not raise for what a verifier does; this is a bug
            logger.exception("a verification batch failed")
            for _, future in live:
                if not future.done():
                    future.set_exception(exc)
        finally:
            metrics.finish(n, started=True)
            self._ended(key)
            self._dispatch(key)

    def shutdown(self) -> None:
        self.executor.shutdown()

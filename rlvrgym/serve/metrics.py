"""Prometheus metrics of one server: what the design asks to watch (accuracy, mean steps, p99 latency, load).

Every app has its own `CollectorRegistry`, so two servers in one process (tests) never share counters. No label
ever carries a token, a session id or a raw path (ids would grow the series without bound): routes are labelled by
their template, e.g. `/envs/{env_id}/sessions/{session_id}/step`.
"""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

#: Seconds; from a cached math check (well under a millisecond) to a code batch in the sandbox (minutes).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                   60.0, 120.0, 300.0, 600.0)
STEP_BUCKETS = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("rlvrgym_serve_requests", "HTTP requests by route template, method and status",
                                ["route", "method", "status"], registry=r)
        self.request_seconds = Histogram("rlvrgym_serve_request_seconds", "HTTP request latency by route template",
                                         ["route"], buckets=LATENCY_BUCKETS, registry=r)
        self.verifications = Counter("rlvrgym_serve_verifications", "Verdicts returned, by verifier and status",
                                     ["verifier", "status"], registry=r)
        self.verify_seconds = Histogram("rlvrgym_serve_verify_batch_seconds",
                                        "Time one verifier spent on one batch (group of a request), by verifier",
                                        ["verifier"], buckets=LATENCY_BUCKETS, registry=r)
        self.queue_depth = Gauge("rlvrgym_serve_queue_depth", "Verification items admitted and waiting for a thread",
                                 registry=r)
        self.inflight = Gauge("rlvrgym_serve_inflight_items", "Verification items being verified now", registry=r)
        self.rejected = Counter("rlvrgym_serve_rejected", "Requests refused for overload (503), by reason",
                                ["reason"], registry=r)
        self.sessions_open = Gauge("rlvrgym_serve_sessions_open", "Open environment sessions", registry=r)
        self.sessions_created = Counter("rlvrgym_serve_sessions_created", "Environment sessions created",
                                        ["env_id"], registry=r)
        self.sessions_expired = Counter("rlvrgym_serve_sessions_expired",
                                        "Environment sessions closed for being idle longer than the TTL", registry=r)
        self.episode_steps = Histogram("rlvrgym_serve_episode_steps",
                                       "Steps per finished episode (mean = _sum / _count)", ["env_id"],
                                       buckets=STEP_BUCKETS, registry=r)
        self.episodes = Counter("rlvrgym_serve_episodes",
                                "Finished episodes by result (success rate = success / all results)",
                                ["env_id", "result"], registry=r)
        self._lock = threading.Lock()
        self._queued = 0
        self._running = 0

    # Queue accounting is moved from worker threads and the event loop alike, hence the lock.
    def enqueue(self, n: int) -> None:
        with self._lock:
            self._queued += n
            self.queue_depth.set(self._queued)

    def start(self, n: int) -> None:
        with self._lock:
            self._queued -= n
            self._running += n
            self.queue_depth.set(self._queued)
            self.inflight.set(self._running)

    def finish(self, n: int, started: bool) -> None:
        with self._lock:
            if started:
                self._running -= n
            else:  # cancelled before a thread took it (its client went away)
                self._queued -= n
            self.queue_depth.set(self._queued)
            self.inflight.set(self._running)

    def render(self) -> bytes:
        return generate_latest(self.registry)

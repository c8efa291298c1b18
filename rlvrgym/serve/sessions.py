"""Environment sessions: one Gymnasium environment per session, many sessions per server, idle ones reclaimed.

Each session has an asyncio lock (two calls on one session run one after the other, never interleaved) and is
stepped on a thread pool, because `step` runs a verifier. A reaper closes sessions idle longer than the TTL and
counts them, so a trainer that forgets to delete its sessions cannot exhaust the server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from rlvrgym.serve.metrics import Metrics

logger = logging.getLogger("rlvrgym.serve")


class SessionLimit(RuntimeError):
    """No room for another session; the client should come back after Retry-After."""


class SessionNotFound(KeyError):
    pass


@dataclass
class Session:
    id: str
    env_id: str
    env: gym.Env
    seed: int | None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_used: float = field(default_factory=time.monotonic)
    steps: int = 0
    episode_open: bool = False
    resets: int = 0
    busy: asyncio.Future[Any] | None = None


def space_info(space: gym.Space) -> dict[str, Any]:
    """A space as JSON a client can rebuild; text spaces are what our environments use."""
    from gymnasium.spaces import Text

    if isinstance(space, Text):
        return {"type": "text", "min_length": space.min_length, "max_length": space.max_length}
    return {"type": type(space).__name__, "repr": repr(space)}


def jsonable(value: Any) -> Any:
    """Info dicts as JSON: numpy scalars become numbers (not strings), anything unknown its text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if hasattr(value, "to_dict"):
        return jsonable(value.to_dict())
    item = getattr(value, "item", None)  # numpy scalars and 0-d arrays
    if callable(item) and getattr(value, "ndim", 1) == 0:
        return jsonable(item())
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return jsonable(tolist())
    return str(value)


def episode_result(info: dict[str, Any]) -> str:
    verdict = info.get("verdict")
    correct = verdict.get("correct") if isinstance(verdict, dict) else None
    return "success" if correct is True else "failure" if correct is False else "undecided"


class SessionStore:
    def __init__(self, metrics: Metrics, max_sessions: int, ttl_s: float, threads: int,
                 wrap_verifier: Callable[[Any], Any] | None = None) -> None:
        self.metrics = metrics
        self.wrap_verifier = wrap_verifier
        self.max_sessions = max_sessions
        self.ttl_s = ttl_s
        self.sessions: dict[str, Session] = {}
        self._reserved = 0
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rlvrgym-env")
        self._reaper: asyncio.Task[None] | None = None

    async def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.pool, lambda: fn(*args, **kwargs))

    async def _call(self, session: Session, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run an environment method on a thread. A caller that gives up (deadline, client gone) cannot stop the
        thread, so the next call on the session first waits for it: an environment is never used by two threads."""
        if session.busy is not None and not session.busy.done():
            await asyncio.wait([session.busy])
        future = asyncio.get_running_loop().run_in_executor(self.pool, lambda: fn(*args, **kwargs))
        future.add_done_callback(lambda f: f.cancelled() or f.exception())  # an orphan's error is not "unretrieved"
        session.busy = future
        return await asyncio.shield(future)

    async def create(self, env_id: str, kwargs: dict[str, Any], seed: int | None) -> Session:
        """Build the environment on a thread; raises SessionLimit when the server holds `max_sessions`."""
        if len(self.sessions) + self._reserved >= self.max_sessions:
            self.metrics.rejected.labels("sessions_full").inc()
            raise SessionLimit(f"the server holds {len(self.sessions)} sessions, its limit: delete finished sessions "
                               "or retry after idle ones expire")
        self._reserved += 1
        try:
            env = await self.run(gym.make, env_id, **kwargs)
        finally:
            self._reserved -= 1
        base = env.unwrapped
        if self.wrap_verifier is not None and hasattr(base, "verifier"):
            base.verifier = self.wrap_verifier(base.verifier)  # e.g. the Ray executor: steps verify on the cluster
        session = Session(secrets.token_urlsafe(16), env_id, env, seed)
        self.sessions[session.id] = session
        self.metrics.sessions_created.labels(env_id).inc()
        self.metrics.sessions_open.set(len(self.sessions))
        return session

    def get(self, env_id: str, session_id: str, *, touch: bool = True) -> Session:
        """The session; `touch=False` looks without counting as use (a status check keeps nothing alive)."""
        session = self.sessions.get(session_id)
        if session is None or session.env_id != env_id:
            raise SessionNotFound(f"no session {session_id!r} for {env_id}: it was deleted, expired after "
                                  f"{self.ttl_s:g} s idle, or never existed")
        if touch:
            session.last_used = time.monotonic()
        return session

    async def reset(self, session: Session, seed: int | None, options: dict[str, Any] | None
                    ) -> tuple[Any, dict[str, Any]]:
        async with session.lock:
            if seed is None and session.resets == 0:
                seed = session.seed  # the seed given at creation seeds the first episode
            obs, info = await self._call(session, session.env.reset, seed=seed, options=options)
            session.resets += 1
            session.steps = 0
            session.episode_open = True
            session.last_used = time.monotonic()
            return obs, info

    async def step(self, session: Session, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        async with session.lock:
            if not session.episode_open:
                raise RuntimeError("this session's episode has ended (or never started): call reset first")
            obs, reward, terminated, truncated, info = await self._call(session, session.env.step, action)
            session.steps += 1
            session.last_used = time.monotonic()
            if terminated or truncated:
                session.episode_open = False
                self.metrics.episode_steps.labels(session.env_id).observe(session.steps)
                self.metrics.episodes.labels(session.env_id, episode_result(info)).inc()
            return obs, float(reward), bool(terminated), bool(truncated), info

    async def delete(self, session: Session, *, expired: bool = False) -> None:
        if self.sessions.pop(session.id, None) is None:
            return
        self.metrics.sessions_open.set(len(self.sessions))
        if expired:
            self.metrics.sessions_expired.inc()
        try:
            async with session.lock:  # a call in flight finishes before its environment is closed
                await self._call(session, session.env.close)
        except Exception as exc:  # a failing close must not keep the slot or stop the reaper
            logger.warning("closing an environment of %s failed: %s: %s", session.env_id, type(exc).__name__, exc)

    async def expire_idle(self) -> int:
        """Close every session idle longer than the TTL (a session in a call holds its lock and is skipped)."""
        now = time.monotonic()
        stale = [s for s in list(self.sessions.values())
                 if now - s.last_used > self.ttl_s and not s.lock.locked()
                 and (s.busy is None or s.busy.done())]
        for session in stale:
            await self.delete(session, expired=True)
        return len(stale)

    def start_reaper(self) -> None:
        interval = min(max(self.ttl_s / 4, 0.05), 5.0)

        async def reap() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await self.expire_idle()
                except Exception:  # keep reaping whatever one close did
                    logger.exception("the session reaper failed once")

        self._reaper = asyncio.get_running_loop().create_task(reap())

    async def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        for session in list(self.sessions.values()):
            await self.delete(session)
        self.pool.shutdown(wait=False, cancel_futures=True)

"""Clients of `rlvrgym serve`: a verifier and an environment that run on a server.

- `RemoteVerifier(url, token=..., verifier="math")` is a `Verifier`: pass it wherever a verifier goes
  (`gym.make("MathAnswer-v0", verifier=RemoteVerifier(...))`, the GRPO reward functions' `env_kwargs`). Its verdicts
  are the server's `Verdict.to_dict()`, the same as an in-process verification of the same inputs.
- `RemoteEnv(url, "MathAnswer-v0", token=...)` is a Gymnasium environment whose state lives in a server session:
  `reset`/`step`/`close` are HTTP calls, the spaces are rebuilt from the server's description.

Both retry connection failures and 503 (overload, honouring Retry-After) with exponential backoff, and bound every
request by `timeout`. A call that cannot have reached the server is always retried; a `step`, which is not
idempotent, is not retried once it may have been applied. Needs httpx (`pip install 'rlvrgym[serve]'`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import gymnasium as gym

from rlvrgym.envs.spaces import UnicodeText
from rlvrgym.rewards import RewardBreakdown, RewardSpec
from rlvrgym.verifiers.base import Verifier
from rlvrgym.verifiers.verdict import Verdict

logger = logging.getLogger(__name__)

#: Server answers worth another try: overload, and a proxy that lost the server.
RETRY_STATUSES = frozenset({502, 503})


class RemoteError(RuntimeError):
    """The server refused a request (4xx/5xx after retries), or could not be reached (`status` None)."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class _Http:
    """One keep-alive connection pool per client object (rebuilt after unpickling), with retries."""

    def __init__(self, url: str, token: str | None, timeout: float, retries: int, backoff: float,
                 max_backoff: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {url!r}")
        if timeout <= 0 or retries < 0 or backoff < 0:
            raise ValueError("need timeout > 0, retries >= 0 and backoff >= 0")
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._client: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_client": None}  # sockets stay in the process that opened them

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                import httpx
            except ImportError as exc:
                raise ImportError("the rlvrgym client needs httpx: pip install 'rlvrgym[serve]'") from exc
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            self._client = httpx.Client(base_url=self.url, headers=headers, timeout=self.timeout,
                                        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _wait(self, attempt: int, retry_after: str | None = None) -> None:
        delay = min(self.backoff * 2 ** attempt, self.max_backoff)
        if retry_after is not None and retry_after.isdigit():
            delay = max(delay, min(float(retry_after), self.max_backoff))
        time.sleep(delay)

    def request(self, method: str, path: str, body: Any = None, *, idempotent: bool = True) -> Any:
        """The reply's JSON. Retries what is safe to retry; raises RemoteError with the server's explanation."""
        import httpx

        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                logger.debug("retrying %s %s (%s)", method, path, last)
            try:
                reply = self.client.request(method, path, json=body)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                last = f"cannot connect to {self.url}: {type(exc).__name__}: {exc}"
                if attempt < self.retries:
                    self._wait(attempt)
                continue
            except httpx.TransportError as exc:  # sent, maybe applied: only an idempotent call may go again
                last = f"{method} {path} to {self.url} failed: {type(exc).__name__}: {exc}"
                if not idempotent:
                    raise RemoteError(last) from exc
                if attempt < self.retries:
                    self._wait(attempt)
                continue
            if reply.status_code in RETRY_STATUSES:
                last = f"HTTP {reply.status_code} from {self.url}{path}: {_explain(reply)}"
                if attempt < self.retries:
                    self._wait(attempt, reply.headers.get("retry-after"))
                continue
            if reply.status_code >= 400:
                raise RemoteError(f"HTTP {reply.status_code} from {self.url}{path}: {_explain(reply)}",
                                  reply.status_code, _body(reply))
            return reply.json()
        raise RemoteError(f"gave up after {self.retries + 1} attempts: {last}")


def _body(reply: Any) -> Any:
    try:
        return reply.json()
    except ValueError:
        return reply.text[:500]


def _explain(reply: Any) -> str:
    body = _body(reply)
    if isinstance(body, dict) and "error" in body:
        return f"{body['error']}: {body.get('detail')}"
    return str(body)[:500]


class RemoteVerifier(Verifier):
    """A verifier that runs on a `rlvrgym serve` server.

    Args:
        url: the server, e.g. "http://127.0.0.1:8000".
        token: the server's token (sent as `Authorization: Bearer`); None for a tokenless loopback server.
        verifier: the server-side verifier name ("math", "physics", "code", "math-proof", plug-ins).
        options: that verifier's constructor options (the server refuses the ones only its operator may set).
        timeout: seconds one HTTP request may take (a batch of code in the sandbox can take minutes).
        retries, backoff: further attempts after a connection failure or a 503, the first wait doubling each time.
        batch_size: items per request; larger batches are sent in chunks of this size.
        raise_on_unavailable: when the server cannot be reached after the retries, raise RemoteError instead of
            returning `error` verdicts (score 0, `correct=None`, as any verifier that cannot decide).

    A server that refuses a request as malformed (4xx: unknown verifier, forbidden option) always raises: that is a
    configuration error, not a judgement of the completion.
    """

    default_timeout: ClassVar[float] = 300.0

    def __init__(self, url: str, token: str | None = None, *, verifier: str = "math",
                 options: Mapping[str, Any] | None = None, timeout: float = 300.0, retries: int = 5,
                 backoff: float = 0.5, batch_size: int = 256, raise_on_unavailable: bool = False) -> None:
        super().__init__(timeout=timeout, isolation="inline")  # nothing to bound here: the server bounds its work
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        # The server-side verifier it stands for; an instance attribute (Verifier.name is a class attribute).
        vars(self)["name"] = verifier
        self.options = dict(options or {})
        self.batch_size = batch_size
        self.raise_on_unavailable = raise_on_unavailable
        self._http = _Http(url, token, timeout, retries, backoff)

    @property
    def url(self) -> str:
        return self._http.url

    def __repr__(self) -> str:  # never the token
        return f"RemoteVerifier(url={self.url!r}, verifier={self.name!r}, options={self.options!r})"

    def judge(self, completion: str, reference: Any) -> Verdict:
        return self.verify_batch([completion], [reference])[0]

    def verify(self, completion: str, reference: Any) -> Verdict:
        return self.verify_batch([completion], [reference])[0]

    def verify_batch(self, completions: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        return [v for v, _ in self._scored(completions, references, None)]

    def verify_scored(self, completions: Sequence[str], references: Sequence[Any], reward: RewardSpec,
                      contexts: Sequence[Mapping[str, Any] | None] | None = None
                      ) -> list[tuple[Verdict, RewardBreakdown]]:
        """Verdicts and the server's reward breakdowns under `reward` (`rewards.score_batch` on the server);
        `contexts` are the task facts some terms read, e.g. `{"min_steps": 3}` (see `rewards.CONTEXT_KEYS`)."""
        ctxs = list(contexts) if contexts is not None else [None] * len(completions)
        return [(v, b if b is not None else reward.breakdown(v, c if isinstance(c, str) else "", ctx))
                for (v, b), c, ctx in zip(self._scored(completions, references, reward, contexts), completions, ctxs,
                                          strict=True)]

    def _scored(self, completions: Sequence[Any], references: Sequence[Any], reward: RewardSpec | None,
                contexts: Sequence[Mapping[str, Any] | None] | None = None
                ) -> list[tuple[Verdict, RewardBreakdown | None]]:
        if len(completions) != len(references):
            raise ValueError(f"got {len(completions)} completions but {len(references)} references")
        if contexts is not None and len(contexts) != len(completions):
            raise ValueError(f"got {len(completions)} completions but {len(contexts)} contexts")
        out: list[tuple[Verdict, RewardBreakdown | None]] = [
            (Verdict.unparseable(f"completion must be text, got {type(c).__name__}"), None) for c in completions]
        todo = [i for i, c in enumerate(completions) if isinstance(c, str)]  # as judge_safely does in-process
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start:start + self.batch_size]
            body: dict[str, Any] = {"items": [{"verifier": self.name, "completion": completions[i],
                                               "reference": references[i], "options": self.options,
                                               **({"context": dict(contexts[i] or {})} if contexts else {})}
                                              for i in chunk]}
            if reward is not None:
                body["reward"] = _spec_dict(reward)
            try:
                reply = self._http.request("POST", "/verify", body)
            except RemoteError as exc:
                if exc.status is not None or self.raise_on_unavailable:
                    raise
                logger.warning("verification server unavailable, %d verdicts are errors: %s", len(chunk), exc)
                for i in chunk:
                    out[i] = (Verdict.error(f"the verification server did not answer: {exc}"), None)
                continue
            for i, result in zip(chunk, reply["results"], strict=True):
                breakdown = RewardBreakdown(**result["reward"]) if result.get("reward") else None
                out[i] = (Verdict.from_dict(result["verdict"]), breakdown)
        return out

    def close(self) -> None:
        self._http.close()


def _spec_dict(spec: RewardSpec) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(spec)


def _space(info: Mapping[str, Any]) -> gym.Space:
    if info.get("type") == "text":
        return UnicodeText(int(info["max_length"]), min_length=int(info.get("min_length", 0)))
    raise RemoteError(f"the server's environment has a {info.get('type')} space, which RemoteEnv cannot rebuild")


class RemoteEnv(gym.Env[str, str]):
    """A Gymnasium environment played on a `rlvrgym serve` server: one server session per instance.

    The session is created here (so the spaces are known before `reset`) and deleted by `close()`; an idle session
    expires on the server after its TTL, and `reset` then opens a new one transparently. `step` on an expired
    session raises RemoteError (the episode's state is gone). `reset(seed=...)` seeds the server-side environment,
    so a seeded remote episode draws the same task as a local one.
    """

    # gymnasium.Env declares `metadata` as an instance attribute, so no ClassVar here
    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012

    def __init__(self, url: str, env_id: str, token: str | None = None, *,
                 env_kwargs: Mapping[str, Any] | None = None, timeout: float = 300.0, retries: int = 5,
                 backoff: float = 0.5) -> None:
        self.env_id = env_id
        self.env_kwargs = dict(env_kwargs or {})
        self._http = _Http(url, token, timeout, retries, backoff)
        self.session_id: str | None = None
        self._open()

    def _path(self, tail: str = "") -> str:
        return f"/envs/{self.env_id}/sessions/{self.session_id}{tail}"

    def _open(self) -> None:
        reply = self._http.request("POST", f"/envs/{self.env_id}/sessions", {"kwargs": self.env_kwargs})
        self.session_id = reply["session_id"]
        self.observation_space = _space(reply["observation_space"])
        self.action_space = _space(reply["action_space"])

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        body = {"seed": seed, "options": options}
        if self.session_id is None:
            self._open()
        try:
            reply = self._http.request("POST", self._path("/reset"), body)
        except RemoteError as exc:
            if exc.status != 404:
                raise
            self._open()  # the session expired while idle: a new episode may start in a new session
            reply = self._http.request("POST", self._path("/reset"), body)
        return reply["observation"], reply["info"]

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self.session_id is None:
            raise RuntimeError("this RemoteEnv is closed")
        reply = self._http.request("POST", self._path("/step"), {"action": action}, idempotent=False)
        reward = reply["reward"]
        return (reply["observation"], float("nan") if reward is None else float(reward), bool(reply["terminated"]),
                bool(reply["truncated"]), reply["info"])

    def close(self) -> None:
        if self.session_id is not None:
            try:
                self._http.request("DELETE", self._path())
            except RemoteError as exc:  # already expired or the server is gone: nothing left to free
                logger.debug("closing remote session %s: %s", self.session_id, exc)
            self.session_id = None
        self._http.close()
        super().close()

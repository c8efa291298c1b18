"""Settings of `rlvrgym serve`, and the rules on what a network client may ask the server to build."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any

#: The environment variable that carries the token when `--token` is not given (a command line shows in `ps`).
TOKEN_ENV = "RLVRGYM_SERVE_TOKEN"

#: Verifier options a client may not set: they choose where untrusted code runs or hand over live objects.
#: The operator sets them with `--verifier-options NAME=JSON`.
OPERATOR_ONLY_VERIFIER_OPTIONS = frozenset({"backend", "allow_unsafe", "sandbox", "sandbox_options", "pool",
                                            "isolation"})
#: Environment arguments a client may not set, for the same reason (`render_mode="human"` prints on the server).
OPERATOR_ONLY_ENV_KWARGS = frozenset({"allow_unsafe", "sandbox", "backend", "sandbox_options", "pool", "isolation",
                                      "render_mode", "verifier"})


class PolicyError(ValueError):
    """A client asked for something only the operator may choose."""


@dataclass
class ServeConfig:
    """Attributes:
        host, port: where to listen; any host but a loopback address needs `token`.
        token: the shared secret clients send (`Authorization: Bearer` or `?token=`); None = no authentication.
        max_body_bytes: larger request bodies get 413 before they are read.
        max_batch: most items in one `/verify` request (413 above).
        max_queue: most verification items admitted (waiting or running) at once; past it, 503 with Retry-After.
        retry_after_s: the Retry-After a 503 carries.
        deadline_s: the longest a request may wait for its verdicts (504 past it); a request may ask for less.
        batch_threads: verification batches run at once over all verifiers (each spreads over the worker pool or
            the sandbox).
        batches_per_verifier: batches of one verifier run at once; requests that arrive meanwhile are merged
            into its next batch.
        session_threads: environment calls (reset, step) run at once.
        max_sessions: open environment sessions at most (503 past it).
        session_ttl_s: an environment session unused this long is closed and counted as expired.
        verifier_options: operator defaults per verifier name, merged under the client's options.
        env_defaults: operator defaults per environment id, merged under the client's arguments.
        executor: "local" (threads over the worker pools and the Docker pool) or "ray" (every verifier wrapped in
            `rlvrgym.distributed.RayVerifierPool`: batches run on the Ray cluster's nodes).
        ray_address: the Ray cluster to join (default `$RAY_ADDRESS`, else a local Ray instance on 127.0.0.1).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    max_body_bytes: int = 32 * 1024 * 1024
    max_batch: int = 1024
    max_queue: int = 8192
    retry_after_s: int = 1
    deadline_s: float = 600.0
    batch_threads: int = 16
    batches_per_verifier: int = 2
    session_threads: int = 16
    max_sessions: int = 4096
    session_ttl_s: float = 600.0
    verifier_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    env_defaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    executor: str = "local"
    ray_address: str | None = None

    def __post_init__(self) -> None:
        if self.token is not None and not self.token.strip():
            raise ValueError("the token is empty: give a secret, or no token at all on a loopback address")
        positive = {"max_body_bytes": self.max_body_bytes, "max_batch": self.max_batch, "max_queue": self.max_queue,
                    "deadline_s": self.deadline_s, "batch_threads": self.batch_threads,
                    "batches_per_verifier": self.batches_per_verifier,
                    "session_threads": self.session_threads, "max_sessions": self.max_sessions,
                    "session_ttl_s": self.session_ttl_s}
        bad = [f"{k}={v!r}" for k, v in positive.items() if not v > 0]
        if bad:
            raise ValueError(f"these settings must be positive: {', '.join(bad)}")
        if self.max_queue < self.max_batch:
            raise ValueError(f"max_queue ({self.max_queue}) must be at least max_batch ({self.max_batch}), or a "
                             "full-size batch could never be admitted")
        if self.executor not in ("local", "ray"):
            raise ValueError(f"executor must be 'local' or 'ray', got {self.executor!r}")

    def check_bind(self) -> None:
        """Refuse a non-loopback bind without a token: an open verifier runs anyone's code on our sandbox."""
        if self.token is None and not is_loopback(self.host):
            raise PolicyError(f"refusing to listen on {self.host} without a token: pass --token, --token-file or set "
                              f"{TOKEN_ENV} (only a loopback address such as 127.0.0.1 may go without one)")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name may resolve anywhere


def token_from_env() -> str | None:
    value = os.environ.get(TOKEN_ENV)
    return value if value else None


def client_verifier_options(name: str, options: dict[str, Any], config: ServeConfig) -> dict[str, Any]:
    """The options a verifier is built with: the operator's defaults, then the client's allowed ones."""
    denied = sorted(set(options) & OPERATOR_ONLY_VERIFIER_OPTIONS)
    if denied:
        raise PolicyError(f"verifier option(s) {', '.join(denied)} cannot be set by a client; the operator sets them "
                          "with `rlvrgym serve --verifier-options`")
    merged = {**config.verifier_options.get(name, {}), **options}
    if "timeout" in merged:
        timeout = merged["timeout"]
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= config.deadline_s:
            raise ValueError(f"option timeout must be a number of seconds in (0, {config.deadline_s:g}], "
                             f"got {timeout!r}")
    return merged


def client_env_kwargs(env_id: str, kwargs: dict[str, Any], config: ServeConfig) -> dict[str, Any]:
    """The arguments an environment is built with; a client cannot name server files or pick the sandbox."""
    denied = sorted(set(kwargs) & OPERATOR_ONLY_ENV_KWARGS)
    if denied:
        raise PolicyError(f"environment argument(s) {', '.join(denied)} cannot be set by a client; the operator sets "
                          "them with `rlvrgym serve --env-defaults`")
    tasks = kwargs.get("tasks")
    if isinstance(tasks, str) and ("/" in tasks or "\\" in tasks or tasks.endswith((".json", ".jsonl"))):
        raise PolicyError(f"tasks={tasks!r} names a file or a hub dataset, which only the operator may choose "
                          "(`--env-defaults`); a client may pass task records or a built-in source name")
    return {**config.env_defaults.get(env_id, {}), **kwargs}

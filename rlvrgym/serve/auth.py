"""The edge of the server, as one ASGI middleware around every route (added routers included): the token, the
body size limit, request metrics and the access log.

A plain ASGI middleware rather than Starlette's `BaseHTTPMiddleware`: the latter copies every response through a
stream and changes how a client disconnect cancels the handler. The token is compared in constant time, accepted
as `Authorization: Bearer <token>` or `?token=<token>`, and never logged: the access log writes the path without
its query string, and metrics label routes by template.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException

from rlvrgym.serve.metrics import Metrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("rlvrgym.serve.access")

#: Paths served without a token: liveness probes of load balancers and orchestrators carry none.
OPEN_PATHS = frozenset({"/health"})


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the limit of {limit} bytes")


def presented_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip()
    for key, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
        if key == "token":
            return value
    return None


def token_ok(presented: str | None, expected: str) -> bool:
    # compare_digest on bytes of both: constant time in the content (the length may leak; a token is random).
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


async def _json_reply(send: Send, status: int, body: dict[str, Any], headers: Sequence[tuple[bytes, bytes]] = ()
                      ) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": data})


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, token: str | None, max_body_bytes: int, metrics: Metrics) -> None:
        self.app = app
        self.token = token
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        path = scope.get("path", "")

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if self.token is not None and path not in OPEN_PATHS and not token_ok(presented_token(scope), self.token):
                await _json_reply(send_status, 401, {"error": "unauthorized",
                                                     "detail": "send the server's token as 'Authorization: Bearer "
                                                               "<token>' or as ?token=<token>"},
                                  [(b"www-authenticate", b"Bearer")])
                return
            length = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
            if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
                await _json_reply(send_status, 413, {"error": "payload too large",
                                                     "detail": f"the request body has {int(length)} bytes, over the "
                                                               f"limit of {self.max_body_bytes}"})
                return
            await self.app(scope, self._limited(receive), send_status)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or ("unauthorized" if status == 401 else "unmatched")
            elapsed = time.perf_counter() - start
            self.metrics.requests.labels(label, scope.get("method", ""), str(status)).inc()
            self.metrics.request_seconds.labels(label).observe(elapsed)
            access_log.info("%s %s %d %.1f ms", scope.get("method", ""), path, status, elapsed * 1000)

    def _limited(self, receive: Receive) -> Receive:
        """Count the body as it arrives: a chunked body has no Content-Length to check up front."""
        seen = 0
        limit = self.max_body_bytes

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        return wrapped

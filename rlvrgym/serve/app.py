"""The FastAPI application of `rlvrgym serve`: batch verification, environment sessions, health and metrics.

`create_app(config)` builds it. Other parts add routes without touching this file: a module named in
`ROUTER_MODULES` (or passed as `routers=`) that defines `serve_routers(state: ServeState) -> list[APIRouter]` is
included, behind the same token, body limit, metrics and access log as every route here, and can verify through
`state.score(...)`, which applies the same admission control (503 when full), deadline and metrics as `/verify`.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import math
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from rlvrgym._version import __version__
from rlvrgym.rewards import CONTEXT_KEYS, RewardSpec
from rlvrgym.serve.auth import EdgeMiddleware
from rlvrgym.serve.config import PolicyError, ServeConfig, client_env_kwargs
from rlvrgym.serve.metrics import Metrics
from rlvrgym.serve.scoring import Job, Overloaded, Scored, Verification, on_ray
from rlvrgym.serve.sessions import SessionLimit, SessionNotFound, SessionStore, jsonable, space_info
from rlvrgym.verifiers.registry import BUILTIN_MODULES, list_verifiers

logger = logging.getLogger("rlvrgym.serve")

#: Modules whose `serve_routers(state)` adds routes (trainer endpoints live in `rlvrgym.integrations`).
ROUTER_MODULES: list[str] = ["rlvrgym.integrations"]


class ApiError(Exception):
    """Any refusal: becomes `{"error": ..., "detail": ...}` with its status (and headers, e.g. Retry-After)."""

    def __init__(self, status: int, error: str, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail, self.headers = status, error, detail, headers or {}


class JSONOut(Response):
    """JSON that keeps a verdict exactly as `Verdict.to_dict()` made it (NaN in details included: Starlette's
    JSONResponse refuses NaN, which would turn a plug-in's odd detail into a 500)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=True, separators=(",", ":")).encode("utf-8")


# -- request bodies -------------------------------------------------------------------------------------------------
class VerifyItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verifier: StrictStr = Field(description="a verifier name, as `rlvrgym verifiers` lists them")
    completion: StrictStr
    reference: Any = Field(description="the reference, as the environment's task holds it (JSON)")
    options: dict[str, Any] = Field(default_factory=dict, description="verifier constructor options")
    context: dict[str, Any] | None = Field(default=None, description="task facts the reward reads, e.g. min_steps")


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[VerifyItem]
    reward: RewardSpec | None = Field(default=None, description="a RewardSpec: adds each item's reward breakdown")
    deadline_s: float | None = Field(default=None, gt=0, description="answer within this many seconds or 504")


class CreateSession(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="gym.make keyword arguments")
    seed: int | None = Field(default=None, description="seeds the first reset when that reset gives no seed")


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int | None = None
    options: dict[str, Any] | None = None


class StepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: StrictStr


# -- state ------------------------------------------------------------------------------------------------------------
@dataclass
class ServeState:
    """What routes share: settings, metrics, the verification executor and the session store."""

    config: ServeConfig
    metrics: Metrics
    verification: Verification
    sessions: SessionStore

    def deadline(self, asked: float | None) -> float:
        return min(asked, self.config.deadline_s) if asked is not None else self.config.deadline_s

    async def score(self, items: Sequence[tuple[str, dict[str, Any], str, Any]], spec: RewardSpec | None = None,
                    deadline_s: float | None = None, contexts: Sequence[dict[str, Any] | None] | None = None
                    ) -> list[Scored]:
        """Verify `(verifier, options, completion, reference)` items through `rewards.score_batch`: one batch per
        verifier, off the event loop, in order; `contexts` are the reward's task facts per item (`CONTEXT_KEYS`).
        Raises ApiError: 413 (batch too large), 422 (unknown verifier, bad option or context), 403 (option only
        the operator may set), 503 (queue full, with Retry-After), 504 (deadline passed)."""
        cfg = self.config
        if contexts is not None:
            if len(contexts) != len(items):
                raise ApiError(422, "invalid request", f"{len(items)} items but {len(contexts)} contexts")
            for i, ctx in enumerate(contexts):
                unknown = sorted(set(ctx or {}) - set(CONTEXT_KEYS))
                if unknown:
                    raise ApiError(422, "invalid request", f"items[{i}].context: unknown keys {unknown}; known: "
                                                           f"{', '.join(CONTEXT_KEYS)}")
        if len(items) > cfg.max_batch:
            raise ApiError(413, "batch too large", f"{len(items)} items, over the limit of {cfg.max_batch} per "
                                                   "request: split the batch")
        groups: dict[tuple[str, str], list[int]] = {}
        verifiers: dict[tuple[str, str], Any] = {}
        for i, (name, options, _, _) in enumerate(items):
            key = (name, json.dumps(options, sort_keys=True, default=str))
            if key not in verifiers:
                try:
                    verifiers[key] = self.verification.verifiers.get(name, options)
                except PolicyError as exc:
                    raise ApiError(403, "forbidden option", f"items[{i}]: {exc}") from None
                except KeyError as exc:
                    raise ApiError(422, "unknown verifier", f"items[{i}]: {exc.args[0]}") from None
                except (TypeError, ValueError) as exc:
                    raise ApiError(422, "bad verifier options",
                                   f"items[{i}]: verifier {name!r} rejected its options: {exc}") from None
            groups.setdefault(key, []).append(i)
        if not items:
            return []
        try:
            self.verification.admit(len(items))
        except Overloaded as exc:
            raise ApiError(503, "overloaded", str(exc), {"Retry-After": str(cfg.retry_after_s)}) from None
        futures = [self.verification.submit(Job(verifiers[key], key[0], [items[i][2] for i in idx],
                                                [items[i][3] for i in idx], spec,
                                                None if contexts is None else [contexts[i] for i in idx]))
                   for key, idx in groups.items()]
        deadline = self.deadline(deadline_s)
        try:
            results = await asyncio.wait_for(asyncio.gather(*(asyncio.wrap_future(f) for f in futures)), deadline)
        except TimeoutError:
            raise ApiError(504, "deadline exceeded", f"the batch did not finish within {deadline:g} s") from None
        out: list[Scored | None] = [None] * len(items)
        for idx, scored in zip(groups.values(), results, strict=True):
            for i, s in zip(idx, scored, strict=True):
                out[i] = s
        return [s for s in out if s is not None]


def _error(status: int, error: str, detail: Any, headers: dict[str, str] | None = None) -> JSONOut:
    return JSONOut({"error": error, "detail": detail}, status_code=status, headers=headers)


def _validation_detail(exc: RequestValidationError) -> tuple[int, list[dict[str, Any]]]:
    errors = exc.errors()
    malformed = any(e.get("type") == "json_invalid" for e in errors)
    detail = [{"loc": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "msg": e.get("msg", ""),
               "type": e.get("type", "")} for e in errors]
    return (400 if malformed else 422), detail


def _known_envs(config: ServeConfig) -> list[str]:
    from rlvrgym.envs import ENVIRONMENTS

    return sorted(set(ENVIRONMENTS) | set(config.env_defaults))


def _extra_routers(state: ServeState, modules: Iterable[str]) -> list[APIRouter]:
    found: list[APIRouter] = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
                continue  # the part is not installed (or not written yet): nothing to add
            raise
        factory: Callable[[ServeState], Iterable[APIRouter]] | None = getattr(module, "serve_routers", None)
        if factory is not None:
            found.extend(factory(state))
    return found


def _close_sandboxes() -> None:
    """Remove this server's warm containers now: uvicorn ends the process with the SIGTERM it caught, so exit
    handlers never run (a container left behind would outlive the server)."""
    import sys

    if "rlvrgym.sandbox.docker_backend" in sys.modules:  # no Docker pool was ever started otherwise
        from rlvrgym.sandbox.docker_backend import close_all

        close_all()


def create_app(config: ServeConfig | None = None, *, routers: Iterable[APIRouter] = (),
               router_modules: Iterable[str] | None = None, executor: Any | None = None,
               owns_process: bool = False) -> FastAPI:
    """The server as an ASGI app (run it with uvicorn, or mount it). `routers` are added behind the same edge.

    `owns_process` (the `rlvrgym serve` command): the process ends with the app, so its shutdown also removes every
    warm sandbox container of the process. An app mounted inside a larger program leaves them to that program."""
    config = config or ServeConfig()
    metrics = Metrics()
    verification = Verification(config, metrics, executor)
    wrap = (lambda v: on_ray(v, config)) if config.executor == "ray" else None
    sessions = SessionStore(metrics, config.max_sessions, config.session_ttl_s, config.session_threads, wrap)
    state = ServeState(config, metrics, verification, sessions)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Import the built-in verifiers (sympy, docker) now, not on the event loop of the first request.
        await asyncio.to_thread(lambda: [importlib.import_module(m) for m in BUILTIN_MODULES.values()])
        sessions.start_reaper()
        if config.executor == "ray":  # join the cluster now: a first request must not wait for it, nor fail late
            from rlvrgym.distributed import connect

            await asyncio.to_thread(connect, config.ray_address)
        try:
            yield
        finally:
            await sessions.close()
            verification.shutdown()
            if owns_process:
                await asyncio.to_thread(_close_sandboxes)
            if config.executor == "ray":
                from rlvrgym.distributed import shutdown

                await asyncio.to_thread(shutdown)

    app = FastAPI(title="rlvrgym serve", version=__version__, lifespan=lifespan, default_response_class=JSONOut,
                  docs_url=None, redoc_url=None)
    app.state.rlvrgym = state

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return _error(exc.status, exc.error, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        content_type = request.headers.get("content-type", "application/json")
        if request.method in ("POST", "PUT", "PATCH") and "json" not in content_type:
            return _error(415, "unsupported media type",
                          f"the body was sent as {content_type}: send JSON with 'Content-Type: application/json'")
        status, detail = _validation_detail(exc)
        return _error(status, "malformed JSON" if status == 400 else "invalid request", detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        names = {404: "not found", 405: "method not allowed", 413: "payload too large"}
        return _error(exc.status_code, names.get(exc.status_code, "http error"), exc.detail,
                      dict(exc.headers or {}))

    app.include_router(_core_router(state))
    for router in [*routers, *_extra_routers(state, ROUTER_MODULES if router_modules is None else router_modules)]:
        app.include_router(router)
    app.add_middleware(EdgeMiddleware, token=config.token, max_body_bytes=config.max_body_bytes, metrics=metrics)
    return app


def _core_router(state: ServeState) -> APIRouter:
    router = APIRouter()
    config, metrics, sessions = state.config, state.metrics, state.sessions

    @router.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok"}

    @router.get("/info")
    async def info() -> dict[str, Any]:
        return {"version": __version__, "verifiers": list_verifiers(), "environments": _known_envs(config),
                "executor": config.executor,
                "limits": {"max_batch": config.max_batch, "max_body_bytes": config.max_body_bytes,
                           "max_queue": config.max_queue, "deadline_s": config.deadline_s,
                           "max_sessions": config.max_sessions, "session_ttl_s": config.session_ttl_s}}

    @router.get("/metrics")
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    @router.post("/verify")
    async def verify(body: VerifyRequest) -> JSONOut:
        items = [(it.verifier, it.options, it.completion, it.reference) for it in body.items]
        contexts = [it.context for it in body.items]
        scored = await state.score(items, body.reward, body.deadline_s,
                                   contexts if any(c is not None for c in contexts) else None)
        results = []
        for verdict, breakdown in scored:
            result: dict[str, Any] = {"verdict": verdict.to_dict()}
            if breakdown is not None:
                result["reward"] = breakdown.to_dict()
            results.append(result)
        return JSONOut({"results": results})

    def known_env(env_id: str) -> None:
        if env_id not in _known_envs(config):
            raise ApiError(404, "unknown environment",
                           f"no environment {env_id!r}; this server serves {', '.join(_known_envs(config))}")

    def session_of(env_id: str, session_id: str, touch: bool = True) -> Any:
        known_env(env_id)
        try:
            return sessions.get(env_id, session_id, touch=touch)
        except SessionNotFound as exc:
            raise ApiError(404, "unknown session", exc.args[0]) from None

    @router.post("/envs/{env_id}/sessions", status_code=201)
    async def create_session(env_id: str, body: CreateSession) -> JSONOut:
        known_env(env_id)
        try:
            kwargs = client_env_kwargs(env_id, body.kwargs, config)
        except PolicyError as exc:
            raise ApiError(403, "forbidden argument", str(exc)) from None
        if isinstance(kwargs.get("reward"), dict):
            try:
                kwargs["reward"] = RewardSpec(**kwargs["reward"])
            except (TypeError, ValueError) as exc:
                raise ApiError(422, "bad environment arguments", f"reward: {exc}") from None
        try:
            session = await sessions.create(env_id, kwargs, body.seed)
        except SessionLimit as exc:
            raise ApiError(503, "too many sessions", str(exc), {"Retry-After": str(config.retry_after_s)}) from None
        except (TypeError, ValueError, KeyError) as exc:
            raise ApiError(422, "bad environment arguments",
                           f"{env_id} rejected its arguments: {type(exc).__name__}: {exc}") from None
        return JSONOut({"session_id": session.id, "env_id": env_id,
                        "observation_space": space_info(session.env.observation_space),
                        "action_space": space_info(session.env.action_space),
                        "idle_timeout_s": config.session_ttl_s}, status_code=201)

    @router.get("/envs/{env_id}/sessions/{session_id}")
    async def describe_session(env_id: str, session_id: str) -> JSONOut:
        s = session_of(env_id, session_id, touch=False)
        return JSONOut({"session_id": s.id, "env_id": s.env_id, "steps": s.steps, "episode_open": s.episode_open,
                        "resets": s.resets})

    @router.post("/envs/{env_id}/sessions/{session_id}/reset")
    async def reset(env_id: str, session_id: str, body: ResetRequest) -> JSONOut:
        s = session_of(env_id, session_id)
        try:
            obs, info = await asyncio.wait_for(sessions.reset(s, body.seed, body.options), config.deadline_s)
        except TimeoutError:
            raise ApiError(504, "deadline exceeded", f"reset did not finish within {config.deadline_s:g} s") from None
        except (KeyError, ValueError, TypeError) as exc:
            raise ApiError(422, "bad reset", f"{type(exc).__name__}: {exc}") from None
        return JSONOut({"observation": jsonable(obs), "info": jsonable(info)})

    @router.post("/envs/{env_id}/sessions/{session_id}/step")
    async def step(env_id: str, session_id: str, body: StepRequest) -> JSONOut:
        s = session_of(env_id, session_id)
        try:
            obs, reward, terminated, truncated, info = await asyncio.wait_for(sessions.step(s, body.action),
                                                                              config.deadline_s)
        except TimeoutError:
            raise ApiError(504, "deadline exceeded", f"step did not finish within {config.deadline_s:g} s") from None
        except RuntimeError as exc:
            raise ApiError(409, "episode not running", str(exc)) from None
        except (ValueError, TypeError) as exc:
            raise ApiError(422, "bad action", f"{type(exc).__name__}: {exc}") from None
        return JSONOut({"observation": jsonable(obs), "reward": reward if math.isfinite(reward) else None,
                        "terminated": terminated, "truncated": truncated, "info": jsonable(info)})

    @router.delete("/envs/{env_id}/sessions/{session_id}")
    async def delete(env_id: str, session_id: str) -> JSONOut:
        s = session_of(env_id, session_id)
        await sessions.delete(s)
        return JSONOut({"deleted": session_id})

    return router

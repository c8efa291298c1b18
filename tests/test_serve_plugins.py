"""Verifiers the serve tests load into a server subprocess (`rlvrgym serve --import tests.test_serve_plugins`).

Not a test module: it holds no tests, only registrations and a `serve_routers` hook, and is named so that it lives
with the serve tests.
"""

from __future__ import annotations

from typing import Any

from rlvrgym.verifiers import register_verifier
from tests.sample_verifiers import CrashingVerifier, SleepyVerifier

register_verifier("test-sleepy", overwrite=True)(SleepyVerifier)
register_verifier("test-crash", overwrite=True)(CrashingVerifier)


def serve_routers(state: Any) -> list[Any]:
    """A route added through the hook, verifying through the server's own queue (`state.score`)."""
    from fastapi import APIRouter

    router = APIRouter()

    @router.post("/plugin/score")
    async def plugin_score(body: dict[str, Any]) -> dict[str, Any]:
        scored = await state.score([("math", {}, body["completion"], body["reference"])])
        return {"status": str(scored[0][0].status)}

    return [router]

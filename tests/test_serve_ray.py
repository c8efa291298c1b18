"""`rlvrgym serve --ray`: verification on the Ray executor (a local Ray instance the server starts on 127.0.0.1)
gives the verdicts the in-process verifier gives, for batches and for environment steps; nothing outlives it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import gymnasium as gym
import pytest

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'rlvrgym[serve]' (CI installs it)")
pytest.importorskip("ray", reason='needs the ray extra: pip install "rlvrgym[ray]" (CI installs it)')

import httpx

from rlvrgym.client import RemoteEnv
from rlvrgym.verifiers import get_verifier
from tests.test_serve import Server, _cases, post, running_server

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def ray_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("ray"), "--ray") as s:
        yield s


def test_verdicts_on_the_ray_executor_equal_in_process(ray_server: Server) -> None:
    assert httpx.get(f"{ray_server.url}/info", timeout=30).json()["executor"] == "ray"
    for verifier, env_id in (("math", "MathAnswer-v0"), ("physics", "PhysicsSim-v0")):
        cases = [(c, json.loads(json.dumps(r))) for c, r in _cases(env_id, 3)]
        local = get_verifier(verifier).verify_batch([c for c, _ in cases], [r for _, r in cases])
        reply = post(ray_server, "/verify", {"items": [{"verifier": verifier, "completion": c, "reference": r}
                                                       for c, r in cases]})
        assert reply.status_code == 200, reply.text
        assert [r["verdict"] for r in reply.json()["results"]] == [json.loads(json.dumps(v.to_dict()))
                                                                   for v in local]


def test_environment_steps_verify_on_the_ray_executor(ray_server: Server, tmp_path: Path) -> None:
    local = gym.make("MathAnswer-v0")
    remote = RemoteEnv(ray_server.url, "MathAnswer-v0")
    try:
        assert remote.reset(seed=4)[0] == local.reset(seed=4)[0]
        answer = local.unwrapped.oracle_completion()
        _, reward, terminated, _, info = remote.step(answer)
        _, reward_l, _, _, info_l = local.step(answer)
        assert (reward, terminated) == (reward_l, True)
        assert info["verdict"] == json.loads(json.dumps(info_l["verdict"]))
    finally:
        remote.close()

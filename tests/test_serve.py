"""`rlvrgym serve` as a real subprocess on 127.0.0.1 (a free port), driven over HTTP and through the clients.

Every server is started by `running_server` and stopped in its `finally` (SIGTERM, then SIGKILL), and the stop
checks that the server and its verification workers are gone, so no process outlives the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'rlvrgym[serve]' (CI installs it)")
httpx = pytest.importorskip("httpx", reason="needs the serve extra: pip install 'rlvrgym[serve]' (CI installs it)")

import rlvrgym  # noqa: E402, F401  (registers the environments)
from rlvrgym.client import RemoteEnv, RemoteError, RemoteVerifier  # noqa: E402
from rlvrgym.rewards import RewardSpec  # noqa: E402
from rlvrgym.verifiers import get_verifier  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "s3cret-token-for-tests"
pytestmark = pytest.mark.timeout(300)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc): the server's verification workers run in sessions of their own."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        found += kids
        frontier += kids
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):  # a zombie has exited; its parent (us or init) reaps it
        if (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


class Server:
    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path, token: str | None) -> None:
        self.process, self.url, self.log = process, url, log
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def metrics(self) -> dict[str, float]:
        """The Prometheus text as {series: value} (labels included in the key, as the exposition writes them)."""
        text = httpx.get(f"{self.url}/metrics", headers=self.headers, timeout=30).text
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                out[key] = float(value)
        return out


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RLVRGYM_SERVE_TOKEN"}
    return {**env, "PYTHONPATH": str(ROOT), "RLVRGYM_VERIFY_WORKERS": "2"}


def start_server(*args: str, token: str | None, tmp: Path, token_via_env: bool = False
                 ) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    log = tmp / "serve.log"
    cmd = [sys.executable, "-m", "rlvrgym.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    env = server_env()
    if token and token_via_env:
        env["RLVRGYM_SERVE_TOKEN"] = token
    elif token:
        cmd += ["--token", token]
    with open(log, "wb") as fh:
        process = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    return process, f"http://127.0.0.1:{port}", log


def stop(process: subprocess.Popen[bytes]) -> None:
    children = _children(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    deadline = time.monotonic() + 20
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [c for c in children if _alive(c)]
    for c in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(c, signal.SIGKILL)
    assert process.poll() is not None, "the server is still running"
    assert not left, f"processes of the server outlived it: {left}"


@contextlib.contextmanager
def running_server(tmp: Path, *args: str, token: str | None = None, token_via_env: bool = False
                   ) -> Iterator[Server]:
    process, url, log = start_server(*args, token=token, tmp=tmp, token_via_env=token_via_env)
    try:
        for _ in range(600):  # up to 60 s: imports are slow on a loaded machine
            if process.poll() is not None:
                raise AssertionError(f"the server exited with {process.returncode}:\n{log.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise AssertionError(f"the server did not come up:\n{log.read_text()}")
        yield Server(process, url, log, token)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One tokenless loopback server for the tests that are not about limits or auth."""
    with running_server(tmp_path_factory.mktemp("serve"), "--import", "tests.test_serve_plugins",
                        "--session-ttl", "600") as s:
        yield s


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with a token (from RLVRGYM_SERVE_TOKEN), small limits, one verification thread and short-lived
    sessions."""
    with running_server(tmp_path_factory.mktemp("tight"), "--import", "tests.test_serve_plugins",
                        "--max-batch", "4", "--max-queue", "4", "--batch-threads", "1", "--max-body-mb", "0.01",
                        "--session-ttl", "1.5", "--access-log", token=TOKEN, token_via_env=True) as s:
        yield s


def post(server: Server, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
    headers = {**server.headers, **kwargs.pop("headers", {})}
    return httpx.post(f"{server.url}{path}", json=body, headers=headers, timeout=120, **kwargs)


def roundtrip(value: Any) -> Any:
    return json.loads(json.dumps(value))


# -- verdicts over HTTP are the in-process verdicts ----------------------------------------------------------------
def _cases(env_id: str, n: int) -> list[tuple[str, Any]]:
    """(completion, reference) pairs from real tasks: the oracle answer, a wrong one, junk."""
    env = gym.make(env_id).unwrapped
    out = []
    for seed in range(n):
        env.reset(seed=seed)
        reference = env.task.reference
        oracle = env.oracle_completion() or ""
        wrong = re.sub(r"\d+(\.\d+)?", "12345", oracle, count=1)
        out += [(oracle, reference), (wrong, reference), ("The answer is \\boxed{12345}", reference),
                ("I do not know.", reference)]
    return out


@pytest.mark.parametrize(("verifier", "env_id"), [("math", "MathAnswer-v0"), ("physics", "PhysicsSim-v0"),
                                                  ("math-proof", "MathProof-v0")])
def test_verdicts_over_http_equal_in_process(server: Server, verifier: str, env_id: str) -> None:
    cases = [(c, roundtrip(r)) for c, r in _cases(env_id, 6)]
    completions, references = [c for c, _ in cases], [r for _, r in cases]
    spec = RewardSpec(format_weight=0.25, length_weight=0.5, max_length=40, length_window=20)
    local = get_verifier(verifier).verify_batch(completions, references)
    reply = post(server, "/verify", {"items": [{"verifier": verifier, "completion": c, "reference": r}
                                               for c, r in cases], "reward": {"format_weight": 0.25,
                                                                                "length_weight": 0.5,
                                                                                "max_length": 40,
                                                                                "length_window": 20}})
    assert reply.status_code == 200, reply.text
    results = reply.json()["results"]
    assert [r["verdict"] for r in results] == [roundtrip(v.to_dict()) for v in local]
    assert [r["reward"] for r in results] == [spec.compute(v, c).to_dict()
                                              for v, c in zip(local, completions, strict=True)]
    assert {v.status for v in local} >= {"correct", "wrong"}, "the cases must cover right and wrong answers"
    remote = RemoteVerifier(server.url, verifier=verifier).verify_batch(completions, references)
    assert [roundtrip(v.to_dict()) for v in remote] == [roundtrip(v.to_dict()) for v in local]


def test_reward_breakdown_is_score_batch_with_the_task_context(server: Server) -> None:
    """MathProof's efficiency term reads the task's min_steps: over HTTP it is the same score_batch result."""
    from rlvrgym.rewards import score_batch

    env = gym.make("MathProof-v0").unwrapped
    completions, references, contexts = [], [], []
    for seed in range(4):
        env.reset(seed=seed)
        for completion in (env.oracle_completion() or "", "x = 1"):
            completions.append(completion)
            references.append(roundtrip(env.task.reference))
            contexts.append(env.reward_context(env.task))
    assert any(contexts), "the proof tasks must carry min_steps"
    spec = RewardSpec(process_weight=0.5, efficiency_weight=0.25)
    local = score_batch(completions, references, get_verifier("math-proof"), spec, contexts=contexts)
    reply = post(server, "/verify", {"items": [{"verifier": "math-proof", "completion": c, "reference": r,
                                                "context": ctx}
                                               for c, r, ctx in zip(completions, references, contexts, strict=True)],
                                     "reward": {"process_weight": 0.5, "efficiency_weight": 0.25}})
    assert reply.status_code == 200, reply.text
    results = reply.json()["results"]
    assert [r["reward"] for r in results] == [s.breakdown.to_dict() for s in local]
    assert [r["verdict"] for r in results] == [roundtrip(s.verdict.to_dict()) for s in local]
    assert any(r["reward"]["efficiency"] > 0 for r in results)
    client = RemoteVerifier(server.url, verifier="math-proof").verify_scored(completions, references, spec, contexts)
    assert [b.to_dict() for _, b in client] == [s.breakdown.to_dict() for s in local]


def test_remote_verifier_in_an_environment(server: Server) -> None:
    local = gym.make("MathAnswer-v0")
    remote = gym.make("MathAnswer-v0", verifier=RemoteVerifier(server.url))
    for seed in range(3):
        obs_l, _ = local.reset(seed=seed)
        obs_r, _ = remote.reset(seed=seed)
        assert obs_l == obs_r
        answer = local.unwrapped.oracle_completion() if seed != 1 else "\\boxed{0.5}"
        _, rew_l, term_l, _, info_l = local.step(answer)
        _, rew_r, term_r, _, info_r = remote.step(answer)
        assert (rew_l, term_l) == (rew_r, term_r)
        assert roundtrip(info_l["verdict"]) == info_r["verdict"]
        assert info_r["verifier"] == "math"


def test_remote_verifier_in_grpo_reward_functions(server: Server) -> None:
    from rlvrgym.train.trl_adapter import draw_tasks, make_env, make_reward_funcs

    env = make_env("MathAnswer-v0")
    tasks = draw_tasks(env, 4, seed=0)
    from rlvrgym.verifiers.math.verifier import reference_text

    completions = [f"\\boxed{{{reference_text(t.reference)}}}" for t in tasks] + ["\\boxed{-7.25}"] * 4
    task_ids = [t.id for t in tasks] * 2
    spec = RewardSpec(format_weight=0.5)
    local = make_reward_funcs("MathAnswer-v0", spec)
    remote = make_reward_funcs("MathAnswer-v0", spec, env_kwargs={"verifier": RemoteVerifier(server.url)})
    for f_local, f_remote in zip(local, remote, strict=True):
        assert f_remote(prompts=[""] * 8, completions=completions, task_id=task_ids) == \
            f_local(prompts=[""] * 8, completions=completions, task_id=task_ids)
    assert local[0](prompts=[""] * 8, completions=completions, task_id=task_ids)[:4] == [1.0] * 4


def test_remote_verifier_pickles_and_keeps_the_token_out_of_repr(server: Server) -> None:
    import pickle

    verifier = RemoteVerifier(server.url, token="abc-not-shown")
    verifier.verify("\\boxed{1}", "1")  # opens a connection, which must not travel
    clone = pickle.loads(pickle.dumps(verifier))
    assert clone.verify("\\boxed{2}", "2").correct is True
    assert "abc-not-shown" not in repr(verifier)


def test_non_text_completion_is_unparseable_as_in_process(server: Server) -> None:
    remote = RemoteVerifier(server.url).verify_batch([None, "\\boxed{3}"], ["3", "3"])  # type: ignore[list-item]
    local = get_verifier("math").verify_batch([None, "\\boxed{3}"], ["3", "3"])  # type: ignore[list-item]
    assert [v.to_dict() for v in remote] == [v.to_dict() for v in local]
    assert remote[0].status == "unparseable"


def test_verifier_crash_is_an_error_verdict_and_the_server_keeps_serving(server: Server) -> None:
    items = [{"verifier": "test-crash", "completion": "x", "reference": "boom"},
             {"verifier": "math", "completion": "\\boxed{4}", "reference": "4"},
             {"verifier": "test-crash", "completion": "x", "reference": "exit"}]  # the worker process dies
    reply = post(server, "/verify", {"items": items})
    assert reply.status_code == 200, reply.text
    statuses = [r["verdict"]["status"] for r in reply.json()["results"]]
    assert statuses == ["error", "correct", "error"]
    assert "ZeroDivisionError" in reply.json()["results"][0]["verdict"]["reason"]
    again = post(server, "/verify", {"items": items[1:2]})
    assert again.json()["results"][0]["verdict"]["status"] == "correct"
    m = server.metrics()
    assert m['rlvrgym_serve_verifications_total{status="error",verifier="test-crash"}'] >= 2


def test_a_client_that_disconnects_mid_batch_costs_the_others_nothing(server: Server) -> None:
    slow = {"items": [{"verifier": "test-sleepy", "completion": "z", "reference": 1.5, "options": {"timeout": 10}}]
            * 3}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server.url}/verify", json=slow, timeout=0.3)  # hangs up while its batch runs
    cases = _cases("MathAnswer-v0", 8)
    reply = post(server, "/verify", {"items": [{"verifier": "math", "completion": c, "reference": r}
                                               for c, r in cases]})
    assert reply.status_code == 200
    local = get_verifier("math").verify_batch([c for c, _ in cases], [r for _, r in cases])
    assert [r["verdict"] for r in reply.json()["results"]] == [roundtrip(v.to_dict()) for v in local]
    for _ in range(100):  # the abandoned batch still finishes, is counted and frees its queue slots
        m = server.metrics()
        if m.get('rlvrgym_serve_verifications_total{status="correct",verifier="test-sleepy"}', 0) >= 3:
            break
        time.sleep(0.1)
    assert m['rlvrgym_serve_verifications_total{status="correct",verifier="test-sleepy"}'] >= 3
    assert m["rlvrgym_serve_queue_depth"] == 0 and m["rlvrgym_serve_inflight_items"] == 0


def test_deadline_gives_504(server: Server) -> None:
    reply = post(server, "/verify", {"items": [{"verifier": "test-sleepy", "completion": "z", "reference": 1.0,
                                                "options": {"timeout": 5}}], "deadline_s": 0.2})
    assert reply.status_code == 504
    assert reply.json()["error"] == "deadline exceeded"


# -- bad input: a 4xx with a JSON body that says what was wrong ----------------------------------------------------
BAD = [
    ("malformed JSON", b'{"items": [', 400, "malformed JSON"),
    ("not an object", b"[1, 2]", 422, "invalid request"),
    ("unknown verifier", {"items": [{"verifier": "nope", "completion": "a", "reference": "1"}]}, 422, "nope"),
    ("completion not text", {"items": [{"verifier": "math", "completion": 3, "reference": "1"}]}, 422,
     "items.0.completion"),
    ("missing reference", {"items": [{"verifier": "math", "completion": "a"}]}, 422, "items.0.reference"),
    ("unknown field", {"items": [{"verifier": "math", "completion": "a", "reference": "1", "refrence": 1}]}, 422,
     "refrence"),
    ("bad reward spec", {"items": [], "reward": {"aggregation": "median"}}, 422, "aggregation"),
    ("bad option", {"items": [{"verifier": "math", "completion": "a", "reference": "1",
                               "options": {"no_such_option": 1}}]}, 422, "no_such_option"),
    ("operator-only option", {"items": [{"verifier": "code", "completion": "a", "reference": {},
                                         "options": {"backend": "local", "allow_unsafe": True}}]}, 403,
     "allow_unsafe"),
    ("unknown context key", {"items": [{"verifier": "math", "completion": "a", "reference": "1",
                                         "context": {"min_stepz": 2}}]}, 422, "min_stepz"),
    ("timeout over the deadline", {"items": [{"verifier": "math", "completion": "a", "reference": "1",
                                              "options": {"timeout": 1e9}}]}, 422, "timeout"),
]


@pytest.mark.parametrize(("what", "body", "status", "mentions"), BAD, ids=[b[0] for b in BAD])
def test_bad_verify_input_gets_a_4xx_saying_what(server: Server, what: str, body: Any, status: int,
                                                 mentions: str) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply = httpx.post(f"{server.url}/verify", content=content, headers={"content-type": "application/json"},
                       timeout=60)
    assert reply.status_code == status, reply.text
    data = reply.json()
    assert set(data) == {"error", "detail"}
    assert mentions in json.dumps(data), data


def test_non_json_body_gets_415(server: Server) -> None:
    reply = httpx.post(f"{server.url}/verify", content=b"items=1", timeout=30,
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert reply.status_code == 415 and "application/json" in reply.json()["detail"]


def test_bad_session_input_gets_a_4xx_saying_what(server: Server) -> None:
    assert post(server, "/envs/NoSuchEnv-v0/sessions", {}).status_code == 404
    assert post(server, "/envs/MathAnswer-v0/sessions/nope/step", {"action": "x"}).status_code == 404
    forbidden = post(server, "/envs/CodeUnitTest-v0/sessions", {"kwargs": {"sandbox": "local",
                                                                          "allow_unsafe": True}})
    assert forbidden.status_code == 403 and "allow_unsafe" in forbidden.json()["detail"]
    path = post(server, "/envs/MathAnswer-v0/sessions", {"kwargs": {"tasks": "/etc/passwd"}})
    assert path.status_code == 403 and "operator" in path.json()["detail"]
    bad_kwarg = post(server, "/envs/MathAnswer-v0/sessions", {"kwargs": {"difficulty": "hard", "nonsense": 1}})
    assert bad_kwarg.status_code == 422 and "nonsense" in bad_kwarg.json()["detail"]
    sid = post(server, "/envs/MathAnswer-v0/sessions", {}).json()["session_id"]
    before = post(server, f"/envs/MathAnswer-v0/sessions/{sid}/step", {"action": "x"})
    assert before.status_code == 409 and "reset" in before.json()["detail"]
    assert post(server, f"/envs/MathAnswer-v0/sessions/{sid}/step", {"action": 5}).status_code == 422
    assert post(server, f"/envs/MathAnswer-v0/sessions/{sid}/reset", {"seed": "x"}).status_code == 422
    assert post(server, f"/envs/MathAnswer-v0/sessions/{sid}/reset", {"options": {"task_id": "gen:nope"}}
                ).status_code == 422
    assert httpx.delete(f"{server.url}/envs/MathAnswer-v0/sessions/{sid}").status_code == 200
    assert httpx.delete(f"{server.url}/envs/MathAnswer-v0/sessions/{sid}").status_code == 404
    assert httpx.get(f"{server.url}/no/such/route").json()["error"] == "not found"


# -- limits, overload and authentication ----------------------------------------------------------------------------
def test_limits_give_413(tight: Server) -> None:
    items = [{"verifier": "math", "completion": "\\boxed{1}", "reference": "1"}] * 5
    reply = post(tight, "/verify", {"items": items})
    assert reply.status_code == 413 and "split the batch" in reply.json()["detail"]
    huge = post(tight, "/verify", {"items": [{"verifier": "math", "completion": "x" * 20_000, "reference": "1"}]})
    assert huge.status_code == 413 and "limit" in huge.json()["detail"]


def test_overload_gets_503_with_retry_after(tight: Server) -> None:
    # 4 items of 3 s on 2 workers hold the whole queue for about 6 s
    slow = {"items": [{"verifier": "test-sleepy", "completion": "z", "reference": 3.0, "options": {"timeout": 20}}]
            * 4}
    first: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: first.update(reply=post(tight, "/verify", slow)))
    thread.start()
    try:
        for _ in range(200):  # wait until the slow batch holds the whole queue
            m = tight.metrics()
            if m.get("rlvrgym_serve_inflight_items", 0) + m.get("rlvrgym_serve_queue_depth", 0) >= 4:
                break
            time.sleep(0.05)
        reply = post(tight, "/verify", {"items": [{"verifier": "math", "completion": "\\boxed{1}",
                                                   "reference": "1"}]})
        assert reply.status_code == 503, reply.text
        assert reply.headers["retry-after"] == "1"
        assert reply.json()["error"] == "overloaded"
        # the client, refused the same way while the queue is still full, waits Retry-After and is served
        rejected = tight.metrics()['rlvrgym_serve_rejected_total{reason="queue_full"}']
        patient = RemoteVerifier(tight.url, token=TOKEN, backoff=0.05, retries=20)
        assert patient.verify("\\boxed{1}", "1").correct is True
    finally:
        thread.join(timeout=60)
    assert first["reply"].status_code == 200
    assert tight.metrics()['rlvrgym_serve_rejected_total{reason="queue_full"}'] > rejected


def test_auth_header_and_url_token(tight: Server) -> None:
    body = {"items": [{"verifier": "math", "completion": "\\boxed{2}", "reference": "2"}]}
    url = f"{tight.url}/verify"
    assert httpx.post(url, json=body, timeout=30).status_code == 401
    wrong = httpx.post(url, json=body, headers={"Authorization": "Bearer wrong"}, timeout=30)
    assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"
    assert httpx.post(url, json=body, params={"token": "wrong"}, timeout=30).status_code == 401
    assert httpx.get(f"{tight.url}/metrics", timeout=30).status_code == 401
    ok_header = httpx.post(url, json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    ok_url = httpx.post(url, json=body, params={"token": TOKEN}, timeout=30)
    assert ok_header.status_code == ok_url.status_code == 200
    assert ok_url.json()["results"][0]["verdict"]["correct"] is True
    assert httpx.get(f"{tight.url}/health", timeout=30).status_code == 200  # liveness probes carry no token
    with pytest.raises(RemoteError) as err:
        RemoteVerifier(tight.url, token="wrong").verify("\\boxed{2}", "2")
    assert err.value.status == 401
    assert TOKEN not in httpx.get(f"{tight.url}/metrics", params={"token": TOKEN}, timeout=30).text
    log = tight.log.read_text()
    assert "POST /verify 200" in log, "the access log is on for this server"
    assert TOKEN not in log and "token=" not in log


def test_non_loopback_bind_without_token_refuses_to_start(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "192.0.2.1", "example.org"):
        done = subprocess.run([sys.executable, "-m", "rlvrgym.cli", "serve", "--host", host, "--port",
                               str(free_port())], capture_output=True, text=True, timeout=120, env=server_env(),
                              cwd=ROOT)
        assert done.returncode == 2, done.stderr
        assert "without a token" in done.stderr and "RLVRGYM_SERVE_TOKEN" in done.stderr


def test_loopback_addresses_need_no_token() -> None:
    from rlvrgym.serve.config import PolicyError, ServeConfig

    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        ServeConfig(host=host).check_bind()
    ServeConfig(host="0.0.0.0", token="x").check_bind()
    with pytest.raises(PolicyError):
        ServeConfig(host="::").check_bind()
    with pytest.raises(ValueError, match="empty"):
        ServeConfig(token="  ")


# -- environment sessions ------------------------------------------------------------------------------------------
def test_remote_env_plays_like_the_local_env(server: Server) -> None:
    local = gym.make("MathAnswer-v0")
    remote = RemoteEnv(server.url, "MathAnswer-v0", env_kwargs={"difficulty": [1, 2, 3]})
    try:
        assert remote.action_space == local.action_space and remote.observation_space == local.observation_space
        for seed in (0, 7):
            obs_l, info_l = local.reset(seed=seed)
            obs_r, info_r = remote.reset(seed=seed)
            assert obs_l == obs_r and info_l["task_id"] == info_r["task_id"]
            answer = local.unwrapped.oracle_completion()
            _, rew_l, term_l, trunc_l, info_l = local.step(answer)
            _, rew_r, term_r, trunc_r, info_r = remote.step(answer)
            assert (rew_l, term_l, trunc_l) == (rew_r, term_r, trunc_r) == (1.0, True, False)
            assert roundtrip(info_l["verdict"]) == info_r["verdict"]
            assert roundtrip(info_l["reward_breakdown"]) == info_r["reward_breakdown"]
        with pytest.raises(RemoteError) as err:
            remote.step("again")  # the single-turn episode has ended
        assert err.value.status == 409
    finally:
        remote.close()
    assert remote.session_id is None


def _concurrently(server: Server, n: int, episode: Any) -> list[dict[str, Any]]:
    async def run_all() -> list[dict[str, Any]]:
        limits = httpx.Limits(max_connections=n)
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=300,
                                     limits=limits) as client:
            return await asyncio.gather(*(episode(client, i) for i in range(n)))

    return asyncio.run(run_all())


def test_200_concurrent_sessions_play_their_episodes(server: Server) -> None:
    async def episode(client: httpx.AsyncClient, i: int) -> dict[str, Any]:
        created = await client.post("/envs/MathAnswer-v0/sessions", json={"seed": i})
        assert created.status_code == 201, created.text
        sid = created.json()["session_id"]
        reset = await client.post(f"/envs/MathAnswer-v0/sessions/{sid}/reset", json={})
        assert reset.status_code == 200, reset.text
        step = await client.post(f"/envs/MathAnswer-v0/sessions/{sid}/step", json={"action": "\\boxed{1}"})
        assert step.status_code == 200, step.text
        assert (await client.delete(f"/envs/MathAnswer-v0/sessions/{sid}")).status_code == 200
        return {"sid": sid, "obs": reset.json()["observation"], **step.json()}

    n = 200
    before = server.metrics()
    results = _concurrently(server, n, episode)
    assert len({r["sid"] for r in results}) == n
    env = gym.make("MathAnswer-v0")
    for i in (0, 57, 199):  # the creation seed seeded each session's first episode
        assert results[i]["obs"] == env.reset(seed=i)[0]
    assert all(r["terminated"] and r["reward"] in (0.0, 1.0) for r in results)
    assert any(r["reward"] == 1.0 for r in results) and any(r["reward"] == 0.0 for r in results)
    m = server.metrics()
    key = 'rlvrgym_serve_episode_steps_count{env_id="MathAnswer-v0"}'
    assert m[key] - before.get(key, 0) == n
    successes = 'rlvrgym_serve_episodes_total{env_id="MathAnswer-v0",result="success"}'
    assert m[successes] - before.get(successes, 0) == sum(r["reward"] == 1.0 for r in results)


def test_idle_sessions_expire_and_are_counted(tight: Server) -> None:
    async def create(client: httpx.AsyncClient, i: int) -> dict[str, Any]:
        created = await client.post("/envs/MathAnswer-v0/sessions", json={"seed": i})
        assert created.status_code == 201, created.text
        return created.json()

    n = 200
    created = _concurrently(tight, n, create)
    assert len({c["session_id"] for c in created}) == n
    for _ in range(600):  # TTL 1.5 s, the reaper looks every ~0.4 s
        m = tight.metrics()
        if m["rlvrgym_serve_sessions_open"] == 0:
            break
        time.sleep(0.1)
    assert m["rlvrgym_serve_sessions_open"] == 0
    assert m["rlvrgym_serve_sessions_expired_total"] >= n
    gone = httpx.get(f"{tight.url}/envs/MathAnswer-v0/sessions/{created[0]['session_id']}", headers=tight.headers,
                     timeout=30)
    assert gone.status_code == 404 and "expired" in gone.json()["detail"]


def test_remote_env_reopens_an_expired_session_on_reset(tight: Server) -> None:
    remote = RemoteEnv(tight.url, "MathAnswer-v0", token=TOKEN)
    try:
        first = remote.session_id
        remote.reset(seed=1)
        for _ in range(100):
            if httpx.get(f"{tight.url}/envs/MathAnswer-v0/sessions/{first}", headers=tight.headers,
                         timeout=30).status_code == 404:
                break
            time.sleep(0.1)
        obs, _ = remote.reset(seed=1)
        assert remote.session_id != first
        assert obs == gym.make("MathAnswer-v0").reset(seed=1)[0]
    finally:
        remote.close()


def test_client_retries_until_the_server_is_up_then_gives_error_verdicts_when_it_never_is() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    verdicts = RemoteVerifier(url, retries=2, backoff=0.01).verify_batch(["\\boxed{1}"], ["1"])
    assert verdicts[0].status == "error" and verdicts[0].correct is None
    assert "did not answer" in verdicts[0].reason
    with pytest.raises(RemoteError, match="cannot connect"):
        RemoteVerifier(url, retries=1, backoff=0.01, raise_on_unavailable=True).verify("\\boxed{1}", "1")


def test_info_lists_verifiers_and_environments(server: Server) -> None:
    info = httpx.get(f"{server.url}/info", timeout=30).json()
    assert {"math", "code", "physics"} <= set(info["verifiers"])
    assert "MathAnswer-v0" in info["environments"]
    assert info["limits"]["max_batch"] == 1024


def test_metric_names_the_readme_lists(server: Server) -> None:
    post(server, "/verify", {"items": [{"verifier": "math", "completion": "\\boxed{1}", "reference": "1"}]})
    text = httpx.get(f"{server.url}/metrics", timeout=30).text
    readme = (ROOT / "README.md").read_text()
    names = {n for n in re.findall(r"^# TYPE (rlvrgym_serve_\w+)", text, flags=re.M) if not n.endswith("_created")}
    assert len(names) >= 12
    for name in names:
        assert name in readme, f"{name} is not in the README's serve section"


def test_no_verdict_is_lost_or_duplicated_under_load(server: Server) -> None:
    """A bounded load run: 16 clients, distinct items, every verdict comes back once, to its own item."""
    def client(k: int) -> list[tuple[int, bool]]:
        v = RemoteVerifier(server.url, batch_size=8)
        numbers = list(range(k * 40, k * 40 + 40))
        completions = [f"\\boxed{{{n if n % 3 else n + 1}}}" for n in numbers]
        verdicts = v.verify_batch(completions, [str(n) for n in numbers])
        return [(n, bool(vd.correct)) for n, vd in zip(numbers, verdicts, strict=True)]

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(16) as ex:
        results = [r for chunk in ex.map(client, range(16)) for r in chunk]
    assert sorted(n for n, _ in results) == list(range(640))
    assert all(ok == (n % 3 != 0) for n, ok in results)


def test_readme_client_snippet_runs_against_a_server(server: Server, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"<!-- serve-tested -->\n```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) == 1
    code = blocks[0].replace('"http://127.0.0.1:8000"', repr(server.url))
    assert server.url in code
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})  # our own documentation


def test_added_routes_sit_behind_the_same_edge() -> None:
    """A router passed to create_app and one from a serve_routers hook: token, metrics and the queue apply."""
    from fastapi import APIRouter
    from fastapi.testclient import TestClient

    from rlvrgym.serve.app import create_app
    from rlvrgym.serve.config import ServeConfig

    extra = APIRouter()

    @extra.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    app = create_app(ServeConfig(token=TOKEN), routers=[extra], router_modules=["tests.test_serve_plugins"])
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(app) as client:
        assert client.get("/ping").status_code == 401
        assert client.get("/ping", headers=auth).json() == {"pong": "yes"}
        assert client.post("/plugin/score", json={"completion": "\\boxed{3}", "reference": "3"}).status_code == 401
        scored = client.post("/plugin/score", json={"completion": "\\boxed{3}", "reference": "3"}, headers=auth)
        assert scored.json() == {"status": "correct"}
        text = client.get("/metrics", headers=auth).text
    assert 'rlvrgym_serve_requests_total{method="GET",route="/ping",status="200"} 1.0' in text
    assert 'rlvrgym_serve_verifications_total{status="correct",verifier="math"} 1.0' in text

"""PrimeIntellect verifiers 0.4 (v1): verifiers' own loader resolves our taskset id, and its own `vf-eval` plays
rollouts on the local subprocess runtime against a fake OpenAI-compatible chat endpoint on 127.0.0.1 that answers
each task once right and once wrong; the rewards in its traces are our verifiers' verdicts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

vf = pytest.importorskip("verifiers.v1", reason="verifiers is installed by `pip install -e .[integrations]`")

from rlvrgym.train.trl_adapter import draw_tasks, make_env  # noqa: E402
from tests.integration_cases import CODE_KWARGS, right_and_wrong  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]



class FakeChat:
    """An OpenAI-compatible `/v1/chat/completions` (streaming and not) that answers a known prompt alternately
    with its right and its wrong answer."""

    def __init__(self, answers: dict[str, tuple[str, str]]) -> None:
        self.answers = answers
        self.count: dict[str, int] = {}
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                prompt = next((m["content"] for m in reversed(body.get("messages", [])) if m["role"] == "user"), "")
                text = fake.answer(prompt if isinstance(prompt, str) else json.dumps(prompt))
                base = {"id": "fake", "created": 0, "model": body.get("model", "fake")}
                if body.get("stream"):
                    chunk = {**base, "object": "chat.completion.chunk", "choices": [
                        {"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}
                    data = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
                    ctype = "text/event-stream"
                else:
                    data = json.dumps({**base, "object": "chat.completion", "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
                    ctype = "application/json"
                self.send_response(200)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, prompt: str) -> str:
        key = next((p for p in self.answers if p in prompt), None)
        if key is None:
            return "I do not know."
        with self.lock:
            k = self.count.get(key, 0)
            self.count[key] = k + 1
        return self.answers[key][k % 2]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeChat:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def test_loader_resolves_the_taskset_env_and_harness() -> None:
    config = vf.resolve_env_config({"taskset": {"id": "rlvrgym-verifiers", "env": "PhysicsSim-v0", "num_tasks": 3,
                                                "seed": 4}})
    assert config.agent.runtime.type == "subprocess"  # no Prime account needed
    assert type(vf.load_environment(config)).__name__ == "RlvrgymEnv"
    tasks = list(vf.load_taskset(config.taskset))
    env = make_env("PhysicsSim-v0", split="test")
    expected = draw_tasks(env, 3, 4)
    assert [t.data.task_id for t in tasks] == [t.id for t in expected]
    assert [t.data.prompt for t in tasks] == [t.prompt for t in expected]
    for t, e in zip(tasks, expected, strict=True):  # the answer never rides on the task data
        assert str(e.reference["value"]) not in json.dumps(t.data.model_dump(mode="json"))


@pytest.fixture
def uv_on_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """verifiers' chat harness is a uv script; `uv` comes with the integrations extra, in this interpreter's bin."""
    bindir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", bindir + os.pathsep + os.environ.get("PATH", ""))
    yield


@pytest.mark.slow
@pytest.mark.parametrize(("env_id", "kwargs"), [("MathAnswer-v0", None), ("PhysicsSim-v0", None),
                                                ("CodeUnitTest-v0", CODE_KWARGS)])
def test_vf_eval_rollouts_are_scored_by_our_verifiers(env_id: str, kwargs: dict[str, Any] | None, tmp_path: Path,
                                                      uv_on_path: None) -> None:
    env = make_env(env_id, kwargs, split="test")
    tasks = draw_tasks(env, 1, 0)
    answers = {t.prompt: right_and_wrong(env_id, kwargs, t.id) for t in tasks}
    config = tmp_path / "eval.toml"  # the same settings a user can keep in a file: `vf-eval @ eval.toml`
    lines = ['model = "fake"', "num_rollouts = 2", "push = false", "[env.taskset]", 'id = "rlvrgym-verifiers"',
             f'env = "{env_id}"', "num_tasks = 1", "seed = 0"]
    if kwargs:
        lines += ["[env.taskset.env_kwargs]", *(f"{k} = {json.dumps(v)}" for k, v in kwargs.items())]
    config.write_text("\n".join(lines) + "\n")
    with FakeChat(answers) as chat:
        cmd = [str(Path(sys.executable).parent / "vf-eval"), "@", str(config), "--client.base-url", chat.url,
               "--client.api-key-var", "OPENAI_API_KEY", "--no-rich", "-o", str(tmp_path / "out")]
        env_vars = {**os.environ, "OPENAI_API_KEY": "not-needed", "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(cmd, cwd=tmp_path, env=env_vars, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    traces_file = next((tmp_path / "out").glob("*/traces.jsonl"))
    episodes = [json.loads(line) for line in traces_file.read_text().splitlines() if line.strip()]
    assert len(episodes) == 2 and all(e["ok"] for e in episodes), episodes
    rewards = sorted(e["traces"][0]["rewards"]["reward"]["score"] for e in episodes)
    paid = []
    for completion in answers[tasks[0].prompt]:  # what env.step pays for the same two answers
        env.reset(options={"task_id": tasks[0].id})
        paid.append(env.step(completion)[1])
    assert rewards == pytest.approx(sorted(paid))
    assert max(paid) >= 1.0 > min(paid)
    for e in episodes:
        metrics = e["traces"][0]["metrics"]
        assert set(metrics) >= {"outcome", "correct", "judged"}
        assert metrics["judged"] == 1.0
    assert sorted(e["traces"][0]["metrics"]["correct"] for e in episodes) == [0.0, 1.0]

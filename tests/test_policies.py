"""Policies: the OpenAI-compatible endpoint against a fake server on 127.0.0.1, a tiny local transformers model,
callables and the spec strings of the command line."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from rlvrgym.bench import BenchConfig, run_bench
from rlvrgym.bench.policies import (
    CallablePolicy,
    FailedCompletion,
    OpenAIPolicy,
    OpenAIPolicyConfig,
    Policy,
    make_policy,
)

MAX_REQUESTS = 200  # the fake server refuses more: a runaway retry loop fails the test instead of hanging it


@dataclass
class FakeServer:
    """What the fake endpoint saw, and how it misbehaves (by marker words in the prompt)."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0
    delay: float = 0.0
    always_fail: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_handler(state: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep pytest output clean
            return None

        def reply(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                if len(state.requests) >= MAX_REQUESTS:
                    return self.reply(429, {"error": "request budget of the test spent"})
                state.requests.append({"path": self.path, **body})
                state.auth.append(self.headers.get("Authorization"))
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
            try:
                time.sleep(state.delay)
                text = body["messages"][-1]["content"] if self.path.endswith("/chat/completions") else body["prompt"]
                with state.lock:
                    state.attempts[text] = state.attempts.get(text, 0) + 1
                    attempt = state.attempts[text]
                if state.always_fail or ("FLAKY" in text and attempt <= 2):
                    return self.reply(503, {"error": "overloaded"})
                if "BROKEN" in text:
                    return self.reply(400, {"error": "bad request"})
                if "GARBAGE" in text:
                    return self.reply(200, {"unexpected": True})
                answer = f"You said {len(text)} characters. The final answer is $\\boxed{{0}}$."
                if self.path.endswith("/chat/completions"):
                    return self.reply(200, {"choices": [{"message": {"role": "assistant", "content": answer}}]})
                if self.path.endswith("/completions"):
                    return self.reply(200, {"choices": [{"text": answer}]})
                return self.reply(404, {"error": "no such route"})
            finally:
                with state.lock:
                    state.in_flight -= 1

    return Handler


@pytest.fixture
def server() -> Iterator[FakeServer]:
    state = FakeServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def policy_for(server: FakeServer, **options: Any) -> OpenAIPolicy:
    return OpenAIPolicy(OpenAIPolicyConfig(model="fake-model", base_url=server.url, backoff=0.0, timeout=5.0,
                                           **options))


def test_requests_run_concurrently_up_to_the_limit_and_keep_their_order(server: FakeServer) -> None:
    server.delay = 0.1
    policy = policy_for(server, concurrency=3, temperature=0.7, max_tokens=64, system_prompt="Be brief.")
    observations = [f"question {'x' * i}" for i in range(9)]
    out = policy.act(observations)
    assert out == [f"You said {len(o)} characters. The final answer is $\\boxed{{0}}$." for o in observations]
    assert 2 <= server.max_in_flight <= 3
    first = server.requests[0]
    assert first["path"] == "/v1/chat/completions" and first["model"] == "fake-model"
    assert first["temperature"] == 0.7 and first["max_tokens"] == 64 and first["seed"] == 0
    assert first["messages"][0] == {"role": "system", "content": "Be brief."}


def test_failed_requests_are_retried_then_recorded(server: FakeServer) -> None:
    policy = policy_for(server, retries=3)
    flaky, broken, garbage = policy.act(["FLAKY one", "BROKEN one", "GARBAGE one"])
    assert flaky.startswith("You said") and server.attempts["FLAKY one"] == 3
    assert isinstance(broken, FailedCompletion) and "HTTP 400" in broken.error
    assert server.attempts["BROKEN one"] == 1  # a client error is not worth retrying
    assert isinstance(garbage, FailedCompletion) and "malformed reply" in garbage.error
    assert policy.stats["failures"] == 2 and policy.stats["retries"] >= 2


def test_an_unreachable_server_is_a_failed_completion_not_a_crash() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    policy = OpenAIPolicy(OpenAIPolicyConfig(model="m", base_url=f"http://127.0.0.1:{port}/v1", retries=1,
                                             backoff=0.0, timeout=2.0))
    (out,) = policy.act(["hello"])
    assert isinstance(out, FailedCompletion) and "cannot reach" in out.error and policy.stats["requests"] == 2


def test_api_key_comes_from_the_environment_and_is_never_recorded(server: FakeServer,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RLVRGYM_TEST_KEY", "sekret-123")
    policy = policy_for(server, api_key_env="RLVRGYM_TEST_KEY", endpoint="completions")
    policy.act(["2+2?"])
    assert server.auth == ["Bearer sekret-123"] and server.requests[0]["path"] == "/v1/completions"
    assert server.requests[0]["prompt"] == "2+2?"
    assert "sekret-123" not in json.dumps(policy.settings())
    monkeypatch.delenv("RLVRGYM_TEST_KEY")
    policy.act(["3+3?"])
    assert server.auth[-1] is None


def test_bench_with_the_endpoint_records_answers_and_outages(server: FakeServer, tmp_path: Path) -> None:
    options = {"base_url": server.url, "backoff": "0", "retries": "1", "concurrency": "4"}
    policy = make_policy("openai:fake-model", options)
    config = BenchConfig(envs=["MathAnswer-v0"], episodes=4, plots=False)
    result = run_bench(policy, config, run_dir=tmp_path / "up")
    assert all(r["completion"].startswith("You said") and r["verdict"] for r in result.records)
    assert result.summary["policy"]["settings"]["base_url"] == server.url
    server.always_fail = True
    down = run_bench(make_policy("openai:fake-model", options), config, run_dir=tmp_path / "down")
    assert [r["status"] for r in down.records] == ["policy_error"] * 4
    assert all("HTTP 503" in r["error"] for r in down.records)
    assert len(server.requests) == 4 + 4 * 2  # every outage retried once, then given up


def test_config_validation_and_spec_strings() -> None:
    with pytest.raises(ValueError, match="base_url must start with http"):
        OpenAIPolicyConfig(model="m", base_url="localhost:8000")
    with pytest.raises(ValueError, match="endpoint"):
        OpenAIPolicyConfig(model="m", endpoint="embeddings")  # type: ignore[arg-type]
    policy = make_policy("openai:org/model", {"concurrency": "2", "temperature": "0.5", "system_prompt": "42"})
    assert policy.config.concurrency == 2 and policy.config.temperature == 0.5 and policy.config.system_prompt == "42"
    assert isinstance(policy, Policy) and policy.name == "org_model"
    with pytest.raises(ValueError, match="takes no options"):
        make_policy("oracle", {"x": "1"})


def test_callable_policy_from_a_file_one_observation_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "my_policy.py"
    path.write_text("def shout(observation):\n    return observation.upper()\n")
    policy = make_policy(f"{path}:shout", {"batched": "false"})
    assert policy.act(["a", "b"]) == ["A", "B"] and policy.settings()["batched"] is False
    with pytest.raises(ValueError, match="no callable 'missing'"):
        make_policy(f"{path}:missing")
    assert CallablePolicy("x:y", fn=lambda obs: obs).act(["z"]) == ["z"]


# -- a local transformers model ---------------------------------------------------------------------------------------
CHAT_TEMPLATE = ("{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}"
                 "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised two-layer Qwen2 and a BPE tokenizer trained on a few strings: no download."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    out = tmp_path_factory.mktemp("tiny-model")
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    texts = ["What is 2 + 3? The final answer is \\boxed{5}.", "user", "assistant", "Compute the integral."] * 20
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=300, special_tokens=specials, show_progress=False,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=specials[0], bos_token=specials[1],
                                        eos_token=specials[2])
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=1024,
                         pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                         bos_token_id=tokenizer.bos_token_id)
    Qwen2ForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def test_hf_policy_generates_in_batches_reproducibly(tiny_model_dir: Path) -> None:
    greedy = make_policy(f"hf:{tiny_model_dir}", {"max_new_tokens": "6", "batch_size": "2"})
    observations = ["What is 2 + 3?", "Compute the integral of x from 0 to 1.", "user"]
    first = greedy.act(observations)
    assert len(first) == 3 and all(isinstance(c, str) for c in first) and any(first)
    assert greedy.act(observations) == first  # greedy decoding is deterministic
    assert greedy.use_chat and "<|im_start|>assistant" in greedy.format("hi")
    options = {"max_new_tokens": "8", "temperature": "1.0", "seed": "7"}
    a = make_policy(f"hf:{tiny_model_dir}", options).act(observations)
    b = make_policy(f"hf:{tiny_model_dir}", options).act(observations)
    assert a == b  # the same seed samples the same completions
    settings = greedy.settings()
    assert settings["kind"] == "hf" and settings["parameters"] > 0 and settings["temperature"] == 0.0
    short, too_long = greedy.act(["What is 2 + 3?", "user " * 1100])  # over the model's 1024 positions
    assert short == first[0] and isinstance(too_long, FailedCompletion) and "1024 positions" in too_long.error


def test_bench_with_a_local_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    policy = make_policy(f"hf:{tiny_model_dir}", {"max_new_tokens": "6", "temperature": "1.0"})
    result = run_bench(policy, BenchConfig(envs=["MathAnswer-v0"], episodes=2, samples=2), run_dir=tmp_path / "r")
    assert len(result.records) == 4 and all(r["verdict"] is not None for r in result.records)
    assert result.summary["envs"]["MathAnswer-v0"]["latency_s"]["policy"]["p50"] > 0
    assert (tmp_path / "r" / "plots" / "pass_at_k.png").is_file()


def test_cli_bench_with_a_local_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    from rlvrgym.cli import main

    run = tmp_path / "cli"
    assert main(["bench", "--env", "MathAnswer-v0", "--policy", f"hf:{tiny_model_dir}", "--policy-option",
                 "max_new_tokens=4", "--episodes", "2", "--no-plots", "--run-dir", str(run)]) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["policy"]["settings"]["max_new_tokens"] == 4 and summary["envs"]["MathAnswer-v0"]["episodes"] == 2

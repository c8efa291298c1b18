"""OpenRLHF 0.11: its own prompt preprocessing and its own HTTP reward client (`SingleTurnAgentExecutor`) against
our `POST /get_reward` served on 127.0.0.1; and the protocol translation (prompt stripping, raw labels, 4xx only for
malformed requests, numbers-only extra_logs) checked directly."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rlvrgym.cli import main as cli_main
from rlvrgym.integrations import openrlhf as orl
from rlvrgym.train.trl_adapter import make_env
from tests.integration_cases import CODE_KWARGS, right_and_wrong

TOKEN = "s3cret-token"



def test_strip_prompt_judges_the_response_alone() -> None:
    prompt = "<|im_start|>user\nExample: 1+1 = \\boxed{2}. Now compute 2+2.<|im_end|>\n<|im_start|>assistant\n"
    assert orl.strip_prompt(prompt + "It is \\boxed{4}.<|im_end|>", prompt) == "It is \\boxed{4}."
    assert orl.strip_prompt("something else" + prompt, prompt) is None
    # a decode that adds a BOS and moves whitespace still finds the prompt; a changed character does not
    loose = "<s> " + prompt.replace("\nExample", " \n Example") + "\\boxed{4}</s>"
    assert orl.strip_prompt(loose, prompt) == "\\boxed{4}"
    assert orl.strip_prompt(prompt.replace("2+2", "2+3") + "\\boxed{4}", prompt) is None
    # the few-shot \boxed{2} in the prompt must never pay for a response that answers nothing
    reply = orl.get_reward({"query": [prompt + "I am not sure.<|im_end|>"], "prompts": [prompt], "labels": ["2"]})
    assert reply["rewards"] == [0.0]
    # a query that does not start with its prompt is a 0, never the whole query judged
    reply = orl.get_reward({"query": ["\\boxed{2}"], "prompts": [prompt], "labels": ["2"]})
    assert reply["rewards"] == [0.0] and reply["extra_logs"]["bad_item"] == [1.0]


def test_raw_labels() -> None:
    p = "Q: "
    body = {"query": [p + "\\boxed{42}", p + "\\boxed{0.5}", p + "\\boxed{7}", p + "\\boxed{7}", p + "\\boxed{3}"],
            "prompts": [p] * 5, "labels": [42, "1/2", "", None, True]}
    reply = orl.get_reward(body)
    assert reply["rewards"] == [1.0, 1.0, 0.0, 0.0, 0.0]
    assert reply["extra_logs"]["bad_item"] == [0.0, 0.0, 1.0, 1.0, 1.0]
    for values in reply["extra_logs"].values():  # numbers only: OpenRLHF makes a tensor of each
        assert len(values) == 5 and all(isinstance(v, float) for v in values)
    assert reply["scores"] == [1.0, 1.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("body", [[], {"query": ["a"]}, {"query": "a", "prompts": "a", "labels": "a"},
                                  {"query": ["a", "b"], "prompts": ["a"], "labels": ["1"]},
                                  {"query": [1], "prompts": ["a"], "labels": ["1"]}])
def test_malformed_requests_are_request_errors(body: Any) -> None:
    with pytest.raises(orl.RequestError):
        orl.get_reward(body)


def test_unknown_default_env_is_a_request_error_but_a_bad_label_env_is_a_zero() -> None:
    with pytest.raises(orl.RequestError, match="names no rlvrgym environment"):
        orl.get_reward({"query": ["a"], "prompts": [""], "labels": ["1"]}, default_env="Pong-v5")
    label = json.dumps({"env": "Pong-v5", "reference": "1"})
    reply = orl.get_reward({"query": ["\\boxed{1}"], "prompts": [""], "labels": [label]})
    assert reply["rewards"] == [0.0] and reply["extra_logs"]["bad_item"] == [1.0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _app(env_kwargs: dict[str, dict[str, Any]]) -> Any:
    """The app `rlvrgym serve` runs (its token check, its operator defaults per environment); our route comes in
    through the serve app's `serve_routers` hook on `rlvrgym.integrations`."""
    from rlvrgym.serve.app import create_app
    from rlvrgym.serve.config import ServeConfig

    return create_app(ServeConfig(token=TOKEN, env_defaults=env_kwargs))


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(_app({"CodeUnitTest-v0": CODE_KWARGS}), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "the reward server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive()


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from rlvrgym.train.tiny import corpus_from_generators, train_tokenizer

    return train_tokenizer(corpus_from_generators(per_generator=2), vocab_size=400)


@pytest.mark.parametrize(("env_id", "kwargs"), [("MathAnswer-v0", None), ("PhysicsSim-v0", None),
                                                ("CodeUnitTest-v0", CODE_KWARGS)])
def test_openrlhf_client_against_get_reward(env_id: str, kwargs: dict[str, Any] | None, server: str,
                                            tokenizer: Any, tmp_path: Path) -> None:
    """`rlvrgym export openrlhf` rows through OpenRLHF's `preprocess_data` (chat template applied), the sequence
    decoded with special tokens as its executor does, and its client posting to `/get_reward?token=...`."""
    pytest.importorskip("openrlhf", reason="openrlhf is installed by `pip install -e .[integrations]`")
    from openrlhf.datasets.prompts_dataset import preprocess_data
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    out = tmp_path / "train.jsonl"
    argv = ["export", "openrlhf", "--env", env_id, "--n", "2", "--out", str(out)]
    if kwargs:
        argv += ["--env-kwargs", json.dumps(kwargs)]
    assert cli_main(argv) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    queries, prompts, labels, expected = [], [], [], []
    for row in rows:
        prompt, label = preprocess_data(row, input_key="prompt", label_key="label",
                                        apply_chat_template=tokenizer.apply_chat_template)
        for text, want in zip(right_and_wrong(env_id, kwargs, row["task_id"]), (1.0, 0.0), strict=True):
            ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
            ids += tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
            queries.append(tokenizer.decode(ids, skip_special_tokens=False))  # as OpenRLHF decodes the sequence
            prompts.append(prompt)
            labels.append(label)
            expected.append(want)
    executor = SingleTurnAgentExecutor(f"{server}/get_reward?env={env_id}&token={TOKEN}")
    replies = asyncio.run(executor._fetch_rewards_via_http(queries, prompts, labels))
    assert len(replies) == 1
    reply = replies[0]
    correct = reply["extra_logs"]["correct"]
    assert correct == expected
    for got, want in zip(reply["rewards"], expected, strict=True):
        assert (got >= 1.0) if want else (got < 1.0)


def test_http_errors_only_for_malformed_requests(server: str) -> None:
    import requests

    url = f"{server}/get_reward?token={TOKEN}"
    ok = requests.post(url, json={"query": ["Q \\boxed{x}"], "prompts": ["Q "], "labels": ["5"]}, timeout=60)
    assert ok.status_code == 200 and ok.json()["rewards"] == [0.0]
    bad = requests.post(url, json={"query": ["a", "b"], "prompts": ["a"], "labels": ["1"]}, timeout=60)
    assert bad.status_code in (400, 422)
    unauthorized = requests.post(f"{server}/get_reward", json={"query": [], "prompts": [], "labels": []}, timeout=60)
    assert unauthorized.status_code == 401


@pytest.mark.parametrize("env_id", ["MathAnswer-v0", "MathProof-v0", "PhysicsSim-v0"])
def test_get_reward_pays_what_env_step_pays(env_id: str) -> None:
    """Exported labels (reference and reward context) through the route's translation give env.step's reward and
    terms for the same answers."""
    from rlvrgym.integrations.export import openrlhf_rows
    from rlvrgym.rewards import TERMS

    rows = openrlhf_rows(env_id, 3, seed=5)
    env = make_env(env_id, split=None)
    query, prompts, labels, steps = [], [], [], []
    for row in rows:
        env.reset(options={"task_id": row["task_id"]})
        for text in (env.oracle_completion() or "", "The answer is \\boxed{17}.", "no answer"):
            env.reset(options={"task_id": row["task_id"]})
            steps.append(env.step(text)[4]["reward_breakdown"])
            query.append("PROMPT " + text)
            prompts.append("PROMPT ")
            labels.append(row["label"])
    reply = orl.get_reward({"query": query, "prompts": prompts, "labels": labels}, default_env="MathAnswer-v0")
    assert reply["rewards"] == pytest.approx([b["total"] for b in steps])
    for term in TERMS:
        assert reply["extra_logs"][term] == pytest.approx([b[term] for b in steps]), term

"""verl's coroutine reward with `RLVRGYM_URL`: verl's RewardLoopWorker awaits `compute_score_async`, which checks on
a `rlvrgym serve` on 127.0.0.1; the results equal the in-process ones, item for item."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("verl", reason="verl is installed by `pip install -e .[integrations]` (scripts/setup.sh)")
pytest.importorskip("fastapi", reason="rlvrgym serve needs `pip install -e .[serve]`")

from tests.test_integrations_verl import batch, parquet_files, tokenizer_dir, verl_config  # noqa: F401

TOKEN = "verl-remote-token"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    import uvicorn

    from rlvrgym.serve.app import create_app
    from rlvrgym.serve.config import ServeConfig

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    # the operator (never a client) lets code run on the local backend: the test's code answers are trusted
    config = ServeConfig(token=TOKEN, verifier_options={"code": {"backend": "local", "allow_unsafe": True}})
    srv = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(400):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive()


def test_remote_scores_equal_in_process_scores(parquet_files: dict[str, Path], tokenizer_dir: Path,  # noqa: F811
                                               tmp_path: Path, server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    data, expected = batch(parquet_files, tokenizer_dir, tmp_path)

    def run(function: str) -> list[dict[str, Any]]:
        worker = RewardLoopWorker(verl_config(tokenizer_dir, function))
        return worker.loop.run_until_complete(worker.compute_score_batch(data))

    monkeypatch.delenv("RLVRGYM_URL", raising=False)
    local = run("compute_score")
    monkeypatch.setenv("RLVRGYM_URL", server)
    monkeypatch.setenv("RLVRGYM_TOKEN", TOKEN)
    remote = run("compute_score_async")
    assert [o["reward_score"] for o in remote] == pytest.approx(expected)
    assert [o["reward_extra_info"] for o in remote] == [o["reward_extra_info"] for o in local]

"""The `rlvrgym` console script as users call it."""

from __future__ import annotations

import json
import subprocess
import sys

from rlvrgym.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rlvrgym.cli", *args], capture_output=True, text=True, timeout=120)


def test_envs_lists_every_registered_environment_on_one_line_each() -> None:
    from rlvrgym.envs import ENVIRONMENTS

    out = run_cli("envs")
    assert out.returncode == 0, out.stderr
    for env_id in ENVIRONMENTS:
        assert env_id in out.stdout


def test_verify_math_prints_the_verdict_and_sets_the_exit_status() -> None:
    ok = run_cli("verify", "math", "--reference", "\\frac12", "so the answer is \\boxed{0.5}")
    assert ok.returncode == 0 and "correct" in ok.stdout and "extracted: 0.5" in ok.stdout
    bad = run_cli("verify", "math", "--reference", "\\frac12", "\\boxed{0.4}", "--json")
    assert bad.returncode == 1 and json.loads(bad.stdout)["status"] == "wrong"


def test_verify_reads_the_completion_from_stdin() -> None:
    out = subprocess.run([sys.executable, "-m", "rlvrgym.cli", "verify", "math", "--reference", "4", "-", "--json"],
                         input="2+2 = \\boxed{4}", capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and json.loads(out.stdout)["correct"] is True


def test_verifiers_lists_math(capsys: object) -> None:
    assert main(["verifiers"]) == 0
    assert "math" in capsys.readouterr().out.split()  # type: ignore[attr-defined]


def test_demo_runs_the_sanity_policies_on_math() -> None:
    out = run_cli("demo", "--env", "MathAnswer-v0", "--episodes", "3")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "oracle" in out.stdout and "adversary" in out.stdout

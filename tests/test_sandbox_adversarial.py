"""Hostile programs against the Docker sandbox: each gets the right status, the host stays healthy, nothing is left
for the next job, and no container outlives the sandbox. One class per program family of the design note."""

from __future__ import annotations

import os

import pytest

from rlvrgym.sandbox import ExecStatus, Job, Limits
from rlvrgym.sandbox.docker_backend import LABEL, OWNER_LABEL, DockerConfig, DockerSandbox, docker_client
from rlvrgym.sandbox.job import SANDBOX_FLAGS
from tests import test_sandbox_fixtures as fixtures
from tests.test_sandbox_fixtures import probe

docker_ready = fixtures.docker_ready
docker_sandbox = fixtures.docker_sandbox

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

FAST = Limits(test_timeout=2.0, output_bytes=1 << 16, capture_bytes=4096)

#: name -> (program, expected status, a fragment the stdout or stderr must contain, or "")
PROGRAMS: dict[str, tuple[str, ExecStatus, str]] = {
    "fork_bomb": ("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
                  ExecStatus.TIMEOUT, ""),
    "thread_bomb": ("import threading, time\nwhile True:\n"
                    "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n",
                    ExecStatus.RUNTIME_ERROR, "thread"),
    "memory_bomb": ("x = []\nwhile True:\n    x.append(bytearray(10**7))\n", ExecStatus.MEMORY_LIMIT, ""),
    "memory_bomb_one_shot": ("x = bytearray(10**10)\n", ExecStatus.MEMORY_LIMIT, ""),
    "memory_bomb_across_processes": (
        "import os, time\nfor _ in range(6):\n    if os.fork() == 0:\n        x = bytearray(200 * 10**6)\n"
        "        for i in range(0, len(x), 4096):\n            x[i] = 1\n        time.sleep(30)\n"
        "x = bytearray(200 * 10**6)\nfor i in range(0, len(x), 4096):\n    x[i] = 1\ntime.sleep(30)\n",
        ExecStatus.MEMORY_LIMIT, ""),
    "busy_loop": ("while True:\n    pass\n", ExecStatus.TIMEOUT, ""),
    "long_sleep": ("import time\ntime.sleep(1000)\n", ExecStatus.TIMEOUT, ""),
    "ignores_sigterm_and_sigalrm": (
        "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "signal.alarm(1)\nwhile True:\n    pass\n", ExecStatus.TIMEOUT, ""),
    "stdout_flood": ("while True:\n    print('x' * 1000)\n", ExecStatus.OUTPUT_LIMIT, ""),
    "stderr_flood": ("import sys\nwhile True:\n    sys.stderr.write('y' * 1000 + '\\n')\n",
                     ExecStatus.OUTPUT_LIMIT, ""),
    "no_newlines": ("import sys\nwhile True:\n    sys.stdout.write('z')\n    sys.stdout.flush()\n",
                    ExecStatus.OUTPUT_LIMIT, ""),
    "bypass_cap_via_parent_fd": (
        "import os\nfor pid in (os.getppid(), 1):\n    for fd in (1, 2):\n        try:\n"
        "            with open(f'/proc/{pid}/fd/{fd}', 'w') as f:\n                f.write('x' * 10**6)\n"
        "            print('WROTE', pid, fd)\n        except OSError as e:\n            print('denied', pid, fd)\n",
        ExecStatus.OK, "denied"),
    "network": ("import socket\ntry:\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n"
                "    print('CONNECTED')\nexcept OSError as e:\n    print('no network', e)\n",
                ExecStatus.OK, "no network"),
    "dns": ("import socket\ntry:\n    print('RESOLVED', socket.gethostbyname('pypi.org'))\n"
            "except OSError as e:\n    print('no dns', e)\n", ExecStatus.OK, "no dns"),
    "writes_outside_scratch": (
        "import os\nfor p in ('/etc/evil', '/usr/bin/evil', '/tmp/job/solution.py', '/opt/rlvrgym/runner.py',"
        " '/root/evil', '/evil'):\n    try:\n        open(p, 'w').write('x')\n        print('WROTE', p)\n"
        "    except OSError as e:\n        print('refused', p)\n", ExecStatus.OK, "refused /tmp/job/solution.py"),
    "huge_file": ("with open('big', 'wb') as f:\n    for _ in range(200):\n        f.write(b'0' * 10**6)\n",
                  ExecStatus.RUNTIME_ERROR, ""),
    "fd_exhaustion": ("fs = []\nwhile True:\n    fs.append(open('/dev/null'))\n", ExecStatus.RUNTIME_ERROR,
                      "Too many open files"),
    "reads_environment_and_processes": (
        "import os\nprint(sorted(os.environ))\nfor p in os.listdir('/proc'):\n    if p.isdigit():\n"
        "        for what in ('environ', 'mem', 'fd/1'):\n            try:\n"
        "                open(f'/proc/{p}/{what}', 'rb').read(1)\n                print('READ', p, what)\n"
        "            except OSError:\n                pass\n", ExecStatus.OK, "HOME"),
    "kills_parent_and_pid1": ("import os, signal\nfor pid in (os.getppid(), 1):\n    try:\n"
                              "        os.kill(pid, signal.SIGKILL)\n        print('KILLED', pid)\n"
                              "    except OSError:\n        print('refused', pid)\n"
                              "os.kill(-1, signal.SIGKILL)  # reaches only its own uid's other processes\n",
                              ExecStatus.OK, "refused 1"),
    "early_successful_exit": ("import os\nos._exit(0)\nraise SystemExit(1)\n", ExecStatus.OK, ""),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_hostile_program(docker_sandbox: DockerSandbox, name: str) -> None:
    program, expected, fragment = PROGRAMS[name]
    # programs that end by themselves get a generous clock: a loaded CI machine must not turn them into timeouts
    timeout = 3.0 if expected == ExecStatus.TIMEOUT else 20.0
    result = docker_sandbox.run(Job(files={"solution.py": program}, timeout=timeout, limits=FAST))
    assert result.status == expected, (name, result)
    assert result.backend == "docker"
    if fragment:
        assert fragment in result.stdout + result.stderr, (name, result)
    assert "WROTE" not in result.stdout and "CONNECTED" not in result.stdout and "RESOLVED" not in result.stdout
    assert "KILLED" not in result.stdout
    if name == "reads_environment_and_processes":
        # only its own processes are readable: never the runner's or the driver's memory or environment
        foreign = [ln for ln in result.stdout.splitlines() if ln.startswith("READ")]
        assert all(ln.split()[1] != "1" for ln in foreign), foreign
    if expected in (ExecStatus.OUTPUT_LIMIT,):
        assert len(result.stdout) + len(result.stderr) <= 2 * FAST.capture_bytes
    # the next job, wherever the pool sends it, sees nothing of this one
    procs, files = probe(docker_sandbox)
    assert procs == [] and files == [], (name, procs, files)


def test_daemon_that_outlives_the_run_is_killed_and_its_files_removed(docker_sandbox: DockerSandbox) -> None:
    program = ("import os, time\nopen('/tmp/scratch/left', 'w').write('x')\nopen('/dev/mqueue/q', 'w')\n"
               "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(300)\n"
               "    os._exit(0)\nprint('parent done')\n")
    result = docker_sandbox.run(Job(files={"solution.py": program}, timeout=5.0))
    assert result.status == ExecStatus.OK and "parent done" in result.stdout
    for _ in range(2):  # both containers of the pool
        assert probe(docker_sandbox) == ([], [])


def test_a_calls_job_after_hostile_calls_jobs_is_unaffected(docker_sandbox: DockerSandbox) -> None:
    """Leftovers of a candidate (patched builtins, planted files, daemons) never reach the next candidate."""
    hostile = ("import builtins, os, time\nbuiltins.len = lambda x: 0\nopen('/tmp/scratch/sitecustomize.py', 'w')"
               ".write('raise SystemExit')\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(300)\n"
               "def f(x):\n    return x\n")
    calls = {"setup": [], "aliases": {"candidate": "f"}, "units": [
        {"kind": "stmt", "src": "assert candidate([1, 2]) == [1, 2]", "test": True}]}
    for _ in range(2):
        r = docker_sandbox.run(Job(files={"solution.py": hostile}, kind="calls", calls=calls,
                                   limits=Limits(test_timeout=1.0)))
        assert r.status == ExecStatus.OK and len(r.records) == 1
        # the loop serving its calls took its references before the solution loaded: the patched builtin does not
        # reach it, and f (which returns its argument) is judged on what it returns
        assert r.records[0]["status"] == "passed"
        assert set(r.flags) <= SANDBOX_FLAGS  # flags are the sandbox's observations, never the candidate's words
    honest = "def f(x):\n    return len(x)\n"
    r = docker_sandbox.run(Job(files={"solution.py": honest}, kind="calls", calls={
        "setup": [], "aliases": {"candidate": "f"}, "units": [
            {"kind": "stmt", "src": "assert candidate([1, 2]) == 2", "test": True}]}))
    assert [x["status"] for x in r.records] == ["passed"], r


def test_host_is_healthy_and_no_container_is_left_behind(docker_ready: None) -> None:
    client = docker_client()
    sandbox = DockerSandbox(DockerConfig(pool_size=2), warm=True)
    owner = sandbox.owner
    jobs = [Job(files={"solution.py": PROGRAMS[n][0]}, timeout=2.0 if PROGRAMS[n][1] == "timeout" else 20.0,
                limits=FAST) for n in ("fork_bomb", "memory_bomb", "stdout_flood", "busy_loop")]
    results = sandbox.run_batch(jobs)
    assert [r.status for r in results] == [ExecStatus.TIMEOUT, ExecStatus.MEMORY_LIMIT, ExecStatus.OUTPUT_LIMIT,
                                           ExecStatus.TIMEOUT]
    # no replacement is needed after a timeout, an out-of-memory kill or a flood: the runner proves the container
    # clean. The fork bomb used more pids than a job may (the next job would read them): its container is replaced.
    assert sandbox.recycled >= 1
    for _ in range(2):
        assert probe(sandbox) == ([], [])
    sandbox.close()
    left = client.containers.list(all=True, filters={"label": f"{OWNER_LABEL}={owner}"}, sparse=True)
    assert left == []
    # no process of the sandbox uids survives on the host (containers share its kernel)
    survivors = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/status") as fh:
                    uid = int(next(ln for ln in fh if ln.startswith("Uid:")).split()[1])
            except (OSError, StopIteration):
                continue
            if uid in (10001, 10002):
                survivors.append(p)
    others = client.containers.list(filters={"label": LABEL}, sparse=True)  # other live sandboxes
    if not others:
        assert survivors == []
    assert os.getloadavg()[0] < 50


CALLS = {"setup": [], "aliases": {"candidate": "f"}, "units": [
    {"kind": "stmt", "src": "assert candidate(1) == 1", "test": True},
    {"kind": "stmt", "src": "assert candidate(2) == 2", "test": True}]}


@pytest.mark.parametrize("name,program,first", [
    ("floods_the_answer_channel",
     "import os, threading\ndef flood():\n    while True:\n        os.write(4, b'{}\\n' * 1000)\n"
     "def f(x):\n    if x == 1:\n        threading.Thread(target=flood, daemon=True).start()\n"
     "        import time\n        time.sleep(10)\n    return x\n", ("output_limit", "timeout", "crashed")),
    ("answers_with_deep_nesting", "import os\ndef f(x):\n    if x == 1:\n"
     "        os.write(4, b'[' * 500000 + b'\\n')\n        import time\n        time.sleep(10)\n    return x\n",
     ("failed",)),
    ("stops_reading_its_requests", "import os\nos.close(3)\ndef f(x):\n    return x\n", ("crashed", "timeout")),
])
def test_hostile_calls_candidate_fails_its_tests_not_the_sandbox(docker_sandbox: DockerSandbox, name: str,
                                                                  program: str, first: tuple[str, ...]) -> None:
    r = docker_sandbox.run(Job(files={"solution.py": program}, kind="calls", calls=CALLS, timeout=20,
                               limits=Limits(test_timeout=2.0)))
    assert r.status == ExecStatus.OK, (name, r)  # never a sandbox_error: the candidate's fault is its fail
    statuses = [rec["status"] for rec in r.records]
    assert statuses[0] in first, (name, statuses)
    if name != "stops_reading_its_requests":
        assert statuses[1] == "passed", (name, statuses)  # a fresh candidate process serves the next test
    assert probe(docker_sandbox) == ([], [])

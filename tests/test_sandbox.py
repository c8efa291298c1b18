"""The sandbox API on both backends: statuses, outputs, batch and async submission, hardening, janitor, recycling."""

from __future__ import annotations

import asyncio
import time

import pytest

from rlvrgym.sandbox import ExecStatus, Job, Limits, make_sandbox
from rlvrgym.sandbox.base import PooledSandbox
from rlvrgym.sandbox.docker_backend import LABEL, OWNER_LABEL, DockerConfig, DockerSandbox, docker_client
from rlvrgym.sandbox.image import image_tag
from rlvrgym.sandbox.local import LocalProcessSandbox
from tests import test_sandbox_fixtures as fixtures

docker_ready = fixtures.docker_ready
docker_sandbox = fixtures.docker_sandbox

pytestmark = [pytest.mark.timeout(600)]

SMALL = Limits(test_timeout=2.0, output_bytes=1 << 15, capture_bytes=1024)


@pytest.fixture(scope="module")
def local_sandbox() -> LocalProcessSandbox:
    sandbox = LocalProcessSandbox(allow_unsafe=True, pool_size=2)
    yield sandbox
    sandbox.close()


def check_basic_statuses(sandbox: PooledSandbox, backend: str) -> None:
    r = sandbox.run(Job(files={"solution.py": "import sys\nprint(sys.stdin.read()[::-1])"}, stdin="abc"))
    assert (r.status, r.stdout, r.exit_code, r.backend) == (ExecStatus.OK, "cba\n", 0, backend)
    assert r.wall_time > 0 and r.cpu_time >= 0
    r = sandbox.run(Job(files={"solution.py": "import sys\nsys.stderr.write('bad')\nsys.exit(3)"}))
    assert (r.status, r.exit_code, r.stderr) == (ExecStatus.RUNTIME_ERROR, 3, "bad")
    r = sandbox.run(Job(files={"solution.py": "while True: pass"}, timeout=1.0, limits=SMALL))
    assert r.status == ExecStatus.TIMEOUT
    r = sandbox.run(Job(files={"solution.py": "print('x' * 100_000)"}, limits=SMALL))
    assert r.status == ExecStatus.OUTPUT_LIMIT and r.stdout_truncated and len(r.stdout) == 1024
    r = sandbox.run(Job(files={"solution.py": "x = bytearray(2 * 10**9)"}, limits=SMALL))
    assert r.status == ExecStatus.MEMORY_LIMIT
    r = sandbox.run(Job(files={"solution.py": "print('a' * 2000)"}, limits=SMALL))
    assert r.status == ExecStatus.OK and r.stdout_truncated and not r.stderr_truncated


def test_local_backend_statuses(local_sandbox: LocalProcessSandbox) -> None:
    check_basic_statuses(local_sandbox, "local")
    assert not local_sandbox.secure


@pytest.mark.docker
def test_docker_backend_statuses(docker_sandbox: DockerSandbox) -> None:
    check_basic_statuses(docker_sandbox, "docker")
    assert docker_sandbox.secure


@pytest.mark.docker
def test_batch_keeps_order_and_async_works(docker_sandbox: DockerSandbox) -> None:
    deadline = time.monotonic() + 30
    while docker_sandbox._idle.qsize() < docker_sandbox.size and time.monotonic() < deadline:
        time.sleep(0.1)  # replacements of containers recycled by earlier tests are still starting
    jobs = [Job(files={"solution.py": f"import time\ntime.sleep(0.2)\nprint({i} * {i})"}) for i in range(12)]
    results = docker_sandbox.run_batch(jobs)
    assert [r.stdout.strip() for r in results] == [str(i * i) for i in range(12)]
    assert len({r.container for r in results}) == 2  # both warm containers took jobs
    result = asyncio.run(docker_sandbox.arun(Job(files={"solution.py": "print('async')"})))
    assert result.stdout == "async\n"
    results = asyncio.run(docker_sandbox.arun_batch(jobs[:3]))
    assert [r.stdout.strip() for r in results] == ["0", "1", "4"]


@pytest.mark.docker
def test_container_settings_are_hardened(docker_sandbox: DockerSandbox) -> None:
    docker_sandbox.run(Job(files={"solution.py": "pass"}))
    client = docker_client()
    containers = client.containers.list(filters={"label": f"{OWNER_LABEL}={docker_sandbox.owner}"})
    assert containers
    host = containers[0].attrs["HostConfig"]
    assert host["NetworkMode"] == "none" and host["ReadonlyRootfs"] is True and host["IpcMode"] == "none"
    assert host["CapDrop"] == ["ALL"] and sorted(host["CapAdd"]) == ["KILL", "SETGID", "SETUID"]
    assert "no-new-privileges" in host["SecurityOpt"] and host["Init"] is True
    assert host["Memory"] == host["MemorySwap"] == 512 << 20 and host["PidsLimit"] == 128
    assert host["Binds"] in (None, []) and "/tmp" in host["Tmpfs"]
    assert host["LogConfig"]["Config"]["max-size"] == "1m"
    # the candidate runs as an unprivileged uid with no capabilities and cannot gain any
    r = docker_sandbox.run(Job(files={"solution.py": "import os\nprint(os.getuid(), os.getgid(), os.getgroups())\n"
                                      "print(open('/proc/self/status').read())"}))
    first, status = r.stdout.split("\n", 1)
    assert first == "10002 10002 []"
    caps = {ln.split(":")[0]: ln.split()[1] for ln in status.splitlines() if ln.startswith("Cap")}
    assert caps["CapEff"] == caps["CapPrm"] == "0000000000000000"
    assert "NoNewPrivs:\t1" in status and "Seccomp:\t2" in status


@pytest.mark.docker
def test_janitor_removes_leftovers_of_dead_owners_and_containers_recycle(docker_ready: None) -> None:
    client = docker_client()
    stale = client.containers.create(image_tag(), ["sleep", "60"], labels={LABEL: "1",
                                                                          OWNER_LABEL: "nohost:999999:dead"})
    sandbox = DockerSandbox(DockerConfig(pool_size=1, max_jobs=2))
    try:
        assert stale.id not in [c.id for c in client.containers.list(all=True, sparse=True)]
        names = [sandbox.run(Job(files={"solution.py": "pass"})).container for _ in range(5)]
        assert len(set(names)) >= 3  # a container serves at most max_jobs jobs
        assert sandbox.recycled >= 2
    finally:
        sandbox.close()
    assert client.containers.list(all=True, filters={"label": f"{OWNER_LABEL}={sandbox.owner}"}, sparse=True) == []


def test_unsafe_backend_is_never_chosen_silently() -> None:
    with pytest.raises(Exception, match="allow_unsafe"):
        make_sandbox("local")
    with pytest.raises(ValueError):
        make_sandbox("chroot")


@pytest.mark.docker
def test_candidate_inherits_no_stray_file_descriptors(docker_sandbox: DockerSandbox) -> None:
    """Only its stdio (and, for calls, its two harness pipes) reach the candidate: no runner, zygote or driver fd."""
    fds = "import os\nprint(sorted(int(f) for f in os.listdir('/proc/self/fd')))\n"
    r = docker_sandbox.run(Job(files={"solution.py": fds}))
    assert r.stdout.strip() == "[0, 1, 2, 3]"  # 3 is listdir's own handle
    code = "import os\ndef fds():\n    return sorted(int(f) for f in os.listdir('/proc/self/fd'))\n"
    calls = {"setup": [], "aliases": {"candidate": "fds"}, "units": [
        {"kind": "stmt", "src": "assert candidate() == [0, 1, 2, 3, 4, 5]", "test": True}]}
    r = docker_sandbox.run(Job(files={"solution.py": code}, kind="calls", calls=calls))
    assert [rec["status"] for rec in r.records] == ["passed"], r


@pytest.mark.docker
def test_argv_runs_any_command_of_the_image(docker_sandbox: DockerSandbox) -> None:
    r = docker_sandbox.run(Job(files={"data.txt": "42"}, argv=("cat", "/tmp/job/data.txt")))
    assert (r.status, r.stdout) == (ExecStatus.OK, "42")
    r = docker_sandbox.run(Job(argv=("python3", "-c", "import sys; print(sys.flags.isolated)"), files={}))
    assert r.stdout.strip() == "0"  # argv is taken as given: the default is the isolated `python3 -I`
    # isolated (no environment, no user site, no script-relative planting), with the image's site-packages (numpy)
    program = "import sys, numpy\nprint(sys.flags.isolated, sys.flags.no_site)"
    r = docker_sandbox.run(Job(files={"solution.py": program}))
    assert r.stdout.strip() == "1 0", r


@pytest.mark.docker
def test_a_container_killed_from_outside_is_an_infrastructure_error_then_replaced(docker_ready: None) -> None:
    with DockerSandbox(DockerConfig(pool_size=1), warm=True) as sandbox:
        for c in docker_client().containers.list(filters={"label": f"{OWNER_LABEL}={sandbox.owner}"}, sparse=True):
            c.kill()
        broken = sandbox.run(Job(files={"solution.py": "print(1)"}))
        assert broken.status == ExecStatus.SANDBOX_ERROR and broken.error  # never a pass, never a fail
        again = sandbox.run(Job(files={"solution.py": "print(2)"}))
        assert (again.status, again.stdout) == (ExecStatus.OK, "2\n")


def test_the_runner_digest_is_the_hosts_comparison() -> None:
    """A stdin/stdout case is judged on the runner's digest of all its output: it must normalise exactly as the
    host's `normalise_output` does, or an honest output would fail."""
    import hashlib

    from rlvrgym.sandbox.image.runner import normalised_digest
    from rlvrgym.verifiers.code.formats import normalise_output

    for text in ["3\n", "3", "a  \r\nb\t\n\n\n", "", "\n\n", "x\u00a0\ny", "caf\u00e9 \n", "1\r\n2\r\n"]:
        want = hashlib.sha256("\n".join(normalise_output(text)).encode("utf-8", "surrogatepass")).hexdigest()
        assert normalised_digest(text.encode()) == want, text


def test_answers_are_trimmed_to_the_budget_and_text_is_valid_utf8() -> None:
    import json

    from rlvrgym.sandbox.image.runner import fit
    from rlvrgym.sandbox.job import clean_text

    big = {"status": "ok", "id": 1, "records": [{"i": i, "stdout": "\x01" * 4000, "stderr": "\ufffd" * 4000,
                                                 "stdout_sha256": "ab" * 32} for i in range(100)]}
    small = fit(big, 200_000)
    assert len(json.dumps(small)) <= 200_000 and small["records"][5]["stdout_sha256"] == "ab" * 32
    assert fit({"status": "ok", "records": [{"i": i} for i in range(10**5)]}, 1000)["status"] == "sandbox_error"
    assert clean_text({"a": ["\udc80x"]}) == {"a": ["\\udc80x"]}

"""Shared fixtures of the sandbox and code tests (imported by them), and the checks that the fixtures themselves
hold: a Docker test may skip only outside CI, and only when the engine is missing (README, section "Code")."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator

import pytest

from rlvrgym.sandbox import Job, SandboxUnavailable
from rlvrgym.sandbox.docker_backend import DockerConfig, DockerSandbox, docker_client

IN_CI = bool(os.environ.get("CI"))

#: A program run as the candidate that reports what a previous job could have left: processes of the sandbox uids
#: other than itself, files in the writable places, and whether it can see the job directory's solution.
PROBE = r"""
import os
import sys
mine = os.getpid()
procs = []
for p in os.listdir('/proc'):
    if p.isdigit() and int(p) != mine:
        try:
            uid = int([l for l in open(f'/proc/{p}/status') if l.startswith('Uid:')][0].split()[1])
        except Exception:
            continue
        if uid in (10001, 10002):
            procs.append(p)
files = []
for top in ('/tmp', '/dev/mqueue'):
    for root, dirs, names in os.walk(top):
        files += [os.path.join(root, n) for n in names + dirs]
files = sorted(f for f in files if f not in ('/tmp/job', '/tmp/scratch', '/tmp/job/solution.py'))
import json
print(json.dumps({"procs": procs, "files": files}))
"""


def engine_or_skip() -> None:
    """Skip when there is no engine, except in CI, where a missing engine is a failure."""
    try:
        docker_client()
    except SandboxUnavailable as exc:
        if IN_CI:
            pytest.fail(f"CI must run the Docker tests for real: {exc}")
        pytest.skip(f"no Docker engine ({exc}); the README section 'Code: CodeUnitTest-v0, the code verifier "
                    "and the Docker sandbox' says how to get one")


def ensure_image() -> None:
    from rlvrgym.sandbox.image import build_image, image_exists, image_tag

    client = docker_client()
    if not image_exists(client, image_tag()):
        build_image(client, log=lambda _msg: None)


@pytest.fixture(scope="session")
def docker_ready() -> None:
    engine_or_skip()
    ensure_image()


@pytest.fixture(scope="module")
def docker_sandbox(docker_ready: None) -> Iterator[DockerSandbox]:
    sandbox = DockerSandbox(DockerConfig(pool_size=2), warm=True)
    yield sandbox
    sandbox.close()


def probe(sandbox: DockerSandbox) -> tuple[list[str], list[str]]:
    """Run the probe and return (leftover processes, leftover files) it saw."""
    r = sandbox.run(Job(files={"solution.py": PROBE}, timeout=10))
    assert r.status == "ok", r
    report = json.loads(r.stdout)
    return report["procs"], report["files"]


def test_probe_sees_what_a_job_leaves_when_nobody_cleans(docker_ready: None) -> None:
    """The probe must be able to fail: run it in a plain container where a daemon and a file were left on purpose."""
    client = docker_client()
    from rlvrgym.sandbox.image import image_tag

    script = ("import os, subprocess, time\n"
              "open('/tmp/left.txt', 'w').write('x')\n"
              "subprocess.Popen(['setpriv', '--reuid=10002', '--regid=10002', '--clear-groups', 'sleep', '30'])\n"
              "time.sleep(0.3)\n" + PROBE)
    out = client.containers.run(image_tag(), ["python3", "-c", script], remove=True, network_mode="none",
                                tmpfs={"/tmp": "rw"}).decode()
    report = json.loads(out)
    assert "/tmp/left.txt" in report["files"]
    assert report["procs"]



@pytest.mark.parametrize("ci,outcome", [(True, pytest.fail.Exception), (False, pytest.skip.Exception)])
def test_missing_engine_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch, ci: bool,
                                                        outcome: type[BaseException]) -> None:
    def no_engine() -> None:
        raise SandboxUnavailable("no engine here")

    monkeypatch.setattr(sys.modules[__name__], "docker_client", no_engine)
    monkeypatch.setattr(sys.modules[__name__], "IN_CI", ci)
    with pytest.raises(outcome):
        engine_or_skip()

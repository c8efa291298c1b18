"""`rlvrgym sandbox build-image` and `doctor`: idempotent by content hash, and an honest report."""

from __future__ import annotations

import os
import time

import pytest

from rlvrgym.sandbox.cli import main
from rlvrgym.sandbox.docker_backend import DockerConfig, DockerSandbox, docker_client
from rlvrgym.sandbox.image import content_hash, image_tag
from rlvrgym.sandbox.job import Job
from tests import test_sandbox_fixtures as fixtures

docker_ready = fixtures.docker_ready
pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def test_build_image_is_cached_by_content_hash(docker_ready: None, capsys: pytest.CaptureFixture[str]) -> None:
    t0 = time.monotonic()
    assert main(["sandbox", "build-image"]) == 0
    assert time.monotonic() - t0 < 30  # the tagged image exists: nothing is rebuilt
    assert "up to date" in capsys.readouterr().out
    assert image_tag().endswith(content_hash()) and len(content_hash()) == 12


def test_doctor_reports_engine_image_and_a_smoke_job(docker_ready: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "doctor"]) == 0
    out = capsys.readouterr().out
    for word in ("engine", "seccomp", "image", "limits", "smoke job", image_tag(), "image contents", "numpy"):
        assert word in out


def test_cpu_pinning_option(docker_ready: None) -> None:
    with DockerSandbox(DockerConfig(pool_size=2, pin_cpus=True)) as sandbox:
        sandbox.run_batch([Job(files={"solution.py": "import time\ntime.sleep(0.3)"})] * 2)
        cpusets = sorted(c.attrs["HostConfig"]["CpusetCpus"] for c in docker_client().containers.list(
            filters={"label": f"rlvrgym.sandbox.owner={sandbox.owner}"}))
    assert cpusets == sorted(str(i % (os.cpu_count() or 1)) for i in range(2))


def test_a_build_untags_only_old_sandbox_images() -> None:
    """Another checkout's image built today stays; tags of images older than a day go; an image in use stays."""
    import datetime

    import docker

    from rlvrgym.sandbox.image import REPOSITORY, prune_old_images

    now = datetime.datetime.now(datetime.UTC)

    def stamp(days: float) -> str:
        return (now - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.123456789Z")

    class Image:
        def __init__(self, tags: list[str], created: str) -> None:
            self.tags, self.attrs = tags, {"Created": created}

    class Images:
        def __init__(self) -> None:
            self.removed: list[str] = []
            self.items = [Image([f"{REPOSITORY}:new"], stamp(0)), Image([f"{REPOSITORY}:sibling"], stamp(0.5)),
                          Image([f"{REPOSITORY}:old", "other:tag"], stamp(3)), Image([f"{REPOSITORY}:busy"], stamp(9)),
                          Image([f"{REPOSITORY}:unknown"], "not a date")]

        def list(self, name: str) -> list[Image]:
            assert name == REPOSITORY
            return self.items

        def remove(self, tag: str) -> None:
            if tag.endswith(":busy"):
                raise docker.errors.APIError("in use")
            self.removed.append(tag)

    class Client:
        images = Images()

    client = Client()
    assert prune_old_images(client, keep=f"{REPOSITORY}:new") == [f"{REPOSITORY}:old"]
    assert client.images.removed == [f"{REPOSITORY}:old"]
    assert prune_old_images(client, keep=f"{REPOSITORY}:new", keep_recent_s=0) == [f"{REPOSITORY}:sibling",
                                                                                   f"{REPOSITORY}:old"]

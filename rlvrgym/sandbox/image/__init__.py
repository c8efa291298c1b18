"""The sandbox image: its recipe files (Dockerfile, runner.py), content-hash tag, and the two ways to build it."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, Literal

Recipe = Literal["auto", "dockerfile", "offline"]

REPOSITORY = "rlvrgym-sandbox"
BASE_REPOSITORY = "rlvrgym-sandbox-base"
PULL_BASE = "python:3.11-slim-bookworm"
#: The offline base: what `debootstrap` installs. Changing it changes the base tag, so old bases are never reused.
DEBOOTSTRAP = {"suite": "bookworm", "variant": "minbase",
               "include": "python3-minimal,libpython3.11-stdlib,python3-numpy",
               "mirror": "http://deb.debian.org/debian", "version": "3"}  # 3: set-id bits stripped
#: Trimmed from the debootstrapped tree: documentation and package-manager state the sandbox never uses.
TRIM = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "var/cache/apt", "var/lib/apt/lists",
        "var/log")
RECIPE_FILES = ("Dockerfile", "runner.py")
RUNNER_PATH = "/opt/rlvrgym/runner.py"

Log = Callable[[str], None]


def recipe_bytes(name: str) -> bytes:
    return resources.files("rlvrgym.sandbox.image").joinpath(name).read_bytes()


def content_hash() -> str:
    """Hash of everything that defines the image, so a changed runner gets a new tag and an old image is never
    silently reused (and an unchanged one is never rebuilt)."""
    h = hashlib.sha256()
    for name in RECIPE_FILES:
        h.update(name.encode() + b"\0" + recipe_bytes(name) + b"\0")
    return h.hexdigest()[:12]


def image_tag() -> str:
    return f"{REPOSITORY}:{content_hash()}"


def base_tag() -> str:
    digest = hashlib.sha256(repr(sorted(DEBOOTSTRAP.items())).encode() + repr(TRIM).encode()).hexdigest()[:12]
    return f"{BASE_REPOSITORY}:{digest}"


def image_exists(client: Any, tag: str) -> bool:
    import docker

    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def _context_tar() -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in RECIPE_FILES:
            data = recipe_bytes(name)
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def build_offline_base(client: Any, log: Log = print) -> str:
    """debootstrap a minimal bookworm with python3 and numpy and `docker import` it: no container registry needed.

    Needs root and `debootstrap` (apt-get install debootstrap); about a minute on a small machine."""
    tag = base_tag()
    if image_exists(client, tag):
        log(f"base image {tag} already present")
        return tag
    if shutil.which("debootstrap") is None:
        raise RuntimeError("the offline recipe needs debootstrap: sudo apt-get install -y debootstrap")
    if os.geteuid() != 0:
        raise RuntimeError("the offline recipe runs debootstrap, which needs root: run it with sudo")
    with tempfile.TemporaryDirectory(prefix="rlvrgym-rootfs-") as tmp:
        root = Path(tmp) / "rootfs"
        cmd = ["debootstrap", f"--variant={DEBOOTSTRAP['variant']}", f"--include={DEBOOTSTRAP['include']}",
               DEBOOTSTRAP["suite"], str(root), DEBOOTSTRAP["mirror"]]
        log("running " + " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"debootstrap failed ({proc.returncode}): {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        for rel in TRIM:
            shutil.rmtree(root / rel, ignore_errors=True)
        strip_set_id_bits(root)
        tar_path = Path(tmp) / "rootfs.tar"
        with tarfile.open(tar_path, "w") as tar:
            tar.add(root, arcname=".")
        repo, version = tag.split(":")
        log(f"importing the root file system as {tag}")
        client.api.import_image_from_file(str(tar_path), repository=repo, tag=version)
    return tag


def strip_set_id_bits(root: Path) -> list[str]:
    """Clear set-user-id and set-group-id bits in a root file system (su, mount, passwd...): with
    no-new-privileges they grant nothing, and without them there is nothing to grant."""
    import stat

    stripped = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            mode = path.lstat().st_mode
            if stat.S_ISREG(mode) and mode & (stat.S_ISUID | stat.S_ISGID):
                path.chmod(stat.S_IMODE(mode) & ~(stat.S_ISUID | stat.S_ISGID))
                stripped.append(str(path.relative_to(root)))
    return stripped


def build_image(client: Any | None = None, recipe: Recipe = "auto", force: bool = False, log: Log = print) -> str:
    """Build the sandbox image unless an image with the current content hash exists; return its tag."""
    import docker

    client = client or docker.from_env(timeout=600)
    tag = image_tag()
    if not force and image_exists(client, tag):
        log(f"sandbox image {tag} is up to date")
        return tag
    if recipe == "auto":
        recipe = "offline" if shutil.which("debootstrap") and os.geteuid() == 0 else "dockerfile"
    if recipe not in ("dockerfile", "offline"):
        raise ValueError(f"recipe must be auto, dockerfile or offline, got {recipe!r}")
    base = build_offline_base(client, log) if recipe == "offline" else PULL_BASE
    log(f"building {tag} from {base}")
    client.images.build(fileobj=_context_tar(), custom_context=True, tag=tag, buildargs={"BASE": base},
                        target=recipe, pull=False, rm=True, forcerm=True, labels={"rlvrgym.sandbox.recipe": recipe})
    log(f"built {tag}")
    removed = prune_old_images(client, keep=tag)
    if removed:
        log(f"removed {len(removed)} older sandbox image tag(s): {', '.join(removed)}")
    return tag


#: Sandbox image tags younger than this survive a build of another tag: another checkout or virtual environment on
#: the same engine may be using them (tests of two checkouts side by side removed each other's images).
KEEP_RECENT_S = 24 * 3600


def prune_old_images(client: Any, keep: str, keep_recent_s: float = KEEP_RECENT_S) -> list[str]:
    """Untag sandbox images of older recipes (their runner layer is all they own): those created more than
    `keep_recent_s` ago; ones a container still uses stay too."""
    import datetime

    import docker

    now = datetime.datetime.now(datetime.UTC)
    removed = []
    for image in client.images.list(name=REPOSITORY):
        created = str(image.attrs.get("Created", ""))
        try:  # Docker writes RFC 3339 with nanoseconds: keep the seconds
            born = datetime.datetime.fromisoformat(created[:19]).replace(tzinfo=datetime.UTC)
        except ValueError:
            continue  # no readable age: keep it
        if (now - born).total_seconds() < keep_recent_s:
            continue
        for tag in image.tags:
            if tag.startswith(REPOSITORY + ":") and tag != keep:
                try:
                    client.images.remove(tag)
                    removed.append(tag)
                except docker.errors.APIError:
                    pass  # a container still uses it
    return removed

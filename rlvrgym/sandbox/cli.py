"""`rlvrgym sandbox build-image` and `rlvrgym sandbox doctor` (also `python -m rlvrgym.sandbox.cli ...`)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from typing import Any


def add_sandbox_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `sandbox` command group on an argparse subparsers object."""
    parser = subparsers.add_parser("sandbox", help="build and check the Docker sandbox for code tasks")
    sub = parser.add_subparsers(dest="sandbox_command", required=True)
    build = sub.add_parser("build-image", help="build the sandbox image (cached by content hash)")
    build.add_argument("--recipe", choices=["auto", "dockerfile", "offline"], default="auto",
                       help="dockerfile: pull python:3.11-slim-bookworm; offline: debootstrap + docker import, no "
                            "registry needed (root, debootstrap); auto: offline when both are available")
    build.add_argument("--force", action="store_true", help="rebuild even when the tagged image exists")
    build.set_defaults(handler=cmd_build_image, func=cmd_build_image)  # func: the top-level CLI
    doctor = sub.add_parser("doctor", help="report engine, image, runtime and limits, and how to fix what is missing")
    doctor.add_argument("--no-smoke", action="store_true", help="skip the smoke job")
    doctor.set_defaults(handler=cmd_doctor, func=cmd_doctor)
    return parser


def cmd_build_image(args: argparse.Namespace) -> int:
    from rlvrgym.sandbox.docker_backend import docker_client
    from rlvrgym.sandbox.image import build_image

    client = docker_client(timeout=600)
    t0 = time.monotonic()
    tag = build_image(client, recipe=args.recipe, force=args.force)
    print(f"{tag} ready in {time.monotonic() - t0:.1f} s")
    return 0


#: The doctor's smoke job: a sum, then what the image offers (Python and every installed distribution).
SMOKE = ("print(sum(range(10)))\nimport json, sys\nfrom importlib import metadata\n"
         "print(json.dumps({'python': sys.version.split()[0], 'packages': {d.metadata['Name']: d.version "
         "for d in metadata.distributions()}}))\n")


def cmd_doctor(args: argparse.Namespace) -> int:
    """Each row: what was checked, what was found, and the command that fixes it when something is missing."""
    from rich.console import Console
    from rich.table import Table

    from rlvrgym.sandbox import Job, SandboxUnavailable
    from rlvrgym.sandbox.docker_backend import FIX_ENGINE, FIX_IMAGE, DockerConfig, DockerSandbox, docker_client
    from rlvrgym.sandbox.image import image_exists, image_tag
    from rlvrgym.sandbox.job import Limits

    table = Table(title="rlvrgym sandbox doctor")
    for col in ("check", "status", "found", "fix"):
        table.add_column(col)
    ok = True

    def row(check: str, good: bool, found: str, fix: str = "") -> None:
        nonlocal ok
        ok = ok and good
        table.add_row(check, "[green]ok[/]" if good else "[red]missing[/]", found, "" if good else fix)

    row("docker CLI or dockerd", bool(shutil.which("docker") or shutil.which("dockerd")),
        shutil.which("dockerd") or shutil.which("docker") or "none", "sudo apt-get install -y docker.io")
    try:
        client = docker_client()
    except SandboxUnavailable as exc:
        row("engine", False, str(exc)[:120], FIX_ENGINE)
        Console().print(table)
        return 1
    info = client.info()
    version = client.version().get("Version", "?")
    row("engine", True, f"Docker {version}, cgroup v{info.get('CgroupVersion', '?')}, {info.get('NCPU')} cpus")
    security = " ".join(info.get("SecurityOptions") or [])
    row("seccomp", "seccomp" in security, (security or "none") + "; candidates also get the runner's own filter "
        "(io_uring denied)", "use an engine built with seccomp")
    table.add_row("user namespaces", "", "remapped: container root is an unprivileged host uid" if "userns" in security
                  else "off: the runner is container root with only SETUID/SETGID/KILL (dockerd --userns-remap=default "
                  "maps it to an unprivileged host uid)", "")
    runtimes = sorted(info.get("Runtimes") or {})
    row("runtimes", True, f"default {info.get('DefaultRuntime')}; available {', '.join(runtimes)}"
        + ("" if "runsc" in runtimes else " (gVisor: apt-get install runsc, then runtime='runsc')"))
    tag = image_tag()
    have_image = image_exists(client, tag)
    row("image", have_image, tag, FIX_IMAGE + (" --recipe offline" if shutil.which("debootstrap") else ""))
    cfg, limits = DockerConfig(), Limits()
    table.add_row("limits", "", f"pool {cfg.pool_size or os.cpu_count()}, memory {cfg.memory_mb} MiB, "
                  f"cpus {cfg.cpus}, pids {cfg.pids_limit}, /tmp {cfg.tmpfs_mb} MiB; per job: "
                  f"{limits.memory_mb} MiB, {limits.cpu_s:g} cpu-s, {limits.output_bytes} output bytes, "
                  f"{limits.test_timeout:g} s per test", "")
    if have_image and not args.no_smoke:
        t0 = time.monotonic()
        with DockerSandbox(DockerConfig(pool_size=1)) as sandbox:
            result = sandbox.run(Job(files={"solution.py": SMOKE}))
        lines = result.stdout.splitlines()
        good = result.status == "ok" and lines[:1] == ["45"]
        row("smoke job", good, f"{result.status}, {lines[:1]}, {time.monotonic() - t0:.2f} s incl. container start",
            result.error)
        try:
            contents = json.loads(lines[1])
            found = f"Python {contents['python']} and its standard library; " + ", ".join(
                f"{name} {version}" for name, version in sorted(contents["packages"].items()))
        except (IndexError, KeyError, ValueError):
            contents, found = {}, "could not be listed"
        row("image contents", "numpy" in contents.get("packages", {}), found, FIX_IMAGE + " --force")
    Console().print(table)
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rlvrgym")
    add_sandbox_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())

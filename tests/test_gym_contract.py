"""The Gymnasium contract for every environment: `check_env` passes without a warning, `gym.make("rlvrgym:<id>")`
works without importing rlvrgym first, and each class docstring is its manual in Gymnasium's sections."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from typing import Any

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import rlvrgym  # noqa: F401  (registers the environments)
from rlvrgym.envs import ENVIRONMENTS
from tests import test_sandbox_fixtures as fixtures

docker_ready = fixtures.docker_ready

SECTIONS = ("Description", "Action Space", "Observation Space", "Rewards", "Starting State", "Episode End",
            "Arguments", "Verifier", "Version History")


def checked_without_warnings(env_id: str, **kwargs: Any) -> list[str]:
    """Run Gymnasium's checker (render check included) and return every warning it raised."""
    env = gym.make(env_id, disable_env_checker=True, render_mode="ansi", **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    env.close()
    # the Docker SDK's unclosed sockets are the sandbox's to fix (issue 21), not part of the env contract
    return [f"{w.category.__name__}: {w.message}" for w in caught if not issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize(("env_id", "kwargs"), [
    ("MathAnswer-v0", {}),
    ("MathProof-v0", {}),
    ("MathProof-v0", {"mode": "steps"}),
    ("PhysicsSim-v0", {}),
    ("PhysicsSim-v0", {"tool_calls": 2}),
])
def test_check_env_passes_without_a_warning(env_id: str, kwargs: dict[str, Any]) -> None:
    assert checked_without_warnings(env_id, **kwargs) == []


def test_check_env_passes_without_a_warning_reasoning_gym() -> None:
    pytest.importorskip("reasoning_gym")  # the reasoning-gym extra (README; CI installs it)
    assert checked_without_warnings("ReasoningGym-v0") == []


def test_check_env_passes_without_a_warning_code(docker_ready: None) -> None:
    assert checked_without_warnings("CodeUnitTest-v0", tasks="shipped") == []


def test_every_environment_declares_render_fps() -> None:
    for env_id in ENVIRONMENTS:
        assert gym.spec(env_id).entry_point, env_id
        module, cls = str(gym.spec(env_id).entry_point).split(":")
        metadata = getattr(importlib.import_module(module), cls).metadata
        assert metadata.get("render_fps") and "ansi" in metadata["render_modes"], env_id


@pytest.mark.parametrize("env_id", ["MathProof-v0", "MathAnswer-v0"])
def test_module_colon_id_makes_an_env_without_a_prior_import(env_id: str) -> None:
    code = ("import sys, gymnasium as gym\n"
            "assert 'rlvrgym' not in sys.modules\n"
            f"env = gym.make('rlvrgym:{env_id}')\n"
            "obs, info = env.reset(seed=0)\n"
            "print(type(env.unwrapped).__name__, info['env_id'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == env_id


@pytest.mark.parametrize("env_id", sorted(ENVIRONMENTS))
def test_each_class_docstring_is_a_manual_in_gymnasiums_sections(env_id: str) -> None:
    module, cls = ENVIRONMENTS[env_id][0].split(":")
    doc = getattr(importlib.import_module(module), cls).__doc__ or ""
    headings = [line.strip()[3:] for line in doc.splitlines() if line.strip().startswith("## ")]
    assert headings == list(SECTIONS), (env_id, headings)
    for section in SECTIONS:  # each section says something
        body = doc.split(f"## {section}", 1)[1].split("## ", 1)[0]
        assert len(body.strip()) > 10, (env_id, section)

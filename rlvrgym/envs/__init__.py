"""Environments, registered with Gymnasium when `rlvrgym` is imported."""

from __future__ import annotations

import importlib.util

import gymnasium as gym

#: id -> (entry point, one line for `rlvrgym envs`). Later environments add a row here.
ENVIRONMENTS: dict[str, tuple[str, str]] = {
    "MathAnswer-v0": ("rlvrgym.envs.math_answer:MathAnswerEnv",
                      "math problem -> final answer, checked for equivalence with sympy (outcome reward)"),
    "MathProof-v0": ("rlvrgym.envs.math_proof:MathProofEnv",
                     "derivation -> every step checked symbolically (process + outcome reward; single or steps mode)"),
    "CodeUnitTest-v0": ("rlvrgym.envs.code_unit:CodeUnitTestEnv",
                        "programming problem -> code, run against unit tests in the Docker sandbox (pass fraction)"),
    "PhysicsSim-v0": ("rlvrgym.envs.physics_sim:PhysicsSimEnv",
                      "physics word problem -> quantity with unit, checked against a simulator (outcome + dimensions)"),
    "ReasoningGym-v0": ("rlvrgym.envs.reasoning_gym:ReasoningGymEnv",
                        "reasoning-gym's procedural datasets -> tagged answer, judged by the dataset's own scorer"),
}

#: Environments that need an optional extra: id -> (module that must import, the extra that installs it).
REQUIRES: dict[str, tuple[str, str]] = {"ReasoningGym-v0": ("reasoning_gym", "reasoning-gym")}


def available_environments() -> list[str]:
    """The environments whose optional dependencies are installed (what a default benchmark run plays)."""
    return sorted(env_id for env_id in ENVIRONMENTS
                  if env_id not in REQUIRES or importlib.util.find_spec(REQUIRES[env_id][0]) is not None)


def register_all() -> None:
    for env_id, (entry_point, _) in ENVIRONMENTS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point)

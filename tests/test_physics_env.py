"""PhysicsSim-v0: Gymnasium conformance, reproducibility, replay, rewards, trap flags and the simulator tool."""

from __future__ import annotations

import json
import subprocess
import sys

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import rlvrgym  # noqa: F401  (registers the environments)
from rlvrgym.envs.physics_sim import PhysicsSimConfig, PhysicsSimEnv
from rlvrgym.verifiers.physics import PhysicsVerifier

INLINE = PhysicsVerifier(isolation="inline")


def make(**kwargs: object) -> PhysicsSimEnv:
    return PhysicsSimEnv(verifier=INLINE, **kwargs)


def boxed(value: float, unit: str) -> str:
    return rf"\boxed{{{value:.6g}\ \text{{{unit}}}}}"


def tool(family: str, **params: float) -> str:
    return f'<simulate family="{family}">{json.dumps(params)}</simulate>'


def test_check_env_passes() -> None:
    check_env(make(), skip_render_check=True)


def test_registered_with_gymnasium() -> None:
    env = gym.make("PhysicsSim-v0", verifier=INLINE, difficulty=2, families=["pendulum"])
    obs, info = env.reset(seed=3)
    assert "pendulum" in obs and info["family"] == "pendulum" and info["difficulty"] == 2
    assert info["env_id"] == "PhysicsSim-v0"


def test_reset_is_reproducible_and_seeds_differ() -> None:
    a, b = make(), make()
    obs_a = [a.reset(seed=s)[0] for s in range(5)]
    assert obs_a == [b.reset(seed=s)[0] for s in range(5)]
    assert len(set(obs_a)) == 5


def test_task_id_replays_the_same_problem() -> None:
    env = make()
    obs, info = env.reset(seed=11)
    other = make()
    replay, replay_info = other.reset(options={"task_id": info["task_id"]})
    assert replay == obs and replay_info["task_id"] == info["task_id"]


def test_correct_answer_earns_outcome_and_prompt_hides_the_answer() -> None:
    env = make()
    for seed in range(12):
        obs, _ = env.reset(seed=seed)
        ref = env.task.reference
        assert f"{ref['value']:.6g}" not in obs or abs(ref["value"]) < 10  # small integers may appear by chance
        _, reward, terminated, truncated, info = env.step(f"Solving carefully... {boxed(ref['value'], ref['unit'])}")
        assert terminated and not truncated
        assert info["verdict"]["status"] == "correct", info["verdict"]["reason"]
        assert info["reward_breakdown"]["outcome"] == 1.0 and reward >= 1.0
        assert {"trap", "trap_reason", "family", "asked", "task_id", "seed", "rlvrgym_version"} <= set(info)


def test_wrong_dimension_and_garbage_score_zero_outcome() -> None:
    env = make(families=["projectile"], difficulty=1)
    env.reset(seed=0)
    _, reward, *_, info = env.step(r"\boxed{3\ \text{kg}}")
    assert reward == 0.0 and "dimension" in info["verdict"]["reason"]
    env.reset(seed=0)
    _, reward, *_, info = env.step("no idea")
    assert reward == 0.0 and info["verdict"]["status"] == "unparseable"
    with pytest.raises(RuntimeError):
        env.step("again")


def test_process_reward_stays_below_outcome() -> None:
    env = make(families=["projectile"], difficulty=1)
    env.reset(seed=5)
    claims = env.unwrapped.task.reference["claims"]
    height = claims["max_height"]["value"]
    # A right intermediate value (checked against the simulator) but a wrong final answer: partial credit only.
    wrong_answer_good_steps = (r"$R = \frac{v_0^2 \sin(2\theta)}{g}$, "
                               f"$H = {height:.4f}\\ \\text{{m}}$. \\boxed{{1 s}}")
    _, reward, *_, info = env.step(wrong_answer_good_steps)
    assert info["reward_breakdown"]["process"] == 1.0 and 0 < reward < 1.0
    env.reset(seed=5)
    _, reward, *_, info = env.step(r"$R = \frac{v_0^2 \sin(2\theta)}{g}$ \boxed{1 s}")
    assert reward == 0.0  # a consistent formula alone is no evidence of progress
    with pytest.raises(ValueError, match="process_weight"):
        PhysicsSimConfig(process_weight=1.5)


def test_trap_problems_are_flagged_and_the_shortcut_fails() -> None:
    env = make(families=["pendulum"], difficulty=3)
    _, info = env.reset(seed=1)
    assert info["trap"] and "small-angle" in info["trap_reason"]
    shortcut = env.task.meta["textbook_value"]
    _, _, *_, info = env.step(boxed(shortcut, "s"))
    assert info["reward_breakdown"]["outcome"] == 0.0
    easy = make(families=["pendulum"], difficulty=1)
    assert not any(easy.reset(seed=s)[1]["trap"] for s in range(10))


def test_splits_are_disjoint() -> None:
    train, test = make(split="train"), make(split="test")
    train_prompts = {train.reset(seed=s)[0] for s in range(30)}
    test_prompts = {test.reset(seed=s)[0] for s in range(30)}
    assert not train_prompts & test_prompts
    assert all(test.reset(seed=s)[1]["split"] == "test" for s in range(3))


def test_no_tool_by_default() -> None:
    env = make(families=["projectile"])
    obs, _ = env.reset(seed=0)
    assert "<simulate" not in obs
    _, _, terminated, _, info = env.step('<simulate family="projectile">{"v0": 10, "angle_deg": 30}</simulate>')
    assert terminated and info["verdict"]["status"] == "unparseable"


def test_tool_answers_other_scenarios_and_refuses_the_asked_one() -> None:
    env = make(families=["projectile"], difficulty=1, tool_calls=3)
    obs, info = env.reset(seed=2)
    assert "<simulate" in obs and info["tool_calls_left"] == 3
    params = env.task.meta["params"]
    same = tool("projectile", v0=params["v0"] * 1.01, angle_deg=params["angle_deg"], height=0)
    reply, reward, terminated, _, info = env.step(same)
    assert "refused" in reply and reward == 0.0 and not terminated and info["tool_calls_left"] == 2
    assert f"{env.task.reference['value']:.6g}" not in reply
    other = tool("projectile", v0=params["v0"] * 2.0, angle_deg=params["angle_deg"])
    reply, _, terminated, _, _ = env.step(other)
    assert reply.startswith("simulator: range = ") and not terminated
    reply, *_ = env.step('<simulate family="pendulum">{"length": -1, "amplitude_deg": 10}</simulate>')
    assert "length" in reply  # the simulator's own ValueError, as text
    ref = env.task.reference
    _, reward, terminated, _, info = env.step(boxed(ref["value"], ref["unit"]))  # calls are spent: judged
    assert terminated and info["verdict"]["status"] == "correct"


def test_oracle_scores_one_and_an_echo_of_the_prompt_scores_zero() -> None:
    env = make()
    for seed in range(40):
        prompt, _ = env.reset(seed=seed)
        _, reward, *_, info = env.step(env.oracle_completion())
        assert reward == 1.0, (info["task_id"], info["verdict"]["reason"])
        env.reset(seed=seed)
        _, reward, *_, info = env.step(prompt)
        assert reward == 0.0, (info["task_id"], info["verdict"], info["reward_breakdown"])


def test_tool_offers_every_family_whatever_was_imported_before() -> None:
    """Families register on import; a fresh interpreter must still offer all of them."""
    code = ("from rlvrgym.envs.physics_sim import PhysicsSimEnv; from rlvrgym.sim import FAMILIES; "
            "env = PhysicsSimEnv(tool_calls=1); assert set(env.tool_families) == set(FAMILIES), env.tool_families")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)

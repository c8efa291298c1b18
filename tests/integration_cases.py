"""Known right and wrong completions for the trainer-integration tests (one copy for every trainer's tests)."""

from __future__ import annotations

from typing import Any

from rlvrgym.train.trl_adapter import make_env

#: HumanEval's trusted canonical solutions only run on the local backend here; model code never does.
CODE_KWARGS: dict[str, Any] = {"tasks": "humaneval", "sandbox": "local", "allow_unsafe": True}


def right_and_wrong(env_id: str, kwargs: dict[str, Any] | None, task_id: str) -> tuple[str, str]:
    """(right, wrong) completions of a task: the oracle (or the canonical program) and a well-formed wrong one."""
    env = make_env(env_id, kwargs, split=None)
    env.reset(options={"task_id": task_id})
    assert env.task is not None
    if env_id == "CodeUnitTest-v0":
        entry = env.task.reference["entry_point"]
        return (f"```python\n{env.task.meta['solution']}\n```",
                f"```python\ndef {entry}(*args, **kwargs):\n    return None\n```")
    right = env.oracle_completion()
    assert right
    if env_id == "PhysicsSim-v0":
        ref = env.task.reference
        return right, f"\\boxed{{{ref['value'] * 3 + 1:.6g}\\ \\text{{{ref['unit']}}}}}"
    return right, "\\boxed{123456789}"

"""TRL's `environment_factory` (GRPOTrainer, trl >= 1.x): our environments as tool-calling environments.

TRL builds one instance per rollout with a no-argument call, calls `reset(**row)` with the dataset row, exposes
every public method other than `reset`/`get_reward` to the model as a tool (schema from type hints and docstring),
and after the rollout calls `get_reward()`, which has no argument: the environment must already hold the result.
So the model answers through the one tool, `submit(answer)`: it runs `env.step(answer)` (the environment's
verifier and `RewardSpec`, the same road as every other caller), returns the verdict's reason as the tool result
and, where the episode goes on (CodeUnitTest-v0 with `max_attempts > 1`, MathProof-v0 in steps mode), the next
observation. A rollout that never calls `submit` earns 0.

    from trl import GRPOConfig, GRPOTrainer
    from rlvrgym.integrations.trl_env import environment_factory
    from rlvrgym.train.trl_adapter import make_dataset

    trainer = GRPOTrainer(model=..., args=GRPOConfig(...), train_dataset=make_dataset("MathAnswer-v0", 1000),
                          environment_factory=environment_factory("MathAnswer-v0"))

It needs a model whose chat template renders tool calls and that TRL can parse (Qwen2.5/3, Llama 3.1, ...);
`rlvrgym.train.trl_adapter.make_reward_funcs` and `rlvrgym.train.multi_turn` serve plain-text models.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from rlvrgym.envs.single_turn import SingleTurnTextEnv

INSTRUCTIONS = ("\n\nWhen you have your final answer, call the `submit` tool with your complete answer "
                "(the final answer in \\boxed{} for math and physics, the complete code in a ```python block for "
                "programming).")


class RlvrgymEnvironment:
    """One rollout's environment for TRL's GRPOTrainer. Build a subclass per environment with
    `environment_factory(env_id, ...)`; TRL constructs it without arguments."""

    env_id: ClassVar[str] = ""
    env_kwargs: ClassVar[Mapping[str, Any] | None] = None
    return_mode: ClassVar[Literal["last", "sum"]] = "last"
    instructions: ClassVar[str | None] = INSTRUCTIONS
    _seeds: ClassVar[itertools.count[int]]

    def __init__(self) -> None:
        if not self.env_id:
            raise TypeError("use environment_factory(env_id) to build an environment class for TRL")
        from rlvrgym.train.trl_adapter import make_env

        self._env: SingleTurnTextEnv = make_env(self.env_id, self.env_kwargs, split=None)
        self._rewards: list[float] = []
        self._infos: list[dict[str, Any]] = []
        self._done = True

    def reset(self, **row: Any) -> str | None:
        """Start the episode of the row's task (`task_id`, as `make_dataset` writes it). Returns the tool
        instructions, which TRL appends to the prompt; without a `task_id` (no dataset: TRL's prompt is empty) a
        task is drawn from the environment's own split and its prompt is returned too."""
        self._rewards, self._infos = [], []
        self._done = False
        if row.get("env_id") not in (None, self.env_id):
            raise ValueError(f"this environment plays {self.env_id}, but the row is a {row['env_id']} task; give each "
                             "environment its own factory (a dict environment_factory and an `environment` column)")
        task_id = row.get("task_id")
        if task_id is not None:
            self._env.reset(options={"task_id": str(task_id)})
            return self.instructions
        split = row.get("split", "train")
        self._env.split = split
        obs, _ = self._env.reset(seed=next(type(self)._seeds))
        return obs + (self.instructions or "")

    def submit(self, answer: str) -> str:
        """Submit your answer to the task for checking. Call it once you are done.

        Args:
            answer: your complete answer (final answer in \\boxed{} for math and physics, code in a ```python block).

        Returns:
            The verdict on the answer and, if the task continues, what to do next.
        """
        if self._done:
            return "This task has already ended; your answer was judged."
        if not isinstance(answer, str):
            answer = str(answer)
        obs, reward, terminated, truncated, info = self._env.step(answer)
        self._rewards.append(float(reward))
        self._infos.append(info)
        self._done = terminated or truncated
        verdict = info.get("verdict", {})
        feedback = f"{verdict.get('status', '?')}: {verdict.get('reason', '')}"
        return feedback if self._done else f"{feedback}\n\n{obs}"

    def get_reward(self) -> float:
        """The episode's return from `env.step` (the last step's reward, or the sum with `return_mode="sum"`);
        0 when the model never submitted."""
        if not self._rewards:
            return 0.0
        return float(sum(self._rewards)) if self.return_mode == "sum" else self._rewards[-1]

    @property
    def infos(self) -> list[dict[str, Any]]:
        """The `env.step` infos of this rollout (verdicts, reward breakdowns), for logging."""
        return list(self._infos)


def environment_factory(env_id: str, env_kwargs: Mapping[str, Any] | None = None, *,
                        return_mode: Literal["last", "sum"] = "last", instructions: str | None = INSTRUCTIONS,
                        seed: int = 0) -> type[RlvrgymEnvironment]:
    """A no-argument environment class for `GRPOTrainer(environment_factory=...)` over `env_id` built with
    `env_kwargs`. TRL logs its reward as `rewards/<EnvName>Environment/mean`. `seed` starts the reset seeds used
    when rows carry no `task_id`."""
    from rlvrgym.integrations._scoring import env_id_of

    env_id = env_id_of(env_id)
    if return_mode not in ("last", "sum"):
        raise ValueError(f"return_mode must be 'last' or 'sum', got {return_mode!r}")
    name = env_id.split("-")[0] + "Environment"
    return type(name, (RlvrgymEnvironment,), {
        "env_id": env_id, "env_kwargs": dict(env_kwargs or {}) or None, "return_mode": return_mode,
        "instructions": instructions, "_seeds": itertools.count(seed), "__module__": __name__,
        "__doc__": f"{env_id} for TRL's environment_factory (see RlvrgymEnvironment)."})

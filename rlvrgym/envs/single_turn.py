"""The shared body of single-turn text environments: one prompt, one completion, one verified reward."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym

from rlvrgym._version import __version__
from rlvrgym.envs.spaces import UnicodeText
from rlvrgym.rewards import RewardSpec
from rlvrgym.tasks.base import SPLITS, Split, Task, TaskSource
from rlvrgym.verifiers.base import VerifierLike
from rlvrgym.verifiers.verdict import Verdict

MAX_PROMPT_CHARS = 16_384
MAX_COMPLETION_CHARS = 65_536


class SingleTurnTextEnv(gym.Env[str, str]):
    """Subclasses pick the task source and verifier; everything else (spaces, seeding, replay, reward, info) is here.

    The environment never judges: `step` hands the completion to the verifier and the verdict to the `RewardSpec`.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "human"]}
    env_id: str = ""

    def __init__(self, tasks: TaskSource, verifier: VerifierLike, reward: RewardSpec | None = None,
                 split: Split | None = "train", render_mode: str | None = None,
                 max_completion_chars: int = MAX_COMPLETION_CHARS) -> None:
        if split is not None and split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS} or None, got {split!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        if not isinstance(verifier, VerifierLike):
            raise TypeError(f"verifier must have `name` and `verify(completion, reference)`, got {verifier!r}")
        self.tasks = tasks
        self.verifier = verifier
        self.reward_spec = reward or RewardSpec()
        self.split = split
        self.render_mode = render_mode
        self.observation_space = UnicodeText(MAX_PROMPT_CHARS)
        self.action_space = UnicodeText(max_completion_chars)
        self.task: Task | None = None
        self._seed: int | None = None
        self._done = True
        self._last: dict[str, Any] = {}

    def _task_info(self) -> dict[str, Any]:
        assert self.task is not None
        return {"task_id": self.task.id, "kind": self.task.kind, "difficulty": self.task.difficulty,
                "seed": self._seed, "split": self.split, "env_id": self.env_id or type(self).__name__,
                "rlvrgym_version": __version__}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Draw a task from `self.np_random`, or replay one with `options={"task_id": ...}`."""
        super().reset(seed=seed)
        self._seed = seed
        options = options or {}
        if "task_id" in options:
            self.task = self.tasks.get(str(options["task_id"]))
        else:
            self.task = self.tasks.sample(self.np_random, self.split)
        if len(self.task.prompt) > MAX_PROMPT_CHARS:
            raise ValueError(f"task {self.task.id} prompt has {len(self.task.prompt)} characters, "
                             f"over the observation limit of {MAX_PROMPT_CHARS}")
        self._done = False
        self._last = {}
        return self.task.prompt, self._task_info()

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Verify the completion; the episode always ends here. Bad text is a 0 reward with a reason, not an error."""
        if self.task is None or self._done:
            raise RuntimeError("call reset() before step(): this single-turn episode has ended")
        if not isinstance(action, str):
            raise TypeError(f"the action must be the completion text (str), got {type(action).__name__}")
        if len(action) > self.action_space.max_length:
            verdict = Verdict.unparseable(f"completion has {len(action)} characters, over the limit of "
                                          f"{self.action_space.max_length}")
        else:
            verdict = self.verifier.verify(action, self.task.reference)
        breakdown = self.reward_spec.compute(verdict, action)
        self._done = True
        info = {**self._task_info(), "verdict": verdict.to_dict(), "reward_breakdown": breakdown.to_dict(),
                "verifier": self.verifier.name}
        self._last = {"completion": action, "verdict": verdict, "reward": breakdown.total}
        if self.render_mode == "human":
            print(self.render())
        return self.task.prompt, float(breakdown.total), True, False, info

    def oracle_completion(self) -> str | None:
        """A completion that states the current task's reference answer the way the verifier expects, or None when
        the environment cannot write one. Sanity runs use it: an oracle scoring under 100% reveals false negatives."""
        return None

    def render(self) -> str | None:
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='ansi' to gym.make")
            return None
        if self.task is None:
            return ""
        lines = [f"[{self.task.id}] {self.task.prompt}"]
        if self._last:
            v: Verdict = self._last["verdict"]
            lines += [f"> {self._last['completion']}", f"= reward {self._last['reward']:.3f} ({v.status}: {v.reason})"]
        return "\n".join(lines)

"""The body of every text environment: a prompt, then turns of text, each judged by the verifier and weighed by
`rlvrgym.rewards.score`.

A single-turn environment is the one-turn case (as in PrimeIntellect's `verifiers`, where `SingleTurnEnv` is a
`MultiTurnEnv` that stops after one reply). What differs between environments is said by hooks, never by an
overridden `step`:

- `transcript(action)`: the text the verifier judges this turn (default: the action; a derivation written line
  by line judges all the lines so far);
- `turn_context(verdict)`: turn facts for the reward (which steps are new, how they aggregate);
- `episode_end(verdict)`: `(terminated, truncated)` after a judged turn (default: terminated, one turn);
- `feedback(verdict)`: the observation after a turn that did not end the episode;
- `tool_reply(action)`: a reply to a turn that is not an answer (a simulator call), or None to judge it;
- `start_episode()`, `first_observation()`, `turn_info()`: per-episode state, the first observation, extra `info`.
"""

from __future__ import annotations

import pickle
from collections.abc import Hashable, Sequence
from typing import Any

import gymnasium as gym

from rlvrgym._version import __version__
from rlvrgym.envs.spaces import UnicodeText
from rlvrgym.rewards import RewardSpec, judge, judge_batch
from rlvrgym.tasks.base import SPLITS, Split, Task, TaskSource
from rlvrgym.verifiers.base import VerifierLike
from rlvrgym.verifiers.verdict import Verdict

MAX_PROMPT_CHARS = 16_384
MAX_COMPLETION_CHARS = 65_536

#: What `step` returns: observation, reward, terminated, truncated, info.
StepResult = tuple[str, float, bool, bool, dict[str, Any]]


class TextEnv(gym.Env[str, str]):
    """Subclasses pick the task source and verifier, and the hooks above; spaces, seeding, replay, judging,
    reward and info are here. The environment never judges: `step` hands the turn to `rlvrgym.rewards`.
    """

    # gymnasium.Env declares `metadata` as an instance attribute, so no ClassVar here
    metadata: dict[str, Any] = {"render_modes": ["ansi", "human"], "render_fps": 1}  # noqa: RUF012
    env_id: str = ""
    observation_space: UnicodeText
    action_space: UnicodeText

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
        self.turn = 0
        self._seed: int | None = None
        self._done = True
        self._last: dict[str, Any] = {}

    # -- hooks ---------------------------------------------------------------------------------------------------
    def transcript(self, action: str) -> str:
        """The text the verifier judges for this turn."""
        return action

    def judged_chars(self) -> int | None:
        """Longest transcript the verifier is given; a longer one is `unparseable` without being judged."""
        return self.action_space.max_length

    def turn_context(self, verdict: Verdict) -> dict[str, Any]:
        """Turn facts for the reward (`rlvrgym.rewards.CONTEXT_KEYS`); none for a whole answer."""
        return {}

    def episode_end(self, verdict: Verdict) -> tuple[bool, bool]:
        """`(terminated, truncated)` after a judged turn: one turn by default."""
        return True, False

    def feedback(self, verdict: Verdict) -> str:
        """The next observation after a turn that did not end the episode."""
        assert self.task is not None
        return self.task.prompt

    def tool_reply(self, action: str) -> str | None:
        """A reply to a turn that is not an answer (reward 0, episode goes on), or None to judge the turn."""
        return None

    def turn_info(self) -> dict[str, Any]:
        """Extra `info` entries of `reset` and of each `step`."""
        return {}

    # -- the reward's inputs, shared with the GRPO reward functions ----------------------------------------------
    def reward_context(self, task: Task) -> dict[str, Any]:
        """The task facts a reward term needs (`score(..., context=...)`): the minimal number of steps, if known.
        The GRPO reward functions ask the same method, so both paths weigh a task the same way."""
        min_steps = task.meta.get("min_steps")
        return {"min_steps": int(min_steps)} if min_steps else {}

    # -- Gymnasium API -------------------------------------------------------------------------------------------
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
        self.turn = 0
        self.start_episode()
        return self.first_observation(), {**self._task_info(), **self.turn_info()}

    def start_episode(self) -> None:
        """Reset the subclass's per-episode state (called by `reset` once the task is drawn)."""

    def first_observation(self) -> str:
        assert self.task is not None
        return self.task.prompt

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Judge one turn. Bad text is a 0 reward with a reason, never an error."""
        turn = self._begin_turn(action)
        if isinstance(turn, tuple):
            return turn
        assert self.task is not None
        verdict = judge(turn, self.task.reference, self.verifier, max_chars=self.judged_chars())
        return self._end_turn(action, turn, verdict)

    def _begin_turn(self, action: str) -> str | StepResult:
        """The first half of `step`: the checks, then either a tool turn's whole result or the transcript to judge."""
        if self.task is None or self._done:
            raise RuntimeError("call reset() before step(): this episode has ended")
        if not isinstance(action, str):
            raise TypeError(f"the action must be the completion text (str), got {type(action).__name__}")
        reply = self.tool_reply(action)
        if reply is not None:
            return reply, 0.0, False, False, {**self._task_info(), **self.turn_info(), "tool_result": reply}
        self.turn += 1
        return self.transcript(action)

    def _end_turn(self, action: str, text: str, verdict: Verdict) -> StepResult:
        """The second half of `step`: the judged turn's episode end, reward, observation and `info`."""
        assert self.task is not None
        terminated, truncated = self.episode_end(verdict)
        self._done = terminated or truncated
        context = {**self.reward_context(self.task), **self.turn_context(verdict)}
        breakdown = self.reward_spec.breakdown(verdict, action, context)
        obs = self.feedback(verdict) if not self._done or self.feedback_after_end() else self.task.prompt
        info = {**self._task_info(), **self.turn_info(), "verdict": verdict.to_dict(),
                "reward_breakdown": breakdown.to_dict(), "verifier": self.verifier.name}
        self._last = {"completion": text, "verdict": verdict, "reward": breakdown.total}
        if self.render_mode == "human":
            self.render()
        return obs, float(breakdown.total), terminated, truncated, info

    @staticmethod
    def step_batch(envs: Sequence[TextEnv], actions: Sequence[str]) -> list[StepResult | Exception]:
        """`env.step(action)` for each pair, with the judged turns verified together: one `judge_batch` (the
        verifier's `verify_batch`, its worker pool in parallel) per group of environments with equal verifiers,
        instead of one verifier round trip per environment.

        Each environment ends in the state, and each result (observation, reward, flags, `info`) is the one,
        that `env.step(action)` gives: the same hooks run in the same order, and only the verification is
        grouped. Where `step` would raise (an ended episode, an action that is not text, a hook's error), that
        environment's entry is the exception and the other environments are stepped all the same. The envs must
        be distinct (two turns of one episode are two calls).
        """
        if len(envs) != len(actions):
            raise ValueError(f"got {len(envs)} environments but {len(actions)} actions")
        if len({id(env) for env in envs}) != len(envs):
            raise ValueError("step_batch needs distinct environments: two turns of one episode are two calls")
        results: list[StepResult | Exception | None] = [None] * len(envs)
        groups: dict[tuple[Hashable, int | None], list[tuple[int, str]]] = {}
        for i, (env, action) in enumerate(zip(envs, actions, strict=True)):
            try:
                if type(env).step is not TextEnv.step:  # a subclass that overrides `step` is stepped by it
                    results[i] = env.step(action)
                    continue
                turn = env._begin_turn(action)
            except Exception as exc:
                results[i] = exc
                continue
            if isinstance(turn, tuple):
                results[i] = turn
            else:
                groups.setdefault((_verifier_key(env.verifier), env.judged_chars()), []).append((i, turn))
        for (_, max_chars), members in groups.items():
            for (i, text), verdict in zip(members, _judge_group(envs, members, max_chars), strict=True):
                try:
                    results[i] = verdict if isinstance(verdict, Exception) else \
                        envs[i]._end_turn(actions[i], text, verdict)
                except Exception as exc:
                    results[i] = exc
        return [r for r in results if r is not None]

    def feedback_after_end(self) -> bool:
        """Whether the last observation is `feedback(verdict)` too (a line-by-line derivation shows its end)
        rather than the prompt."""
        return False

    def oracle_completion(self) -> str | None:
        """A completion that states the current task's reference answer the way the verifier expects, or None when
        the environment cannot write one. Sanity runs use it: an oracle scoring under 100% reveals false negatives."""
        return None

    def render(self) -> str | None:
        """`"ansi"`: the episode so far as text; `"human"`: the same, printed (Gymnasium's human mode returns None)."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='ansi' to gym.make")
            return None
        text = self.render_text()
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def render_text(self) -> str:
        if self.task is None:
            return ""
        lines = [f"[{self.task.id}] {self.task.prompt}"]
        if self._last:
            v: Verdict = self._last["verdict"]
            lines += [f"> {self._last['completion']}", f"= reward {self._last['reward']:.3f} ({v.status}: {v.reason})"]
        return "\n".join(lines)


def _verifier_key(verifier: VerifierLike) -> Hashable:
    """Verifiers that judge alike share a batch: the same object, or two of one class with equal pickled state and
    the same worker pool (each `gym.make` builds its own verifier; the pool pickles it per job anyway). A verifier
    that does not pickle batches only with itself."""
    try:
        blob = pickle.dumps(verifier)
    except Exception:
        return ("object", id(verifier))
    return (type(verifier), id(getattr(verifier, "_pool", None)), blob)


def _judge_group(envs: Sequence[TextEnv], members: list[tuple[int, str]], max_chars: int | None
                 ) -> list[Verdict | Exception]:
    """The verdicts of one group's transcripts in one `judge_batch`; should the batch call raise, each transcript
    is judged alone, as `step` would, so that only the turns whose own verification raises get the exception."""
    references = [envs[i].task.reference for i, _ in members]  # type: ignore[union-attr]
    texts = [text for _, text in members]
    try:
        return list(judge_batch(texts, references, envs[members[0][0]].verifier, max_chars=max_chars))
    except Exception:
        pass
    out: list[Verdict | Exception] = []
    for (i, text), reference in zip(members, references, strict=True):
        try:
            out.append(judge(text, reference, envs[i].verifier, max_chars=max_chars))
        except Exception as exc:
            out.append(exc)
    return out

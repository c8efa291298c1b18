"""MathProof-v0: a derivation rewarded step by step by the symbolic step verifier, in one action or line by line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from rlvrgym.envs.single_turn import MAX_PROMPT_CHARS, SingleTurnTextEnv
from rlvrgym.envs.spaces import UnicodeText
from rlvrgym.rewards import RewardSpec, aggregate_steps
from rlvrgym.tasks.base import Split, TaskSource
from rlvrgym.verifiers.base import VerifierLike
from rlvrgym.verifiers.math_proof.judge import StepWeights
from rlvrgym.verifiers.registry import get_verifier
from rlvrgym.verifiers.verdict import Verdict

Mode = Literal["single", "steps"]
MAX_LINE_CHARS = 4096

#: The default reward: half for a complete proof, half for the sum of the steps' progress scores (at most 1 over
#: any derivation: padding, cycles and split steps cannot raise it; docs/math_proof.md).
DEFAULT_REWARD = RewardSpec(outcome_weight=0.5, process_weight=0.5, aggregation="sum")


class MathProofEnv(SingleTurnTextEnv):
    """
    ## Description
    A derivation environment: prove an identity, solve an equation showing each step, simplify, differentiate,
    integrate or take a limit. Every step of the policy's derivation is checked symbolically (randomized
    high-precision numerics, sympy to confirm), so the process reward is exact and needs no reward model. Tasks
    come from seeded generators (six kinds, difficulty 1 to 5), the shipped hand-written set, or the user's records.

    ## Action Space
    `mode="single"`: `UnicodeText(65536)`, the whole derivation, one step per line. `mode="steps"`:
    `UnicodeText(4096)`, the next line (or lines) of the derivation. A step is an equation or a line starting with
    `=`; `Step k:`, `$...$`, `\\[...\\]` wrappers are allowed; prose lines are commentary; `QED`, `\\blacksquare`
    or a `\\boxed{}` line ends the derivation.

    ## Observation Space
    `UnicodeText(16384)`: the statement and instructions; in `mode="steps"` also the lines so far and the
    feedback on the last one (its verdict and reason).

    ## Rewards
    `mode="single"`: `RewardSpec` (argument `reward`, default outcome 0.5, process 0.5, sum aggregation):
    `outcome_weight * (proof complete) + process_weight * aggregate(step scores)`, plus
    `efficiency_weight * min(1, min_steps / steps)` for a complete proof when the task knows its minimal number
    of steps. A step's score is its progress towards the target (potential-based: the rise of the best potential,
    which is 1 for a complete proof, docs/math_proof.md) times its validity weight `0.3 * parses + 0.5 * follows
    + 0.2 * claims true` (argument `weights`); a step that does not follow or cannot be checked scores 0, and so
    does a true step that does not advance (`0 = 0`, a repeated line, a cycle). The scores of any derivation add
    up to at most 1, so padding never pays.
    `mode="steps"`: each `step()` earns `process_weight * (sum of the new steps' scores)`, plus `outcome_weight` on
    the step that completes the proof; an episode's process total is at most `process_weight`. Every component is
    in `info["reward_breakdown"]`.

    ## Starting State
    `reset(seed=s)` draws a task from `self.np_random`; `options={"task_id": id}` replays a task.

    ## Episode End
    `mode="single"`: after one step. `mode="steps"`: terminates when the proof is complete or a final line
    (`QED`, `\\boxed{}`) is given; truncates after `max_steps` actions.

    ## Arguments
    - `tasks`: "generators" (default), a kind name or a comma-separated list (identity, equation, simplify,
      derivative, integral, limit), "shipped" (the hand-written set), a `.jsonl` path, a list of records, or any
      `TaskSource`. Record schema: `rlvrgym/tasks/proof_tasks.py`.
    - `difficulty`: 1-5 or a list of levels (generators only). `split`: "train", "test" or None.
    - `mode`: "single" or "steps". `max_steps`: the truncation limit of `mode="steps"`.
    - `verifier`: a name or instance (default `get_verifier("math-proof", weights=weights)`).
    - `reward`: a `RewardSpec`; `weights`: `StepWeights` or a dict; `efficiency_weight`: 0 disables the term.

    ## Verifier
    `get_verifier("math-proof")` (rlvrgym/verifiers/math_proof): `info["verdict"]["steps"]` lists every step
    with `valid`, `score`, `reason`; `info["verdict"]["details"]["first_error"]` is the index of the first wrong
    step or -1 (ProcessBench's convention).

    ## Version History
    - v0: initial release.
    """

    env_id = "MathProof-v0"

    def __init__(self, tasks: str | Path | Sequence[Mapping[str, Any]] | TaskSource = "generators",
                 difficulty: int | Sequence[int] = (1, 2, 3), mode: Mode = "single", split: Split | None = "train",
                 verifier: str | VerifierLike = "math-proof", reward: RewardSpec | None = None,
                 weights: StepWeights | Mapping[str, float] | None = None, max_steps: int = 20,
                 efficiency_weight: float = 0.0, render_mode: str | None = None) -> None:
        from rlvrgym.tasks.proof_tasks import proof_task_source

        if mode not in ("single", "steps"):
            raise ValueError(f"mode must be 'single' or 'steps', got {mode!r}")
        if max_steps < 1:
            raise ValueError(f"max_steps must be positive, got {max_steps}")
        source = proof_task_source(tasks, list(difficulty) if not isinstance(difficulty, int) else difficulty)
        if isinstance(verifier, str):
            verifier = get_verifier(verifier, **({"weights": weights} if verifier == "math-proof" and weights
                                                 else {}))
        super().__init__(source, verifier, reward=reward or DEFAULT_REWARD, split=split, render_mode=render_mode)
        self.mode: Mode = mode
        self.max_steps = max_steps
        self.efficiency_weight = efficiency_weight
        if mode == "steps":
            self.action_space = UnicodeText(MAX_LINE_CHARS)
        self._lines: list[str] = []
        self._checked = 0
        self._feedback = ""

    # -- both modes ----------------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        prompt, info = super().reset(seed=seed, options=options)
        self._lines, self._checked, self._feedback = [], 0, ""
        info["mode"] = self.mode
        return (self._observation() if self.mode == "steps" else prompt), info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self.mode == "steps":
            return self._line_step(action)
        obs, reward, terminated, truncated, info = super().step(action)
        efficiency = self._efficiency(info["verdict"])
        info["reward_breakdown"]["efficiency"] = efficiency
        if self.efficiency_weight:
            reward += self.efficiency_weight * efficiency
            info["reward_breakdown"]["total"] = reward
        return obs, float(reward), terminated, truncated, info

    def _efficiency(self, verdict: dict[str, Any]) -> float:
        """Steps used against the task's known minimum (1 when at or below it); 0 for an incomplete proof."""
        assert self.task is not None
        minimal = self.task.meta.get("min_steps")
        used = len(verdict.get("steps", ()))
        if not verdict.get("correct") or not minimal or not used:
            return 0.0
        return min(1.0, float(minimal) / used)

    def oracle_completion(self) -> str | None:
        if self.task is None or not self.task.meta.get("solution"):
            return None
        return "\n".join(self.task.meta["solution"])

    # -- mode="steps" --------------------------------------------------------------------------------------
    def _observation(self) -> str:
        assert self.task is not None
        parts = [self.task.prompt, "", "Derivation so far:" if self._lines else "Derivation so far: (none)"]
        parts += [f"{i + 1}. {line}" for i, line in enumerate(self._lines)]
        if self._feedback:
            parts += ["", f"Feedback: {self._feedback}"]
        text = "\n".join(parts)
        if len(text) > MAX_PROMPT_CHARS:  # keep the statement and the latest lines
            head = self.task.prompt + "\n\n[earlier lines omitted]\n"
            text = head + text[-(MAX_PROMPT_CHARS - len(head)):]
        return text

    def _line_step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        from rlvrgym.verifiers.math_proof.lines import classify

        if self.task is None or self._done:
            raise RuntimeError("call reset() before step(): this episode has ended")
        if not isinstance(action, str):
            raise TypeError(f"the action must be the next line of the derivation (str), got {type(action).__name__}")
        if len(action) > self.action_space.max_length:
            action = action[: self.action_space.max_length]
            self._feedback = "the line was cut at the action length limit"
        self._lines.append(action)
        verdict = self.verifier.verify("\n".join(self._lines), self.task.reference)
        new = list(verdict.steps[self._checked:])
        self._checked = max(self._checked, len(verdict.steps))  # a timed-out check lists no steps: keep the count
        process = sum(s.score for s in new)  # progress increments: the episode's process total is at most 1
        complete = bool(verdict.correct)
        final = any(classify(0, raw).kind == "end" or classify(0, raw).final for raw in action.splitlines())
        terminated = complete or final
        truncated = not terminated and len(self._lines) >= self.max_steps
        spec = self.reward_spec
        outcome = 1.0 if complete else 0.0
        total = spec.process_weight * process + spec.outcome_weight * outcome
        if new:
            words = {True: "valid", False: "not valid", None: "undecided"}
            self._feedback = "; ".join(f"step {s.index + 1}: {words[s.valid]} ({s.reason})" for s in new)
        else:
            self._feedback = "no step on that line (prose, a condition, or the problem restated)"
        if complete:
            self._feedback += "; the proof is complete"
        self._done = terminated or truncated
        breakdown = {"outcome": outcome, "process": process, "format": 0.0, "length": 0.0, "total": total,
                     "aggregate": aggregate_steps([s.score for s in verdict.steps], spec.aggregation, spec.gamma)}
        info = {**self._task_info(), "mode": self.mode, "verdict": verdict.to_dict(), "reward_breakdown": breakdown,
                "new_steps": [s.to_dict() for s in new], "verifier": self.verifier.name}
        self._last = {"completion": "\n".join(self._lines), "verdict": verdict, "reward": total}
        if self.render_mode == "human":
            print(self.render())
        return self._observation(), float(total), terminated, truncated, info

    def render(self) -> str | None:
        out = super().render()
        if out and self.mode == "steps" and self._last:
            verdict: Verdict = self._last["verdict"]
            out += "\n" + "\n".join(f"  [{s.index + 1}] valid={s.valid} score={s.score:g} {s.reason}"
                                    for s in verdict.steps)
        return out

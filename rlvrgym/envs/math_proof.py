"""MathProof-v0: a derivation rewarded step by step by the symbolic step verifier, in one action or line by line."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from rlvrgym.envs.spaces import UnicodeText
from rlvrgym.envs.text import MAX_PROMPT_CHARS, TextEnv
from rlvrgym.rewards import Aggregation, RewardSpec, aggregate_steps
from rlvrgym.tasks.base import Split, TaskSource
from rlvrgym.tasks.resolve import PROOF, resolve_tasks
from rlvrgym.verifiers.base import VerifierLike
from rlvrgym.verifiers.math_proof.judge import StepWeights
from rlvrgym.verifiers.registry import get_verifier
from rlvrgym.verifiers.verdict import StepVerdict, Verdict

Mode = Literal["single", "steps"]
MAX_LINE_CHARS = 4096

#: The default reward: half for a complete proof, half for the sum of the steps' progress scores (at most 1 over
#: any derivation: padding, cycles and split steps cannot raise it; docs/math_proof.md).
DEFAULT_REWARD = RewardSpec(outcome_weight=0.5, process_weight=0.5, aggregation="sum")
#: How `mode="steps"` aggregates the steps a line adds (each line is paid for its own new steps): their progress
#: adds up, so an episode's process total is the whole derivation's, at most 1 however many lines it takes.
STEP_AGGREGATION: Aggregation = "sum"


class MathProofEnv(TextEnv):
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
    of steps (`RewardSpec.efficiency_weight`; the `efficiency_weight` argument sets it). A step's score is its
    progress towards the target (potential-based: the rise of the best potential, which is 1 for a complete
    proof, docs/math_proof.md) times its validity weight `0.3 * parses + 0.5 * follows + 0.2 * claims true`
    (argument `weights`); a step that does not follow or cannot be checked scores 0, and so does a true step that
    does not advance (`0 = 0`, a repeated line, a cycle). The scores of any derivation add up to at most 1, so
    padding never pays.
    `mode="steps"`: each `step()` earns `process_weight * (sum of the scores of the steps the line adds)` and the
    length penalty of the line; the whole-proof terms (`outcome_weight`, `format_weight`, `efficiency_weight`)
    are paid on the step that ends the episode; an episode's process total is at most `process_weight`. Every
    component is in `info["reward_breakdown"]`.

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
                 efficiency_weight: float | None = None, render_mode: str | None = None) -> None:
        if mode not in ("single", "steps"):
            raise ValueError(f"mode must be 'single' or 'steps', got {mode!r}")
        if max_steps < 1:
            raise ValueError(f"max_steps must be positive, got {max_steps}")
        source = resolve_tasks(tasks, PROOF, difficulty)
        if isinstance(verifier, str):
            options: dict[str, Any] = {"weights": weights} if verifier == "math-proof" and weights else {}
            verifier = get_verifier(verifier, **options)
        spec = reward or DEFAULT_REWARD
        if efficiency_weight is not None:  # the argument predates RewardSpec.efficiency_weight and sets it
            spec = dataclasses.replace(spec, efficiency_weight=efficiency_weight)
        super().__init__(source, verifier, reward=spec, split=split, render_mode=render_mode)
        self.mode: Mode = mode
        self.max_steps = max_steps
        if mode == "steps":
            self.action_space = UnicodeText(MAX_LINE_CHARS)
        self._lines: list[str] = []
        self._checked = 0
        self._new: list[StepVerdict] = []
        self._steps_from = 0
        self._cut = False
        self._feedback = ""
        self._verdict: Verdict | None = None

    @property
    def efficiency_weight(self) -> float:
        return self.reward_spec.efficiency_weight

    # -- hooks of TextEnv ---------------------------------------------------------------------------------------
    def start_episode(self) -> None:
        self._lines, self._checked, self._new, self._steps_from, self._feedback = [], 0, [], 0, ""
        self._verdict = None

    def first_observation(self) -> str:
        return self._observation() if self.mode == "steps" else super().first_observation()

    def turn_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"mode": self.mode}
        if self.mode == "steps":
            info["new_steps"] = [s.to_dict() for s in self._new]
            if self._verdict is not None:  # the aggregate over every step so far, for dashboards (not a term)
                spec = self.reward_spec
                info["aggregate"] = aggregate_steps([s.score for s in self._verdict.steps], spec.aggregation,
                                                    spec.gamma)
        return info

    def transcript(self, action: str) -> str:
        """Single mode: the action. Steps mode: every line so far (the verifier judges the whole derivation and the
        reward pays the steps this line added)."""
        if self.mode == "single":
            return action
        self._cut = len(action) > self.action_space.max_length
        self._lines.append(action[: self.action_space.max_length])
        return "\n".join(self._lines)

    def judged_chars(self) -> int | None:
        return super().judged_chars() if self.mode == "single" else None  # steps mode cuts each line instead

    def episode_end(self, verdict: Verdict) -> tuple[bool, bool]:
        if self.mode == "single":
            return True, False
        from rlvrgym.verifiers.math_proof.lines import classify

        self._verdict = verdict
        self._steps_from = self._checked
        self._new = list(verdict.steps[self._checked:])
        self._checked = max(self._checked, len(verdict.steps))  # a timed-out check lists no steps: keep the count
        line = self._lines[-1]
        final = any(classify(0, raw).kind == "end" or classify(0, raw).final for raw in line.splitlines())
        terminated = bool(verdict.correct) or final
        return terminated, not terminated and len(self._lines) >= self.max_steps

    def turn_context(self, verdict: Verdict) -> dict[str, Any]:
        if self.mode == "single":
            return {}
        # the line's new steps are paid now; the whole-proof terms wait for the line that ends the episode
        return {"steps_from": self._steps_from, "step_aggregation": STEP_AGGREGATION, "partial": not self._done}

    def feedback(self, verdict: Verdict) -> str:
        if self._new:
            words = {True: "valid", False: "not valid", None: "undecided"}
            self._feedback = "; ".join(f"step {s.index + 1}: {words[s.valid]} ({s.reason})" for s in self._new)
        else:
            self._feedback = "no step on that line (prose, a condition, or the problem restated)"
        if self._cut:
            self._feedback = "the line was cut at the action length limit; " + self._feedback
        if verdict.correct:
            self._feedback += "; the proof is complete"
        return self._observation()

    def feedback_after_end(self) -> bool:
        return self.mode == "steps"

    def oracle_completion(self) -> str | None:
        if self.task is None or not self.task.meta.get("solution"):
            return None
        return "\n".join(self.task.meta["solution"])

    # -- mode="steps" --------------------------------------------------------------------------------------------
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

    def render_text(self) -> str:
        out = super().render_text()
        if out and self.mode == "steps" and self._last:
            verdict: Verdict = self._last["verdict"]
            out += "\n" + "\n".join(f"  [{s.index + 1}] valid={s.valid} score={s.score:g} {s.reason}"
                                    for s in verdict.steps)
        return out

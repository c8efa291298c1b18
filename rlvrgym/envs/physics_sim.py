"""PhysicsSim-v0: physics word problems with simulated ground truth and unit-aware rewards."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rlvrgym.envs.text import TextEnv
from rlvrgym.rewards import RewardSpec
from rlvrgym.sim.core import FAMILIES, load_families, solve
from rlvrgym.tasks.base import Split, TaskSource
from rlvrgym.tasks.resolve import physics_family, resolve_tasks
from rlvrgym.verifiers.base import VerifierLike
from rlvrgym.verifiers.physics import PhysicsVerifier

TOOL_CALL = re.compile(r"<simulate\s+family\s*=\s*\"(?P<family>[a-z_0-9]{1,40})\"\s*>(?P<params>.{0,2000}?)</simulate>",
                       re.DOTALL)
TOOL_HELP = ("\n\nYou may call the simulator up to {n} time(s), but only for a scenario that differs from this one "
             "(a parameter changed by at least {pct:.0f}% and an answer at least {pct:.0f}% away), by replying with "
             "only <simulate family=\"NAME\">{{\"param\": value, ...}}</simulate> (SI units; families and "
             "parameters: {families}). When you are done, reply with your solution.")


@dataclass
class PhysicsSimConfig:
    """Options of PhysicsSim-v0 (pass them as `gym.make("PhysicsSim-v0", difficulty=3, ...)`).

    Attributes:
        families: simulator families to draw problems from (default: all of them).
        difficulty: difficulty levels to draw from (1 textbook, 2 one complication, 3 hard and trap-prone).
        split: "train", "test" (disjoint by a hash of the prompt) or None for both.
        tool_calls: simulator calls allowed per episode before the answer (0: single-turn, no tool).
        tool_min_change: a tool scenario of the asked family must change some parameter and the asked quantity by
            at least this fraction, so the policy cannot read its answer off the tool.
        outcome_weight: weight of the verified answer in the default reward.
        process_weight: weight of the mean step score (equations' dimensions, intermediate claims); kept below
            `outcome_weight` so that the process never outweighs the answer.
        format_weight: weight of "the answer was boxed and had a unit".
        tool_families: families the tool may simulate (default: all of them).
    """

    families: Sequence[str] | None = None
    difficulty: int | Sequence[int] = (1, 2, 3)
    split: Split | None = "train"
    tool_calls: int = 0
    tool_min_change: float = 0.2
    outcome_weight: float = 1.0
    process_weight: float = 0.2
    format_weight: float = 0.0
    tool_families: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if self.tool_calls < 0:
            raise ValueError(f"tool_calls must be >= 0, got {self.tool_calls}")
        if not 0 < self.tool_min_change < 1:
            raise ValueError(f"tool_min_change must be in (0, 1), got {self.tool_min_change}")
        if self.process_weight >= self.outcome_weight:
            raise ValueError(f"process_weight ({self.process_weight}) must stay below outcome_weight "
                             f"({self.outcome_weight}): a derivation must never be worth more than the answer")


class PhysicsSimEnv(TextEnv):
    """
    ## Description
    Physics word problems (projectile with and without quadratic drag, friction on an incline, 1-D collisions,
    damped springs, large-angle pendulums, Kepler orbits, RC, RL and RLC circuits, a Wheatstone bridge) whose
    ground truth comes from `rlvrgym.sim`: closed forms, `solve_ivp` at rtol 1e-12 for drag, Kepler's equation
    for orbits, nodal analysis for the bridge. Every number the prompt states (g included) is the number that was
    simulated; a prompt whose answer can be negative states its sign convention, and scenarios that cannot happen
    (an orbit through the planet) are never drawn (docs/physics.md).

    ## Action Space
    `UnicodeText(65536)`: the completion, with the final answer as `\\boxed{value unit}`. With `tool_calls > 0`
    an action may instead be `<simulate family="...">{json params}</simulate>` (see Episode End).

    ## Observation Space
    `UnicodeText(16384)`: the problem statement; after a tool call, the simulator's reply.

    ## Rewards
    `outcome_weight * score + process_weight * mean(step scores) + format_weight * format_ok` (defaults 1, 0.2,
    0). The score is 1 within 1% of the simulated value, 0.5 within 5%, else 0; a wrong dimension or a missing
    unit scores 0; a hedge (`either \\boxed{A} or \\boxed{B}`) scores 0, and an answer stated only inside
    `<think>` is unparseable unless the verifier has `answer_in_think=True`. Steps: one per intermediate claim
    (`t_f = 3.9 s`) matched by symbol to a simulated quantity (tier score) and one per written equation whose two
    sides have different dimensions (0); unmatched claims are
    ignored and repeats count once. A dimensionally consistent equation earns nothing by itself (`F = m a` fits
    any problem): it is listed in `info["verdict"]["details"]["dimensionally_consistent"]`.

    ## Starting State
    A problem drawn with `self.np_random` from the chosen families and difficulty levels, in the chosen split.

    ## Episode End
    Single-turn by default: the first step ends the episode. With `tool_calls = n > 0`, up to n steps may be
    simulator calls (reward 0, not terminated); a call too close to the asked scenario is refused (and still
    counts). The first action that is not a tool call, or any action once the calls are spent, is judged and ends
    the episode. The refusal stops reading the answer off, not every workaround: interpolating between two
    allowed scenarios, or simulating an analogous family (an RLC circuit as a damped spring), can still come close;
    restrict `tool_families`, or keep `tool_calls=0` (the default) for evaluation.

    ## Arguments
    `gym.make("PhysicsSim-v0", families=None, difficulty=(1, 2, 3), split="train", tool_calls=0,
    tool_min_change=0.2, outcome_weight=1.0, process_weight=0.2, format_weight=0.0, verifier=None, tasks=None,
    reward=None, render_mode=None)`; see `PhysicsSimConfig`. `verifier`, `tasks` and `reward` replace the
    defaults (`PhysicsVerifier()`, the seeded generators, the weights above).

    ## Verifier
    `get_verifier("physics")` (`rlvrgym.verifiers.physics.PhysicsVerifier`); pass `verifier=PhysicsVerifier(...)` to
    change a policy (`tiers`, `answer_in_think`, `allow_sim`, `accept_percent`, `uk_ms_inverse`,
    `assume_reference_unit`; see docs/physics.md). `info` adds `family`, `asked`,
    `trap` (the textbook shortcut misses the 1% tier: large-angle pendulum, drag, damping, static friction,
    elliptical period) and `trap_reason`.

    ## Version History
    - v0: initial release.
    """

    env_id = "PhysicsSim-v0"

    def __init__(self, config: PhysicsSimConfig | None = None, *, tasks: TaskSource | None = None,
                 verifier: VerifierLike | None = None, reward: RewardSpec | None = None,
                 render_mode: str | None = None, **options: Any) -> None:
        config = dataclasses.replace(config or PhysicsSimConfig(), **options)
        self.config = config
        families = list(config.families) if config.families is not None else None
        tasks = resolve_tasks(tasks, physics_family(families), config.difficulty)
        reward = reward or RewardSpec(outcome_weight=config.outcome_weight, process_weight=config.process_weight,
                                      format_weight=config.format_weight)
        super().__init__(tasks, verifier or PhysicsVerifier(), reward, split=config.split, render_mode=render_mode)
        self._tool_calls_left = 0
        self.tool_families = tuple(config.tool_families) if config.tool_families is not None else \
            tuple(load_families())

    def oracle_completion(self) -> str | None:
        """The reference answer, boxed with its unit (sanity runs: anything under reward 1 is a false negative)."""
        if self.task is None:
            return None
        ref = self.task.reference
        unit = f"\\ \\text{{{ref['unit']}}}" if ref.get("unit") else ""
        return f"The answer is \\boxed{{{ref['value']:.9g}{unit}}}."

    def _task_info(self) -> dict[str, Any]:
        info = super()._task_info()
        assert self.task is not None
        meta = self.task.meta
        info.update(family=meta.get("family", self.task.kind), asked=meta.get("asked"),
                    trap=bool(meta.get("trap", False)), trap_reason=meta.get("trap_reason", ""))
        if self.config.tool_calls:
            info["tool_calls_left"] = self._tool_calls_left
        return info

    def start_episode(self) -> None:
        self._tool_calls_left = self.config.tool_calls

    def first_observation(self) -> str:
        obs = super().first_observation()
        if self.config.tool_calls:
            listing = "; ".join(f"{name} ({', '.join(p.name for p in FAMILIES[name].params)})"
                                for name in self.tool_families)
            obs += TOOL_HELP.format(n=self.config.tool_calls, pct=100 * self.config.tool_min_change,
                                    families=listing)
        return obs

    def tool_reply(self, action: str) -> str | None:
        """While tool calls remain, a simulator call is answered (reward 0) instead of judged."""
        if (self.config.tool_calls and self._tool_calls_left > 0 and "\\boxed" not in action
                and (call := TOOL_CALL.search(action))):
            self._tool_calls_left -= 1
            return self._run_tool(call["family"], call["params"])
        return None

    def _run_tool(self, family: str, raw_params: str) -> str:
        """The simulator's reply to one call, as text; a bad or too-close call gets a refusal, never a fact."""
        if family not in self.tool_families:
            return f"simulator: unknown family {family!r}; known: {', '.join(self.tool_families)}"
        try:
            params = json.loads(raw_params)
        except json.JSONDecodeError as exc:
            return f"simulator: the parameters are not a JSON object ({exc.msg})"
        if not isinstance(params, dict) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                   for v in params.values()):
            return "simulator: the parameters must be a JSON object of numbers"
        try:
            out = solve(family, **params)
        except (ValueError, RuntimeError, ArithmeticError) as exc:
            return f"simulator: {exc}"
        if self._too_close(family, params, out):
            return ("simulator: refused: that scenario is too close to the one you were asked about; change a "
                    f"parameter and the result by at least {100 * self.config.tool_min_change:.0f}%")
        units = FAMILIES[family].outputs
        lines = [f"{name} = {value:.6g} {units[name]}".rstrip() for name, value in out.items()]
        return "simulator: " + "; ".join(lines)

    def _too_close(self, family: str, params: dict[str, Any], out: dict[str, float]) -> bool:
        assert self.task is not None
        meta = self.task.meta
        if family != meta.get("family"):
            return False
        asked_params = meta.get("params", {})
        full = {p.name: float(params.get(p.name, p.default if p.default is not None else math.nan))
                for p in FAMILIES[family].params}
        tol = self.config.tool_min_change
        changed = any(abs(full[k] - float(v)) > tol * max(abs(full[k]), abs(float(v)))
                      for k, v in asked_params.items() if k in full and math.isfinite(full[k]))
        asked, ref = meta.get("asked"), self.task.reference.get("value")
        value = out.get(asked) if asked else None
        if value is None or ref is None or not math.isfinite(value):
            return not changed
        near_answer = abs(value - ref) <= tol * abs(ref) + float(self.task.reference.get("abs_tol") or 0.0)
        return not changed or near_answer


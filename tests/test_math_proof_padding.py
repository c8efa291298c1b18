"""Issue 18, item 2: MathProof-v0's process reward cannot be farmed. Over the generators' tasks (every kind, every
level), each honest derivation is padded in the ways a policy could learn (cycles back to an earlier line, the same
expression rewritten or reordered, neutral terms `+ 0`, `\\cdot 1`, `+ x - x`, a step split into smaller true steps,
inserted wrong steps), and no padded derivation may return more than the honest one: in `mode="single"` under every
aggregation that keeps that promise (all but `discounted`; docs/math_proof.md says why), and in `mode="steps"` as an
episode's return. The scores of any derivation add up to at most 1, and to 1 for an honest complete proof."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import sympy as sp

import rlvrgym  # noqa: F401  (registers the environments)
from rlvrgym.rewards import AGGREGATIONS, RewardSpec
from rlvrgym.tasks.base import GeneratorSource, Task
from rlvrgym.tasks.proof_generators import PROOF_GENERATORS
from rlvrgym.verifiers.math_proof import MathProofVerifier
from rlvrgym.verifiers.math_proof.expr import StepSyntaxError, read_step, split_top

VERIFIER = MathProofVerifier(isolation="inline")
SOURCE = GeneratorSource(PROOF_GENERATORS, [1, 2, 3, 4, 5])
EQUALS = re.compile(r"=")
#: Aggregations whose value cannot rise when steps are inserted anywhere in a derivation whose scores are progress
#: increments: the total is at most 1 (sum; mean, over more steps), an inserted step scores at most 1 and an honest
#: step's score can only shrink (min, product). `first_error` is 0 for every derivation whose first step does not
#: complete the proof (only a completing first step scores 1), so it is checked except on a padded derivation that
#: opens with the one-step proof `lhs = target`. `discounted` weighs early steps more, so moving progress earlier
#: can raise it: it is not padding-proof and is not checked (docs/math_proof.md).
PADDING_PROOF = ("sum", "mean", "min", "product")


def checked_aggregations(got: dict[str, float]) -> tuple[str, ...]:
    return PADDING_PROOF if got["first_step_completes"] else (*PADDING_PROOF, "first_error")


def tasks() -> list[Task]:
    return [SOURCE.make(kind, level, seed) for kind in sorted(PROOF_GENERATORS) for level in range(1, 6)
            for seed in range(2)]


def last_side(line: str) -> str:
    """The last side of a chain line (`lhs = a = b` -> `b`), as written."""
    return split_top(line.strip().strip("$"), EQUALS)[-1][1].strip()


def value_latex(text: str) -> str | None:
    """The same expression as sympy writes it (another order of terms and factors), or None."""
    try:
        math = read_step(text)
    except (StepSyntaxError, ValueError):
        return None
    part = math.statements[0].pieces[0].parts[0]
    if len(part.values) != 1 or part.operators:
        return None
    return sp.latex(part.values[0])


def paddings(task: Task, rng: np.random.Generator) -> Iterator[tuple[str, list[str]]]:
    """Padded versions of the task's honest derivation: every honest line stays, in order, with lines inserted."""
    honest = list(task.meta["solution"])
    steps = [i for i, line in enumerate(honest) if not line.startswith("Let ")]
    chain = task.kind != "equation"
    sides = [split_top(honest[steps[0]].strip(), EQUALS)[0][1].strip()] + [last_side(honest[i]) for i in steps]
    if chain:
        yield "detour first", [f"{sides[0]} = {sides[-1]}", f"= {sides[0]}", *honest]
    for p, k in enumerate(steps[:-1]):  # insert after step k, never after the last line
        before, after = honest[:k + 1], honest[k + 1:]
        line = honest[k]
        if chain:
            side = sides[p + 1]
            yield "cycle back one", [*before, f"= {sides[p]}", f"= {side}", *after]
            yield "cycle to the start", [*before, f"= {sides[0]}", f"= {side}", *after]
            yield "repeat", [*before, f"= {side}", f"= {side}", *after]
            yield "neutral +0", [*before, f"= {side} + 0", *after]
            yield "neutral *1", [*before, f"= 1 \\cdot ({side})", *after]
            yield "neutral +x-x", [*before, f"= ({side}) + x - x", *after]
            rewritten = value_latex(side)
            if rewritten:
                yield "reorder", [*before, f"= {rewritten}", f"= {side}", *after]
            nxt = sides[p + 2]
            if nxt:
                yield "split", [*before, f"= \\frac{{1}}{{2}}({side}) + \\frac{{1}}{{2}}({nxt})", *after]
                yield "split twice", [*before, f"= \\frac{{1}}{{3}}({side}) + \\frac{{2}}{{3}}({nxt})",
                                      f"= \\frac{{1}}{{2}}({side}) + \\frac{{1}}{{2}}({nxt})", *after]
            yield "detour through the target", [*before, f"= {sides[-1]}", f"= {side}", *after]
            # a constant is no error in an antiderivative: there the wrong step adds x
            yield "wrong", [*before, f"= {side} + {'x' if task.kind == 'integral' else '1'}", *after]
        else:
            lhs, rhs = (p.strip() for _, p in split_top(line, EQUALS)[:2]) if "=" in line else (line, "")
            if not rhs or "," in line or "\\text" in line:
                continue
            yield "cycle", [*before, honest[steps[0]], line, *after]
            yield "repeat", [*before, line, line, *after]
            yield "neutral +0", [*before, f"{lhs} + 0 = {rhs}", *after]
            yield "neutral *1", [*before, f"1 \\cdot ({lhs}) = {rhs}", *after]
            yield "split", [*before, f"2({lhs}) = 2({rhs})", *after]
            yield "wrong", [*before, f"{lhs} = {rhs} + {int(rng.integers(1, 5))}", *after]


def single_rewards(lines: list[str], task: Task) -> dict[str, float]:
    verdict = VERIFIER.verify("\n".join(lines), task.reference)
    out = {}
    for how in AGGREGATIONS:
        spec = RewardSpec(outcome_weight=0.5, process_weight=0.5, aggregation=how)  # type: ignore[arg-type]
        out[how] = spec.compute(verdict, "\n".join(lines)).total
    out["scores"] = sum(s.score for s in verdict.steps)
    # the derivation opens with a one-step proof (`lhs = target`): position-weighted aggregations rank it first
    out["first_step_completes"] = float(bool(verdict.steps) and verdict.steps[0].score == 1.0)
    return out


def steps_return(lines: list[str], task: Task, env: Any) -> float:
    env.reset(options={"task_id": task.id})
    total = 0.0
    for line in lines:
        _, reward, terminated, truncated, _ = env.step(line)
        total += reward
        if terminated or truncated:
            break
    return total


def record(task: Task) -> dict[str, Any]:
    return {**task.reference, "id": task.id, "solution": task.meta["solution"]}


@pytest.mark.parametrize("kind", sorted(PROOF_GENERATORS))
def test_no_padding_beats_the_honest_derivation(kind: str) -> None:
    rng = np.random.default_rng(18)
    checked, kinds = 0, set()
    for task in [t for t in tasks() if t.kind == kind]:
        env = gym.make("MathProof-v0", mode="steps", tasks=[record(task)], split=None, max_steps=40,
                       disable_env_checker=True).unwrapped
        honest = task.meta["solution"]
        base = single_rewards(honest, task)
        assert base["scores"] == pytest.approx(1.0), (task.id, "an honest complete proof's scores add up to 1")
        base_steps = steps_return(honest, task, env)
        assert base_steps == pytest.approx(1.0), task.id  # 0.5 for the proof, 0.5 for its progress
        options = list(paddings(task, rng))
        for k in rng.choice(len(options), size=min(8, len(options)), replace=False):  # every kind of padding
            name, padded = options[int(k)]  # appears over the ten tasks of a kind; eight per task keeps it quick
            got = single_rewards(padded, task)
            assert got["scores"] <= 1.0 + 1e-9, (task.id, name, padded)
            for how in checked_aggregations(got):
                assert got[how] <= base[how] + 1e-9, (task.id, name, how, got[how], base[how], padded)
            assert steps_return(padded, task, env) <= base_steps + 1e-9, (task.id, name, padded)
            checked += 1
            kinds.add(name)
    assert checked >= 50 and len(kinds) >= 6  # many paddings of many sorts were actually tried


def hand_written() -> list[Task]:
    """The complete derivations of tests/test_math_proof_forms.py written one `$...$` step per line (sums and
    products with symbolic bounds, index i, identities from the right), as tasks with those derivations."""
    from rlvrgym.tasks.proof_tasks import record_to_task
    from tests.test_math_proof_forms import INDEX_I, RIGHT_TO_LEFT, SUMS

    out = []
    for i, (_, task, completion, _, complete) in enumerate(RIGHT_TO_LEFT + SUMS + INDEX_I):
        lines = completion.split("\n")
        if complete and all(line.startswith("$") and line.endswith("$") for line in lines):
            record = {**task, "id": f"forms-{i}", "statement": f"Prove ${task['lhs']} = {task['rhs']}$.",
                      "solution": [line.strip("$") for line in lines]}
            out.append(record_to_task(record))
    return out


def test_no_padding_beats_the_honest_derivation_over_sums_and_from_the_right() -> None:
    rng = np.random.default_rng(3)
    checked = 0
    for task in hand_written():
        env = gym.make("MathProof-v0", mode="steps", tasks=[record(task)], split=None, max_steps=40,
                       disable_env_checker=True).unwrapped
        base = single_rewards(task.meta["solution"], task)
        base_steps = steps_return(task.meta["solution"], task, env)
        assert base["scores"] == pytest.approx(1.0) and base_steps == pytest.approx(1.0), task.id
        options = list(paddings(task, rng))
        for k in rng.choice(len(options), size=min(4, len(options)), replace=False):  # sums are slow to add up
            name, padded = options[int(k)]
            got = single_rewards(padded, task)
            for how in checked_aggregations(got):
                assert got[how] <= base[how] + 1e-9, (task.id, name, how, got[how], base[how], padded)
            assert steps_return(padded, task, env) <= base_steps + 1e-9, (task.id, name, padded)
            checked += 1
    assert checked >= 80


def test_the_issue_example_no_longer_pays_for_padding() -> None:
    """The issue's example: (x+1)^3 in two steps earned about 1.5 in mode="steps", padded about 4.5."""
    task = {"id": "cube", "kind": "identity", "statement": "Prove $(x+1)^3 = x^3+3x^2+3x+1$.", "lhs": "(x+1)^3",
            "rhs": "x^3+3x^2+3x+1"}
    honest = ["(x+1)^3 = (x+1)(x^2+2x+1)", "= x^3+3x^2+3x+1"]
    padded = ["(x+1)^3 = (x+1)(x+1)^2", "= (x+1)^2(x+1)", "= (1+x)^3", "= (x+1)(x+1)^2", "= (x+1)^2(x+1)",
              "= (x+1)(x^2+2x+1)", "= (x+1)(1+2x+x^2)", "= (x+1)(x^2+2x+1)", "= x^3+3x^2+3x+1"]
    env = gym.make("MathProof-v0", mode="steps", tasks=[task], split=None, disable_env_checker=True)
    returns = []
    for lines in (honest, padded):
        env.reset(seed=0)
        rewards = [env.step(line)[1] for line in lines]
        returns.append(sum(rewards))
    assert returns[0] == pytest.approx(1.0) and returns[1] <= returns[0] + 1e-9
    single = gym.make("MathProof-v0", tasks=[task], split=None, disable_env_checker=True)
    single.reset(seed=0)
    a = single.step("\n".join(honest))[1]
    single.reset(seed=0)
    b = single.step("\n".join(padded))[1]
    assert a == pytest.approx(1.0) and b <= a + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_any_sequence_of_lines_scores_at_most_one(seed: int) -> None:
    """Random shuffles and repetitions of true, false and unreadable lines: the scores never add up past 1."""
    rng = np.random.default_rng(seed)
    for task in tasks()[seed::6]:
        pool = [line for line in task.meta["solution"] if not line.startswith("Let ")]
        pool += [f"= {last_side(line)} + 1" for line in pool[:1]] + ["= x +* 1", "0 = 0"]
        for _ in range(4):
            lines = [pool[int(i)] for i in rng.integers(len(pool), size=int(rng.integers(2, 9)))]
            verdict = VERIFIER.verify("\n".join(lines), task.reference)
            assert all(0.0 <= s.score <= 1.0 for s in verdict.steps)
            assert sum(s.score for s in verdict.steps) <= 1.0 + 1e-9, (task.id, lines)


def test_sum_aggregation_adds_progress_and_is_clipped() -> None:
    from rlvrgym.envs.math_proof import DEFAULT_REWARD
    from rlvrgym.rewards import aggregate_steps

    assert DEFAULT_REWARD.aggregation == "sum" and "sum" in AGGREGATIONS
    assert aggregate_steps([0.25, 0.0, 0.5], "sum") == pytest.approx(0.75)
    assert aggregate_steps([0.75, 0.5], "sum") == 1.0 and aggregate_steps([], "sum") == 0.0
    assert aggregate_steps([-0.5, 0.25], "sum") == 0.0  # clipped to [0, 1] like every aggregation

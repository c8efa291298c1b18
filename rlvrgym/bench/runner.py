"""The benchmark loop: reset a batch of environments, ask the policy for all their completions at once, step the
environments in parallel threads (each verifier uses its own worker pool or sandbox), log every episode.

The runner never judges: reward, verdict and reward breakdown come from `env.step`. A policy call that raises or
returns a `FailedCompletion` is recorded as `policy_error` for its episodes; an environment that raises is recorded
as `env_error`; neither stops the run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
from gymnasium.wrappers import OrderEnforcing

import rlvrgym  # noqa: F401  (registers the environments)
from rlvrgym.bench.config import BenchConfig
from rlvrgym.bench.policies.base import FailedCompletion, PolicyContractError, check_completions
from rlvrgym.envs.text import StepResult, TextEnv

EPISODES_FILE = "episodes.jsonl"
#: Statuses of episodes that ended without a verdict.
POLICY_ERROR, ENV_ERROR, MAX_STEPS = "policy_error", "env_error", "max_steps"


@dataclass
class _Slot:
    """One episode in flight."""

    env: gym.Env
    record: dict[str, Any]
    observation: str = ""
    done: bool = False


def make_env(env_id: str, config: BenchConfig) -> gym.Env:
    kwargs = {"split": config.split, **config.env_kwargs.get(env_id, {})}
    if env_id not in gym.registry:
        from rlvrgym.envs import ENVIRONMENTS

        raise ValueError(f"unknown environment {env_id!r}; rlvrgym's: {', '.join(sorted(ENVIRONMENTS))} "
                         "(or any Gymnasium id with text observations and actions)")
    try:
        return gym.make(env_id, disable_env_checker=True, **kwargs)
    except TypeError as exc:
        raise ValueError(f"{env_id} rejected the options {kwargs}: {exc}") from exc


def call_policy(policy: Any, observations: list[str], envs: Sequence[gym.Env]) -> list[str]:
    """Privileged (sanity) policies also get the environments; everyone else sees text only."""
    if getattr(policy, "privileged", False):
        out = policy.act(observations, envs=envs)
    else:
        out = policy.act(observations)
    return check_completions(getattr(policy, "name", type(policy).__name__), observations, out)


def _jobs(config: BenchConfig) -> Iterator[tuple[int, int, int]]:
    for i in range(config.episodes):
        for s in range(config.samples):
            yield i, s, config.seed + i


def _new_record(env_id: str, index: int, sample: int, seed: int) -> dict[str, Any]:
    return {"env_id": env_id, "task_index": index, "sample": sample, "seed": seed, "task_id": None, "kind": None,
            "difficulty": None, "prompt": None, "completion": None, "turns": [], "reward": 0.0, "success": False,
            "status": None, "verdict": None, "reward_breakdown": {}, "steps": 0, "reset_s": 0.0, "policy_s": 0.0,
            "verify_s": 0.0, "error": None, "policy_info": None}


def _reset(slot: _Slot) -> None:
    rec = slot.record
    start = time.perf_counter()
    try:
        obs, info = slot.env.reset(seed=rec["seed"])
        rec["reset_s"] = time.perf_counter() - start
    except Exception as exc:
        rec.update(status=ENV_ERROR, error=f"reset failed: {type(exc).__name__}: {exc}")
        slot.done = True
        return
    task = getattr(slot.env.unwrapped, "task", None)
    rec.update(task_id=info.get("task_id", getattr(task, "id", None)),
               kind=info.get("kind", getattr(task, "kind", None)),
               difficulty=info.get("difficulty", getattr(task, "difficulty", None)), prompt=obs)
    slot.observation = obs


def _step(slot: _Slot, completion: str) -> None:
    """Step one environment by its own `step` (an environment that is not a local `TextEnv`, such as a remote
    one)."""
    start = time.perf_counter()
    result: StepResult | Exception
    try:
        obs, reward, terminated, truncated, info = slot.env.step(completion)
        result = (obs, float(reward), terminated, truncated, info)
    except Exception as exc:
        result = exc
    _record_step(slot, completion, result, time.perf_counter() - start)


def _record_step(slot: _Slot, completion: str, result: StepResult | Exception, seconds: float) -> None:
    """Write one step's outcome into the episode record: `seconds` is how long the episode waited for it."""
    rec = slot.record
    rec["verify_s"] += seconds
    if isinstance(result, Exception):
        rec.update(status=ENV_ERROR, error=f"step failed: {type(result).__name__}: {result}", completion=completion)
        slot.done = True
        return
    obs, reward, terminated, truncated, info = result
    rec["steps"] += 1
    rec["reward"] += float(reward)
    verdict = info.get("verdict")
    rec["turns"].append({"completion": completion, "reward": float(reward),
                         "status": verdict["status"] if verdict else None,
                         "observation": None if terminated or truncated else obs})
    rec["completion"] = completion
    if verdict is not None:
        rec.update(verdict=verdict, status=verdict["status"], success=verdict.get("correct") is True,
                   reward_breakdown=info.get("reward_breakdown", {}))
    slot.observation = obs
    if terminated or truncated:
        slot.done = True
        if rec["status"] is None:
            rec["status"] = "no_verdict"


def local_text_env(env: Any) -> TextEnv | None:
    """The `TextEnv` under `env` when nothing between them acts on a step (gym.make's `OrderEnforcing` only checks
    that reset came first, which the runner ensures), else None: such an environment is stepped in a batch."""
    while isinstance(env, OrderEnforcing) and getattr(env, "_has_reset", False):
        env = env.env
    return env if isinstance(env, TextEnv) else None


def step_slots(stepping: list[tuple[_Slot, str]], pool: ThreadPoolExecutor) -> None:
    """Step every episode of a turn: the local text environments in one `TextEnv.step_batch` (one verifier batch
    for all of them, through the one road to the reward), any other environment by its own `step` in the threads."""
    batched: list[tuple[_Slot, str, TextEnv]] = []
    others: list[tuple[_Slot, str]] = []
    for slot, completion in stepping:
        env = local_text_env(slot.env)
        if env is None:
            others.append((slot, completion))
        else:
            batched.append((slot, completion, env))
    pending = pool.map(lambda pair: _step(*pair), others) if others else None
    if batched:
        start = time.perf_counter()
        results = TextEnv.step_batch([env for _, _, env in batched], [c for _, c, _ in batched])
        seconds = time.perf_counter() - start  # every episode of the batch waited for the whole batch
        for (slot, completion, _), result in zip(batched, results, strict=True):
            _record_step(slot, completion, result, seconds)
    if pending is not None:
        list(pending)


def _is_local(env: Any) -> bool:
    """Whether `env` is a `TextEnv` of this process under Gymnasium wrappers (a remote environment is not)."""
    while isinstance(env, gym.Wrapper):
        env = env.env
    return isinstance(env, TextEnv)


def _reset_slots(slots: list[_Slot], pool: ThreadPoolExecutor) -> None:
    """Reset local environments here, one after the other (a task draw is Python work: threads would only add
    their hand-offs), and the others (a remote one waits on its node) in the threads."""
    local: list[_Slot] = []
    others: list[_Slot] = []
    for slot in slots:
        (local if _is_local(slot.env) else others).append(slot)
    pending = pool.map(_reset, others) if others else None
    for slot in local:
        _reset(slot)
    if pending is not None:
        list(pending)


def play_batch(policy: Any, slots: list[_Slot], pool: ThreadPoolExecutor, max_steps: int) -> None:
    """Play a batch of episodes to their end: one `act` call per turn for all the episodes still going, and one
    batched step for all their completions."""
    _reset_slots(slots, pool)
    for _ in range(max_steps):
        active = [s for s in slots if not s.done]
        if not active:
            return
        start = time.perf_counter()
        try:
            completions = call_policy(policy, [s.observation for s in active], [s.env for s in active])
        except PolicyContractError:
            raise  # a broken contract is a bug to fix, not a result to record
        except Exception as exc:
            completions = [FailedCompletion(f"{type(exc).__name__}: {exc}")] * len(active)
        elapsed = time.perf_counter() - start
        infos = getattr(policy, "last_info", None)
        stepping = []
        for j, (slot, completion) in enumerate(zip(active, completions, strict=True)):
            slot.record["policy_s"] += elapsed
            if isinstance(infos, list) and len(infos) == len(active):
                slot.record["policy_info"] = infos[j]
            if isinstance(completion, FailedCompletion):
                slot.record.update(status=POLICY_ERROR, error=completion.error, success=False)
                slot.done = True
            else:
                stepping.append((slot, completion))
        step_slots(stepping, pool)
    for slot in slots:
        if not slot.done:
            slot.record.update(status=MAX_STEPS, success=False,
                               error=f"the episode did not end within {max_steps} steps")
            slot.done = True


ProgressFn = Callable[[str, int, int], None]


def warm_up(envs: Sequence[gym.Env], pool: ThreadPoolExecutor, seed: int) -> None:
    """Step each environment once, in parallel, with an empty completion, and throw the result away: the
    verifiers start their worker processes now, so worker start-up is not reported as verifier latency."""

    def one(env: gym.Env) -> None:
        try:
            env.reset(seed=seed)
            env.step("")
        except Exception:
            pass  # a failure here shows up, recorded, in the real episodes

    list(pool.map(one, envs))


def run_episodes(policy: Any, config: BenchConfig, sink: Callable[[dict[str, Any]], None],
                 progress: ProgressFn | None = None) -> None:
    """Play every environment of `config`, handing each finished episode record to `sink` (in order)."""
    total = config.episodes * config.samples
    with ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="rlvrgym-bench") as pool:
        for env_id in config.envs:
            envs = [make_env(env_id, config) for _ in range(min(config.batch_size, total))]
            if config.ray is not None:  # the environments step on the cluster; the local ones stay as twins
                from rlvrgym.distributed.envs import remote_envs

                kwargs = {"split": config.split, **config.env_kwargs.get(env_id, {})}
                envs = remote_envs(envs, env_id, kwargs, config.ray)  # type: ignore[assignment]
            try:
                if config.warmup:
                    warm_up(envs[:config.threads], pool, config.seed)
                jobs = list(_jobs(config))
                done = 0
                for b in range(0, len(jobs), config.batch_size):
                    batch = jobs[b:b + config.batch_size]
                    slots = [_Slot(envs[k], _new_record(env_id, i, s, seed)) for k, (i, s, seed) in enumerate(batch)]
                    play_batch(policy, slots, pool, config.max_steps)
                    for slot in slots:
                        sink(slot.record)
                    done += len(batch)
                    if progress:
                        progress(env_id, done, total)
            finally:
                for env in envs:
                    env.close()


class JSONLWriter:
    """Appends episode records as they finish, so an interrupted run still leaves every finished episode."""

    def __init__(self, path: Path) -> None:
        self.fh = path.open("a", encoding="utf-8")

    def __call__(self, record: dict[str, Any]) -> None:
        self.fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


def read_episodes(run_dir: str | Path) -> list[dict[str, Any]]:
    path = Path(run_dir) / EPISODES_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a benchmark run directory (no {EPISODES_FILE})")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]

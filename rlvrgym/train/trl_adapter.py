"""Our environments as TRL data: a prompt dataset, and reward functions that ask the environment's verifier.

`make_dataset` turns tasks into rows with a `prompt` and the `task_id` (never the answer): the reward side replays
the task from its id, exactly as `env.reset(options={"task_id": ...})` does. `make_reward_funcs` returns one TRL
reward function per `RewardSpec` term; they share one batched `rlvrgym.rewards.score_batch` per batch (the first
one called scores, the others read the cache), so each completion is judged once however many terms are logged,
and the weighted sum of the terms is the reward `env.step` pays for the same completion.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from rlvrgym.envs.text import TextEnv
from rlvrgym.rewards import TERMS, RewardBreakdown, RewardSpec, score_batch
from rlvrgym.tasks.base import Split, Task
from rlvrgym.verifiers.verdict import Verdict

logger = logging.getLogger(__name__)

#: The reward terms, one TRL reward function each (`RewardSpec.components()`).
COMPONENTS: tuple[str, ...] = TERMS
#: Verdict outcomes that mean "no judgement of the answer happened"; logged as `verdicts/<status>` fractions.
LOGGED_STATUSES: tuple[str, ...] = ("unparseable", "timeout", "error", "sandbox_error")
Messages = list[dict[str, str]]


def make_env(env_id: str, env_kwargs: Mapping[str, Any] | None = None, split: Split | None = "train"
             ) -> TextEnv:
    """The unwrapped environment: the adapter needs its task source, verifier and reward spec, not the wrappers."""
    import rlvrgym  # noqa: F401  (registers the environments)

    kwargs = dict(env_kwargs or {})
    if "split" not in kwargs:
        kwargs["split"] = split
    env = gym.make(env_id, **kwargs).unwrapped
    if not isinstance(env, TextEnv):
        raise TypeError(f"{env_id} is not an rlvrgym text environment ({type(env).__name__}): the adapter needs "
                        "its task source, verifier and reward spec")
    return env


def as_messages(prompt: str, system_prompt: str | None = None) -> Messages:
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return [*messages, {"role": "user", "content": prompt}]


def draw_tasks(env: TextEnv, n: int, seed: int) -> list[Task]:
    """`n` distinct tasks from the env's own reset stream (seeds seed, seed+1, ...), so a dataset row is exactly
    the task `env.reset(seed=...)` would give."""
    if n <= 0:
        raise ValueError(f"n must be a positive number of tasks, got {n}")
    in_split = getattr(env.tasks, "in_split", None)  # a finite record set (HumanEval, a JSONL file...)
    if in_split is not None:
        available = len(in_split(env.split))
        if available < n:
            logger.warning("%s has %d tasks in split %r; using all of them instead of %d",
                           getattr(env.tasks, "name", "the task source"), available, env.split, n)
            n = available
    tasks: dict[str, Task] = {}
    attempts = 0
    while len(tasks) < n:
        if attempts >= 20 * n + 100:
            raise ValueError(f"only {len(tasks)} distinct tasks found in {attempts} draws from "
                             f"{getattr(env.tasks, 'name', env.tasks)} (split {env.split!r}); ask for fewer")
        env.reset(seed=seed + attempts)
        attempts += 1
        assert env.task is not None
        tasks.setdefault(env.task.id, env.task)
    return list(tasks.values())


def make_dataset(env_id: str, n: int, seed: int = 0, split: Split = "train", *,
                 env_kwargs: Mapping[str, Any] | None = None, system_prompt: str | None = None,
                 chat: bool = True) -> Any:
    """A `datasets.Dataset` of `n` tasks: `prompt` (chat messages, or the raw text with `chat=False`), `task_id`
    and `env_id`, which is all the reward functions need to replay the task. The reference never leaves the env."""
    from datasets import Dataset

    env = make_env(env_id, env_kwargs, split)
    tasks = draw_tasks(env, n, seed)
    prompts: list[Any] = [as_messages(t.prompt, system_prompt) if chat else t.prompt for t in tasks]
    return Dataset.from_dict({"prompt": prompts, "task_id": [t.id for t in tasks],
                              "env_id": [env_id] * len(tasks)})


def completion_text(completion: Any) -> str:
    """TRL passes plain strings, or (for chat prompts) a list of messages whose last one is the assistant's."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], Mapping):
        content = completion[-1].get("content", "")
        return content if isinstance(content, str) else str(content)
    raise TypeError(f"cannot read a completion from {type(completion).__name__}")


@dataclass
class ScoredBatch:
    verdicts: list[Verdict]
    breakdowns: list[RewardBreakdown]


@dataclass
class RewardStats:
    """Running totals a benchmark reads after training (time share of reward computation, verdict statuses)."""

    batches: int = 0
    completions: int = 0
    seconds: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)
    all_equal_groups: int = 0
    groups: int = 0
    truncated_without_answer: int = 0


class VerifiedScorer:
    """Judges a batch once with the environment's verifier (batched over its worker pool) and keeps the result
    for the other component functions of the same batch. Also the place where batch-level problems are logged:
    verdict statuses, groups with all-equal rewards (zero advantage) and completions cut off before an answer."""

    def __init__(self, env_id: str, reward: RewardSpec | None = None, env_kwargs: Mapping[str, Any] | None = None,
                 eos_token_ids: Sequence[int] = (), warn_every: int = 10) -> None:
        self.env_id = env_id
        self.env = make_env(env_id, env_kwargs, split=None)
        self.reward = reward or self.env.reward_spec
        self.eos_token_ids = set(eos_token_ids)
        self.warn_every = warn_every
        self.stats = RewardStats()
        self._tasks: dict[str, Task] = {}
        self._last_key: tuple[Any, ...] | None = None
        self._last: ScoredBatch | None = None

    def task(self, task_id: str) -> Task:
        if task_id not in self._tasks:
            self._tasks[task_id] = self.env.tasks.get(task_id)
        return self._tasks[task_id]

    def reference(self, task_id: str) -> Any:
        return self.task(task_id).reference

    def score(self, completions: Sequence[Any], task_id: Sequence[str], completion_ids: Sequence[Sequence[int]] | None
              = None, env_id: Sequence[str] | None = None,
              log_metric: Callable[[str, float], None] | None = None) -> ScoredBatch:
        texts = [completion_text(c) for c in completions]
        key = (tuple(texts), tuple(task_id))
        if key == self._last_key and self._last is not None:
            return self._last
        if len(texts) != len(task_id):
            raise ValueError(f"got {len(texts)} completions but {len(task_id)} task ids")
        if env_id is not None and any(e != self.env_id for e in env_id):
            other = next(e for e in env_id if e != self.env_id)
            raise ValueError(f"these reward functions verify {self.env_id} tasks, but a row comes from {other}")
        start = time.perf_counter()
        tasks = [self.task(t) for t in task_id]
        scored = score_batch(texts, [t.reference for t in tasks], self.env.verifier, self.reward,
                             contexts=[self.env.reward_context(t) for t in tasks],
                             max_chars=self.env.judged_chars(), groups=list(task_id))
        verdicts = [s.verdict for s in scored]
        breakdowns = [s.breakdown for s in scored]
        elapsed = time.perf_counter() - start
        self._last_key, self._last = key, ScoredBatch(verdicts, breakdowns)
        self._account(verdicts, breakdowns, task_id, completion_ids, elapsed, log_metric)
        return self._last

    def _account(self, verdicts: list[Verdict], breakdowns: list[RewardBreakdown], task_id: Sequence[str],
                 completion_ids: Sequence[Sequence[int]] | None, elapsed: float,
                 log_metric: Callable[[str, float], None] | None) -> None:
        s = self.stats
        n = len(verdicts)
        s.batches += 1
        s.completions += n
        s.seconds += elapsed
        statuses = Counter(status_of(v) for v in verdicts)
        s.statuses.update(statuses)
        groups: dict[str, list[float]] = defaultdict(list)
        for t, b in zip(task_id, breakdowns, strict=True):
            groups[t].append(b.total)
        multi = [g for g in groups.values() if len(g) > 1]
        equal = sum(max(g) - min(g) < 1e-9 for g in multi)
        s.groups += len(multi)
        s.all_equal_groups += equal
        truncated = 0
        if completion_ids is not None and self.eos_token_ids:
            truncated = sum(bool(ids) and ids[-1] not in self.eos_token_ids and v.status == "unparseable"
                            for ids, v in zip(completion_ids, verdicts, strict=True))
        s.truncated_without_answer += truncated
        if log_metric is not None:
            for status in LOGGED_STATUSES:
                log_metric(f"verdicts/{status}", statuses.get(status, 0) / n)
            log_metric("verdicts/correct", statuses.get("correct", 0) / n)
            if multi:
                log_metric("groups/all_equal_frac", equal / len(multi))
            log_metric("completions/truncated_without_answer_frac", truncated / n)
            log_metric("timing/verify_s", elapsed)
        if s.batches % self.warn_every == 1 or self.warn_every == 1:
            if multi and equal == len(multi):
                logger.warning("every group in this batch got equal rewards (%s): no advantage, no learning signal",
                               ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
            if truncated > n // 2:
                logger.warning("%d/%d completions were cut off before giving an answer: raise max_completion_length,"
                               " or warm-start with SFT so the model learns to stop", truncated, n)


def status_of(verdict: Verdict) -> str:
    """The verdict status, with sandbox faults told apart from other errors (they say nothing about the code)."""
    sandbox = verdict.details.get("sandbox")
    if verdict.status == "error" and isinstance(sandbox, Mapping) and sandbox.get("status") == "sandbox_error":
        return "sandbox_error"
    return str(verdict.status)


class ComponentReward:
    """One TRL reward function: a term of the `RewardSpec` breakdown, before weighting (TRL applies the weight
    through `GRPOConfig.reward_weights`). Named after its term so TRL logs `rewards/<name>/mean`. A term that does
    not apply to a row is None (TRL skips it); its value in the breakdown is then 0, so the weighted sum is still
    the environment's reward."""

    def __init__(self, scorer: VerifiedScorer, component: str, weight: float) -> None:
        if component not in COMPONENTS:
            raise ValueError(f"unknown reward component {component!r}; choose from {', '.join(COMPONENTS)}")
        self.scorer = scorer
        self.component = component
        self.weight = weight
        self.__name__ = component

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], task_id: Sequence[str],
                 completion_ids: Sequence[Sequence[int]] | None = None, env_id: Sequence[str] | None = None,
                 log_metric: Callable[[str, float], None] | None = None, **_: Any) -> list[float | None]:
        batch = self.scorer.score(completions, task_id, completion_ids, env_id, log_metric)
        if self.component == "process":  # applies only where the verifier judged steps
            return [b.process if v.steps else None for v, b in zip(batch.verdicts, batch.breakdowns, strict=True)]
        if self.component == "format":  # applies only where the verifier says what the expected form is
            return [b.format if "format_ok" in v.details else None
                    for v, b in zip(batch.verdicts, batch.breakdowns, strict=True)]
        if self.component == "efficiency":  # applies only to tasks that know their minimal number of steps
            return [b.efficiency if self.scorer.task(t).meta.get("min_steps") else None
                    for t, b in zip(task_id, batch.breakdowns, strict=True)]
        return [getattr(b, self.component) for b in batch.breakdowns]

    def __repr__(self) -> str:
        return f"ComponentReward({self.component!r}, weight={self.weight:g}, env={self.scorer.env_id!r})"


def make_reward_funcs(env_id: str, reward: RewardSpec | None = None, *, env_kwargs: Mapping[str, Any] | None = None,
                      components: Sequence[str] | None = None, eos_token_ids: Sequence[int] = ()
                      ) -> list[ComponentReward]:
    """TRL reward functions for `env_id`, one per term of the spec (`RewardSpec.components()`, or the subset in
    `components`); pass `reward_weights(funcs)` as `GRPOConfig.reward_weights` so the trainer's total equals the
    environment's `RewardSpec` total (leaving out a term with a non-zero weight breaks that equality).

    `reward` defaults to the environment's own spec; `eos_token_ids` lets the functions count completions that
    were cut off before an answer (they never ended with EOS and have nothing to parse).
    """
    scorer = VerifiedScorer(env_id, reward, env_kwargs, eos_token_ids)
    spec = scorer.reward
    weights = spec.weights()
    components = spec.components() if components is None else tuple(components)
    if "outcome" not in components:
        raise ValueError("the outcome component is required: it is the verified reward")
    return [ComponentReward(scorer, c, weights[c]) for c in components]


def reward_weights(funcs: Sequence[ComponentReward]) -> list[float]:
    return [f.weight for f in funcs]

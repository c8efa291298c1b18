"""PrimeIntellect verifiers (0.4.x, the v1 stack): rlvrgym's environments as a verifiers taskset.

verifiers imports a taskset by id: `verifiers.load_environment(EnvConfig(taskset={"id": "rlvrgym-verifiers"}))`
turns the id into the module `rlvrgym_verifiers` (shipped with rlvrgym), which exports exactly one `vf.Taskset`
subclass in `__all__`, plus the `Env` and `Harness` it plays with by default. One module serves every environment:
the taskset config's `env` field picks it (`--env.taskset.env PhysicsSim-v0`), and its other fields are the
environment's arguments and which tasks to draw:

    vf-eval rlvrgym-verifiers --env.taskset.env MathAnswer-v0 --env.taskset.num-tasks 20 -n 20 \\
        --model my-model --client.base-url http://127.0.0.1:8000/v1 --client.api-key-var OPENAI_API_KEY --no-push

Defaults chosen for "no Prime account": the agent runs on the local `subprocess` runtime and plays the plain chat
harness (one model turn, no tools; the `null` harness's program). Scoring stays here, in the verifiers process:
the task's `@vf.reward` hands the last assistant message to the environment's verifier and `RewardSpec` (the one
scoring road), so code is run by our Docker sandbox and math/physics checks are bounded by our worker processes.
The reward is the `RewardSpec` total; the breakdown is recorded as metrics.
"""

from __future__ import annotations

import asyncio
from typing import Any

import verifiers.v1 as vf
from pydantic import Field
from verifiers.v1.harnesses.null.harness import NullHarness

from rlvrgym.integrations._scoring import Scored, env_id_of, env_scorer
from rlvrgym.rewards import TERMS


class RlvrgymData(vf.TaskData):
    """One task: which environment and which task of it. The reference stays in the environment (replayed from
    `task_id` when scoring), so traces and prompts never carry the answer."""

    env_id: str
    task_id: str
    env_kwargs: dict[str, Any] = Field(default_factory=dict)


class RlvrgymTask(vf.Task[RlvrgymData]):
    """Scores the rollout's last assistant message with the environment's verifier and reward spec; the two
    decorated methods share one judgement per completion."""

    def __init__(self, data: RlvrgymData, config: vf.TaskConfig | None = None) -> None:
        super().__init__(data, config)
        self._judged: dict[str, asyncio.Future[Scored]] = {}

    async def _judge(self, trace: vf.Trace, *, last_use: bool = False) -> Scored:
        """One judgement per completion, shared by the metric (scored first) and the reward, which releases it
        (the task object lives as long as the run)."""
        messages = trace.assistant_messages
        completion = vf.types.content_text(messages[-1].content) if messages else ""
        if completion not in self._judged:
            self._judged[completion] = asyncio.ensure_future(asyncio.to_thread(self._score, completion))
        future = self._judged[completion]
        if last_use:
            self._judged.pop(completion, None)
        return await future

    def _score(self, completion: str) -> Scored:
        data = self.data
        scorer = env_scorer(data.env_id, data.env_kwargs or None)
        task = scorer.task(data.task_id)
        return scorer.score([completion], [task.reference], [scorer.context(task)])[0]

    @vf.metric
    async def breakdown(self, trace: vf.Trace) -> dict[str, float]:
        """The reward's components before weighting, whether the verdict was correct, and whether it decided."""
        s = await self._judge(trace)
        terms = s.breakdown.to_dict()
        return {**{t: terms[t] for t in TERMS}, "correct": 1.0 if s.verdict.correct else 0.0,
                "judged": 0.0 if s.verdict.correct is None else 1.0}

    @vf.reward(weight=1.0)
    async def reward(self, trace: vf.Trace) -> float:
        """The environment's reward for the final answer (its `RewardSpec` total)."""
        return float((await self._judge(trace, last_use=True)).breakdown.total)


class RlvrgymTasksetConfig(vf.TasksetConfig):
    """Which environment, built how, and which of its tasks (`--env.taskset.<field>`)."""

    env: str = "MathAnswer-v0"
    """Environment id (`rlvrgym envs` lists them)."""
    env_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Arguments of the environment, as `gym.make(env, **env_kwargs)` takes them."""
    num_tasks: int = Field(100, ge=1)
    """How many distinct tasks to draw (finite record sets give at most what the split has)."""
    seed: int = 0
    """First reset seed: the tasks are those `env.reset(seed=seed), env.reset(seed=seed+1), ...` give."""
    split: str = "test"
    """"train" or "test" (disjoint); evaluation defaults to the test split."""
    instruction: str = ""
    """Text put before each prompt (the environments' prompts already say how to answer)."""


class RlvrgymTaskset(vf.Taskset[RlvrgymTask, RlvrgymTasksetConfig]):
    """rlvrgym's environments as verifiers tasks: the same tasks `env.reset(seed=...)` gives."""

    def load(self) -> list[RlvrgymTask]:
        from rlvrgym.train.trl_adapter import draw_tasks, make_env

        c = self.config
        env_id = env_id_of(c.env)
        if c.split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {c.split!r}")
        env = make_env(env_id, c.env_kwargs or None, split=c.split)
        tasks = draw_tasks(env, c.num_tasks, c.seed)
        return [RlvrgymTask(RlvrgymData(id=t.id, name=t.id, prompt=c.instruction + t.prompt, env_id=env_id,
                                        task_id=t.id, env_kwargs=dict(c.env_kwargs)), self.config.task)
                for t in tasks]


class RlvrgymHarness(NullHarness):
    """The default harness of this taskset: verifiers' plain chat program (the `null` harness), one model turn,
    no tools, nothing executed; pin another with `--env.agent.harness.id`."""


class RlvrgymEnvConfig(vf.SingleAgentEnvConfig):
    agent: vf.AgentConfig = vf.AgentConfig(runtime=vf.SubprocessConfig())
    """The one seat, on the local subprocess runtime by default (no Prime account needed)."""


class RlvrgymEnv(vf.Env[RlvrgymEnvConfig]):
    """verifiers' single-agent episode (one `agent` seat plays the task) with the agent on the local subprocess
    runtime by default."""

    async def run(self, task: vf.Task, agents: vf.Agents) -> None:
        await agents.agent.run(task)

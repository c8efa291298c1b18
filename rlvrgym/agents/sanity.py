"""Sanity runs: play every environment with policies whose right score is known in advance.

`oracle` states the reference (any score under 1 is a false negative of the verifier), `refusal` and `echo` (the
prompt sent back) must score 0 (anything above is a false positive or a reward hack). The README's main job runs
this until the benchmark runner of the agents issue replaces it.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import gymnasium as gym

SanityPolicy = Callable[[gym.Env, str], str | None]

POLICIES: dict[str, SanityPolicy] = {
    "oracle": lambda env, prompt: env.unwrapped.oracle_completion(),
    "refusal": lambda env, prompt: "I am not sure how to solve this.",
    "echo": lambda env, prompt: prompt,
}
EXPECTED = {"oracle": 1.0, "refusal": 0.0, "echo": 0.0}


@dataclass
class SanityRow:
    env_id: str
    policy: str
    episodes: int = 0
    rewards: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    step_seconds: list[float] = field(default_factory=list)

    @property
    def mean_reward(self) -> float:
        return statistics.fmean(self.rewards) if self.rewards else float("nan")

    @property
    def ok(self) -> bool:
        return bool(self.rewards) and abs(self.mean_reward - EXPECTED[self.policy]) < 1e-9


def run_sanity(env_ids: Sequence[str], episodes: int = 20, seed: int = 0,
               progress: Callable[[str], None] | None = None) -> list[SanityRow]:
    rows = []
    for env_id in env_ids:
        env = gym.make(env_id)
        for name, policy in POLICIES.items():
            row = SanityRow(env_id, name)
            for i in range(episodes):
                prompt, _ = env.reset(seed=seed + i)
                completion = policy(env, prompt)
                if completion is None:
                    break
                start = time.perf_counter()
                _, reward, _, _, info = env.step(completion)
                row.step_seconds.append(time.perf_counter() - start)
                row.rewards.append(float(reward))
                row.statuses[info["verdict"]["status"]] += 1
                row.episodes += 1
            rows.append(row)
            if progress:
                progress(f"{env_id} / {name}: {row.episodes} episodes")
        env.close()
    return rows

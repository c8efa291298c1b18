"""ReasoningGym-v0: reasoning-gym's procedural datasets, judged by their own scorers, with our splits and bounds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rlvrgym.envs.text import TextEnv
from rlvrgym.rewards import RewardSpec
from rlvrgym.tasks.base import Split, TaskSource
from rlvrgym.tasks.resolve import reasoning_gym_family, resolve_tasks
from rlvrgym.verifiers.base import VerifierLike
from rlvrgym.verifiers.registry import get_verifier


class ReasoningGymEnv(TextEnv):
    """
    ## Description
    Any of reasoning-gym's 100-odd procedural datasets (arithmetic, algebra, logic puzzles, graphs, ciphers, ARC,
    games) as a single-turn environment. A dedicated environment rather than a `tasks=` value of MathAnswer-v0,
    because the judge is each dataset's own `score_answer`, not the sympy math verifier, and most datasets are not
    math. Needs `pip install 'rlvrgym[reasoning-gym]'`.

    ## Action Space
    `UnicodeText(65536)`: the whole completion. The answer is the text between the last `<answer>` and
    `</answer>` tags after any `<think>` block (reasoning-gym's own convention, stated in every prompt).

    ## Observation Space
    `UnicodeText(16384)`: the dataset's question followed by the answer-tag instruction. It never contains the
    answer.

    ## Rewards
    `RewardSpec` (argument `reward`): `outcome_weight * score + format_weight * tagged - length_weight *
    overlong`. `score` is 1 when the dataset's scorer gives full marks, else 0; with `partial_credit=True`, the
    scorer's own fraction (many scorers pay a little for any answer and `len(ref)/len(answer)` for a padded one).

    ## Starting State
    `reset(seed=s)` draws a dataset (when several are given) and a 62-bit item seed from `self.np_random`; each
    task is reasoning-gym's item of a size-1 dataset built from that seed. `options={"task_id": id}` replays one.

    ## Episode End
    The episode terminates after one `step`. There is no truncation.

    ## Arguments
    - `dataset`: a reasoning-gym dataset name, a comma-separated list or a list of names
      (`rlvrgym.tasks.reasoning_gym.dataset_names()` lists them).
    - `config`: the dataset's configuration fields (difficulty ranges and such), one dataset only.
    - `split`: "train" or "test": disjoint, by a hash of the question text, so two seeds that draw the same
      question put it in the same split; None for all.
    - `partial_credit`: pay the scorer's fractional scores (default False).
    - `verifier`: a verifier name or instance (default `get_verifier("reasoning-gym")`); `reward`: a `RewardSpec`.

    ## Verifier
    `get_verifier("reasoning-gym")` (rlvrgym/verifiers/reasoning_gym.py): rebuilds the item from the task's
    reference (dataset, config, seed) in a killable worker and calls the dataset's `score_answer`;
    `info["verdict"]["details"]["scorer_score"]` is the scorer's own number.

    ## Version History
    - v0: initial release.
    """

    env_id = "ReasoningGym-v0"

    def __init__(self, dataset: str | Sequence[str] = "basic_arithmetic", config: Mapping[str, Any] | None = None,
                 split: Split | None = "train", verifier: str | VerifierLike = "reasoning-gym",
                 reward: RewardSpec | None = None, partial_credit: bool = False,
                 tasks: TaskSource | None = None, render_mode: str | None = None) -> None:
        source = resolve_tasks(tasks, reasoning_gym_family(dataset, config))
        if isinstance(verifier, str):
            options: dict[str, Any] = {"partial_credit": partial_credit} if verifier == "reasoning-gym" else {}
            verifier = get_verifier(verifier, **options)
        super().__init__(source, verifier, reward=reward, split=split, render_mode=render_mode)

    def oracle_completion(self) -> str | None:
        """The dataset's own answer in tags, where the dataset has one (some only check an answer's validity)."""
        if self.task is None or not isinstance(self.task.meta.get("answer"), str):
            return None
        return f"<answer>{self.task.meta['answer']}</answer>"

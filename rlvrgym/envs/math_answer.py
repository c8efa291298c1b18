"""MathAnswer-v0: a math problem in, a final answer out, rewarded by the math answer verifier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rlvrgym.envs.text import TextEnv
from rlvrgym.rewards import RewardSpec
from rlvrgym.tasks.base import Split, TaskSource
from rlvrgym.tasks.resolve import TaskSpec, math_family, resolve_tasks
from rlvrgym.verifiers.base import VerifierLike
from rlvrgym.verifiers.registry import get_verifier


def math_task_source(tasks: TaskSpec, difficulty: int | Sequence[int], question: str, answer: str) -> TaskSource:
    """Resolve the `tasks=` argument (`rlvrgym.tasks.resolve`): a source, "generators", a generator name, "curated",
    a JSONL path, records, or an HF dataset (object or name)."""
    return resolve_tasks(tasks, math_family(question, answer), difficulty)


class MathAnswerEnv(TextEnv):
    """
    ## Description
    A single-turn math environment: the observation is a problem statement, the action is the policy's whole
    completion (reasoning and final answer), and the reward says whether the final answer equals the reference.
    Problems come from seeded procedural generators (arithmetic to integrals, five difficulty levels), from the
    shipped set of curated problems, or from the user's JSONL file or Hugging Face dataset.

    ## Action Space
    `UnicodeText(65536)`: any printable unicode text, LaTeX included. The final answer is the last `\\boxed{}`, or
    else "the answer is ...", or else the last math in the last paragraph; `<think>` blocks are ignored.

    ## Observation Space
    `UnicodeText(16384)`: the problem statement. It never contains the answer.

    ## Rewards
    `RewardSpec` (argument `reward`): `outcome_weight * correct + format_weight * boxed - length_weight *
    overlong`. Defaults: 1 for a correct answer, 0 otherwise. Every component is in `info["reward_breakdown"]`.

    ## Starting State
    `reset(seed=s)` draws a task from the environment's generator seeded by `s`; `options={"task_id": id}` replays
    a task (GRPO groups verify N completions of one problem).

    ## Episode End
    The episode terminates after one `step`. There is no truncation.

    ## Arguments
    - `tasks`: "generators" (default), a generator name or a comma-separated list of them, "curated" (the shipped
      set), a `.jsonl` path, a list of `{"question", "answer"}` records, a `datasets.Dataset`, an HF dataset name,
      or any `TaskSource`.
    - `difficulty`: 1-5, or a list of levels to mix (generators only).
    - `split`: "train" or "test": disjoint task sets (a generated task belongs to one split by a hash of its
      text); None for all.
    - `question`, `answer`: column names for record sources.
    - `verifier`: a verifier name or instance (default `get_verifier("math", require_evaluated=True)`);
      `require_evaluated` (default True): an answer that leaves arithmetic, factorials, sums or an inequality
      unsolved scores 0 against a plain-number reference, so copying the question into `\\boxed{}` earns nothing.
    - `reward`: a `RewardSpec`.

    ## Verifier
    `get_verifier("math")` (rlvrgym/verifiers/math): restricted parser, exact comparison for exact numbers,
    randomized high-precision numeric tests for expressions, sympy where needed, a hard time bound per check.
    `info["verdict"]` holds the verdict, with the extracted answer and the reason.

    ## Version History
    - v0: initial release.
    """

    env_id = "MathAnswer-v0"

    def __init__(self, tasks: TaskSpec = "generators", difficulty: int | Sequence[int] = (1, 2, 3),
                 split: Split | None = "train", verifier: str | VerifierLike = "math",
                 reward: RewardSpec | None = None, require_evaluated: bool = True, question: str = "question",
                 answer: str = "answer", render_mode: str | None = None) -> None:
        source = math_task_source(tasks, difficulty, question, answer)
        if isinstance(verifier, str):
            options: dict[str, Any] = {"require_evaluated": require_evaluated} if verifier == "math" else {}
            verifier = get_verifier(verifier, **options)
        super().__init__(source, verifier, reward=reward, split=split, render_mode=render_mode)

    def oracle_completion(self) -> str | None:
        if self.task is None:
            return None
        from rlvrgym.verifiers.math.verifier import reference_text

        return f"The final answer is $\\boxed{{{reference_text(self.task.reference)}}}$."

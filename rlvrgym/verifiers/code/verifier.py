"""The code verifier: runs a completion's code against a task's unit tests in the sandbox; the host decides.

`get_verifier("code")` uses the Docker sandbox. Score = tests the host verified / tests the host knows of (from the
reference, never from the sandbox); missing, duplicated or malformed records fail their test, and an infrastructure
fault is an error verdict, never a pass or a fail.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

from rlvrgym.sandbox.base import Sandbox
from rlvrgym.sandbox.job import (
    SANDBOX_FLAGS,
    ExecResult,
    ExecStatus,
    Limits,
    TestIsolation,
    check_test_isolation,
    clean_text,
)
from rlvrgym.verifiers.base import Isolation, Verifier
from rlvrgym.verifiers.bounded import BoundedPool
from rlvrgym.verifiers.code.formats import (
    Plan,
    ReferenceError_,
    extract_code,
    normalise_output,
    plan,
    static_flags,
)
from rlvrgym.verifiers.registry import register_verifier
from rlvrgym.verifiers.verdict import Verdict

MAX_CODE_CHARS = 64_000
_STATUS_OF_EXEC = {"timeout": "timeout", "memory_limit": "memory", "output_limit": "output_limit",
                   "runtime_error": "crashed", "sandbox_error": "error"}
_shared: dict[tuple[Any, ...], Sandbox] = {}
_shared_lock = threading.Lock()


def shared_sandbox(backend: str = "docker", allow_unsafe: bool = False, **options: Any) -> Sandbox:
    """One sandbox per process and configuration: every env and verifier instance shares the warm pool."""
    from rlvrgym.sandbox import make_sandbox

    key = (backend, allow_unsafe, tuple(sorted(options.items())))
    with _shared_lock:
        sandbox = _shared.get(key)
        if sandbox is None:
            sandbox = make_sandbox(backend, allow_unsafe=allow_unsafe, **options)
            _shared[key] = sandbox
        return sandbox


@register_verifier("code")
class CodeVerifier(Verifier):
    """Unit-test verifier for HumanEval, MBPP, stdin/stdout and pytest-style tasks (see `code_formats`).

    Args:
        backend: "docker" (default, isolated) or "local" (trusted code only; needs `allow_unsafe=True`).
        allow_unsafe: permit the local backend for untrusted code; the verdict records the backend either way.
        limits: per-job bounds (memory, CPU, output, per-test timeout).
        job_timeout: wall-clock bound of one whole verification inside the sandbox.
        partial_credit: score = passed/total (default); False gives 1 only when every test passes.
        sandbox: an existing `Sandbox` to use instead of the shared one (not pickled: workers rebuild theirs).
        sandbox_options: `DockerConfig` fields (pool_size, memory_mb, runtime, ...) for the shared sandbox.
        test_isolation: how the tests of a function task meet the candidate. "shared" (default): one candidate
            process serves the tests in order, as HumanEval's own `check(candidate)` does, so state the code keeps
            (a mutable default argument, a global cache) carries from one test to the next; after a test that ends
            abnormally (crash, exit, timeout, memory, output limit) a fresh process serves the rest. "fork": each
            test in a fresh fork of the loaded solution (no state carries in memory; slower). Verdicts differ only
            for code whose result depends on what earlier tests did to its state.
    """

    name = "code"
    default_timeout = 120.0

    def __init__(self, *, backend: str = "docker", allow_unsafe: bool = False, limits: Limits | None = None,
                 job_timeout: float = 30.0, partial_credit: bool = True, sandbox: Sandbox | None = None,
                 sandbox_options: dict[str, Any] | None = None, timeout: float | None = None,
                 isolation: Isolation = "inline", pool: BoundedPool | None = None,
                 test_isolation: TestIsolation = "shared") -> None:
        super().__init__(timeout=timeout, isolation=isolation, pool=pool)
        if backend not in ("docker", "local"):
            raise ValueError(f"backend must be 'docker' or 'local', got {backend!r}")
        self.backend = backend
        self.allow_unsafe = allow_unsafe
        self.limits = limits or Limits()
        self.job_timeout = float(job_timeout)
        self.test_isolation = check_test_isolation(test_isolation)
        self.partial_credit = partial_credit
        self.sandbox_options = dict(sandbox_options or {})
        self._sandbox = sandbox

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_sandbox"] = None  # live containers stay in this process
        return state

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            self._sandbox = shared_sandbox(self.backend, self.allow_unsafe, **self.sandbox_options)
        return self._sandbox

    # -- judging ------------------------------------------------------------------------------------------------
    def _prepare(self, completion: str, reference: Any) -> tuple[Plan | None, str, Verdict | None]:
        code = extract_code(completion)
        if code is None or not code.strip():
            return None, "", Verdict.unparseable("no code found in the completion", format_ok=False)
        if len(code) > MAX_CODE_CHARS:
            return None, code, Verdict.unparseable(f"code has {len(code)} characters, over {MAX_CODE_CHARS}",
                                                   format_ok=False)
        try:
            return plan(code, reference, self.limits, self.job_timeout, self.test_isolation), code, None
        except (ReferenceError_, KeyError, TypeError, ValueError) as exc:
            return None, code, Verdict.error(f"the task's tests cannot be used: {exc}")

    def judge(self, completion: str, reference: Any) -> Verdict:
        the_plan, code, early = self._prepare(completion, reference)
        if early is not None:
            return early
        assert the_plan is not None
        return self.decide(the_plan, code, self.sandbox.run(the_plan.job))

    def verify_batch(self, completions: Sequence[str], references: Sequence[Any]) -> list[Verdict]:
        """All jobs go to the sandbox at once, so every warm container works in parallel."""
        if len(completions) != len(references):
            raise ValueError(f"got {len(completions)} completions but {len(references)} references")
        verdicts: list[Verdict | None] = [None] * len(completions)
        todo: list[tuple[int, Plan, str]] = []
        for i, (completion, reference) in enumerate(zip(completions, references, strict=True)):
            if not isinstance(completion, str):
                verdicts[i] = Verdict.unparseable(f"completion must be text, got {type(completion).__name__}")
                continue
            the_plan, code, early = self._prepare(completion, reference)
            if early is not None:
                verdicts[i] = early
            else:
                assert the_plan is not None
                todo.append((i, the_plan, code))
        try:
            results = self.sandbox.run_batch([p.job for _, p, _ in todo]) if todo else []
        except Exception as exc:  # no engine, no image: every pending verdict is an error, never a fail
            error = Verdict.error(f"{self.name} failed: {type(exc).__name__}: {exc}")
            return [v if v is not None else error for v in verdicts]
        for (i, the_plan, code), result in zip(todo, results, strict=True):
            try:
                verdicts[i] = self.decide(the_plan, code, result)
            except Exception as exc:
                verdicts[i] = Verdict.error(f"code verifier failed: {type(exc).__name__}: {exc}")
        return [v for v in verdicts if v is not None]

    def decide(self, the_plan: Plan, code: str, result: ExecResult) -> Verdict:
        """The host's decision from the raw records. Fail closed on anything missing or malformed. Every text in
        the verdict is valid UTF-8, whatever the candidate printed or raised."""
        verdict = self._decide(the_plan, code, result)
        return replace(verdict, reason=clean_text(verdict.reason), details=clean_text(verdict.details))

    def _decide(self, the_plan: Plan, code: str, result: ExecResult) -> Verdict:
        # flags: the host's own static reading of the code, and the sandbox's observations from a fixed list
        flags = sorted(set(static_flags(code)) | (set(result.flags) & SANDBOX_FLAGS))
        # no timings here: a verdict must be a deterministic function of (code, tests) (Gymnasium's check_env)
        sandbox_info = {"status": str(result.status), "backend": result.backend, "stdout": result.stdout[:500],
                        "stderr": result.stderr[-500:], "error": result.error}
        common = {"format": the_plan.fmt, "backend": result.backend, "flags": flags, "sandbox": sandbox_info,
                  "format_ok": True, "limits": asdict(self.limits)}
        if the_plan.job.kind == "calls":  # which semantics judged it: state carries across tests only in "shared"
            common["test_isolation"] = the_plan.job.test_isolation
        if result.status == ExecStatus.SANDBOX_ERROR:
            return Verdict.error(f"sandbox error, no verdict: {result.error or 'unknown'}", **common)
        tests = self._tests(the_plan, result)
        if any(t["status"] == "error" for t in tests):
            bad = next(t for t in tests if t["status"] == "error")
            return Verdict.error(f"the reference tests failed to run: {bad['error']}", tests=tests, **common)
        passed = sum(t["status"] == "passed" for t in tests)
        total = len(tests)
        details = {"tests": tests, "passed": passed, "total": total, **common}
        if passed == total:
            return Verdict.right(f"all {total} tests pass", **details)
        first = next(t for t in tests if t["status"] != "passed")
        score = passed / total if self.partial_credit else 0.0
        reason = f"{passed}/{total} tests pass; first failure: {first['name']}: {first['status']}"
        if first["error"]:
            reason += f" ({first['error'].splitlines()[-1][:200]})"
        return Verdict.wrong(reason, score=score, **details)

    @staticmethod
    def _tests(the_plan: Plan, result: ExecResult) -> list[dict[str, Any]]:
        if the_plan.fmt == "stdio":
            by_index = _index_records(result.records)
            out = []
            for i, name in enumerate(the_plan.names):
                rec = by_index.get(i)
                if rec is None:
                    out.append({"name": name, "status": "failed", "error": "no record for this case"})
                    continue
                status = str(rec.get("status"))
                shown = {"input": the_plan.job.cases[i][:200], "output": str(rec.get("stdout", ""))[:200]}
                if status == "ok":
                    got = normalise_output(str(rec.get("stdout", "")))
                    want = normalise_output(the_plan.expected[i])
                    digest = rec.get("stdout_sha256")
                    if isinstance(digest, str):  # the runner's digest of all of stdout: any size is judged
                        same = digest == hashlib.sha256("\n".join(want).encode("utf-8", "surrogatepass")).hexdigest()
                    else:
                        same = not rec.get("stdout_truncated") and got == want
                    if same:
                        out.append({"name": name, "status": "passed", "error": "", **shown})
                    else:
                        out.append({"name": name, "status": "failed", **shown,
                                    "error": f"expected {the_plan.expected[i][:100]!r}, got {shown['output'][:100]!r}"})
                else:
                    mapped = _STATUS_OF_EXEC.get(status, "crashed")
                    err = f"exit code {rec.get('exit_code')}: " + str(rec.get("stderr", ""))[-300:].strip()
                    out.append({"name": name, "status": mapped, "error": err, **shown})
            return out
        assert result.records is not None
        units = the_plan.job.calls["units"] if the_plan.job.calls else []
        test_units = [i for i, u in enumerate(units) if u.get("test")]
        by_index = _index_records(result.records)
        out = []
        for name, unit_index in zip(the_plan.names, test_units, strict=True):
            rec = by_index.get(unit_index)
            if rec is None:
                why = "the job timed out before this test" if result.status == ExecStatus.TIMEOUT else "no record"
                out.append({"name": name, "status": "timeout" if "timed out" in why else "failed", "error": why})
            elif rec == "duplicate":
                out.append({"name": name, "status": "failed", "error": "duplicate records"})
            else:
                status = str(rec.get("status"))
                if status not in ("passed", "failed", "timeout", "memory", "output_limit", "crashed", "error"):
                    status, rec = "failed", {"error": f"malformed record status {status[:40]!r}"}
                test: dict[str, Any] = {"name": name, "status": status, "error": str(rec.get("error", ""))[:1000]}
                calls = rec.get("calls")
                if isinstance(calls, list):  # what the candidate was given and gave back (feedback without answers)
                    test["calls"] = [{str(k): str(v)[:300] for k, v in c.items()} for c in calls[:3]
                                     if isinstance(c, dict)]
                out.append(test)
        return out


def _index_records(records: Sequence[dict[str, Any]]) -> dict[int, Any]:
    by_index: dict[int, Any] = {}
    for rec in records:
        i = rec.get("i")
        if type(i) is not int:
            continue
        by_index[i] = "duplicate" if i in by_index else rec
    return by_index

"""What goes into a sandbox (`Job`, `Limits`) and what comes out (`ExecResult`): plain, picklable records."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

JobKind = Literal["exec", "calls", "stdio"]
#: How the tests of a calls job meet the candidate: "shared" (one candidate process serves the tests in order, as
#: HumanEval's own check(candidate) does, replaced by a fresh one after a test that ends abnormally) or "fork" (each
#: test in a fresh fork of the loaded solution: no state passes from one test to the next in memory).
TestIsolation = Literal["shared", "fork"]
TEST_ISOLATIONS: tuple[TestIsolation, ...] = ("shared", "fork")


def check_test_isolation(value: object) -> TestIsolation:
    """`value` if it names a test isolation, else a ValueError that says which ones exist."""
    if value not in TEST_ISOLATIONS:
        raise ValueError(f"test_isolation must be one of {', '.join(map(repr, TEST_ISOLATIONS))}, got {value!r}")
    return value

#: The only flags a sandbox result carries: observations of the runner and the trusted driver (how the candidate's
#: process ended while loading, the harness's refusal of an answer, a container replaced for leftovers). Whatever
#: else arrives is dropped, so no candidate can write words of its choice into a verdict's flags.
SANDBOX_FLAGS = frozenset({"exit_during_load", "crashed_during_load", "load_timeout", "non_builtin_return",
                           "exit_during_call", "leftovers_removed_by_recycling"})


def answer_bytes(limits: Limits) -> int:
    """The host's byte budget for one runner answer; the runner trims its free text to fit it."""
    return 8 * limits.capture_bytes + (4 << 20)


def clean_text(value: Any) -> Any:
    """Strings made valid UTF-8 (a lone surrogate from candidate text becomes a visible escape), in nested lists
    and dicts too, so that every verdict can be written as UTF-8 JSON."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {clean_text(k): clean_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(clean_text(v) for v in value)
    return value


class ExecStatus(StrEnum):
    """How a job ended. Only `ok` means the program ran to completion; `sandbox_error` is an infrastructure fault
    (never the candidate's pass, never its fail)."""

    OK = "ok"
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    SANDBOX_ERROR = "sandbox_error"


@dataclass(frozen=True)
class Limits:
    """Per-job bounds, enforced by the runner inside the container and backed by the container's own limits.

    Attributes:
        memory_mb: address-space limit of each candidate process (the container's cgroup limit is the backstop).
        cpu_s: CPU seconds per candidate process (RLIMIT_CPU).
        output_bytes: stdout+stderr bytes a run may write before it is killed with `output_limit`.
        capture_bytes: how much of stdout and of stderr comes back to the host.
        file_mb: largest file a candidate may write (RLIMIT_FSIZE); /tmp itself is a small tmpfs.
        nofile: open file descriptors per candidate process.
        test_timeout: wall-clock seconds per test of a `calls` job.
    """

    memory_mb: int = 256
    cpu_s: float = 10.0
    output_bytes: int = 1 << 20
    capture_bytes: int = 1 << 16
    file_mb: int = 8
    nofile: int = 64
    test_timeout: float = 3.0


@dataclass(frozen=True)
class Job:
    """One unit of work for a sandbox.

    `kind="exec"` runs `argv` (default: `python3 -I solution.py`: isolated, with the image's packages) with
    `stdin`; `kind="stdio"` runs it once per input in `cases`, each in a fresh process; `kind="calls"` loads
    `files["solution.py"]` as the candidate and runs the trusted test units in `calls` against it (see
    `rlvrgym.verifiers.code.formats`). Files land, read-only for the candidate, in the job directory; its working
    directory is an empty scratch dir. `test_isolation` (calls jobs): "shared" (default) runs the tests of the job
    in one candidate process, in order, and replaces it with a fresh spawn after any test that ends abnormally;
    "fork" runs each test in a fresh fork of the loaded solution (see docs/sandbox.md).
    """

    files: dict[str, str] = field(default_factory=dict)
    kind: JobKind = "exec"
    argv: tuple[str, ...] = ()
    stdin: str = ""
    timeout: float = 10.0
    limits: Limits = field(default_factory=Limits)
    calls: dict[str, Any] | None = None
    cases: tuple[str, ...] = ()
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    test_isolation: TestIsolation = "shared"

    def __post_init__(self) -> None:
        check_test_isolation(self.test_isolation)

    def to_wire(self, job_id: int) -> dict[str, Any]:
        if self.timeout <= 0:
            raise ValueError(f"job timeout must be positive, got {self.timeout!r}")
        limits = asdict(self.limits)
        limits["cpu_s"] = max(limits["cpu_s"], 1.0)
        return {"id": job_id, "kind": self.kind, "files": self.files, "argv": list(self.argv), "stdin": self.stdin,
                "timeout": self.timeout, "limits": limits, "calls": self.calls, "cases": list(self.cases),
                "secret": self.secret, "answer_bytes": answer_bytes(self.limits), "test_isolation": self.test_isolation}


@dataclass(frozen=True)
class ExecResult:
    """Raw facts about one job. The sandbox never judges: verifiers read `status`, outputs and `records`.

    `records` (calls jobs) are the per-test reports of the trusted driver, already checked against the job's
    secret; `backend` says which sandbox ran the job, so an unsafe run can never pass for a safe one.
    """

    status: ExecStatus
    backend: str
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    exit_code: int | None = None
    wall_time: float = 0.0
    cpu_time: float = 0.0
    peak_memory_bytes: int | None = None
    records: tuple[dict[str, Any], ...] = ()
    flags: tuple[str, ...] = ()
    error: str = ""
    container: str = ""

    @property
    def ok(self) -> bool:
        return self.status == ExecStatus.OK

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        data["records"] = [dict(r) for r in self.records]
        data["flags"] = list(self.flags)
        return data

    @classmethod
    def failure(cls, backend: str, error: str, status: ExecStatus = ExecStatus.SANDBOX_ERROR,
                **extra: Any) -> ExecResult:
        return cls(status=status, backend=backend, error=error, **extra)


def result_from_wire(msg: dict[str, Any], job: Job, backend: str, container: str = "") -> ExecResult:
    """Turn the runner's answer into an `ExecResult`, keeping only records that carry this job's secret."""
    try:
        status = ExecStatus(msg.get("status", "sandbox_error"))
    except ValueError:
        status = ExecStatus.SANDBOX_ERROR
    records: list[dict[str, Any]] = []
    flags: list[str] = []
    if job.kind == "calls":
        for rec in msg.get("records") or []:
            if isinstance(rec, dict) and rec.get("secret") == job.secret and isinstance(rec.get("record"), dict):
                records.append(rec["record"])
        done = msg.get("done")
        if isinstance(done, dict) and done.get("secret") == job.secret:
            flags = [f for f in done.get("flags", []) if isinstance(f, str) and f in SANDBOX_FLAGS]
        elif status == ExecStatus.OK:
            status, msg = ExecStatus.SANDBOX_ERROR, {**msg, "error": "the test driver did not finish"}
    elif job.kind == "stdio":
        records = [r for r in msg.get("records") or [] if isinstance(r, dict)]
    error = clean_text(str(msg.get("error", "") or "; ".join(map(str, msg.get("events") or []))))
    peak = msg.get("peak_memory_bytes")
    records = [clean_text(r) for r in records]
    return ExecResult(
        status=status, backend=backend, stdout=clean_text(str(msg.get("stdout", ""))),
        stderr=clean_text(str(msg.get("stderr", ""))),
        stdout_truncated=bool(msg.get("stdout_truncated")), stderr_truncated=bool(msg.get("stderr_truncated")),
        exit_code=msg.get("exit_code"), wall_time=float(msg.get("wall_time") or 0.0),
        cpu_time=float(msg.get("cpu_time") or 0.0), peak_memory_bytes=int(peak) if peak else None,
        records=tuple(records), flags=tuple(flags), error=error[:2000], container=container)

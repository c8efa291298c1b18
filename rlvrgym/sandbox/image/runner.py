"""rlvrgym sandbox runner: the long-lived process of a warm container (stdlib only, it runs on the image's python3).

It reads one job at a time from stdin (4-byte big-endian length + JSON) and answers with raw facts on stdout in the
same framing. It never judges: the host compares and scores.

Three identities live in the container:
- the runner itself: root with only CAP_SETUID/CAP_SETGID/CAP_KILL (it writes the solution, starts the others,
  kills them);
- the driver (uid 10001): runs the *trusted* test code of a "calls" job and reports per-test records, tagged with
  the job's secret, on a pipe only it and the runner hold;
- the candidate (uid 10002): runs model code, with rlimits, in a scratch dir; it never sees the test code, the
  expected values or the secret, and it cannot read or signal the other two (different uid, no capabilities).
After every job all processes of uids 10001/10002 are stopped and killed (found by uid in /proc, which also catches
`setsid` and double-forked escapees) and their files are deleted.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import struct
import sys
import time
import traceback
from typing import Any

RUNNER_VERSION = 1
DRIVER_UID = 10001
CANDIDATE_UID = 10002
#: Local mode (LocalProcessSandbox, trusted code only): no uid switch, paths under this directory, process-group kills.
LOCAL = os.environ.get("RLVRGYM_RUNNER_LOCAL", "")
BASE = LOCAL or "/tmp"
JOB_DIR = BASE + "/job"  # root-owned, 0755: the candidate reads solution.py, cannot change it
SCRATCH = BASE + "/scratch"  # root-owned, 01777: the candidate's cwd and $HOME
SOLUTION = JOB_DIR + "/solution.py"
WIPE_DIRS = (SCRATCH,) if LOCAL else ("/tmp", "/dev/mqueue", "/dev/shm", "/var/tmp", "/run/lock")
_spawned: dict[int, set[int]] = {CANDIDATE_UID: set(), DRIVER_UID: set()}  # local mode: process groups to kill, by role
OOM_CONTROL = "/sys/fs/cgroup/memory/memory.oom_control"
MAX_LINE = 1 << 20  # one message from the candidate side; longer is an output-limit violation
RUNNER = os.path.abspath(__file__)
CANDIDATE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": SCRATCH, "TMPDIR": SCRATCH, "LANG": "C.UTF-8",
                 "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
if LOCAL:
    CANDIDATE_ENV["RLVRGYM_RUNNER_LOCAL"] = LOCAL


# ---------------------------------------------------------------------------------------------------------------
# Values crossing the candidate boundary: exact built-in types only, as tagged JSON (rule 3 of the harness).
# ---------------------------------------------------------------------------------------------------------------
class NotCanonical(TypeError):
    """A value that is not made of exact built-in types (a subclass or custom object is never trusted)."""


MAX_ITEMS = 1_000_000  # elements drawn from an iterator the candidate returns


def _iterator_types() -> frozenset[type]:
    import itertools
    import types

    samples = [iter([]), iter(()), iter(range(0)), iter(""), iter("\u20ac"), map(int, []), filter(None, []), zip(),
               enumerate([]), reversed([]), iter(set()), iter({}), iter({}.values()), iter({}.items()),
               reversed(range(0)), reversed({})]
    found = {type(x) for x in samples} | {types.GeneratorType}
    return frozenset(found | {v for v in vars(itertools).values() if isinstance(v, type)})


ITERATOR_TYPES = _iterator_types()
KEYS, VALUES, ITEMS = type({}.keys()), type({}.values()), type({}.items())


def encode(value: Any, depth: int = 0) -> Any:
    """Exact built-in (and stdlib number) types only, by `type(x) is`, never `isinstance`: a subclass can lie."""
    if depth > 200:
        raise NotCanonical("value is nested too deeply")
    t = type(value)
    if value is None or t is bool or t is int or t is str:
        return value
    if t is float:
        if value != value or value in (float("inf"), float("-inf")):
            return {"__t": "float", "v": repr(value)}
        return value
    if t is list:
        return [encode(v, depth + 1) for v in value]
    if t is tuple:
        return {"__t": "tuple", "v": [encode(v, depth + 1) for v in value]}
    if t is dict:
        return {"__t": "dict", "v": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if t is set or t is frozenset:
        return {"__t": t.__name__, "v": [encode(v, depth + 1) for v in value]}
    if t is bytes:
        return {"__t": "bytes", "v": value.hex()}
    if t is complex:
        return {"__t": "complex", "v": [encode(value.real, depth + 1), encode(value.imag, depth + 1)]}
    if t is range:
        return {"__t": "range", "v": [value.start, value.stop, value.step]}
    if t is KEYS or t is VALUES or t is ITEMS:
        tag = {KEYS: "keys", VALUES: "values", ITEMS: "items"}[t]
        return {"__t": tag, "v": [encode(v, depth + 1) for v in value]}
    if t in ITERATOR_TYPES:  # a map or generator: drawn here, an iterator again on the other side
        items = []
        for v in value:
            if len(items) >= MAX_ITEMS:
                raise NotCanonical(f"the returned iterator has more than {MAX_ITEMS} items")
            items.append(encode(v, depth + 1))
        return {"__t": "iter", "v": items}
    if t.__module__ == "fractions" and t.__name__ == "Fraction":
        return {"__t": "fraction", "v": [value.numerator, value.denominator]}
    if t.__module__ == "decimal" and t.__name__ == "Decimal":
        return {"__t": "decimal", "v": str(value)}
    raise NotCanonical(f"{t.__module__}.{t.__qualname__} is not an exact built-in type")


def decode(obj: Any, depth: int = 0) -> Any:
    if depth > 200:
        raise ValueError("value is nested too deeply")
    t = type(obj)
    if obj is None or t is bool or t is int or t is str or t is float:
        return obj
    if t is list:
        return [decode(v, depth + 1) for v in obj]
    if t is dict and len(obj) == 2 and "__t" in obj and "v" in obj:
        tag, v = obj["__t"], obj["v"]
        if tag == "float" and v in ("nan", "inf", "-inf"):
            return float(v)
        if tag == "tuple" and type(v) is list:
            return tuple(decode(x, depth + 1) for x in v)
        if tag == "dict" and type(v) is list and all(type(p) is list and len(p) == 2 for p in v):
            return {decode(k, depth + 1): decode(x, depth + 1) for k, x in v}
        if tag in ("set", "frozenset") and type(v) is list:
            items = [decode(x, depth + 1) for x in v]
            return set(items) if tag == "set" else frozenset(items)
        if tag == "bytes" and type(v) is str:
            return bytes.fromhex(v)
        if tag == "complex" and type(v) is list and len(v) == 2:
            return complex(decode(v[0], depth + 1), decode(v[1], depth + 1))
        if tag == "range" and type(v) is list and len(v) == 3 and all(type(x) is int for x in v):
            return range(*v)
        if tag in ("keys", "values", "items", "iter") and type(v) is list:
            items = [decode(x, depth + 1) for x in v]
            if tag == "keys":
                return dict.fromkeys(items).keys()
            if tag == "values":
                return dict(enumerate(items)).values()
            if tag == "items":
                return dict(items).items()
            return iter(items)
        if tag == "fraction" and type(v) is list and len(v) == 2 and all(type(x) is int for x in v):
            from fractions import Fraction

            return Fraction(v[0], v[1])
        if tag == "decimal" and type(v) is str and len(v) < 10_000:
            from decimal import Decimal

            return Decimal(v)
    raise ValueError(f"malformed value record: {str(obj)[:80]}")


def first_lines(text: Any, n: int = 5, width: int = 300) -> str:
    lines = [ln[:width] for ln in str(text).strip().splitlines()]
    return "\n".join(lines[-n:]) if lines else ""


def format_exc_short(exc: BaseException) -> str:
    return first_lines("".join(traceback.format_exception_only(type(exc), exc)))


# ---------------------------------------------------------------------------------------------------------------
# Plumbing
# ---------------------------------------------------------------------------------------------------------------
def write_all(fd: int, data: bytes | bytearray) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(fd: int, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def send_host(obj: dict[str, Any]) -> None:
    data = json.dumps(obj).encode()
    write_all(1, struct.pack(">I", len(data)) + data)


def read_host() -> dict[str, Any] | None:
    head = read_exact(0, 4)
    if head is None:
        return None
    (size,) = struct.unpack(">I", head)
    body = read_exact(0, size)
    return None if body is None else json.loads(body)


class Lines:
    """Newline-delimited JSON over a non-blocking fd, with a per-line size cap."""

    def __init__(self, fd: int) -> None:
        self.fd, self.buf, self.eof, self.overflow = fd, b"", False, False
        os.set_blocking(fd, False)

    def feed(self) -> list[bytes]:
        try:
            chunk = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return []
        if not chunk:
            self.eof = True
            return []
        self.buf += chunk
        out = []
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            out.append(line)
        if len(self.buf) > MAX_LINE:
            self.overflow = True
        return out


def oom_kills() -> int:
    if LOCAL:
        return 0
    try:
        with open(OOM_CONTROL) as fh:
            for line in fh:
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def uid_pids(uids: set[int], running_only: bool = False) -> list[int]:
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as fh:
                text = fh.read()
        except OSError:
            continue
        uid = state = None
        for line in text.splitlines():
            if line.startswith("State:"):
                state = line.split()[1]
            elif line.startswith("Uid:"):
                uid = int(line.split()[1])
                break
        if uid in uids and state != "Z" and not (running_only and state in ("T", "t")):
            pids.append(int(name))
    return pids


def become(uid: int) -> None:
    if LOCAL:
        return
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


_reaped: dict[int, tuple[Any, Any]] = {}  # pid -> (wait status, rusage) of children collected by reap()


def reap() -> None:
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _reaped[pid] = (status, usage)


def wait_child(pid: int) -> tuple[Any, Any]:
    """Wait for our child `pid`, even when reap() already collected it."""
    if pid in _reaped:
        return _reaped.pop(pid)
    try:
        _, status, usage = os.wait4(pid, 0)
    except ChildProcessError:
        return _reaped.pop(pid, (None, None))
    return status, usage


def kill_uids(uids: set[int]) -> None:
    """SIGSTOP then SIGKILL every process of `uids` (the runner holds CAP_KILL for this and nothing else).

    Stopping first means a fork bomb cannot refill the slots the kills free; scanning /proc catches `setsid` and
    double-forked escapees that a process-group kill misses. Needs no fork, so it works when the pid limit is full.
    Local mode can only kill the process groups it started."""
    if LOCAL:
        for pgid in [p for uid in uids for p in _spawned[uid]]:
            for sig in (signal.SIGSTOP, signal.SIGKILL):
                try:
                    os.killpg(pgid, sig)
                except OSError:
                    pass
        for uid in uids:
            _spawned[uid].clear()
        reap()
        return
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for _ in range(1000):
            pids = uid_pids(uids, running_only=sig == signal.SIGSTOP)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
    reap()
    for _ in range(500):  # SIGKILL is asynchronous: wait until the kernel has torn them down
        if not uid_pids(uids):
            break
        time.sleep(0.001)
        reap()


def owned_entries(uids: set[int], limit: int = 10) -> list[str]:
    """Paths in the writable places owned by `uids` (a dir the runner cannot list still shows as owned itself)."""
    found = []
    for top in WIPE_DIRS:
        for root, dirs, files in os.walk(top):
            for name in files + dirs:
                path = os.path.join(root, name)
                try:
                    if os.lstat(path).st_uid in uids:
                        found.append(path)
                except OSError:
                    pass
                if len(found) >= limit:
                    return found
    return found


def wipe_files(uid: int) -> None:
    """Delete every file `uid` owns in the writable places, from a child that *is* that uid (the runner has no
    CAP_DAC_OVERRIDE or CAP_FOWNER, on purpose)."""
    if LOCAL:
        import shutil

        for name in os.listdir(SCRATCH):
            path = os.path.join(SCRATCH, name)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) and not os.path.islink(path) else (
                os.unlink(path))
        return
    pid = os.fork()
    if pid == 0:
        try:
            become(uid)
            for top in WIPE_DIRS:
                for root, dirs, files in os.walk(top, topdown=False):
                    for name in files + dirs:
                        path = os.path.join(root, name)
                        try:
                            if os.lstat(path).st_uid == uid:
                                os.rmdir(path) if name in dirs and not os.path.islink(path) else os.unlink(path)
                        except OSError:
                            pass
            os._exit(0)
        except BaseException:
            os._exit(1)
    wait_child(pid)


def clean(uids: tuple[int, ...] = (CANDIDATE_UID, DRIVER_UID)) -> None:
    """Kill every process of `uids`, then delete their files (a fork per uid only when there is something)."""
    kill_uids(set(uids))
    for uid in uids:
        if LOCAL or owned_entries({uid}, limit=1):
            wipe_files(uid)
    reap()


def leftovers() -> list[str]:
    """What a job left behind (processes or files of the sandbox uids): a reason to recycle the container."""
    if LOCAL:
        return [os.path.join(SCRATCH, n) for n in os.listdir(SCRATCH)][:10]
    found = [f"pid {p}" for p in uid_pids({CANDIDATE_UID, DRIVER_UID})]
    return (found + owned_entries({CANDIDATE_UID, DRIVER_UID}))[:10]


def enter_candidate(fds: dict[int, int], limits: dict[str, Any]) -> None:
    """In a fresh child: map `fds` (target -> source), close the rest, drop to the candidate uid, set rlimits."""
    import fcntl

    os.setsid()
    high = {target: fcntl.fcntl(src, fcntl.F_DUPFD, 300) for target, src in fds.items()}  # out of the way first
    for target, dup in high.items():
        os.dup2(dup, target, inheritable=True)
    os.closerange(max(fds) + 1, 4096)
    become(CANDIDATE_UID)
    mem = int(limits["memory_mb"]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(limits["file_mb"]) << 20,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(limits["nofile"]),) * 2)
    cpu = int(limits["cpu_s"]) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")  # the out-of-memory killer takes the candidate first, never the runner
    except OSError:
        pass
    os.chdir(SCRATCH)


def spawn_candidate(argv: list[str], fds: dict[int, int], limits: dict[str, Any]) -> int:
    """Fork, enter the candidate identity, exec `argv`. Returns the pid."""
    pid = os.fork()
    if pid != 0:
        _spawned[CANDIDATE_UID].add(pid)
        return pid
    try:
        enter_candidate(fds, limits)
        os.execvpe(argv[0], argv, CANDIDATE_ENV)
    except BaseException:
        os._exit(127)


class Zygote:
    """A pristine fork of the runner, made before any job is read, that forks candidate processes without an exec
    (an interpreter start-up is ~20 ms of CPU per job). It never holds job data: no test code, no secret; it only
    receives file descriptors. Root with the runner's capabilities, so the candidate cannot signal it."""

    def __init__(self) -> None:
        import socket

        self.socket = socket
        self.sock, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            self.sock.close()
            try:
                self.serve(child)
            finally:
                os._exit(0)
        child.close()

    def request(self, req: dict[str, Any], fds: Any = ()) -> dict[str, Any]:
        self.socket.send_fds(self.sock, [json.dumps(req).encode()], list(fds))
        reply = self.sock.recv(65536)
        if not reply:
            raise RuntimeError("the zygote is gone")
        return json.loads(reply)

    def spawn(self, fds: dict[int, int], limits: dict[str, Any]) -> int:
        targets = sorted(fds)
        pid = self.request({"op": "spawn", "targets": targets, "limits": limits}, [fds[t] for t in targets])["pid"]
        _spawned[CANDIDATE_UID].add(pid)
        return pid

    def wait(self, pid: int) -> tuple[int | None, float, int]:
        """(exit code, cpu seconds, max rss KiB) of a candidate the runner has already killed or seen end."""
        r = self.request({"op": "wait", "pid": pid})
        return r["code"], r["cpu"], r["maxrss"]

    def serve(self, sock: Any) -> None:
        done = {}
        while True:
            msg, fds, _, _ = self.socket.recv_fds(sock, 65536, 16)
            if not msg:
                return
            req = json.loads(msg)
            while True:  # collect ended candidates so none stays a zombie
                try:
                    pid, st, ru = os.wait4(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                done[pid] = (describe_wait(st), ru.ru_utime + ru.ru_stime, ru.ru_maxrss)
            if req["op"] == "spawn":
                pid = os.fork()
                if pid == 0:
                    try:
                        sock.close()
                        enter_candidate(dict(zip(req["targets"], fds, strict=True)), req["limits"])
                        os.environ.clear()
                        os.environ.update(CANDIDATE_ENV)
                        candidate_main()
                    finally:
                        os._exit(0)
                for fd in fds:
                    os.close(fd)
                sock.send(json.dumps({"pid": pid}).encode())
            elif req["op"] == "wait":
                pid = req["pid"]
                if pid not in done:
                    try:
                        _, st, ru = os.wait4(pid, 0)
                        done[pid] = (describe_wait(st), ru.ru_utime + ru.ru_stime, ru.ru_maxrss)
                    except ChildProcessError:
                        done[pid] = (None, 0.0, 0)
                code, cpu, rss = done.pop(pid)
                sock.send(json.dumps({"code": code, "cpu": cpu, "maxrss": rss}).encode())


ZYGOTE: Zygote | None = None


class Output:
    """The candidate's stdout/stderr: everything is counted, the first `keep` bytes of each are kept."""

    def __init__(self, keep: int, budget: int) -> None:
        self.keep, self.budget = keep, budget
        self.data = {1: bytearray(), 2: bytearray()}
        self.total = 0
        self.truncated = {1: False, 2: False}

    def add(self, which: int, chunk: bytes) -> bool:
        self.total += len(chunk)
        room = self.keep - len(self.data[which])
        if room > 0:
            self.data[which] += chunk[:room]
        if len(chunk) > max(room, 0):
            self.truncated[which] = True
        return self.total > self.budget

    def report(self) -> dict[str, Any]:
        return {"stdout": self.data[1].decode("utf-8", "replace"), "stderr": self.data[2].decode("utf-8", "replace"),
                "stdout_truncated": self.truncated[1], "stderr_truncated": self.truncated[2],
                "output_bytes": self.total}


def read_some(fd: int) -> bytes | None:
    try:
        return os.read(fd, 1 << 16)
    except BlockingIOError:
        return None
    except OSError:
        return b""


def describe_wait(status: int) -> int:
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1


# ---------------------------------------------------------------------------------------------------------------
# Job kind "exec": run one program as the candidate, feed stdin, collect outputs.
# ---------------------------------------------------------------------------------------------------------------
def run_exec(job: dict[str, Any], wake_r: int) -> dict[str, Any]:
    limits = job["limits"]
    argv = job.get("argv") or [sys.executable, "-I", "-S", SOLUTION]
    if argv[0] == "python3":
        argv = [sys.executable, *argv[1:]]
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    ooms = oom_kills()
    t0 = time.monotonic()
    pid = spawn_candidate(argv, {0: in_r, 1: out_w, 2: err_w}, limits)
    for fd in (in_r, out_w, err_w):
        os.close(fd)
    stdin = job.get("stdin", "").encode()
    os.set_blocking(in_w, False)
    if not stdin:  # an empty input is an immediate end of file, not a pipe left open
        os.close(in_w)
        in_w = -1
    for fd in (out_r, err_r):
        os.set_blocking(fd, False)
    output = Output(int(limits["capture_bytes"]), int(limits["output_bytes"]))
    deadline = t0 + float(job["timeout"])
    status, wait_status, rusage = None, None, None
    readers = {out_r: 1, err_r: 2}
    try:
        while True:
            if wait_status is None:
                reap()
                if pid in _reaped:
                    wait_status, rusage = _reaped.pop(pid)
            if wait_status is not None:
                break  # EOF is not exit: a daemon may hold the pipes; the exit of the main process ends the run
            left = deadline - time.monotonic()
            if left <= 0:
                status = "timeout"
                break
            wlist = [in_w] if stdin and in_w >= 0 else []
            r, w, _ = select.select([*readers, wake_r], wlist, [], min(left, 0.5))
            if wake_r in r:
                read_some(wake_r)
            for fd in r:
                if fd in readers:
                    chunk = read_some(fd)
                    if chunk == b"":
                        del readers[fd]
                    elif chunk and output.add(readers[fd], chunk):
                        status = "output_limit"
            if status:
                break
            if w:
                try:
                    n = os.write(in_w, stdin[:65536])
                    stdin = stdin[n:]
                except (BlockingIOError, BrokenPipeError):
                    stdin = b"" if not stdin else stdin
                if not stdin:
                    os.close(in_w)
                    in_w = -1
        for fd in list(readers):  # what the program wrote before it exited
            while chunk := read_some(fd):
                if output.add(readers[fd], chunk):
                    status = status or "output_limit"
                    break
    finally:
        wall = time.monotonic() - t0
        kill_uids({CANDIDATE_UID})
        if wait_status is None:
            wait_status, rusage = wait_child(pid)
        for fd in (in_w, out_r, err_r):
            if fd >= 0:
                os.close(fd)
    if wait_status is None:
        raise RuntimeError("lost track of the candidate process")
    code = describe_wait(wait_status)
    if status != "output_limit" and oom_kills() > ooms:
        status = "memory_limit"  # the kernel killed one of its processes for memory: whatever happened after
    if status is None:
        if code == 0:
            status = "ok"
        elif "MemoryError" in output.data[2].decode("utf-8", "replace")[-2000:]:
            status = "memory_limit"
        elif code == -signal.SIGXCPU or (code == -signal.SIGKILL and rusage.ru_utime + rusage.ru_stime > float(
                limits["cpu_s"])):
            status = "timeout"
        else:
            status = "runtime_error"
    return {"status": status, "exit_code": code, "wall_time": wall, "cpu_time": rusage.ru_utime + rusage.ru_stime,
            "peak_memory_bytes": rusage.ru_maxrss * 1024, **output.report()}


def run_stdio(job: dict[str, Any], wake_r: int) -> dict[str, Any]:
    """Job kind "stdio": the program once per input, each in a fresh process; the host compares the outputs."""
    records, t0, cpu, peak = [], time.monotonic(), 0.0, 0
    deadline = t0 + float(job["timeout"])
    for i, text in enumerate(job.get("cases") or []):
        left = deadline - time.monotonic()
        if left <= 0:
            records.append({"i": i, "status": "timeout", "stdout": "", "stderr": "", "exit_code": None})
            continue
        res = run_exec({**job, "stdin": text, "timeout": min(left, float(job["limits"]["test_timeout"]))}, wake_r)
        cpu += res["cpu_time"]
        peak = max(peak, res["peak_memory_bytes"])
        records.append({"i": i, **{k: res[k] for k in ("status", "stdout", "stderr", "exit_code", "wall_time",
                                                      "stdout_truncated")}})
        if i + 1 < len(job["cases"]):
            clean((CANDIDATE_UID,))
    return {"status": "ok", "records": records, "wall_time": time.monotonic() - t0, "cpu_time": cpu,
            "peak_memory_bytes": peak, "exit_code": 0}


# ---------------------------------------------------------------------------------------------------------------
# Job kind "calls": the driver runs trusted tests, the candidate serves function calls; the runner relays.
# ---------------------------------------------------------------------------------------------------------------
class CandidateDied(BaseException):
    """The candidate process went away mid-test (BaseException: test code's `except Exception` must not hide it)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


class CandidateTimeout(BaseException):
    pass


class _Raises:
    def __init__(self, expected: type[BaseException], match: str | None = None) -> None:
        self.expected, self.match = expected, match

    def __enter__(self) -> _Raises:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc_type is None:
            raise AssertionError(f"DID NOT RAISE {self.expected}")
        if issubclass(exc_type, (CandidateDied, CandidateTimeout)):
            return False
        if not issubclass(exc_type, self.expected):
            return False
        if self.match is not None:
            import re

            if not re.search(self.match, str(exc)):
                raise AssertionError(f"{str(exc)!r} does not match {self.match!r}")
        return True


def _approx(expected: Any, rel: float = 1e-6, **kw: Any) -> Any:
    tol = float(kw.get("abs", 1e-12))

    def close(a: Any, b: Any) -> bool:
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
        if type(a) in (int, float) and type(b) in (int, float):
            return a == b or abs(a - b) <= max(rel * abs(b), tol)
        return a == b

    class Approx:
        def __eq__(self, other: object) -> bool:
            return close(other, expected)

        def __repr__(self) -> str:
            return f"approx({expected!r})"

    return Approx()


def pytest_shim() -> Any:
    """`pytest.raises` and `pytest.approx` for pytest-style test files (the image has no pytest)."""
    import types

    mod = types.ModuleType("pytest")
    mod.raises = _Raises
    mod.approx = _approx
    return mod


def driver_main(job: dict[str, Any], rfd: int, wfd: int) -> None:
    """The trusted side of a calls job. Reads relayed candidate messages on `rfd`, writes to the runner on `wfd`."""
    import builtins
    import types

    secret = job["secret"]
    spec = job["calls"]
    test_timeout = float(job["limits"]["test_timeout"])
    lines = Lines(rfd)
    pending = []
    state = {"seq": 0, "alive": False, "loaded": False, "load_error": "", "flags": set()}

    def out(obj: dict[str, Any]) -> None:
        write_all(wfd, (json.dumps(obj) + "\n").encode())

    def recv(deadline: float) -> dict[str, Any]:
        while True:
            if pending:
                return pending.pop(0)
            left = deadline - time.monotonic()
            if left <= 0:
                raise CandidateTimeout("the candidate did not answer in time")
            r, _, _ = select.select([rfd], [], [], left)
            if r:
                for line in lines.feed():
                    try:
                        msg = json.loads(line)
                    except Exception:  # deep nesting raises RecursionError: still the candidate's fault
                        msg = {"malformed": True}
                    pending.append(msg if isinstance(msg, dict) else {"malformed": True})
                if lines.eof:
                    os._exit(3)

    def wait_ready(deadline: float) -> None:
        """After a (re)start: the candidate loads the solution and says ready, or fails to."""
        try:
            while True:
                msg = recv(deadline)
                if "died" in msg or "event" in msg:
                    state.update(alive=False, loaded=False, load_error=died_message(msg))
                    # exit status 0 before a single test ran is the classic hack; anything else is a crash
                    state["flags"].add("exit_during_load" if msg.get("exit_code") == 0 else "crashed_during_load")
                    return
                if "ready" in msg:
                    state["alive"] = True
                    state["loaded"] = bool(msg.get("loaded"))
                    state["load_error"] = str(msg.get("error", ""))[:2000]
                    for flag in msg.get("flags", []):
                        state["flags"].add(str(flag)[:40])
                    return
        except CandidateTimeout:
            state.update(alive=False, loaded=False, load_error="the solution took too long to load")
            state["flags"].add("load_timeout")

    def died_message(msg: dict[str, Any]) -> str:
        status = msg.get("status") or ""
        code = msg.get("died", msg.get("exit_code"))
        return f"the candidate process ended ({status or 'exit'} {code})"

    def restart(reason: str) -> None:
        """A fresh candidate. Whatever the old one still had in flight is dropped up to the runner's marker."""
        state["gen"] = state.get("gen", 0) + 1
        out({"restart": reason, "gen": state["gen"]})
        state["alive"] = False
        deadline = time.monotonic() + test_timeout + 5
        try:
            while recv(deadline).get("restarted") != state["gen"]:
                pass
        except CandidateTimeout:
            state.update(loaded=False, load_error="the candidate could not be restarted")
            return
        wait_ready(deadline)

    def call(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not state["alive"]:
            raise CandidateDied("crashed", "the candidate process is not running")
        state["seq"] += 1
        seq = state["seq"]
        try:
            payload = {"op": "call", "seq": seq, "name": name, "args": encode(list(args)),
                       "kwargs": encode(dict(kwargs))}
        except NotCanonical as exc:
            raise RuntimeError(f"test passes a non built-in argument: {exc}") from None
        out({"to": "candidate", "msg": payload})
        while True:
            msg = recv(state["deadline"])
            if "event" in msg or "died" in msg:
                state["alive"] = False
                st = msg.get("status") or ""
                if st in ("output_limit", "memory_limit") or msg.get("oom"):
                    raise CandidateDied("output_limit" if st == "output_limit" else "memory",
                                        f"the candidate process was killed ({st or 'out of memory'})")
                raise CandidateDied("crashed", died_message(msg))
            if msg.get("malformed"):
                raise RuntimeError("the candidate sent a malformed answer")
            if msg.get("seq") != seq:
                continue
            if "ok" in msg:
                try:
                    value = decode(msg["ok"])
                    if "args" in msg:
                        write_back(args, decode(msg["args"]))
                    return value
                except (ValueError, TypeError, RecursionError) as exc:
                    raise RuntimeError(f"malformed return value from the candidate: {exc}") from None
            if msg.get("flag"):
                state["flags"].add(str(msg["flag"])[:40])
            etype = str(msg.get("type", "Exception"))
            text = str(msg.get("error", ""))[:2000]
            if etype == "MemoryError":
                raise CandidateDied("memory", "MemoryError in the candidate")
            builtin = getattr(builtins, etype, None)
            if isinstance(builtin, type) and issubclass(builtin, Exception) and etype not in ("AssertionError",):
                raise builtin(text)
            raise RuntimeError(f"{etype}: {text}")

    def write_back(sent: tuple[Any, ...], changed: Any) -> None:
        """Mirror the candidate's in-place changes to list/dict/set arguments (in-process semantics)."""
        if type(changed) is not list or len(changed) != len(sent):
            raise ValueError("argument record does not match the call")
        for old, new in zip(sent, changed, strict=True):
            if type(old) is list and type(new) is list:
                old[:] = new
            elif type(old) is dict and type(new) is dict:
                old.clear()
                old.update(new)
            elif type(old) is set and type(new) is set:
                old.clear()
                old.update(new)

    class Proxy:
        def __init__(self, name: str) -> None:
            self.__name__ = self.name = name

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return call(self.name, args, kwargs)

        def __repr__(self) -> str:
            return f"<candidate {self.name}>"

    solution_module = types.ModuleType("solution")
    solution_module.__getattr__ = lambda name: Proxy(name)
    sys.modules["solution"] = solution_module
    sys.modules["pytest"] = pytest_shim()
    ns = {"__name__": "__rlvrgym_tests__"}
    wait_ready(time.monotonic() + test_timeout + 5)
    setup_error = ""
    try:
        for src in spec.get("setup", []):
            exec(compile(src, "<setup>", "exec"), ns)
    except BaseException as exc:  # the reference itself is broken: an error, never a pass
        setup_error = "test setup failed: " + format_exc_short(exc)
    for name in spec.get("proxy_names", []):
        ns[name] = Proxy(name)
    for alias, name in spec.get("aliases", {}).items():
        ns[alias] = Proxy(name)
    earlier = None  # (status, why) once a statement that is not a test has raised: check() would stop there
    for index, unit in enumerate(spec["units"]):
        is_test = bool(unit.get("test"))
        uses = bool(unit.get("uses_candidate", is_test))
        record = {"i": index, "status": "passed", "error": ""}
        if setup_error:
            record.update(status="error", error=setup_error)
        elif earlier is not None:
            record.update(status=earlier[0], error=earlier[1])
        elif uses and not state["loaded"]:
            record.update(status="crashed", error="the solution did not load: " + state["load_error"])
        else:
            state["deadline"] = time.monotonic() + test_timeout
            ooms = oom_kills()
            began = False
            try:
                if uses:
                    out({"to": "candidate", "msg": {"op": "begin"}})
                    began = True
                    state["ooms"] = ooms
                if unit.get("kind") == "func":
                    ns[unit["name"]]()
                else:
                    exec(compile(unit["src"], f"<test {index}>", "exec"), ns)
            except CandidateTimeout:
                record.update(status="timeout", error=f"no answer within {test_timeout:g} s")
            except CandidateDied as exc:
                status = "memory" if oom_kills() > ooms and exc.status == "crashed" else exc.status
                record.update(status=status, error=str(exc))
            except AssertionError as exc:
                record.update(status="failed", error=format_exc_short(exc) or "AssertionError")
            except BaseException as exc:
                record.update(status="failed", error=format_exc_short(exc))
            if began:
                if state["alive"] and record["status"] != "timeout":
                    out({"to": "candidate", "msg": {"op": "end"}})
                    msg = {}
                    try:
                        while True:
                            msg = recv(time.monotonic() + 2.0)
                            if "ended" in msg or "died" in msg or "event" in msg:
                                break
                    except CandidateTimeout:
                        state["alive"] = False
                    if "event" in msg:
                        state["alive"] = False
                if not state["alive"] or record["status"] == "timeout":
                    restart(record["status"])
            if not is_test and record["status"] != "passed":
                # a set-up statement fell: the candidate's fault when it used the candidate, else the reference's
                why = f"an earlier statement failed ({record['status']}): {record['error']}"
                earlier = (record["status"] if uses else "error", why)
        if is_test:
            out({"record": record, "secret": secret})
    out({"done": True, "flags": sorted(state["flags"]), "secret": secret})


def candidate_main() -> None:
    """The candidate side of a calls job (uid 10002, exec'd fresh: it inherits nothing of the runner's memory).

    fd 3: requests from the runner, fd 4: answers. Loads the solution once, then forks one child per test, so a test
    sees the solution fresh from loading and a crash ends only that test."""
    import builtins

    os.set_blocking(3, True)
    rfile = os.fdopen(3, "rb", buffering=0)
    wfd = 4

    def answer(obj: dict[str, Any]) -> None:
        try:
            data = json.dumps(obj)
        except (TypeError, ValueError) as exc:
            data = json.dumps({"seq": obj.get("seq"), "error": f"unserialisable answer: {exc}", "type": "TypeError"})
        write_all(wfd, (data + "\n").encode())

    def readline() -> dict[str, Any]:
        line = b""
        while not line.endswith(b"\n"):
            chunk = rfile.readline()
            if not chunk:
                os._exit(0)
            line += chunk
        return json.loads(line)

    before = dict(vars(builtins))
    ns = {"__name__": "__solution__", "__file__": SOLUTION}
    loaded, error, flags = True, "", []
    try:
        with open(SOLUTION, encoding="utf-8") as fh:
            source = fh.read()
        exec(compile(source, SOLUTION, "exec"), ns)
    except SystemExit as exc:
        loaded, error = False, f"the solution called exit({exc.code!r}) while loading"
        flags.append("exit_during_load")
    except BaseException as exc:
        loaded, error = False, format_exc_short(exc)
        if type(exc).__name__ == "SkipTest":
            flags.append("skip_test")
    if any(vars(builtins).get(k) is not v for k, v in before.items()):
        flags.append("builtins_patched")
    names = sorted(k for k, v in ns.items() if callable(v) and not k.startswith("__"))[:200]
    answer({"ready": True, "loaded": loaded, "error": error, "flags": flags, "names": names})
    while True:
        req = readline()
        if req.get("op") != "begin":
            continue
        pid = os.fork()
        if pid == 0:
            while True:
                req = readline()
                if req.get("op") == "end":
                    os._exit(0)
                if req.get("op") != "call":
                    continue
                seq = req.get("seq")
                try:
                    fn = ns.get(req["name"])
                    if fn is None:
                        raise NameError(f"name {req['name']!r} is not defined by the solution")
                    args = decode(req["args"])
                    result = fn(*args, **decode(req["kwargs"]))
                    try:
                        reply = {"seq": seq, "ok": encode(result)}
                        if any(type(a) in (list, dict, set) for a in args):
                            reply["args"] = encode(args)  # in-place changes the test may look at, as in-process
                        answer(reply)
                    except NotCanonical as exc:
                        answer({"seq": seq, "error": f"returned a non built-in value: {exc}", "type": "TypeError",
                                "flag": "non_builtin_return"})
                except SystemExit as exc:
                    answer({"seq": seq, "error": f"exit({exc.code!r}) during the call", "type": "SystemExit",
                            "flag": "exit_during_call"})
                except BaseException as exc:
                    answer({"seq": seq, "error": format_exc_short(exc), "type": type(exc).__name__})
        _, status = os.waitpid(pid, 0)
        code = describe_wait(status)
        answer({"ended": True, "exit_code": code} if code == 0 else {"died": code})


def run_calls(job: dict[str, Any], wake_r: int) -> dict[str, Any]:
    """Relay between the driver and a (re)started candidate; enforce the job deadline and the output budget."""
    limits = job["limits"]
    t0 = time.monotonic()
    deadline = t0 + float(job["timeout"])
    output = Output(int(limits["capture_bytes"]), 1 << 62)
    budget = int(limits["output_bytes"])
    d_in_r, d_in_w = os.pipe()  # runner -> driver
    d_out_r, d_out_w = os.pipe()  # driver -> runner
    dpid = os.fork()
    if dpid == 0:
        try:
            if LOCAL:
                os.setsid()
            os.close(0)
            os.dup2(os.open("/dev/null", os.O_WRONLY), 1)  # the host channel is never the driver's to write
            signal.set_wakeup_fd(-1)
            for name in os.listdir("/proc/self/fd"):  # the zygote's socket and the wake pipe stay behind
                if int(name) not in (1, 2, d_in_r, d_out_w):
                    try:
                        os.close(int(name))
                    except OSError:
                        pass
            become(DRIVER_UID)
            os.chdir("/")
            driver_main(job, d_in_r, d_out_w)
            os._exit(0)
        except BaseException:
            traceback.print_exc()
            os._exit(4)
    os.close(d_in_r)
    os.close(d_out_w)
    os.set_blocking(d_in_w, False)
    if LOCAL:
        _spawned[DRIVER_UID].add(dpid)
    driver = Lines(d_out_r)
    cand = {"pid": None, "req": -1, "resp": None, "out": {}, "since": 0, "to": bytearray()}
    records, done, status, cpu, maxrss = [], None, "ok", 0.0, 0
    events = []

    to_d = bytearray()  # runner -> driver, written as the driver reads: a flood must never block the runner

    def to_driver(obj: dict[str, Any]) -> None:
        to_d.extend((json.dumps(obj) + "\n").encode())

    def stop_candidate(reason: str | None) -> None:
        nonlocal cpu, maxrss
        if cand["pid"] is None:
            return
        ooms = cand["ooms"]
        kill_uids({CANDIDATE_UID})
        code, used, rss = ZYGOTE.wait(cand["pid"])
        cpu += used
        maxrss = max(maxrss, rss)
        for fd in [cand["req"], cand["resp"].fd, *cand["out"]]:
            os.close(fd)
        cand.update(pid=None, req=-1, resp=None, out={})
        if reason:
            to_driver({"event": "died", "status": reason, "exit_code": code, "oom": oom_kills() > ooms})
            events.append(reason)

    def start_candidate() -> None:
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        null = os.open("/dev/null", os.O_RDONLY)
        cand["ooms"] = oom_kills()
        pid = ZYGOTE.spawn({0: null, 1: out_w, 2: err_w, 3: req_r, 4: resp_w}, limits)
        for fd in (req_r, resp_w, out_w, err_w, null):
            os.close(fd)
        for fd in (out_r, err_r):
            os.set_blocking(fd, False)
        cand.update(pid=pid, req=req_w, resp=Lines(resp_r), out={out_r: 1, err_r: 2}, since=output.total, answered=0,
                    to=bytearray())
        os.set_blocking(req_w, False)

    start_candidate()
    try:
        while done is None:
            left = deadline - time.monotonic()
            if left <= 0:
                status = "timeout"
                break
            watch = [driver.fd, wake_r]
            if cand["pid"] is not None:
                watch += [cand["resp"].fd, *cand["out"]]
            wlist = [d_in_w] if to_d else []
            if cand["pid"] is not None and cand["to"]:
                wlist.append(cand["req"])
            r, w, _ = select.select(watch, wlist, [], min(left, 0.5))
            if wake_r in r:
                read_some(wake_r)
            if d_in_w in w:
                try:
                    del to_d[:os.write(d_in_w, to_d[:1 << 16])]
                except BlockingIOError:
                    pass
                except OSError:
                    to_d.clear()
            if cand["pid"] is not None and cand["req"] in w:
                try:
                    del cand["to"][:os.write(cand["req"], cand["to"][:1 << 16])]
                except BlockingIOError:
                    pass
                except OSError:  # the candidate closed its end: it is gone for all the driver cares
                    stop_candidate("exit")
            if cand["pid"] is not None:
                for fd in list(cand["out"]):
                    if fd in r:
                        chunk = read_some(fd)
                        if chunk == b"":
                            del cand["out"][fd]
                        elif chunk:
                            output.add(cand["out"][fd], chunk)
                if output.total - cand["since"] > budget:
                    stop_candidate("output_limit")
            if cand["pid"] is not None and cand["resp"].fd in r:
                for line in cand["resp"].feed():
                    to_d.extend(line + b"\n")
                    cand["answered"] += len(line) + 1
                if cand["resp"].overflow or cand["answered"] > budget:
                    stop_candidate("output_limit")
                elif cand["resp"].eof:
                    stop_candidate("exit")
            if driver.fd in r:
                for line in driver.feed():
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        continue
                    if "to" in msg:
                        if cand["pid"] is not None:
                            if msg["msg"].get("op") == "begin":
                                cand["since"] = output.total
                                cand["answered"] = 0
                            cand["to"].extend((json.dumps(msg["msg"]) + "\n").encode())
                        else:
                            to_driver({"event": "died", "status": "exit", "exit_code": None})
                    elif "restart" in msg:
                        stop_candidate(None)
                        to_driver({"restarted": msg.get("gen")})  # everything before this is the old candidate's
                        start_candidate()
                    elif "record" in msg:
                        records.append(msg)
                    elif "done" in msg:
                        done = msg
                if driver.eof and done is None:
                    status = "sandbox_error"
                    events.append("driver exited without finishing")
                    break
    finally:
        stop_candidate(None)
        kill_uids({DRIVER_UID})
        wait_child(dpid)
        _reaped.clear()
        os.close(d_in_w)
        os.close(d_out_r)
    return {"status": status, "records": records, "done": done, "events": events[:20],
            "wall_time": time.monotonic() - t0, "cpu_time": cpu, "peak_memory_bytes": maxrss * 1024,
            "exit_code": 0, **output.report()}


# ---------------------------------------------------------------------------------------------------------------
def prepare(job: dict[str, Any]) -> None:
    os.makedirs(JOB_DIR, mode=0o755, exist_ok=True)
    os.chmod(JOB_DIR, 0o755)
    for name in os.listdir(JOB_DIR):
        os.unlink(os.path.join(JOB_DIR, name))
    files = dict(job.get("files", {}))
    for name, text in files.items():
        if "/" in name or name.startswith("."):
            raise ValueError(f"file name {name!r} must be a plain name")
        path = os.path.join(JOB_DIR, name)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(path, 0o644)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--candidate":
        candidate_main()
        return
    global ZYGOTE
    os.umask(0o022)
    os.makedirs(SCRATCH, exist_ok=True)
    os.chmod(SCRATCH, 0o700 if LOCAL else 0o1777)
    ZYGOTE = Zygote()  # before any signal handler or job exists
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    send_host({"ready": True, "version": RUNNER_VERSION, "python": sys.version.split()[0]})
    while True:
        job = read_host()
        if job is None:
            return
        t0 = t1 = time.monotonic()
        try:
            prepare(job)
            t1 = time.monotonic()
            run = {"calls": run_calls, "stdio": run_stdio}.get(job.get("kind"), run_exec)
            result = run(job, wake_r)
        except BaseException as exc:  # a runner fault is an infrastructure error, never a pass
            clean()
            result = {"status": "sandbox_error", "error": format_exc_short(exc)}
        clean()
        _reaped.clear()
        left = leftovers()
        t3 = time.monotonic()
        result.update(id=job.get("id"), dirty=left, timings={"total": t3 - t0, "prepare": t1 - t0,
                                                             "job": result.get("wall_time")})
        send_host(result)


if __name__ == "__main__":
    main()

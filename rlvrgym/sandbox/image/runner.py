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
After every job the runner stops and kills every process of the sandbox uids it finds in /proc (zombie thread-group
leaders with live threads included). If anything of those uids is still visible (processes in any state, SysV IPC
objects, files), the zygote (a root process forked before any job) takes each uid in turn, kills all its processes
with kill(-1, SIGKILL), which the kernel applies to every process of the uid at once, and removes the uid's IPC
objects and files. The runner then checks /proc, /proc/sysvipc and the writable places and reports anything left
(or a pid counter that moved too far) as `dirty`: the host replaces such a container before it runs another job.
See docs/sandbox.md.
"""

from __future__ import annotations

import collections
import json
import os
import reprlib
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
#: One BLAS/OpenMP thread: a numpy that starts a thread per host core would not fit the address-space limit.
THREADS_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
CANDIDATE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": SCRATCH, "TMPDIR": SCRATCH, "LANG": "C.UTF-8",
                 "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", **THREADS_ENV}
#: Pids a job may use beyond 2 per test or case before its container is replaced: a job's pids are visible to the
#: next job in the same container (the pid counter), so a bound on them bounds what one job can tell the next.
PID_BUDGET = 32
#: Extra address space of the trusted driver above the candidate's limit (its own interpreter, numpy, test data).
DRIVER_EXTRA_MB = 192
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
KEYS: type = type({}.keys())
VALUES: type = type({}.values())
ITEMS: type = type({}.items())
#: Factories of a defaultdict that cross as themselves; any other factory crosses as None (equality is unchanged).
FACTORIES = {f.__name__: f for f in (int, float, complex, str, bytes, bool, list, dict, set, frozenset, tuple)}
COMPARISONS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__", "__bool__", "__len__",
               "__iter__", "__getitem__", "__contains__")
NUMPY_KINDS = "biufcU"


def _is_namedtuple_class(t: type) -> bool:
    """A class made by collections.namedtuple (or typing.NamedTuple) that adds no behaviour of its own to the
    comparisons and container protocol: its instances compare exactly as tuples."""
    fields = t.__dict__.get("_fields")
    return (t.__bases__ == (tuple,) and type(fields) is tuple and all(type(f) is str for f in fields)
            and not any(name in t.__dict__ for name in COMPARISONS))


_SCALARS: dict[int, frozenset[type]] = {}


def _numpy_scalar_types(np: Any) -> frozenset[type]:
    found = _SCALARS.get(id(np))
    if found is None:
        found = _SCALARS[id(np)] = frozenset(np.dtype(c).type for c in "?bBhHiIlLqQefdFD")
    return found


def encode_numpy(value: Any, np: Any, depth: int) -> Any:
    """Exact numpy arrays and scalars of plain dtypes, rebuilt as the same type on the other side."""
    t = type(value)
    if t is np.ndarray:
        if value.dtype.kind not in NUMPY_KINDS or value.dtype.fields is not None:
            raise NotCanonical(f"a numpy array of dtype {value.dtype} is not supported")
        if value.size > MAX_ITEMS:
            raise NotCanonical(f"the returned array has more than {MAX_ITEMS} items")
        return {"__t": "ndarray", "v": [value.dtype.str, list(value.shape),
                                        [encode(x, depth + 1) for x in value.ravel().tolist()]]}
    if t in _numpy_scalar_types(np):
        return {"__t": "npscalar", "v": [value.dtype.str, encode(value.item(), depth + 1)]}
    raise NotCanonical(f"{t.__module__}.{t.__qualname__} is not an exact built-in type")


def decode_numpy(tag: str, v: Any, depth: int) -> Any:
    import re

    import numpy as np

    if type(v) is not list or len(v) < 2 or type(v[0]) is not str or not re.fullmatch(r"[<>|=][biufcU]\d{1,4}", v[0]):
        raise ValueError("malformed numpy record")
    dtype = np.dtype(v[0])
    if tag == "npscalar" and len(v) == 2:
        x = decode(v[1], depth + 1)
        if type(x) not in (bool, int, float, complex, str):
            raise ValueError("malformed numpy scalar")
        return dtype.type(x)
    if tag == "ndarray" and len(v) == 3 and type(v[1]) is list and all(type(n) is int and n >= 0 for n in v[1]):
        items = [decode(x, depth + 1) for x in v[2]] if type(v[2]) is list else None
        if items is None or any(type(x) not in (bool, int, float, complex, str) for x in items):
            raise ValueError("malformed numpy array")
        count = 1
        for n in v[1]:
            count *= n
        if count != len(items):
            raise ValueError("numpy array shape does not match its items")
        return np.array(items, dtype=dtype).reshape(v[1])
    raise ValueError("malformed numpy record")


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
        items: list[Any] = []
        for v in value:
            if len(items) >= MAX_ITEMS:
                raise NotCanonical(f"the returned iterator has more than {MAX_ITEMS} items")
            items.append(encode(v, depth + 1))
        return {"__t": "iter", "v": items}
    if t.__module__ == "fractions" and t.__name__ == "Fraction":
        return {"__t": "fraction", "v": [value.numerator, value.denominator]}
    if t.__module__ == "decimal" and t.__name__ == "Decimal":
        return {"__t": "decimal", "v": str(value)}
    if t is collections.Counter or t is collections.OrderedDict:
        return {"__t": "counter" if t is collections.Counter else "odict",
                "v": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if t is collections.defaultdict:
        factory: Any = value.default_factory
        name: str | None = getattr(factory, "__name__", None)
        if name is None or FACTORIES.get(name) is not factory:
            name = None
        return {"__t": "ddict", "v": [name, [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]]}
    if isinstance(value, tuple) and _is_namedtuple_class(t):
        return {"__t": "ntuple", "v": [t.__name__, list(t._fields), [encode(v, depth + 1) for v in value]]}
    np = sys.modules.get("numpy")
    if np is not None and t.__module__ == "numpy":
        return encode_numpy(value, np, depth)
    raise NotCanonical(f"{t.__module__}.{t.__qualname__} is not an exact built-in type")


_NAMEDTUPLES: dict[tuple[str, tuple[str, ...]], type] = {}


def _pairs(v: Any, depth: int) -> list[tuple[Any, Any]]:
    if type(v) is not list or not all(type(p) is list and len(p) == 2 for p in v):
        raise ValueError("malformed mapping record")
    return [(decode(k, depth + 1), decode(x, depth + 1)) for k, x in v]


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
        if tag == "counter":
            return collections.Counter(dict(_pairs(v, depth)))
        if tag == "odict":
            return collections.OrderedDict(_pairs(v, depth))
        if tag == "ddict" and type(v) is list and len(v) == 2 and (v[0] is None or v[0] in FACTORIES):
            return collections.defaultdict(FACTORIES.get(v[0]), _pairs(v[1], depth))
        if (tag == "ntuple" and type(v) is list and len(v) == 3 and type(v[0]) is str and type(v[1]) is list
                and type(v[2]) is list and len(v[1]) == len(v[2]) and all(type(f) is str for f in v[1])):
            key = (v[0], tuple(v[1]))
            cls = _NAMEDTUPLES.get(key)
            if cls is None:
                cls = _NAMEDTUPLES[key] = collections.namedtuple(v[0], v[1])  # ValueError on bad names
            return cls(*[decode(x, depth + 1) for x in v[2]])
        if tag in ("ndarray", "npscalar"):
            return decode_numpy(tag, v, depth)
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


# ---------------------------------------------------------------------------------------------------------------
# After every job: find, kill and remove what the sandbox uids left; prove the container clean.
# ---------------------------------------------------------------------------------------------------------------
def _status(path: str) -> tuple[int | None, str | None]:
    """(real uid, state letter) from a /proc status file; (None, None) when it is gone."""
    try:
        with open(path) as fh:
            text = fh.read()
    except OSError:
        return None, None
    uid = state = None
    for line in text.splitlines():
        if line.startswith("State:"):
            state = line.split()[1]
        elif line.startswith("Uid:"):
            uid = int(line.split()[1])
            break
    return uid, state


def _alive(pid: str, not_in: tuple[str | None, ...] = (None, "Z", "X")) -> bool:
    """A zombie entry in /proc can be a thread-group leader that ended only its own thread: look at its threads."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    return any(_status(f"/proc/{pid}/task/{tid}/status")[1] not in not_in for tid in tasks)


def uid_pids(uids: set[int], live_only: bool = False, running_only: bool = False) -> list[int]:
    """Processes of `uids` in any state (zombies too), or only those with a live thread, or only running ones."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        uid, state = _status(f"/proc/{name}/status")
        if uid not in uids or state is None:
            continue
        if state in ("Z", "X") and (live_only or running_only):
            if not _alive(name, (None, "Z", "X", "T", "t") if running_only else (None, "Z", "X")):
                continue
        elif running_only and state in ("T", "t"):
            continue
        pids.append(int(name))
    return pids


IPC_ID = {"shm": "shmid", "msg": "msqid", "sem": "semid"}


def ipc_objects(uids: set[int]) -> list[tuple[str, int]]:
    """SysV shared memory, message queues and semaphores owned or created by `uids` (the container's own IPC
    namespace: other containers' objects are not listed)."""
    found = []
    for kind, id_name in IPC_ID.items():
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                header = fh.readline().split()
                cols = (header.index(id_name), header.index("uid"), header.index("cuid"))
                for line in fh:
                    parts = line.split()
                    if len(parts) > max(cols) and (int(parts[cols[1]]) in uids or int(parts[cols[2]]) in uids):
                        found.append((kind, int(parts[cols[0]])))
        except (OSError, ValueError):
            continue
    return found


def remove_ipc(objects: list[tuple[str, int]]) -> None:
    """IPC_RMID each object, from a short-lived child (ctypes never stays in the zygote, whose memory every candidate
    inherits); the caller must be the objects' owner or creator (the zygote, acting as that uid)."""
    pid = os.fork()
    if pid == 0:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            for kind, ident in objects:
                if kind == "shm":
                    libc.shmctl(ident, 0, None)
                elif kind == "msg":
                    libc.msgctl(ident, 0, None)
                else:
                    libc.semctl(ident, 0, 0)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def last_pid() -> int:
    """The last pid handed out in this container's pid namespace (-1 where unreadable)."""
    try:
        with open("/proc/sys/kernel/ns_last_pid") as fh:
            return int(fh.read())
    except (OSError, ValueError):
        return -1


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


def wait_child(pid: int, timeout: float = 2.0) -> tuple[Any, Any]:
    """Wait for our child `pid` (already killed or ended), even when reap() already collected it; (None, None)
    when it is still there after `timeout` (an unkillable process: the container is then reported dirty)."""
    end = time.monotonic() + timeout
    while True:
        if pid in _reaped:
            return _reaped.pop(pid)
        try:
            got, status, usage = os.wait4(pid, os.WNOHANG)
        except ChildProcessError:
            return _reaped.pop(pid, (None, None))
        if got:
            return status, usage
        if time.monotonic() > end:
            return None, None
        time.sleep(0.0005)


def scan_kill(uids: set[int]) -> None:
    """The fallback when the zygote cannot do it: SIGSTOP then SIGKILL every process of `uids` found in /proc, with
    the runner's CAP_KILL. Stopping first means a fork bomb cannot refill the slots the kills free."""
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for _ in range(1000):
            pids = uid_pids(uids, running_only=sig == signal.SIGSTOP, live_only=True)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass


def kill_as(uid: int, timeout: float = 2.0) -> bool:
    """kill(-1, SIGKILL) as `uid` until no process of it has a live thread. The kernel signals every process of the
    uid in one pass that no fork can race (whatever its session, group or state); the caller is spared. Runs in the
    zygote, whose saved uid stays 0 so it can come back to root; True when the uid has nothing alive left."""
    end, me = time.monotonic() + timeout, os.getpid()
    scan_kill({uid})  # as root first: once every process of the uid is stopped, none can signal us while we are it
    os.setresuid(uid, uid, 0)
    try:
        while True:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if not [p for p in uid_pids({uid}, live_only=True) if p != me]:  # while it acts, we are that uid too
                return True
            if time.monotonic() > end:
                return False
            time.sleep(0.0005)
    finally:
        os.setresuid(0, 0, 0)


def kill_uids(uids: set[int]) -> None:
    """Kill every process of `uids` within a job (a candidate restarted, a job's end) with the runner's CAP_KILL,
    zombie thread-group leaders with live threads included. The end-of-job `clean` adds the zygote's kill(-1) as
    each uid and the checks. Local mode can only kill the process groups it started."""
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
    scan_kill(uids)
    reap()
    for _ in range(500):  # SIGKILL is asynchronous: wait until the kernel has torn them down
        if not uid_pids(uids, live_only=True):
            break
        time.sleep(0.0005)
        reap()


MAX_WIPE = 20_000  # entries; a job that leaves more gets its container replaced instead (bounded cleanup time)


def walk_owned(uids: set[int], limit: int, remove: bool = False) -> list[str]:
    """Entries of the writable places owned by `uids`, depth first without recursion (a job can nest directories
    thousands deep). With `remove`, delete them (the caller acts as their owner: a directory it cannot list is first
    made listable). Stops at `limit` entries."""
    import stat

    found: list[str] = []
    stack: list[tuple[str, bool]] = [(top, False) for top in WIPE_DIRS]
    while stack and len(found) < limit:
        path, visited = stack.pop()
        if visited:
            try:
                os.rmdir(path)
            except OSError:
                pass
            continue
        try:
            st = os.lstat(path)
        except OSError:
            continue
        owned = st.st_uid in uids and path not in WIPE_DIRS
        if owned:
            found.append(path)
        if stat.S_ISDIR(st.st_mode):
            if remove and owned:
                try:
                    os.chmod(path, 0o700)
                except OSError:
                    pass
                stack.append((path, True))
            try:
                names = os.listdir(path)
            except OSError:
                names = []
            stack.extend((os.path.join(path, n), False) for n in names)
        elif remove and owned:
            try:
                os.unlink(path)
            except OSError:
                pass
    return found


def owned_entries(uids: set[int], limit: int = 10) -> list[str]:
    """Paths in the writable places owned by `uids`."""
    return walk_owned(uids, limit)


def sweep(uids: list[int]) -> list[str]:
    """In the zygote: for each uid, kill all its processes, then remove its SysV IPC objects and its files, acting as
    that uid (the runner has no CAP_DAC_OVERRIDE, CAP_FOWNER or CAP_IPC_OWNER, on purpose). Returns problems."""
    problems = []
    for uid in uids:
        if not kill_as(uid):
            problems.append(f"uid {uid} still has live processes")
        os.setresuid(uid, uid, 0)
        try:
            objects = ipc_objects({uid})
            if objects:
                remove_ipc(objects)
            if len(walk_owned({uid}, MAX_WIPE, remove=True)) >= MAX_WIPE:
                problems.append(f"uid {uid} left more than {MAX_WIPE} files")
        finally:
            os.setresuid(0, 0, 0)
    return problems


def clean(uids: tuple[int, ...] = (CANDIDATE_UID, DRIVER_UID)) -> list[str]:
    """Kill every process of `uids`, then delete their IPC objects and files; returns what could not be done.
    Nothing to do when /proc shows no process of them in any state (then no process of theirs exists to signal)."""
    if LOCAL:
        kill_uids(set(uids))
        import shutil

        for name in os.listdir(SCRATCH):
            path = os.path.join(SCRATCH, name)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) and not os.path.islink(path) else (
                os.unlink(path))
        return []
    reap()
    if not uid_pids(set(uids)) and not ipc_objects(set(uids)) and not owned_entries(set(uids), limit=1):
        return []  # the common case: /proc, /proc/sysvipc and the writable places already show nothing
    try:
        assert ZYGOTE is not None
        problems = [str(p) for p in ZYGOTE.request({"op": "sweep", "uids": list(uids)})["problems"]]
    except Exception as exc:
        scan_kill(set(uids))
        problems = [f"cleanup failed: {type(exc).__name__}: {exc}"]
    reap()
    return problems


SANDBOX_UIDS = {CANDIDATE_UID, DRIVER_UID}


def leftovers(problems: list[str], pid_start: int = -1, pid_allowance: int = 0) -> list[str]:
    """What a job left behind (processes in any state, IPC objects or files of the sandbox uids, a pid counter that
    moved more than the job's allowance, a failed cleanup): the host replaces the container before the next job."""
    if LOCAL:
        return [os.path.join(SCRATCH, n) for n in os.listdir(SCRATCH)][:10]
    found = list(problems)
    end = time.monotonic() + 1.0
    while True:  # killed processes are zombies until their parent (us, the zygote or the init) collects them
        reap()
        pids = uid_pids(SANDBOX_UIDS)
        if not pids or time.monotonic() > end:
            break
        time.sleep(0.0005)
    found += [f"pid {p}" for p in pids]
    found += [f"sysv {kind} {ident}" for kind, ident in ipc_objects(SANDBOX_UIDS)]
    found += owned_entries(SANDBOX_UIDS)
    if pid_start >= 0:
        used = last_pid() - pid_start
        if used < 0 or used > pid_allowance:
            found.append(f"the job used {used} pids, over its allowance of {pid_allowance}")
    return found[:10]


# ---------------------------------------------------------------------------------------------------------------
# Candidate processes: identity, limits, seccomp, and the zygote that forks them.
# ---------------------------------------------------------------------------------------------------------------
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
    set_oom_score(1000)  # the out-of-memory killer takes the candidate first, never the runner
    os.chdir(SCRATCH)


def set_oom_score(value: int) -> None:
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write(str(value))
    except OSError:
        pass


def deny_syscalls() -> None:
    """A seccomp filter stacked on the engine's profile (Docker 20.10's default allows io_uring, a large kernel
    surface whose requests can also run on kernel threads outside the candidate's processes): io_uring_setup, _enter
    and _register (425-427 on every architecture; the x32 bit is masked) fail with ENOSYS, everything else is left to
    the engine's profile. Installed once on the runner before anything is forked, so every process of the container
    inherits it (filters pass through fork and exec and cannot be removed); ctypes is then dropped again, so the
    processes forked per job do not carry it."""
    import ctypes

    class Insn(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Insn))]

    ld_nr, and_k, jeq, ret = 0x20, 0x54, 0x15, 0x06
    insns = [(ld_nr, 0, 0, 0), (and_k, 0, 0, 0xBFFFFFFF), (jeq, 3, 0, 425), (jeq, 2, 0, 426), (jeq, 1, 0, 427),
             (ret, 0, 0, 0x7FFF0000), (ret, 0, 0, 0x00050000 | 38)]  # ALLOW; ERRNO(ENOSYS)
    array = (Insn * len(insns))(*[Insn(*i) for i in insns])
    prog = Prog(len(insns), array)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS (the engine set it already: no-new-privileges)
    failed = libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
    errno = ctypes.get_errno()
    del libc, prog, array, Insn, Prog, ctypes
    for name in [m for m in sys.modules if m == "ctypes" or m.startswith("ctypes.")]:
        del sys.modules[name]
    import gc

    gc.collect()
    if failed:
        raise OSError(errno, "cannot install the seccomp filter")


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
        done: dict[int, tuple[int | None, float, int]] = {}

        def collect() -> None:  # ended candidates: none stays a zombie
            while True:
                try:
                    pid, st, ru = os.wait4(-1, os.WNOHANG)
                except ChildProcessError:
                    return
                if pid == 0:
                    return
                done[pid] = (describe_wait(st), ru.ru_utime + ru.ru_stime, ru.ru_maxrss)

        while True:
            msg, fds, _, _ = self.socket.recv_fds(sock, 65536, 16)
            if not msg:
                return
            req = json.loads(msg)
            collect()
            if req["op"] == "spawn":
                pid = os.fork()
                if pid == 0:
                    code = 0
                    try:
                        sock.close()
                        enter_candidate(dict(zip(req["targets"], fds, strict=True)), req["limits"])
                        os.environ.clear()
                        os.environ.update(CANDIDATE_ENV)
                        candidate_main()
                    except SystemExit as exc:  # exit() while loading: the driver sees the exit status itself
                        code = 0 if exc.code is None else exc.code if type(exc.code) is int else 1
                    except BaseException:
                        code = 1
                    finally:
                        os._exit(code & 0xFF)
                for fd in fds:
                    os.close(fd)
                sock.send(json.dumps({"pid": pid}).encode())
            elif req["op"] == "wait":
                pid = req["pid"]
                end = time.monotonic() + 2.0
                while pid not in done:
                    try:
                        got, st, ru = os.wait4(pid, os.WNOHANG)
                    except ChildProcessError:
                        done[pid] = (None, 0.0, 0)
                        break
                    if got:
                        done[pid] = (describe_wait(st), ru.ru_utime + ru.ru_stime, ru.ru_maxrss)
                    elif time.monotonic() > end:  # unkillable: reported as a leftover at the end of the job
                        done[pid] = (None, 0.0, 0)
                    else:
                        time.sleep(0.0005)
                code_, cpu, rss = done.pop(pid)
                sock.send(json.dumps({"code": code_, "cpu": cpu, "maxrss": rss}).encode())
            elif req["op"] == "sweep":
                problems: list[str] = []
                try:
                    problems = sweep(req["uids"])
                except Exception as exc:
                    problems.append(f"{type(exc).__name__}: {exc}")
                collect()
                sock.send(json.dumps({"problems": problems}).encode())


ZYGOTE: Zygote | None = None


# ---------------------------------------------------------------------------------------------------------------
# Outputs: counted against the budget, digested, and an answer trimmed to the host's byte budget.
# ---------------------------------------------------------------------------------------------------------------
class Output:
    """The candidate's stdout/stderr: everything is counted, the first `keep` bytes of each are kept (all of stdout,
    up to the budget, with `whole_stdout`: a stdin/stdout case is compared on a digest of all of it)."""

    def __init__(self, keep: int, budget: int, whole_stdout: bool = False) -> None:
        self.keep, self.budget = keep, budget
        self.data = {1: bytearray(), 2: bytearray()}
        self.total = 0
        self.truncated = {1: False, 2: False}
        self.whole = bytearray() if whole_stdout else None

    def add(self, which: int, chunk: bytes) -> bool:
        self.total += len(chunk)
        if which == 1 and self.whole is not None and self.total <= self.budget:
            self.whole += chunk
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


def normalised_digest(data: bytes) -> str:
    """sha256 of the output as the host compares it (rlvrgym.verifiers.code.formats.normalise_output: trailing
    whitespace of each line and trailing blank lines dropped), so any output size is judged for a few bytes."""
    import hashlib

    lines = [ln.rstrip() for ln in data.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest()


#: Keys whose text is cut, shortest last, when an answer would not fit the host's byte budget.
TEXT_KEYS = frozenset({"stdout", "stderr", "error", "call", "returned", "raised", "refused", "died", "events"})


def _trim(obj: Any, cap: int, key: str = "") -> Any:
    if type(obj) is str:
        return obj[:cap] if key in TEXT_KEYS else obj
    if type(obj) is dict:
        return {k: _trim(v, cap, k) for k, v in obj.items()}
    if type(obj) is list:
        return [_trim(v, cap, key) for v in obj]
    return obj


def fit(result: dict[str, Any], budget: int) -> dict[str, Any]:
    """The answer, its free text cut until it fits `budget` bytes: no output a candidate writes (control bytes that
    JSON escapes six-fold, many large outputs) can push an answer over the host's budget and turn it into an error."""
    limit = budget - 256
    if len(json.dumps(result)) <= limit:
        return result
    cap = 1 << 14
    while cap >= 16:
        trimmed = _trim(result, cap)
        if len(json.dumps(trimmed)) <= limit:
            trimmed["trimmed"] = cap
            return trimmed
        cap //= 4
    # only the job's own size (cases, tests: the host's choice) can get here
    return {"status": "sandbox_error", "error": "the answer does not fit the byte budget: too many tests or cases",
            "id": result.get("id"), "dirty": result.get("dirty")}



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
def run_exec(job: dict[str, Any], wake_r: int, whole_stdout: bool = False) -> dict[str, Any]:
    limits = job["limits"]
    argv = job.get("argv") or [sys.executable, "-I", SOLUTION]
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
    output = Output(int(limits["capture_bytes"]), int(limits["output_bytes"]), whole_stdout)
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
    if wait_status is None or rusage is None:
        raise RuntimeError("the candidate process could not be killed")
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
    report = output.report()
    if output.whole is not None:
        report["stdout_sha256"] = normalised_digest(bytes(output.whole))
    return {"status": status, "exit_code": code, "wall_time": wall, "cpu_time": rusage.ru_utime + rusage.ru_stime,
            "peak_memory_bytes": rusage.ru_maxrss * 1024, **report}


# ---------------------------------------------------------------------------------------------------------------
# Job kind "stdio": the program once per case; the host compares digests of the outputs.
# ---------------------------------------------------------------------------------------------------------------
def run_stdio(job: dict[str, Any], wake_r: int) -> dict[str, Any]:
    """Job kind "stdio": the program once per input, each in a fresh process; the host compares the outputs."""
    records, t0, cpu, peak = [], time.monotonic(), 0.0, 0
    deadline = t0 + float(job["timeout"])
    for i, text in enumerate(job.get("cases") or []):
        left = deadline - time.monotonic()
        if left <= 0:
            records.append({"i": i, "status": "timeout", "stdout": "", "stderr": "", "exit_code": None})
            continue
        res = run_exec({**job, "stdin": text, "timeout": min(left, float(job["limits"]["test_timeout"]))}, wake_r,
                       whole_stdout=True)
        cpu += res["cpu_time"]
        peak = max(peak, res["peak_memory_bytes"])
        # the host compares the digest; stdout (a prefix) and stderr (the end) are there to explain a failure
        records.append({"i": i, "stdout": res["stdout"][:2000], "stderr": res["stderr"][-2000:],
                        **{k: res[k] for k in ("status", "stdout_sha256", "exit_code", "wall_time",
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


class HarnessRefused(BaseException):
    """The harness refused what the candidate sent (a value that is not an exact built-in, numpy or standard-library
    type, a malformed answer, exit() during a call). Not an `Exception`: a test's `pytest.raises(TypeError)` or
    `except Exception` must not count the harness's refusal as the error the test expects."""


#: Marker types of the candidate side's own answers (a candidate that forges them only fails its own test).
REFUSED, EXITED = "__rlvrgym_refused__", "__rlvrgym_exit__"


class _Raises:
    def __init__(self, expected: type[BaseException], match: str | None = None) -> None:
        self.expected, self.match = expected, match

    def __enter__(self) -> _Raises:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc_type is None:
            raise AssertionError(f"DID NOT RAISE {self.expected}")
        if issubclass(exc_type, (CandidateDied, CandidateTimeout, HarnessRefused)):
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

    mod: Any = types.ModuleType("pytest")
    mod.raises = _Raises
    mod.approx = _approx
    return mod


# ---------------------------------------------------------------------------------------------------------------
# The trusted driver (uid 10001).
# ---------------------------------------------------------------------------------------------------------------
class Proxy:
    """What the test code calls instead of the candidate's function: each call goes to the candidate's process."""

    def __init__(self, driver: Driver, name: str) -> None:
        self.driver = driver
        self.__name__ = self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.driver.call(self.name, args, kwargs)

    def __repr__(self) -> str:
        return f"<candidate {self.name}>"


#: How the tests of a calls job meet the candidate: rlvrgym.sandbox.job.TEST_ISOLATIONS (the runner is stdlib only).
TEST_ISOLATIONS = ("shared", "fork")


class Driver:
    """The trusted side of a calls job (uid 10001): runs the test units, calls the candidate through the runner's
    relay, and reports one record per test, tagged with the job's secret, on a pipe only it and the runner hold.

    Test isolation `shared` (the default): one candidate process serves the tests of the job in order, as
    HumanEval's own `check(candidate)` does; after a test that ends abnormally (crash, exit, timeout, memory, output
    limit, a malformed answer) the driver has the runner replace it with a fresh spawn of the solution, so the
    crash ends that test only. Test isolation `fork`: each test runs in a fresh fork of the loaded solution.

    Reads relayed candidate messages on `rfd`, writes to the runner on `wfd`. Its state is named here: the call
    sequence number, whether a candidate is alive and loaded (and why not), whether it must be replaced after this
    test, the CPU seconds it reported, the restart generation, the current unit's deadline and calls, and the flags it
    observed itself (from `SANDBOX_FLAGS`' fixed vocabulary)."""

    def __init__(self, job: dict[str, Any], rfd: int, wfd: int) -> None:
        self.secret: str = job["secret"]
        self.spec: dict[str, Any] = job["calls"]
        self.test_timeout = float(job["limits"]["test_timeout"])
        isolation = job.get("test_isolation", "shared")
        if isolation not in TEST_ISOLATIONS:
            raise ValueError(f"test_isolation must be one of {TEST_ISOLATIONS}, got {isolation!r}")
        self.fork_per_test = isolation == "fork"
        # a shared candidate is replaced before a test when fewer CPU seconds than this are left under its RLIMIT_CPU
        # (cpu_s + 1, as enter_candidate sets it): a single-threaded test then meets its own timeout first, as in a
        # fresh fork
        cpu_s = float(job["limits"]["cpu_s"])
        self.cpu_left_needed = min(self.test_timeout, cpu_s)
        self.cpu_limit = int(cpu_s) + 1
        self.rfd, self.wfd = rfd, wfd
        self.lines = Lines(rfd)
        self.pending: list[dict[str, Any]] = []
        self.seq = 0  # the last call's number: an answer to another call is dropped
        self.alive = False  # a candidate process is serving calls
        self.loaded = False  # the solution loaded in it
        self.load_error = ""
        self.spoiled = False  # shared isolation: this test ended abnormally, the candidate is replaced after it
        self.cpu_used = 0.0  # CPU seconds the candidate reported last (its own word: a lie only hurts itself)
        self.new_unit = False  # the next call is the first of its test: the runner restarts the output budget
        self.gen = 0  # restart generation: messages from before the runner's marker are the old candidate's
        self.deadline = 0.0  # of the current unit
        self.calls: list[tuple[Any, ...]] = []  # of the current unit, for feedback without expected values
        self.flags: set[str] = set()
        self.shown = reprlib.Repr()
        self.shown.maxstring, self.shown.maxother, self.shown.maxlist = 60, 60, 8
        self.shown.maxtuple, self.shown.maxdict = 8, 6
        self.spent: dict[str, float] = collections.defaultdict(float)  # seconds per phase, for the profile

    # -- the pipes ------------------------------------------------------------------------------------------------
    def out(self, obj: dict[str, Any]) -> None:
        write_all(self.wfd, (json.dumps(obj) + "\n").encode())

    def recv(self, deadline: float) -> dict[str, Any]:
        while True:
            if self.pending:
                return self.pending.pop(0)
            left = deadline - time.monotonic()
            if left <= 0:
                raise CandidateTimeout("the candidate did not answer in time")
            r, _, _ = select.select([self.rfd], [], [], left)
            if r:
                self.take()

    def take(self) -> None:
        """Queue the complete messages that have arrived (a line that is not a JSON object becomes a marker)."""
        for line in self.lines.feed():
            try:
                msg = json.loads(line)
            except Exception:  # deep nesting raises RecursionError: still the candidate's fault
                msg = {"malformed": True}
            self.pending.append(msg if isinstance(msg, dict) else {"malformed": True})
        if self.lines.eof:
            os._exit(3)

    def poll(self) -> None:
        """Between the tests of a shared candidate: take what has already arrived, without waiting. A death the
        runner reported, or anything out of step (candidate lines claiming a death, malformed lines), gets the
        candidate replaced before the next test rather than failing it."""
        if select.select([self.rfd], [], [], 0)[0]:
            self.take()
        if any("event" in m or "died" in m or "malformed" in m for m in self.pending):
            self.spoiled = True

    # -- the candidate's life ---------------------------------------------------------------------------------------
    def wait_ready(self, deadline: float) -> None:
        """After a (re)start: the candidate loads the solution and says ready, or fails to."""
        try:
            while True:
                msg = self.recv(deadline)
                if "died" in msg or "event" in msg:
                    self.alive, self.loaded, self.load_error = False, False, self.died_message(msg)
                    # exit status 0 before a single test ran is the classic hack; anything else is a crash
                    self.flags.add("exit_during_load" if msg.get("exit_code") == 0 else "crashed_during_load")
                    return
                if "ready" in msg:  # written by the candidate's process: its words never become flags
                    self.alive, self.loaded = True, bool(msg.get("loaded"))
                    self.cpu_used = msg["cpu"] if type(msg.get("cpu")) is float else 0.0
                    self.load_error = str(msg.get("error", ""))[:2000]
                    return
        except CandidateTimeout:
            self.alive, self.loaded, self.load_error = False, False, "the solution took too long to load"
            self.flags.add("load_timeout")

    @staticmethod
    def died_message(msg: dict[str, Any]) -> str:
        status = msg.get("status") or ""
        code = msg.get("died", msg.get("exit_code"))
        return f"the candidate process ended ({status or 'exit'} {code})"

    def restart(self, reason: str) -> None:
        """A fresh candidate. Whatever the old one still had in flight is dropped up to the runner's marker."""
        self.gen += 1
        self.out({"restart": reason, "gen": self.gen})
        self.alive, self.spoiled, self.cpu_used = False, False, 0.0
        deadline = time.monotonic() + self.test_timeout + 5
        try:
            while self.recv(deadline).get("restarted") != self.gen:
                pass
        except CandidateTimeout:
            self.loaded, self.load_error = False, "the candidate could not be restarted"
            return
        self.wait_ready(deadline)

    # -- calls --------------------------------------------------------------------------------------------------------
    def note(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], what: str, value: Any) -> None:
        """What the candidate was given and what it gave back, for feedback that shows no expected value (kept as
        objects; written out only if the unit fails)."""
        if len(self.calls) < 3:
            self.calls.append((name, args, kwargs, what, value))

    def shown_calls(self) -> list[dict[str, str]]:
        out = []
        for name, args, kwargs, what, value in self.calls:
            given = [self.shown.repr(a) for a in args] + [f"{k}={self.shown.repr(v)}" for k, v in kwargs.items()]
            text = self.shown.repr(value) if what == "returned" else str(value)
            out.append({"call": f"{name}({', '.join(given)})"[:300], what: text[:300]})
        return out

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            value = self._call(name, args, kwargs)
        except HarnessRefused as exc:
            self.note(name, args, kwargs, "refused", exc)
            raise
        except CandidateDied as exc:
            self.note(name, args, kwargs, "died", exc)
            raise
        except CandidateTimeout:
            self.note(name, args, kwargs, "died", "no answer in time")
            raise
        except Exception as exc:
            text = str(exc)  # the candidate's own "Type: message" line, re-raised as that type
            self.note(name, args, kwargs, "raised", text if text.startswith(type(exc).__name__) else
                      f"{type(exc).__name__}: {text}")
            raise
        self.note(name, args, kwargs, "returned", value)
        return value

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not self.alive:
            raise CandidateDied("crashed", "the candidate process is not running")
        self.seq += 1
        seq = self.seq
        t0 = time.monotonic()
        try:
            return self._exchange(name, args, kwargs, seq)
        finally:
            self.spent["calls"] += time.monotonic() - t0

    def _exchange(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], seq: int) -> Any:
        import builtins

        try:
            payload = {"op": "call", "seq": seq, "name": name, "args": encode(list(args)),
                       "kwargs": encode(dict(kwargs))}
        except NotCanonical as exc:
            raise RuntimeError(f"test passes an argument the harness cannot send: {exc}") from None
        self.out({"to": "candidate", "msg": payload, "unit": True} if self.new_unit else
                 {"to": "candidate", "msg": payload})
        self.new_unit = False
        while True:
            msg = self.recv(self.deadline)
            cpu = msg.get("cpu")
            if type(cpu) is float:
                self.cpu_used = cpu
            if "event" in msg or "died" in msg or "ended" in msg:  # "ended": a test's fork exited 0 mid-call
                self.alive = False
                st = msg.get("status") or ""
                if st in ("output_limit", "memory_limit") or msg.get("oom"):
                    raise CandidateDied("output_limit" if st == "output_limit" else "memory",
                                        f"the candidate process was killed ({st or 'out of memory'})")
                raise CandidateDied("crashed", self.died_message(msg))
            if msg.get("malformed"):
                self.spoiled = True  # its answer stream cannot be trusted to be in step any more
                raise HarnessRefused("the candidate sent a malformed answer")
            if msg.get("seq") != seq:
                continue
            if "ok" in msg:
                try:
                    value = decode(msg["ok"])
                    if "args" in msg:
                        self.write_back(args, decode(msg["args"]))
                    return value
                except (ValueError, TypeError, RecursionError) as exc:
                    raise HarnessRefused(f"malformed return value from the candidate: {exc}") from None
                except MemoryError:
                    raise CandidateDied("memory", "the returned value does not fit in memory") from None
            etype = str(msg.get("type", "Exception"))
            text = str(msg.get("error", ""))[:2000]
            if etype == REFUSED:  # the flag words are the driver's own, from a fixed list
                self.flags.add("non_builtin_return")
                raise HarnessRefused(text)
            if etype == EXITED:
                self.flags.add("exit_during_call")
                self.spoiled = True
                raise HarnessRefused(text)
            if etype == "MemoryError":
                self.spoiled = True
                raise CandidateDied("memory", "MemoryError in the candidate")
            builtin = getattr(builtins, etype, None)
            if isinstance(builtin, type) and issubclass(builtin, Exception) and etype not in ("AssertionError",):
                raise builtin(text)
            raise RuntimeError(f"{etype}: {text}")

    @staticmethod
    def write_back(sent: tuple[Any, ...], changed: Any) -> None:
        """Mirror the candidate's in-place changes to list/dict/set/array arguments (in-process semantics)."""
        if type(changed) is not list or len(changed) != len(sent):
            raise ValueError("argument record does not match the call")
        np = sys.modules.get("numpy")
        for old, new in zip(sent, changed, strict=True):
            if np is not None and type(old) is np.ndarray and type(new) is np.ndarray and old.shape == new.shape:
                old[...] = new
            elif type(old) is list and type(new) is list:
                old[:] = new
            elif type(old) is dict and type(new) is dict:
                old.clear()
                old.update(new)
            elif type(old) is set and type(new) is set:
                old.clear()
                old.update(new)

    # -- the tests ----------------------------------------------------------------------------------------------------
    def namespace(self) -> tuple[dict[str, Any], str]:
        """The tests' globals, with the candidate's names bound to proxies; and the set-up's error, if any."""
        import types

        solution_module = types.ModuleType("solution")
        solution_module.__getattr__ = lambda name: Proxy(self, name)  # type: ignore[method-assign]
        sys.modules["solution"] = solution_module
        sys.modules["pytest"] = pytest_shim()
        ns: dict[str, Any] = {"__name__": "__rlvrgym_tests__"}
        setup_error = ""
        try:
            for src in self.spec.get("setup", []):
                exec(compile(src, "<setup>", "exec"), ns)
        except BaseException as exc:  # the reference itself is broken: an error, never a pass
            setup_error = "test setup failed: " + format_exc_short(exc)
        for name in self.spec.get("proxy_names", []):
            ns[name] = Proxy(self, name)
        for alias, name in self.spec.get("aliases", {}).items():
            ns[alias] = Proxy(self, name)
        return ns, setup_error

    def run_unit(self, index: int, unit: dict[str, Any], ns: dict[str, Any], uses: bool) -> dict[str, Any]:
        """One test or set-up statement, in the current candidate (restarted afterwards if it died or hung)."""
        record: dict[str, Any] = {"i": index, "status": "passed", "error": ""}
        self.deadline = time.monotonic() + self.test_timeout
        self.calls = []
        ooms = oom_kills()
        began = False
        try:
            if uses:
                if self.fork_per_test:
                    self.out({"to": "candidate", "msg": {"op": "begin"}})  # the runner restarts the output budget
                else:
                    self.new_unit = True  # sent with this test's first call
                began = True
            if unit.get("kind") == "func":
                ns[unit["name"]]()
            else:
                exec(compile(unit["src"], f"<test {index}>", "exec"), ns)
        except CandidateTimeout:
            record.update(status="timeout", error=f"no answer within {self.test_timeout:g} s")
        except CandidateDied as exc:
            status = "memory" if oom_kills() > ooms and exc.status == "crashed" else exc.status
            record.update(status=status, error=str(exc))
        except AssertionError as exc:
            record.update(status="failed", error=format_exc_short(exc) or "AssertionError")
        except MemoryError:  # a value the candidate returned did not fit in the driver's bound
            record.update(status="memory", error="MemoryError in the test")
        except BaseException as exc:
            record.update(status="failed", error=format_exc_short(exc))
        if record["status"] != "passed" and self.calls:
            record["calls"] = self.shown_calls()
        if began:
            t0 = time.monotonic()
            self.end_unit(record["status"])
            self.spent["end"] += time.monotonic() - t0
        return record

    def end_unit(self, status: str) -> None:
        """After a test: start a fresh candidate if this one died, hung or ended the test abnormally; with a fork
        per test, first let the test's fork end."""
        if not self.fork_per_test:
            if self.alive and not self.spoiled and status != "timeout":
                self.poll()  # a death the runner already reported: replace it now, not in the next test
            if (not self.alive or self.spoiled or status == "timeout"
                    or self.cpu_limit - self.cpu_used < self.cpu_left_needed):
                self.restart(status)
            return
        if self.alive and status != "timeout":
            self.out({"to": "candidate", "msg": {"op": "end"}})
            msg: dict[str, Any] = {}
            try:
                while True:
                    msg = self.recv(time.monotonic() + 2.0)
                    if "ended" in msg or "died" in msg or "event" in msg:
                        break
            except CandidateTimeout:
                self.alive = False
            if "event" in msg:
                self.alive = False
        if not self.alive or status == "timeout":
            self.restart(status)

    def run(self) -> None:
        t0 = time.monotonic()
        self.wait_ready(time.monotonic() + self.test_timeout + 5)
        t1 = time.monotonic()
        ns, setup_error = self.namespace()
        t2 = time.monotonic()
        self.spent.update(ready=t1 - t0, setup=t2 - t1)
        earlier = None  # (status, why) once a statement that is not a test has raised: check() would stop there
        for index, unit in enumerate(self.spec["units"]):
            is_test = bool(unit.get("test"))
            uses = bool(unit.get("uses_candidate", is_test))
            if setup_error:
                record = {"i": index, "status": "error", "error": setup_error}
            elif earlier is not None:
                record = {"i": index, "status": earlier[0], "error": earlier[1]}
            elif uses and not self.loaded:
                record = {"i": index, "status": "crashed", "error": "the solution did not load: " + self.load_error}
            else:
                record = self.run_unit(index, unit, ns, uses)
                if not is_test and record["status"] != "passed":
                    # a set-up statement fell: the candidate's fault when it used the candidate, else the reference's
                    why = f"an earlier statement failed ({record['status']}): {record['error']}"
                    earlier = (record["status"] if uses else "error", why)
            if is_test:
                self.out({"record": record, "secret": self.secret})
        self.spent["units"] = time.monotonic() - t2
        self.out({"done": True, "flags": sorted(self.flags), "secret": self.secret, "timings": self.spent})


def driver_main(job: dict[str, Any], rfd: int, wfd: int) -> None:
    Driver(job, rfd, wfd).run()


# ---------------------------------------------------------------------------------------------------------------
# The candidate side of a calls job (uid 10002).
# ---------------------------------------------------------------------------------------------------------------
def headroom() -> None:
    """Give the code called next the recursion depth plain Python gives a module-level call: the harness's own
    frames below it must not count against the candidate (994-deep recursion passes at the default limit there)."""
    depth, frame = 0, sys._getframe(1)  # type: int, Any
    while frame is not None:
        depth += 1
        frame = frame.f_back
    sys.setrecursionlimit(depth + DEFAULT_RECURSION_LIMIT)


DEFAULT_RECURSION_LIMIT = 1000


def json_codec() -> tuple[Any, Any]:
    """(dumps, loads) made of the C accelerator's own encoder and scanner objects: each captures everything it
    uses when it is made, so a later change to `json`'s module attributes or to builtins does not reach it. Falls
    back to the module functions where the accelerator is missing."""
    import json.encoder
    import json.scanner

    make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
    make_scanner: Any = getattr(json.scanner, "c_make_scanner", None)
    ascii_strings: Any = getattr(json.encoder, "c_encode_basestring_ascii", None)
    try:
        def refuse(obj: Any) -> Any:
            raise TypeError(f"{type(obj).__name__} is not JSON serialisable")

        encoder = make_encoder({}, refuse, ascii_strings, None, ": ", ", ", False, False, True)
        scanner = make_scanner(json.JSONDecoder())
        join = "".join

        def dumps(obj: Any) -> str:
            return join(encoder(obj, 0))

        def loads(text: str) -> Any:
            return scanner(text, 0)[0]

        if loads(dumps({"probe": [1, 2.5, "x", None]})) != {"probe": [1, 2.5, "x", None]}:
            raise ValueError("the accelerator's codec does not round-trip")
        return dumps, loads
    except Exception:  # no accelerator (another interpreter): the module functions, still captured now
        return json.dumps, json.loads


def private_copy(fn: Any) -> Any:
    """`fn` bound to a private copy of this module's globals, in which every function of the module is a copy
    bound to the same private globals and the builtins are a private copy too. Made before any candidate code runs,
    so a solution that patches builtins, `__main__`'s names or a module's attributes does not reach the harness's
    own loop (an honest solution may do this for itself; in `shared` test isolation the loop outlives its tests).
    It does not stop code that walks the stack or the heap into the loop: that gains nothing, because the candidate
    already writes what it likes on its own answer pipe and the driver trusts only values of exact types answering
    the call in flight."""
    import builtins
    import types

    mine = globals()
    private: dict[str, Any] = dict(mine)
    private["__builtins__"] = dict(vars(builtins))
    for name, value in mine.items():
        if type(value) is types.FunctionType and value.__globals__ is mine:
            private[name] = types.FunctionType(value.__code__, private, value.__name__, value.__defaults__,
                                               value.__closure__)
    return private[fn.__name__]


def candidate_main() -> None:
    """The candidate side of a calls job (uid 10002, forked from the zygote: it holds nothing of any job): the loop,
    in a private copy of the harness's globals made before the solution loads (`private_copy`)."""
    private_copy(serve_candidate)()


def serve_candidate() -> None:
    """fd 3: requests from the runner, fd 4: answers. Loads the solution once, then serves calls: a `call` outside a
    test's fork runs in this process (test isolation `shared`: the tests of a job in order, in one process, as
    HumanEval's check(candidate) runs them; the driver has a fresh process spawned after any test that ends
    abnormally); a `begin` forks a child that serves one test's calls until `end` (test isolation `fork`), so that
    test sees the solution fresh from loading and its crash ends only the child.

    Every reference the loop needs is taken here, before any candidate code runs."""
    import builtins

    os.set_blocking(3, True)
    read_line = os.fdopen(3, "rb", buffering=0).readline
    write, exit_now, fork, waitpid, cpu_time = os.write, os._exit, os.fork, os.waitpid, time.process_time
    dumps, loads = json_codec()
    modules = sys.modules
    wfd = 4

    def answer(obj: dict[str, Any]) -> None:
        obj["cpu"] = cpu_time()  # this process's CPU seconds: the driver replaces it before it nears RLIMIT_CPU
        try:
            data = dumps(obj)
        except (TypeError, ValueError, RecursionError) as exc:
            data = dumps({"seq": obj.get("seq"), "error": f"unserialisable answer: {exc}", "type": "TypeError"})
        view = memoryview((data + "\n").encode())
        while view:
            view = view[write(wfd, view):]

    def readline() -> dict[str, Any]:
        line = b""
        while not line.endswith(b"\n"):
            chunk = read_line()
            if not chunk:
                exit_now(0)
            line += chunk
        return loads(line.decode())

    def serve_call(req: dict[str, Any]) -> None:
        seq = req.get("seq")
        try:
            fn = ns.get(req["name"])
            if fn is None:
                raise NameError(f"name {req['name']!r} is not defined by the solution")
            args = decode(req["args"])
            kwargs = decode(req["kwargs"])
            headroom()
            result = fn(*args, **kwargs)
            try:
                reply = {"seq": seq, "ok": encode(result)}
                np = modules.get("numpy")
                if any(type(a) in (list, dict, set) or (np is not None and type(a) is np.ndarray) for a in args):
                    reply["args"] = encode(args)  # in-place changes the test may look at, as in-process
                answer(reply)
            except NotCanonical as exc:
                answer({"seq": seq, "error": f"returned a value the harness does not accept: {exc}", "type": REFUSED})
        except SystemExit as exc:
            answer({"seq": seq, "error": f"exit({exc.code!r}) during the call", "type": EXITED})
        except BaseException as exc:
            answer({"seq": seq, "error": format_exc_short(exc), "type": type(exc).__name__})

    import site

    site.setquit()  # exit() and quit() exist, as in plain Python
    # the real builtins, as in plain Python (not the loop's private copy)
    ns: dict[str, Any] = {"__name__": "__solution__", "__file__": SOLUTION, "__builtins__": builtins}
    loaded, error = True, ""
    try:
        with open(SOLUTION, encoding="utf-8") as fh:
            source = fh.read()
        compiled = compile(source, SOLUTION, "exec")
        headroom()
        exec(compiled, ns)  # exit() here ends this process: its exit status, seen by the runner, tells the driver
    except SystemExit:
        raise
    except BaseException as exc:
        loaded, error = False, format_exc_short(exc)
    names = sorted(k for k, v in ns.items() if callable(v) and not k.startswith("__"))[:200]
    answer({"ready": True, "loaded": loaded, "error": error, "names": names})
    while True:
        req = readline()
        op = req.get("op")
        if op == "call":  # test isolation "shared"
            serve_call(req)
        elif op == "begin":  # test isolation "fork": this test's calls, in a child, until "end"
            pid = fork()
            if pid == 0:
                while True:
                    req = readline()
                    if req.get("op") == "end":
                        exit_now(0)
                    if req.get("op") == "call":
                        serve_call(req)
            _, status = waitpid(pid, 0)
            code = describe_wait(status)
            answer({"ended": True, "exit_code": code} if code == 0 else {"died": code})


# ---------------------------------------------------------------------------------------------------------------
# The runner's relay between the driver and the candidate, under the job's deadline and budgets.
# ---------------------------------------------------------------------------------------------------------------
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
            if not LOCAL:  # a lazy value the test materialises is a MemoryError in the test, not a dead driver
                mem = (int(limits["memory_mb"]) + DRIVER_EXTRA_MB) << 20
                resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
                set_oom_score(500)  # after the candidate, before the runner
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
    cand: dict[str, Any] = {"pid": None, "req": -1, "resp": None, "out": {}, "since": 0, "to": bytearray()}
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
        assert ZYGOTE is not None
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
        assert ZYGOTE is not None
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
                            if msg.get("unit") or msg["msg"].get("op") == "begin":  # a test's first message
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
        t_stop = time.monotonic()
        stop_candidate(None)
        kill_uids({DRIVER_UID})
        wait_child(dpid)
        _reaped.clear()
        os.close(d_in_w)
        os.close(d_out_r)
        t_end = time.monotonic()
    return {"stop_time": t_end - t_stop, "status": status, "records": records, "done": done, "events": events[:20],
            "wall_time": time.monotonic() - t0, "cpu_time": cpu, "peak_memory_bytes": maxrss * 1024,
            "exit_code": 0, **output.report()}


# ---------------------------------------------------------------------------------------------------------------
# The job loop.
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
    import site

    for path in site.getsitepackages():  # -S keeps .pth files out, not the image's packages (numpy)
        if os.path.isdir(path) and path not in sys.path:
            sys.path.append(path)
    os.environ.update(THREADS_ENV)
    os.umask(0o022)
    os.makedirs(SCRATCH, exist_ok=True)
    os.chmod(SCRATCH, 0o700 if LOCAL else 0o1777)
    if not LOCAL:
        deny_syscalls()
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
        pid_start = last_pid()
        try:
            prepare(job)
            t1 = time.monotonic()
            run = {"calls": run_calls, "stdio": run_stdio}.get(str(job.get("kind")), run_exec)
            result = run(job, wake_r)
        except BaseException as exc:  # a runner fault is an infrastructure error, never a pass
            result = {"status": "sandbox_error", "error": format_exc_short(exc)}
        t2 = time.monotonic()
        problems = clean()
        _reaped.clear()
        units = len((job.get("calls") or {}).get("units") or []) + len(job.get("cases") or [])
        t3 = time.monotonic()
        left = leftovers(problems, pid_start, PID_BUDGET + 2 * units)
        t4 = time.monotonic()
        result.update(id=job.get("id"), dirty=left, timings={
            "total": t4 - t0, "prepare": t1 - t0, "job": t2 - t1, "stop": result.pop("stop_time", 0.0),
            "clean": t3 - t2, "proof": t4 - t3})
        send_host(fit(result, int(job.get("answer_bytes") or 1 << 22)))


if __name__ == "__main__":
    main()

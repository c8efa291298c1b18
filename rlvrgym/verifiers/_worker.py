"""Entry point of a verification worker process (`python -m rlvrgym.verifiers._worker`), see `bounded.py`.

The protocol runs over the worker's original stdin/stdout; fd 1 is pointed at stderr so a verifier that prints
cannot corrupt it.
"""

from __future__ import annotations

import importlib
import os
import pickle
import resource
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any


def main() -> None:
    proto_in = Connection(os.dup(0), writable=False)
    proto_out = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    memory_mb = int(os.environ.get("RLVRGYM_WORKER_MEMORY_MB", "0"))
    if memory_mb:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
    from rlvrgym.verifiers import bounded
    from rlvrgym.verifiers.verdict import Verdict

    bounded._IN_WORKER = True
    for module in sys.argv[1:]:
        importlib.import_module(module)
    proto_out.send("ready")
    cache: dict[bytes, Any] = {}  # unpickled verifiers (anything with `judge_safely`)
    while True:
        try:
            message = proto_in.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if message[0] == "prepare":
            proto_out.send(_prepare(cache, message[1]))
            continue
        _, blob, completion, reference = message
        try:
            verifier = cache.get(blob)
            if verifier is None:
                verifier = pickle.loads(blob)
                if len(cache) > 32:
                    cache.clear()
                cache[blob] = verifier
            verdict = verifier.judge_safely(completion, reference)
        except MemoryError:
            verdict = Verdict.error("the verification ran out of memory")
        except BaseException as exc:
            verdict = Verdict.error(f"verifier crashed: {type(exc).__name__}: {exc}",
                                    traceback=traceback.format_exc(limit=5))
        try:
            proto_out.send(verdict)
        except (OSError, pickle.PicklingError, TypeError) as exc:
            proto_out.send(Verdict.error(f"verdict could not be sent back: {exc}"))


def _prepare(cache: dict[bytes, Any], blob: bytes) -> str:
    """Unpickle a verifier (importing its module) and run its `warmup`, before any job's clock starts: a first
    verification must not be charged the second that importing sympy takes."""
    try:
        verifier = pickle.loads(blob)
        cache[blob] = verifier
        warmup = getattr(verifier, "warmup", None)
        if callable(warmup):
            warmup()
        return "ok"
    except BaseException as exc:  # the job that follows reports the failure with its own verdict
        return f"{type(exc).__name__}: {exc}"


if __name__ == "__main__":
    main()

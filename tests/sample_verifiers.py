"""Small verifiers the API tests run in worker processes (they must be importable, hence a module of their own)."""

from __future__ import annotations

import time
from typing import Any

from rlvrgym.verifiers import Verdict, Verifier


class ExactMatchVerifier(Verifier):
    """Correct when the stripped completion equals the reference text."""

    name = "test-exact"

    def judge(self, completion: str, reference: Any) -> Verdict:
        if completion.strip() == str(reference):
            return Verdict.right()
        return Verdict.wrong(f"{completion.strip()!r} is not {reference!r}")


class SleepyVerifier(Verifier):
    """Sleeps `reference` seconds (or spins in pure Python when the reference is negative), then says correct."""

    name = "test-sleepy"

    def judge(self, completion: str, reference: Any) -> Verdict:
        if reference < 0:
            while True:  # a busy loop that no signal handler in the worker could interrupt politely
                pass
        time.sleep(reference)
        return Verdict.right("woke up")


class CrashingVerifier(Verifier):
    name = "test-crash"

    def judge(self, completion: str, reference: Any) -> Verdict:
        if reference == "exit":
            import os

            os._exit(3)
        raise ZeroDivisionError("boom")

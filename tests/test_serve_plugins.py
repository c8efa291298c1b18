"""Verifiers the serve tests load into a server subprocess (`rlvrgym serve --import tests.test_serve_plugins`).

Not a test module: it holds no tests, only registrations, and is named so that it lives with the serve tests.
"""

from __future__ import annotations

from rlvrgym.verifiers import register_verifier
from tests.sample_verifiers import CrashingVerifier, SleepyVerifier

register_verifier("test-sleepy", overwrite=True)(SleepyVerifier)
register_verifier("test-crash", overwrite=True)(CrashingVerifier)

"""Verifiers: the only place a reward is decided. See `Verifier`, `Verdict` and `get_verifier`."""

from rlvrgym.verifiers.base import Isolation, Verifier, VerifierLike
from rlvrgym.verifiers.bounded import BoundedPool, default_pool
from rlvrgym.verifiers.errors import BadReference
from rlvrgym.verifiers.registry import ENTRY_POINT_GROUP, get_verifier, list_verifiers, register_verifier
from rlvrgym.verifiers.verdict import StepVerdict, Verdict, VerdictStatus

__all__ = [
    "ENTRY_POINT_GROUP",
    "BadReference",
    "BoundedPool",
    "Isolation",
    "StepVerdict",
    "Verdict",
    "VerdictStatus",
    "Verifier",
    "VerifierLike",
    "default_pool",
    "get_verifier",
    "list_verifiers",
    "register_verifier",
]

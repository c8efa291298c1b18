"""The one error a verifier raises about its task rather than about the completion."""

from __future__ import annotations


class BadReference(ValueError):
    """The task's reference cannot be read (a missing field, an unparseable answer, an unknown format): a fault of
    the task, never of the policy. Verifiers turn it into an error verdict (`correct=None`, score 0) that names
    the fault, so a broken task is reported instead of silently rewarding or punishing the completion."""

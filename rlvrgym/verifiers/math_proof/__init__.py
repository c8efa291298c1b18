"""The step verifier for derivations (MathProof-v0): every step checked with the restricted parser, mpmath and
sympy, so the process reward is exact and needs no reward model."""

from rlvrgym.verifiers.math_proof.goal import KINDS, BadReference, Goal, read_goal
from rlvrgym.verifiers.math_proof.judge import StepWeights
from rlvrgym.verifiers.math_proof.verifier import MathProofVerifier, first_error

__all__ = ["KINDS", "BadReference", "Goal", "MathProofVerifier", "StepWeights", "first_error", "read_goal"]

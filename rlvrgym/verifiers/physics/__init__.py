"""The physics verifier: a predicted quantity with units against simulated ground truth, plus dimensional checks of
the completion's equations. `parse` reads quantities and LaTeX units, `dims` does dimensional analysis of equations,
`verifier` decides."""

from rlvrgym.verifiers.physics.verifier import PhysicsVerifier, tier_score

__all__ = ["PhysicsVerifier", "tier_score"]

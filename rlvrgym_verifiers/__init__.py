"""The verifiers (PrimeIntellect, v1) taskset `rlvrgym-verifiers`: verifiers imports a taskset id as the module of
that name with dashes as underscores, so this top-level module re-exports the taskset, the env and the harness
from `rlvrgym.integrations.prime_verifiers` (see there and docs/integrations.md)."""

from rlvrgym.integrations.prime_verifiers import RlvrgymEnv, RlvrgymHarness, RlvrgymTaskset

__all__ = ["RlvrgymEnv", "RlvrgymHarness", "RlvrgymTaskset"]

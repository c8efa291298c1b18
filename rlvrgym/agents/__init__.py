"""Agents that consume the environments: the TRL GRPO/SFT training adapter, policies, sanity and benchmark runs.

The training names are imported lazily: `import rlvrgym` must not pay for importing trl and torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "make_dataset": "rlvrgym.agents.trl_adapter",
    "make_reward_funcs": "rlvrgym.agents.trl_adapter",
    "reward_weights": "rlvrgym.agents.trl_adapter",
    "GRPOTrainConfig": "rlvrgym.agents.train",
    "train_grpo": "rlvrgym.agents.train",
    "SFTTrainConfig": "rlvrgym.agents.sft",
    "train_sft": "rlvrgym.agents.sft",
    "build_tiny_model": "rlvrgym.agents.tiny",
    "evaluate": "rlvrgym.agents.evaluate",
    "MultiTurnRollout": "rlvrgym.agents.multi_turn",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rlvrgym.agents' has no attribute {name!r}")

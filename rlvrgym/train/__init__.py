"""Training on our rewards: the TRL GRPO/SFT adapter, multi-turn rollouts, tiny offline models, evaluation.

The names are imported lazily: `import rlvrgym` must not pay for importing trl and torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "make_dataset": "rlvrgym.train.trl_adapter",
    "make_reward_funcs": "rlvrgym.train.trl_adapter",
    "reward_weights": "rlvrgym.train.trl_adapter",
    "GRPOTrainConfig": "rlvrgym.train.grpo",
    "train_grpo": "rlvrgym.train.grpo",
    "SFTTrainConfig": "rlvrgym.train.sft",
    "train_sft": "rlvrgym.train.sft",
    "build_tiny_model": "rlvrgym.train.tiny",
    "evaluate": "rlvrgym.train.evaluate",
    "MultiTurnRollout": "rlvrgym.train.multi_turn",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rlvrgym.train' has no attribute {name!r}")

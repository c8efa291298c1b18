"""rlvrgym: Gymnasium environments with verifiable rewards for RL on LLM reasoning.

`import rlvrgym` registers the environments, so `gym.make("MathAnswer-v0")` works after it.
"""

from rlvrgym._version import __version__
from rlvrgym.envs import ENVIRONMENTS, register_all
from rlvrgym.rewards import RewardBreakdown, RewardSpec, Scored, score, score_batch
from rlvrgym.verifiers import Verdict, Verifier, get_verifier, list_verifiers, register_verifier

register_all()

__all__ = ["ENVIRONMENTS", "RewardBreakdown", "RewardSpec", "Scored", "Verdict", "Verifier", "__version__",
           "get_verifier", "list_verifiers", "register_verifier", "score", "score_batch"]

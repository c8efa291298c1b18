"""rlvrgym: Gymnasium environments with verifiable rewards for RL on LLM reasoning.

`import rlvrgym` registers the environments, so `gym.make("MathAnswer-v0")` works after it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rlvrgym")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"

from rlvrgym.envs import ENVIRONMENTS, register_all
from rlvrgym.rewards import RewardBreakdown, RewardSpec
from rlvrgym.verifiers import Verdict, Verifier, get_verifier, list_verifiers, register_verifier

register_all()

__all__ = ["ENVIRONMENTS", "RewardBreakdown", "RewardSpec", "Verdict", "Verifier", "__version__", "get_verifier",
           "list_verifiers", "register_verifier"]

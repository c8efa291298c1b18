"""The math answer verifier: extraction, a restricted parser, and the equivalence policy of math.md."""

from rlvrgym.verifiers.math.compare import Match, Policy, compare
from rlvrgym.verifiers.math.extract import Extraction, extract_answer
from rlvrgym.verifiers.math.parser import parse_answer
from rlvrgym.verifiers.math.verifier import MathVerifier, parse_reference

__all__ = ["Extraction", "Match", "MathVerifier", "Policy", "compare", "extract_answer", "parse_answer",
           "parse_reference"]

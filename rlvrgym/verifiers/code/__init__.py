"""The code verifier: extracts the program from a completion, runs each unit test in the sandbox so the candidate
cannot forge its result, and scores passed / total. `formats` reads the task formats (HumanEval, MBPP, stdin/stdout,
pytest-style) into trusted test units; `verifier` decides."""

from rlvrgym.verifiers.code.verifier import CodeVerifier

__all__ = ["CodeVerifier"]

"""The result every verifier returns: one record a trainer, a dashboard and a human can all read."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class VerdictStatus(StrEnum):
    """Why a score is what it is; `unparseable`, `timeout` and `error` always score 0 (fail closed)."""

    CORRECT = "correct"
    WRONG = "wrong"
    UNPARSEABLE = "unparseable"
    TIMEOUT = "timeout"
    ERROR = "error"


@dataclass(frozen=True)
class StepVerdict:
    """Judgement of one step of a derivation, the unit of a process reward."""

    index: int
    text: str
    valid: bool | None
    score: float
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "text": self.text, "valid": self.valid,
                "score": self.score, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepVerdict:
        return cls(int(data["index"]), str(data["text"]), data.get("valid"),
                   float(data["score"]), str(data.get("reason", "")))


@dataclass(frozen=True)
class Verdict:
    """What a verifier decided about one completion.

    `correct` is None when the verifier could not decide (timeout, error, unparseable reference);
    `details` must stay JSON-serialisable so verdicts can be logged and compared across runs.
    """

    score: float
    correct: bool | None
    status: VerdictStatus
    reason: str
    steps: tuple[StepVerdict, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (isinstance(self.score, (int, float)) and math.isfinite(self.score)
                and 0.0 <= self.score <= 1.0):
            raise ValueError(f"Verdict.score must be a finite number in [0, 1], got {self.score!r}")
        object.__setattr__(self, "status", VerdictStatus(self.status))
        object.__setattr__(self, "score", float(self.score))
        object.__setattr__(self, "steps", tuple(self.steps))

    # Constructors for the common outcomes keep verifiers short and the reasons uniform.
    @classmethod
    def right(cls, reason: str = "matches the reference", **details: Any) -> Verdict:
        return cls(1.0, True, VerdictStatus.CORRECT, reason, details=details)

    @classmethod
    def wrong(cls, reason: str, score: float = 0.0, **details: Any) -> Verdict:
        return cls(score, False, VerdictStatus.WRONG, reason, details=details)

    @classmethod
    def unparseable(cls, reason: str, **details: Any) -> Verdict:
        return cls(0.0, False, VerdictStatus.UNPARSEABLE, reason, details=details)

    @classmethod
    def timeout(cls, reason: str, **details: Any) -> Verdict:
        return cls(0.0, None, VerdictStatus.TIMEOUT, reason, details=details)

    @classmethod
    def error(cls, reason: str, **details: Any) -> Verdict:
        return cls(0.0, None, VerdictStatus.ERROR, reason, details=details)

    def replace(self, **changes: Any) -> Verdict:
        data: dict[str, Any] = {"score": self.score, "correct": self.correct, "status": self.status,
                "reason": self.reason, "steps": self.steps, "details": self.details}
        data.update(changes)
        return Verdict(**data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "correct": self.correct,
            "status": str(self.status),
            "reason": self.reason,
            "steps": [s.to_dict() for s in self.steps],
            "details": _jsonable(self.details),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        return cls(float(data["score"]), data.get("correct"), VerdictStatus(data["status"]),
                   str(data.get("reason", "")),
                   tuple(StepVerdict.from_dict(s) for s in data.get("steps", ())),
                   dict(data.get("details", {})))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


def _jsonable(value: Any) -> Any:
    """Best effort: details come from plug-ins too, and a log line must never fail to serialise."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "to_dict"):
        return _jsonable(value.to_dict())
    return str(value)

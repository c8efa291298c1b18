"""Command-line values every `rlvrgym` command parses alike: a JSON object of keyword arguments, alone or after a
name (`--env-kwargs MathAnswer-v0='{"difficulty": 2}'`, `--verifier-options code='{"pool_size": 4}'`)."""

from __future__ import annotations

import json
from typing import Any


def json_object(text: str) -> dict[str, Any]:
    """`text` as a JSON object, or a ValueError saying what it is instead."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object of keyword arguments, got {type(value).__name__}: {text!r}")
    return value


def named_json_objects(values: list[str] | None, flag: str) -> dict[str, dict[str, Any]]:
    """`NAME=JSON` values of a repeatable flag, by name; a ValueError naming the flag and the value when one is
    malformed."""
    out: dict[str, dict[str, Any]] = {}
    for value in values or []:
        name, sep, text = value.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"{flag} takes NAME=JSON, got {value!r}")
        try:
            out[name] = json_object(text)
        except ValueError as exc:
            raise ValueError(f"{flag} {name}=...: {exc}") from None
    return out

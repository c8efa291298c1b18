"""Policies to benchmark: `act(observations: list[str]) -> list[str]`, with a `name` and `settings()`.

Build one from a spec string, as the command line does::

    make_policy("oracle")                                     # sanity: must score 100%
    make_policy("adversary")                                  # sanity: known reward hacks, must score 0
    make_policy("hf:runs/tiny/model", {"temperature": "0.7"})  # a local transformers model
    make_policy("openai:Qwen/Qwen2.5-7B-Instruct", {"base_url": "http://127.0.0.1:8000/v1"})
    make_policy("py:my_pkg.agents:solve")                      # any function (batched by default)
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Mapping
from typing import Any

from rlvrgym.bench.policies.base import FailedCompletion, Policy, check_completions
from rlvrgym.bench.policies.callable import CallablePolicy, CallablePolicyConfig
from rlvrgym.bench.policies.http import OpenAIPolicy, OpenAIPolicyConfig
from rlvrgym.bench.policies.sanity import AdversaryPolicy, OraclePolicy

__all__ = ["AdversaryPolicy", "CallablePolicy", "CallablePolicyConfig", "FailedCompletion", "OpenAIPolicy",
           "OpenAIPolicyConfig", "OraclePolicy", "Policy", "check_completions", "make_policy", "parse_options"]

SANITY: dict[str, type[OraclePolicy] | type[AdversaryPolicy]] = {"oracle": OraclePolicy, "adversary": AdversaryPolicy}
SPEC_HELP = "oracle, adversary, hf:MODEL_DIR, openai:MODEL, py:module:function (or file.py:function)"


def parse_options(config_cls: type, options: Mapping[str, Any]) -> dict[str, Any]:
    """Command-line `key=value` strings -> typed config fields (JSON values where they parse, else strings)."""
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    hints = typing.get_type_hints(config_cls)
    out: dict[str, Any] = {}
    for key, raw in options.items():
        if key not in fields:
            raise ValueError(f"unknown option {key!r} for {config_cls.__name__}; known: {', '.join(sorted(fields))}")
        value = raw
        if isinstance(raw, str) and hints.get(key) not in (str, str | None):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                value = raw
        out[key] = value
    return out


def make_policy(spec: str, options: Mapping[str, Any] | None = None) -> Any:
    """A policy from its spec string and options (the fields of its config dataclass)."""
    options = dict(options or {})
    if spec in SANITY:
        if options:
            raise ValueError(f"the {spec} policy takes no options, got {sorted(options)}")
        return SANITY[spec]()
    kind, sep, rest = spec.partition(":")
    if sep and kind == "hf":
        from rlvrgym.bench.policies.hf import HFPolicy, HFPolicyConfig

        return HFPolicy(HFPolicyConfig(model=rest, **parse_options(HFPolicyConfig, options)))
    if sep and kind == "openai":
        return OpenAIPolicy(OpenAIPolicyConfig(model=rest, **parse_options(OpenAIPolicyConfig, options)))
    if sep and kind == "py":
        return CallablePolicy(CallablePolicyConfig(target=rest, **parse_options(CallablePolicyConfig, options)))
    if sep and rest and kind not in ("hf", "openai"):
        return CallablePolicy(CallablePolicyConfig(target=spec, **parse_options(CallablePolicyConfig, options)))
    raise ValueError(f"unknown policy {spec!r}; give one of: {SPEC_HELP}")

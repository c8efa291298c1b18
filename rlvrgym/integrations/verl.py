"""verl (0.9.x): a custom reward function over rlvrgym's verifiers, and the RL parquet rows verl's `RLHFDataset`
loads.

verl config (the `reward.` prefix matters: verl 0.9's entry point ignores the old top-level
`custom_reward_function` key and silently falls back to its own scorer)::

    reward.custom_reward_function.path=pkg://rlvrgym.integrations.verl
    reward.custom_reward_function.name=compute_score        # or compute_score_async

Rows name their environment in `data_source` as `rlvrgym/<env id>` (e.g. `rlvrgym/MathAnswer-v0`); the reference
is `reward_model.ground_truth` (text, or JSON for structured references, as `extra_info.reference_format` says).
`compute_score` judges in this process, on the environment's verifier worker pool (each check bounded by a killed
worker process, so verl's reward thread never runs model-dependent work itself); `compute_score_async` is awaited
by verl directly and sends the check to `rlvrgym serve` when `RLVRGYM_URL` is set.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rlvrgym.integrations._scoring import (
    DATA_SOURCE_PREFIX,
    EnvScorer,
    Scored,
    decode_context,
    decode_reference,
    encode_reference,
    env_id_of,
    env_scorer,
    score_batch,
)
from rlvrgym.rewards import TERMS

#: The keys of every result dict, in this order (verl takes the key set from the first sample and fails on another).
RESULT_KEYS: tuple[str, ...] = ("score", "acc", "judged", *TERMS)

#: verl's `ability` column per environment (verl passes it through; some of its tools group metrics by it).
ABILITY = {"MathAnswer-v0": "math", "MathProof-v0": "math", "CodeUnitTest-v0": "code", "PhysicsSim-v0": "physics"}


def data_source(env_id: str) -> str:
    """The `data_source` value that routes a row to `env_id`."""
    return DATA_SOURCE_PREFIX + env_id_of(env_id)


def _plain(value: Any) -> Any:
    """OmegaConf containers (verl passes `reward_kwargs` as DictConfig) as plain dicts and lists."""
    if isinstance(value, Mapping) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or type(value).__name__ == "ListConfig":
        return [_plain(v) for v in value]
    return value


def result_dict(scored: Scored) -> dict[str, float]:
    """The dict verl receives: `score` (the reward) and the breakdown, numbers only, same keys for every sample.
    `acc` is 1 only for a verdict of correct; `judged` is 0 where the verifier could not decide."""
    v, b = scored.verdict, scored.breakdown.to_dict()
    return {"score": b["total"], "acc": 1.0 if v.correct else 0.0, "judged": 0.0 if v.correct is None else 1.0,
            **{term: b[term] for term in TERMS}}


def _scorer(data_source: str, env_kwargs: Mapping[str, Any] | None) -> EnvScorer:
    """The scorer for a row; `env_kwargs` maps an environment id to the arguments its environment is built with
    (`gym.make(env_id, **kwargs)`), e.g. `{"CodeUnitTest-v0": {"sandbox": "docker"}}`."""
    env_id = env_id_of(data_source)
    table = _plain(env_kwargs) if env_kwargs else {}
    if not isinstance(table, dict):
        raise TypeError(f"env_kwargs must map environment ids to their arguments, got {env_kwargs!r}")
    kwargs = table.get(env_id, table.get(DATA_SOURCE_PREFIX + env_id))
    return env_scorer(env_id, kwargs)


def compute_score(data_source: str, solution_str: str, ground_truth: Any, extra_info: Mapping[str, Any] | None = None,
                  *, env_kwargs: Mapping[str, Any] | None = None, **_: Any) -> dict[str, float]:
    """verl's custom reward function: judge the response `solution_str` (the response alone, as verl decodes it)
    with the verifier and `RewardSpec` of the environment `data_source` names. `env_kwargs` (from
    `reward.custom_reward_function.reward_kwargs.env_kwargs`) maps an environment id to its `gym.make` arguments,
    e.g. the code sandbox's options. Keywords verl adds (`reward_router_address`, ...) are accepted and unused.

    A malformed answer is a score of 0 in the result, never an exception; a `data_source` that is not an rlvrgym
    environment, or a broken reference in the data, raises (that is a configuration error, not model output).
    """
    scorer = _scorer(data_source, env_kwargs)
    info = extra_info or {}
    reference = decode_reference(ground_truth, info.get("reference_format"))
    return result_dict(scorer.score([solution_str], [reference], [decode_context(info.get("reward_context"))])[0])


async def compute_score_async(data_source: str, solution_str: str, ground_truth: Any,
                              extra_info: Mapping[str, Any] | None = None, *,
                              env_kwargs: Mapping[str, Any] | None = None,
                              remote_verifiers: Mapping[str, Any] | None = None, **kwargs: Any) -> dict[str, float]:
    """The coroutine form verl awaits directly (`inspect.iscoroutinefunction`). With `RLVRGYM_URL` set the verdict
    comes from that `rlvrgym serve` (token in `RLVRGYM_TOKEN`), judged by the verifier the environment uses
    (`REMOTE_VERIFIERS`, or `remote_verifiers: {env id: {"verifier": name, "options": {...}}}` when `env_kwargs`
    change it); the reward is weighed here with the environment's `RewardSpec`. Otherwise it scores in this process,
    off the event loop."""
    url = os.environ.get("RLVRGYM_URL")
    if url:
        scorer = _scorer(data_source, env_kwargs)
        info = extra_info or {}
        reference = decode_reference(ground_truth, info.get("reference_format"))
        remote = _remote_verifier(url, scorer.env_id, remote_verifiers)
        scored = await asyncio.to_thread(score_batch, [solution_str], [reference], remote, scorer.spec,
                                         contexts=[decode_context(info.get("reward_context"))],
                                         max_chars=scorer.max_chars)
        return result_dict(scored[0])
    return await asyncio.to_thread(compute_score, data_source, solution_str, ground_truth, extra_info,
                                   env_kwargs=env_kwargs, **kwargs)


#: The verifier (name, constructor options) each environment judges with by default, for a remote check.
REMOTE_VERIFIERS: dict[str, tuple[str, dict[str, Any]]] = {
    "MathAnswer-v0": ("math", {"require_evaluated": True}), "MathProof-v0": ("math-proof", {}),
    "PhysicsSim-v0": ("physics", {}), "CodeUnitTest-v0": ("code", {}), "ReasoningGym-v0": ("reasoning-gym", {})}

_remotes: dict[str, Any] = {}


def _remote_verifier(url: str, env_id: str, overrides: Mapping[str, Any] | None) -> Any:
    try:  # imported by name: the client is an optional part (`rlvrgym serve`'s)
        RemoteVerifier = importlib.import_module("rlvrgym.client").RemoteVerifier
    except ImportError as exc:
        raise RuntimeError("RLVRGYM_URL is set but this rlvrgym has no remote client (rlvrgym.client); unset "
                           "RLVRGYM_URL to score in-process") from exc
    table = _plain(overrides) if overrides else {}
    if env_id in table:
        name, options = str(table[env_id]["verifier"]), dict(table[env_id].get("options") or {})
    elif env_id in REMOTE_VERIFIERS:
        name, options = REMOTE_VERIFIERS[env_id]
    else:
        raise ValueError(f"no remote verifier known for {env_id}; give remote_verifiers.{env_id}.verifier")
    key = json.dumps([url, name, options], sort_keys=True)
    if key not in _remotes:  # one client (and its connection pool) per process and verifier
        _remotes[key] = RemoteVerifier(url, os.environ.get("RLVRGYM_TOKEN"), verifier=name, options=options)
    return _remotes[key]


# -- data preparation ----------------------------------------------------------------------------------------------

def export_rows(env_id: str, n: int, *, split: str | None = "train", seed: int = 0,
                env_kwargs: Mapping[str, Any] | None = None, system_prompt: str | None = None) -> list[dict[str, Any]]:
    """`n` distinct tasks of `env_id` as verl RL rows: `data_source`, `prompt` (chat messages), `ability`,
    `reward_model: {style: "rule", ground_truth}` and `extra_info` (index, split, task id, reference format, and the
    reward context `env.step` would pass, e.g. a derivation's minimal number of steps, as JSON).
    The tasks are the ones `env.reset(seed=seed), env.reset(seed=seed+1), ...` give, so a row can be replayed."""
    from rlvrgym.train.trl_adapter import as_messages, draw_tasks, make_env

    env_id = env_id_of(env_id)
    env = make_env(env_id, env_kwargs, split=split)  # type: ignore[arg-type]
    rows = []
    for index, task in enumerate(draw_tasks(env, n, seed)):
        truth, fmt = encode_reference(task.reference)
        rows.append({"data_source": DATA_SOURCE_PREFIX + env_id,
                     "prompt": as_messages(task.prompt, system_prompt),
                     "ability": ABILITY.get(env_id, task.kind or "reasoning"),
                     "reward_model": {"style": "rule", "ground_truth": truth},
                     "extra_info": {"index": index, "split": str(split), "task_id": task.id,
                                    "reference_format": fmt, "env_id": env_id,
                                    "reward_context": json.dumps(env.reward_context(task), sort_keys=True)}})
    return rows


def write_parquet(rows: list[dict[str, Any]], out: str | Path) -> Path:
    """Write rows as verl reads them (`datasets.load_dataset("parquet", ...)` inside `RLHFDataset`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not rows:
        raise ValueError("no rows to write")
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path

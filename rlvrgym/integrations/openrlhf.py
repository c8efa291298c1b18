"""OpenRLHF (0.11.x) remote reward: `POST /get_reward` as OpenRLHF's `--reward.remote_url` client speaks it, served
by `rlvrgym serve`.

What OpenRLHF sends and does, read from its `SingleTurnAgentExecutor` and `SamplesGenerator`:

- `{"query": [...], "prompts": [...], "labels": [...]}`: `query[i]` is the whole templated sequence decoded with
  special tokens kept (prompt + response); `prompts[i]` is the templated prompt; `labels[i]` is the raw dataset
  value of `--data.label_key` (a string, a number, anything JSON).
- It reads `rewards`, `scores` and `extra_logs` from the reply, turns every `extra_logs` value into a tensor (a
  string crashes the trainer), retries a non-2xx reply a few times and then drops the sample's reward.
- It sends no headers of its own: a token rides in the URL (`?token=...`, which `rlvrgym serve` accepts).

So: the prompt is stripped from the front of the query and the response alone is judged (a `\\boxed{}` in a
few-shot prompt never pays; a query that does not start with its prompt is a 0, never judged whole); a wrong,
unparseable or unjudgeable item is a reward of 0 with status 200 and its reason logged here; only a malformed
request (not the three lists of one length) is a 4xx. The environment is the `env` query parameter (default
MathAnswer-v0), or per item a label `{"env": "PhysicsSim-v0", "reference": ...}` (what `export_openrlhf` writes).
"""

# No `from __future__ import annotations`: FastAPI reads the route's annotations (`Request`) at runtime.

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rlvrgym.integrations._scoring import EnvScorer, Scored, decode_context, env_id_of, env_scorer, weigh
from rlvrgym.rewards import TERMS
from rlvrgym.verifiers.verdict import Verdict

logger = logging.getLogger("rlvrgym.integrations.openrlhf")

DEFAULT_ENV = "MathAnswer-v0"
#: `extra_logs` keys, every one a list of numbers (OpenRLHF makes each a tensor).
LOG_KEYS: tuple[str, ...] = (*TERMS, "correct", "judged", "bad_item")
#: Special tokens a decoded query may end with after the response (EOS / end of turn of common chat templates).
_TRAILING_SPECIALS = re.compile(r"(?:\s*(?:<\|[A-Za-z0-9_]{1,40}\|>|</s>|<eos>|<end_of_turn>))+\s*$")


class RequestError(ValueError):
    """A request OpenRLHF's client never sends: answered with 422 (a retry cannot fix it)."""


@dataclass(frozen=True)
class Item:
    """One sample after translation: the environment, the response alone and the reference; or why it cannot be
    judged (`problem`), which pays 0."""

    env_id: str
    completion: str
    reference: Any
    problem: str | None = None
    context: dict[str, Any] | None = None


def parse_request(body: Any) -> tuple[list[str], list[str], list[Any]]:
    """The three lists, checked; anything else is a RequestError."""
    if not isinstance(body, Mapping):
        raise RequestError(f"the body must be a JSON object with query, prompts and labels, got {type(body).__name__}")
    missing = [k for k in ("query", "prompts", "labels") if k not in body]
    if missing:
        raise RequestError(f"missing field(s): {', '.join(missing)}")
    query, prompts, labels = body["query"], body["prompts"], body["labels"]
    for name, value in (("query", query), ("prompts", prompts), ("labels", labels)):
        if not isinstance(value, list):
            raise RequestError(f"{name} must be a list, got {type(value).__name__}")
    if not len(query) == len(prompts) == len(labels):
        raise RequestError(f"query, prompts and labels must have one length, got {len(query)}, {len(prompts)}, "
                           f"{len(labels)}")
    for name, value in (("query", query), ("prompts", prompts)):
        bad = next((i for i, v in enumerate(value) if not isinstance(v, str)), None)
        if bad is not None:
            raise RequestError(f"{name}[{bad}] must be a string, got {type(value[bad]).__name__}")
    return query, prompts, labels


_LEADING_SPECIAL = re.compile(r"^\s*(?:<\|[A-Za-z0-9_]{1,40}\|>|<s>|<bos>)")


def strip_prompt(query: str, prompt: str) -> str | None:
    """The response alone: `query` without its leading `prompt` and trailing special tokens; None when the query
    does not start with the prompt (then nothing is judged: the prompt may hold a worked example's answer).

    A tokenizer's decode may not give the prompt back byte for byte (a BOS token added in front, spaces around
    special tokens), so when the exact prefix is not there the prompt is matched character by character ignoring
    whitespace, after a leading BOS; every other character must match, in order, from the start."""
    if query.startswith(prompt):
        return _TRAILING_SPECIALS.sub("", query[len(prompt):])
    cut, skipped = _loose_prefix_end(query, prompt), 0
    for _ in range(2):  # a BOS (or two) the tokenizer put in front of the prompt
        if cut is not None:
            break
        token = _LEADING_SPECIAL.match(query[skipped:])
        if token is None:
            break
        skipped += token.end()
        cut = _loose_prefix_end(query[skipped:], prompt)
        cut = None if cut is None else cut + skipped
    if cut is None:
        return None
    tail = prompt[len(prompt.rstrip()):]  # the whitespace the prompt ends with (after "assistant" in ChatML)
    if tail and query.startswith(tail, cut):
        cut += len(tail)
    return _TRAILING_SPECIALS.sub("", query[cut:])


def _loose_prefix_end(text: str, prefix: str) -> int | None:
    """Where `prefix` ends in `text` when whitespace is ignored on both sides; None if it is not a prefix."""
    i = 0
    for ch in prefix:
        if ch.isspace():
            continue
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text) or text[i] != ch:
            return None
        i += 1
    return i


def structured_references(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> bool:
    """Whether `env_id`'s references are records (code tests, simulated quantities) rather than answer text, so a
    string label is their JSON. Read off one task of the environment, built as the scorer builds it."""
    key = f"{env_id}|{json.dumps(dict(env_kwargs or {}), sort_keys=True, default=repr)}"
    if key not in _structured:
        from rlvrgym.train.trl_adapter import make_env

        env = make_env(env_id, env_kwargs, split=None)
        env.reset(seed=0)
        assert env.task is not None
        _structured[key] = not isinstance(env.task.reference, str)
    return _structured[key]


_structured: dict[str, bool] = {}


ENVELOPE = frozenset({"env", "reference"})


def _envelope(value: Any) -> bool:
    return isinstance(value, Mapping) and ENVELOPE <= set(value) <= ENVELOPE | {"context"}


def decode_label(label: Any, default_env: str, structured: Callable[[str], bool] = structured_references
                 ) -> tuple[str, Any, str | None, dict[str, Any] | None]:
    """(environment, reference, problem, reward context) from a raw label: an envelope `{"env", "reference"}`
    (optionally with the task's reward `context`; an object or its JSON), a number (its text), text (a math answer,
    or the JSON of a structured reference)."""
    if isinstance(label, str) and label.lstrip().startswith("{"):
        try:
            parsed = json.loads(label)
        except json.JSONDecodeError:
            parsed = None
        if _envelope(parsed):
            label = parsed
    if _envelope(label):
        try:
            env_id = env_id_of(str(label["env"]))
        except ValueError as exc:
            return default_env, None, str(exc), None
        context = decode_context(label.get("context"))
        if label["reference"] is None:
            return env_id, None, "empty reference", None
        return env_id, label["reference"], None, context
    if label is None or (isinstance(label, str) and not label.strip()):
        return default_env, None, "empty label", None
    if isinstance(label, bool):
        return default_env, None, f"label {label!r} is not a reference", None
    if isinstance(label, int | float):
        return default_env, str(label), None, None
    if isinstance(label, str) and structured(default_env):
        try:
            return default_env, json.loads(label), None, None
        except json.JSONDecodeError:
            return default_env, None, f"{default_env} needs a JSON reference in the label, got {label[:80]!r}", None
    return default_env, label, None, None


def translate(query: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], default_env: str,
              env_kwargs: Mapping[str, Mapping[str, Any]] | None = None) -> list[Item]:
    table = dict(env_kwargs or {})
    items = []
    for q, p, label in zip(query, prompts, labels, strict=True):
        env_id, reference, problem, context = decode_label(label, default_env,
                                                           lambda e: structured_references(e, table.get(e)))
        response = strip_prompt(q, p)
        if problem is None and response is None:
            problem = "the query does not start with its prompt"
        items.append(Item(env_id, response or "", reference, problem, context))
    return items


def score_items(items: Sequence[Item], scorer_of: Callable[[str], EnvScorer]) -> list[tuple[Scored, bool]]:
    """Judge the judgeable items, one batch per environment, through the one scoring road; the others get an
    unparseable verdict (0) with their reason. Returns (scored, was_bad_item) in order."""
    out: list[tuple[Scored, bool] | None] = [None] * len(items)
    groups: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        if it.problem is not None:
            scorer = scorer_of(it.env_id)
            verdict = Verdict.unparseable(it.problem)
            out[i] = (weigh(verdict, scorer.spec), True)
            logger.warning("get_reward item %d scored 0: %s", i, it.problem)
        else:
            groups.setdefault(it.env_id, []).append(i)
    for env_id, idx in groups.items():
        scored = scorer_of(env_id).score([items[i].completion for i in idx], [items[i].reference for i in idx],
                                         [items[i].context for i in idx])
        for i, s in zip(idx, scored, strict=True):
            out[i] = (s, False)
    return [o for o in out if o is not None]


def response_body(results: Sequence[tuple[Scored, bool]]) -> dict[str, Any]:
    """`{"rewards", "scores", "extra_logs"}`: rewards are the `RewardSpec` totals, scores the outcome in [0, 1]
    (what OpenRLHF's dynamic filtering reads), extra_logs numbers only."""
    logs: dict[str, list[float]] = {k: [] for k in LOG_KEYS}
    for s, bad in results:
        terms, v = s.breakdown.to_dict(), s.verdict
        values = {**{t: terms[t] for t in TERMS}, "correct": 1.0 if v.correct else 0.0,
                  "judged": 0.0 if v.correct is None else 1.0, "bad_item": 1.0 if bad else 0.0}
        for key in LOG_KEYS:
            logs[key].append(float(values[key]))
    return {"rewards": [float(s.breakdown.total) for s, _ in results],
            "scores": [float(s.breakdown.outcome) for s, _ in results], "extra_logs": logs}


def get_reward(body: Any, default_env: str = DEFAULT_ENV,
               env_kwargs: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The whole translation, synchronously: request body in, reply body out (RequestError for a 4xx)."""
    try:
        env_id = env_id_of(default_env)
    except ValueError as exc:
        raise RequestError(str(exc)) from None
    query, prompts, labels = parse_request(body)
    items = translate(query, prompts, labels, env_id, env_kwargs)
    table = dict(env_kwargs or {})
    return response_body(score_items(items, lambda e: env_scorer(e, table.get(e))))


def router(env_kwargs: Mapping[str, Mapping[str, Any]] | None = None, deadline_s: float | None = None) -> Any:
    """A FastAPI router with `POST /get_reward?env=<env id>`. `env_kwargs` (the server operator's, never the
    client's) builds each environment, e.g. the code sandbox's limits."""
    import asyncio

    from fastapi import APIRouter, Request
    from fastapi.responses import JSONResponse

    api = APIRouter()

    @api.post("/get_reward")
    async def _get_reward(request: Request, env: str = DEFAULT_ENV) -> JSONResponse:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return JSONResponse({"error": "malformed JSON", "detail": str(exc)}, status_code=400)
        try:
            work = asyncio.to_thread(get_reward, body, env, env_kwargs)
            reply = await (asyncio.wait_for(work, deadline_s) if deadline_s else work)
        except RequestError as exc:
            return JSONResponse({"error": "invalid request", "detail": str(exc)}, status_code=422)
        except TimeoutError:
            return JSONResponse({"error": "deadline exceeded", "detail": f"not judged within {deadline_s:g} s"},
                                status_code=504)
        return JSONResponse(reply)

    return api


def serve_routers(state: Any) -> list[Any]:
    """The hook `rlvrgym serve` calls: the route, with the operator's per-environment defaults and deadline."""
    config = getattr(state, "config", None)
    return [router(getattr(config, "env_defaults", None), getattr(config, "deadline_s", None))]

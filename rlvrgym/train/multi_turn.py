"""Real multi-turn episodes inside TRL's GRPO: a `rollout_func` that plays our environments turn by turn.

For `MathProof-v0(mode="steps")` (one derivation line per turn, the verifier's feedback in the next observation) and
`CodeUnitTest-v0(max_attempts>1)` (failing tests shown after each attempt). Each rollout is one episode: the model
writes a turn, `env.step` judges it with the environment's verifier, the next observation comes back as a user
message, until the episode ends, `max_turns` is reached or the token budget (`max_completion_length`) is spent.
The completion TRL trains on is the whole transcript; the environment's tokens carry `env_mask=0`, so only the
model's own tokens get gradient. The episode's return (sum of `env.step` rewards, or the last one) is the reward.

Why a `rollout_func` rather than `environment_factory`: the latter drives environments through tool calls, which
needs a tool-calling chat template; our environments speak plain text, like the policies they were written for.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rlvrgym.envs.text import TextEnv
from rlvrgym.train.trl_adapter import Messages, RewardStats, as_messages, make_env

ReturnMode = Literal["sum", "last"]


@dataclass
class Episode:
    env: TextEnv
    messages: Messages
    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    outcome: float = 0.0
    status: str = ""
    done: bool = False
    truncated: bool = False


class MultiTurnRollout:
    """A TRL `rollout_func(prompts, trainer)`: plays one episode per prompt it is given (TRL passes each prompt
    `num_generations` times) and returns token ids, the environment mask and the episode returns.

    Args:
        env_id, env_kwargs: the environment (`gym.make` arguments), e.g. `MathProof-v0` with `{"mode": "steps"}`.
        task_ids: prompt text -> task id, to replay the row's task (build it with `task_index(dataset)`).
        max_turns: model turns per episode at most (the environment may end it earlier).
        max_turn_tokens: tokens per model turn.
        return_mode: "sum" of the step rewards (the RL return) or the "last" one (the final attempt's score).
        system_prompt: the system message the dataset's prompts were built with, if any.
    """

    def __init__(self, env_id: str, task_ids: Mapping[str, str], env_kwargs: Mapping[str, Any] | None = None, *,
                 max_turns: int = 4, max_turn_tokens: int = 256, return_mode: ReturnMode = "sum",
                 system_prompt: str | None = None) -> None:
        if max_turns < 1 or max_turn_tokens < 1:
            raise ValueError(f"max_turns and max_turn_tokens must be positive, got {max_turns}, {max_turn_tokens}")
        if return_mode not in ("sum", "last"):
            raise ValueError(f"return_mode must be 'sum' or 'last', got {return_mode!r}")
        self.env_id = env_id
        self.env_kwargs = dict(env_kwargs or {})
        self.task_ids = dict(task_ids)
        self.max_turns = max_turns
        self.max_turn_tokens = max_turn_tokens
        self.return_mode = return_mode
        self.system_prompt = system_prompt
        self._pool: list[TextEnv] = []
        self.stats = RewardStats()  # `seconds` here is the time spent in env.step (verification included)
        self.__name__ = "multi_turn_rollout"

    # -- the TRL entry point ---------------------------------------------------------------------------------
    def __call__(self, prompts: Sequence[Any], trainer: Any) -> dict[str, Any]:
        tokenizer = trainer.processing_class
        budget = int(trainer.args.max_completion_length or 256)
        context_limit = getattr(getattr(_policy(trainer), "config", None), "max_position_embeddings", None)
        episodes = [self._start(i, p, tokenizer) for i, p in enumerate(prompts)]
        for _ in range(self.max_turns):
            for e in episodes:  # no room for another turn: the episode is cut, as at the token budget
                if not e.done and self._room(e, budget, context_limit) < 1:
                    e.done = e.truncated = True
            active = [e for e in episodes if not e.done]
            if not active:
                break
            turns = self.generate(trainer, active, [self._room(e, budget, context_limit) for e in active])
            texts = [tokenizer.decode(ids, skip_special_tokens=True) for ids in turns]
            start = time.perf_counter()
            # one verifier batch for the turn (its worker pool works in parallel); a step that raises stops the run
            steps = []
            for step in TextEnv.step_batch([e.env for e in active], texts):
                if isinstance(step, Exception):
                    raise step
                steps.append(step)
            self.stats.seconds += time.perf_counter() - start
            for e, ids, text, (obs, reward, terminated, truncated, info) in zip(active, turns, texts, steps,
                                                                               strict=True):
                e.completion_ids += ids
                e.env_mask += [1] * len(ids)
                e.rewards.append(float(reward))
                e.outcome = float(info.get("reward_breakdown", {}).get("outcome", 0.0))
                e.status = str(info.get("verdict", {}).get("status", ""))
                e.done = terminated or truncated
                e.truncated = truncated
                if not e.done:
                    self._feed_back(e, text, obs, ids, tokenizer, budget)
        for e in episodes:
            if not e.done:
                e.truncated = True
        self._account(prompts, episodes)
        return {
            "prompt_ids": [e.prompt_ids for e in episodes],
            "completion_ids": [e.completion_ids for e in episodes],
            "logprobs": None,  # only vLLM's importance-sampling correction reads them
            "env_mask": [e.env_mask for e in episodes],
            "episode_return": [self._return(e) for e in episodes],
            "final_outcome": [e.outcome for e in episodes],
            "turns": [len(e.rewards) for e in episodes],
            "episode_truncated": [e.truncated for e in episodes],
        }

    # -- pieces ------------------------------------------------------------------------------------------------
    def _start(self, index: int, prompt: Any, tokenizer: Any) -> Episode:
        text = prompt[-1]["content"] if isinstance(prompt, list) else str(prompt)
        if text not in self.task_ids:
            raise KeyError(f"prompt {text[:80]!r}... is not in this rollout's task index; build the rollout from the "
                           "same dataset the trainer uses")
        while len(self._pool) <= index:
            self._pool.append(make_env(self.env_id, self.env_kwargs, split=None))
        env = self._pool[index]
        obs, _ = env.reset(options={"task_id": self.task_ids[text]})
        messages = as_messages(obs, self.system_prompt)
        ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        return Episode(env, messages, list(_ids(ids)))

    def _feed_back(self, e: Episode, text: str, obs: str, turn_ids: list[int], tokenizer: Any, budget: int) -> None:
        """Close the model's turn and append the observation as the next user turn, as the chat template writes
        them; these tokens are the environment's (mask 0)."""
        before = tokenizer.apply_chat_template(e.messages, add_generation_prompt=True, tokenize=False)
        e.messages = [*e.messages, {"role": "assistant", "content": text}]
        with_turn = tokenizer.apply_chat_template(e.messages, tokenize=False)
        e.messages = [*e.messages, {"role": "user", "content": obs}]
        after = tokenizer.apply_chat_template(e.messages, add_generation_prompt=True, tokenize=False)
        closing = with_turn[len(before) + len(text):] if with_turn.startswith(before + text) else ""
        eos = tokenizer.eos_token or ""
        if turn_ids and turn_ids[-1] == tokenizer.eos_token_id and closing.startswith(eos):
            closing = closing[len(eos):]  # the model already wrote the end of its turn
        added = tokenizer(closing + after[len(with_turn):], add_special_tokens=False)["input_ids"]
        if len(e.completion_ids) + len(added) >= budget:
            e.done = e.truncated = True
            return
        e.completion_ids += added
        e.env_mask += [0] * len(added)

    def generate(self, trainer: Any, episodes: list[Episode], limits: list[int]) -> list[list[int]]:
        """One sampled turn per episode (its transcript so far as context), cut at EOS and at its own token limit,
        with TRL's sampling settings. Override to script a policy."""
        import torch

        contexts = [e.prompt_ids + e.completion_ids for e in episodes]
        tokenizer = trainer.processing_class
        model = _policy(trainer)
        device = next(model.parameters()).device
        width = max(len(c) for c in contexts)
        pad = tokenizer.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(c)) + c for c in contexts], device=device)
        attention = torch.tensor([[0] * (width - len(c)) + [1] * len(c) for c in contexts], device=device)
        args = trainer.args
        room = max(limits)
        context_limit = getattr(model.config, "max_position_embeddings", None)
        if context_limit:  # the batch is padded to the longest context, which must still fit
            room = min(room, context_limit - width)
        was_training = model.training
        model.eval()
        with torch.inference_mode():
            out = model.generate(input_ids=input_ids, attention_mask=attention, max_new_tokens=max(1, room),
                                 do_sample=True, temperature=args.temperature, top_p=args.top_p,
                                 top_k=args.top_k or None, pad_token_id=pad, eos_token_id=tokenizer.eos_token_id)
        model.train(was_training)
        turns = []
        for row, limit in zip(out[:, width:].tolist(), limits, strict=True):
            ids = row[:max(1, limit)]
            if tokenizer.eos_token_id in ids:
                ids = ids[:ids.index(tokenizer.eos_token_id) + 1]
            turns.append(ids)
        return turns

    def _room(self, e: Episode, budget: int, context_limit: int | None) -> int:
        room = min(self.max_turn_tokens, budget - len(e.completion_ids))
        if context_limit:
            room = min(room, context_limit - len(e.prompt_ids) - len(e.completion_ids))
        return room

    def _account(self, prompts: Sequence[Any], episodes: list[Episode]) -> None:
        s = self.stats
        s.batches += 1
        s.completions += len(episodes)
        s.statuses.update(e.status for e in episodes if e.status)
        s.truncated_without_answer += sum(e.truncated for e in episodes)
        groups: dict[str, list[float]] = {}
        for p, e in zip(prompts, episodes, strict=True):
            groups.setdefault(str(p), []).append(self._return(e))
        multi = [g for g in groups.values() if len(g) > 1]
        s.groups += len(multi)
        s.all_equal_groups += sum(max(g) - min(g) < 1e-9 for g in multi)

    def _return(self, e: Episode) -> float:
        if not e.rewards:
            return 0.0
        return float(sum(e.rewards)) if self.return_mode == "sum" else e.rewards[-1]


def _policy(trainer: Any) -> Any:
    model = getattr(trainer, "model", None)
    accelerator = getattr(trainer, "accelerator", None)
    return accelerator.unwrap_model(model) if accelerator is not None and model is not None else model


def _ids(encoded: Any) -> list[int]:
    """`apply_chat_template(tokenize=True)` returns ids, or a BatchEncoding in newer transformers."""
    if isinstance(encoded, Mapping) or hasattr(encoded, "input_ids"):
        encoded = encoded["input_ids"]
    return [int(i) for i in encoded]


def task_index(dataset: Any) -> dict[str, str]:
    """Prompt text -> task id for the rows of a `make_dataset` dataset (the rollout only receives prompts)."""
    return {(p[-1]["content"] if isinstance(p, list) else p): t
            for p, t in zip(dataset["prompt"], dataset["task_id"], strict=True)}


def episode_return(prompts: Sequence[Any], completions: Sequence[Any], episode_return: Sequence[float],
                   turns: Sequence[int] | None = None, episode_truncated: Sequence[bool] | None = None,
                   log_metric: Callable[[str, float], None] | None = None, **_: Any) -> list[float | None]:
    """The environment's own return for the episode (every reward in it came from `env.step`, i.e. the verifier)."""
    if log_metric is not None and turns:
        log_metric("episodes/turns_mean", sum(turns) / len(turns))
        if episode_truncated:
            log_metric("episodes/truncated_frac", sum(map(bool, episode_truncated)) / len(episode_truncated))
    return [float(r) for r in episode_return]


def final_outcome(prompts: Sequence[Any], completions: Sequence[Any], final_outcome: Sequence[float],
                  **_: Any) -> list[float | None]:
    """Whether the episode ended solved (logged with weight 0: the return already pays for it)."""
    return [float(r) for r in final_outcome]


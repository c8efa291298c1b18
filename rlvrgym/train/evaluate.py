"""Held-out accuracy of a policy: generate on the test split, judge with the environment's verifier.

Used before and after each training stage (the evidence that GRPO adds something over SFT); the rewards come from
the same `VerifiedScorer` the trainer uses, so evaluation and training can never disagree about what is correct.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rlvrgym.tasks.base import Split
from rlvrgym.train.trl_adapter import VerifiedScorer, as_messages, draw_tasks, make_env, status_of


@dataclass
class EvalResult:
    accuracy: float
    mean_reward: float
    n: int
    statuses: dict[str, int]
    generate_seconds: float
    verify_seconds: float
    samples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"accuracy": self.accuracy, "mean_reward": self.mean_reward, "n": self.n, "statuses": self.statuses,
                "generate_seconds": self.generate_seconds, "verify_seconds": self.verify_seconds,
                "samples": self.samples}


def evaluate(model: Any, tokenizer: Any, env_id: str, n: int = 500, *, seed: int = 10_000,
             env_kwargs: Mapping[str, Any] | None = None, max_new_tokens: int = 256, batch_size: int = 64,
             system_prompt: str | None = None, greedy: bool = True, temperature: float = 1.0,
             keep_samples: int = 5, split: Split = "test") -> EvalResult:
    """Accuracy on `n` distinct tasks of `split` (held out by default), greedy by default. `accuracy` counts
    `correct` verdicts; `mean_reward` is the environment's reward total, which may add process or format terms."""
    import torch

    env = make_env(env_id, env_kwargs, split=split)
    tasks = draw_tasks(env, n, seed)
    scorer = VerifiedScorer(env_id, env_kwargs=env_kwargs)
    tokenizer.padding_side = "left"
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    texts: list[str] = []
    start = time.perf_counter()
    for i in range(0, len(tasks), batch_size):
        chunk = tasks[i:i + batch_size]
        prompts = [tokenizer.apply_chat_template(as_messages(t.prompt, system_prompt), tokenize=False,
                                                 add_generation_prompt=True) for t in chunk]
        enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        sampling = {"do_sample": False} if greedy else {"do_sample": True, "temperature": temperature}
        with torch.inference_mode():
            out = model.generate(**enc, max_new_tokens=max_new_tokens, pad_token_id=tokenizer.pad_token_id,
                                 eos_token_id=tokenizer.eos_token_id, **sampling)
        texts += tokenizer.batch_decode(out[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
    generate_seconds = time.perf_counter() - start
    model.train(was_training)
    batch = scorer.score(texts, [t.id for t in tasks])
    statuses = Counter(status_of(v) for v in batch.verdicts)
    samples = [{"task_id": t.id, "prompt": t.prompt, "completion": c, "status": status_of(v), "reason": v.reason}
               for t, c, v in list(zip(tasks, texts, batch.verdicts, strict=True))[:keep_samples]]
    return EvalResult(accuracy=statuses.get("correct", 0) / len(tasks),
                      mean_reward=sum(b.total for b in batch.breakdowns) / len(tasks), n=len(tasks),
                      statuses=dict(statuses), generate_seconds=generate_seconds, verify_seconds=scorer.stats.seconds,
                      samples=samples)

"""A local Hugging Face causal LM as a policy: batched `generate`, the chat template when the tokenizer has one."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rlvrgym.bench.policies.base import FailedCompletion


@dataclass
class HFPolicyConfig:
    """Attributes:
        model: a model directory (or hub id, when a hub can be reached).
        max_new_tokens: generation budget per completion.
        temperature: 0 means greedy decoding; above 0 samples.
        top_p, top_k: nucleus and top-k filters when sampling (1.0 and 0 disable them).
        batch_size: observations per `generate` call (left padding). A prompt too long for the model's positions
            comes back as a `FailedCompletion` (recorded as `policy_error`), never truncated silently.
        system_prompt: prepended as a system turn when the tokenizer has a chat template.
        chat_template: use the tokenizer's chat template when it has one; False feeds the raw prompt.
        device: "cpu", "cuda", ... or "auto" (cuda when available).
        dtype: "auto", "float32", "bfloat16", "float16".
        seed: seeds torch before each batch, so a rerun samples the same completions.
    """

    model: str
    max_new_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    batch_size: int = 16
    system_prompt: str | None = None
    chat_template: bool = True
    device: str = "auto"
    dtype: str = "auto"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")


class HFPolicy:
    """Loads the model once; `act` generates in batches of `batch_size` with left padding."""

    def __init__(self, config: HFPolicyConfig | str, model: Any = None, tokenizer: Any = None) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.config = HFPolicyConfig(config) if isinstance(config, str) else config
        cfg = self.config
        looks_local = cfg.model.startswith((".", "/", "~")) or cfg.model.count("/") > 1
        if model is None and looks_local and not Path(cfg.model).expanduser().is_dir():
            raise FileNotFoundError(f"model directory {cfg.model} does not exist")
        self.name = Path(cfg.model).name or cfg.model
        device = cfg.device if cfg.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = "auto" if cfg.dtype == "auto" else getattr(torch, cfg.dtype)
        self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(cfg.model)
        self.model = model or AutoModelForCausalLM.from_pretrained(cfg.model, dtype=dtype)
        # transformers types `.to` through a decorator that loses `self` (fixed in some releases, hence unused-ignore)
        self.model.to(device).eval()  # type: ignore[arg-type, unused-ignore]
        self.device = device
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.use_chat = bool(cfg.chat_template and getattr(self.tokenizer, "chat_template", None))
        self._batches = 0

    def format(self, observation: str) -> str:
        if not self.use_chat:
            return observation
        messages = [{"role": "system", "content": self.config.system_prompt}] if self.config.system_prompt else []
        messages.append({"role": "user", "content": observation})
        return str(self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))

    def act(self, observations: list[str]) -> list[str]:
        import torch

        cfg = self.config
        sampling: dict[str, Any] = ({"do_sample": False} if cfg.temperature == 0 else
                                    {"do_sample": True, "temperature": cfg.temperature, "top_p": cfg.top_p,
                                     "top_k": cfg.top_k})
        texts = [self.format(o) for o in observations]
        lengths = [len(ids) for ids in self.tokenizer(texts, add_special_tokens=not self.use_chat)["input_ids"]]
        limit = getattr(self.model.config, "max_position_embeddings", None)
        out: list[str] = [FailedCompletion(f"the prompt is {n} tokens; with max_new_tokens={cfg.max_new_tokens} it "
                                           f"exceeds the model's {limit} positions")
                          if limit and n + cfg.max_new_tokens > limit else "" for n in lengths]
        todo = [i for i, c in enumerate(out) if not isinstance(c, FailedCompletion)]
        for start in range(0, len(todo), cfg.batch_size):
            chunk = todo[start:start + cfg.batch_size]
            enc = self.tokenizer([texts[i] for i in chunk], return_tensors="pt", padding=True,
                                 add_special_tokens=not self.use_chat).to(self.device)
            torch.manual_seed(cfg.seed + self._batches)
            self._batches += 1
            with torch.inference_mode():
                ids = self.model.generate(**enc, max_new_tokens=cfg.max_new_tokens,
                                          pad_token_id=self.tokenizer.pad_token_id,
                                          eos_token_id=self.tokenizer.eos_token_id, **sampling)
            decoded = self.tokenizer.batch_decode(ids[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
            for i, text in zip(chunk, decoded, strict=True):
                out[i] = text
        return out

    def settings(self) -> dict[str, Any]:
        return {"kind": "hf", **asdict(self.config), "device": self.device, "uses_chat_template": self.use_chat,
                "model_class": type(self.model).__name__,
                "parameters": sum(p.numel() for p in self.model.parameters()),
                "model_config": getattr(getattr(self.model, "config", None), "_name_or_path", None)}

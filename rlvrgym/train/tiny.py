"""Tiny causal LMs built offline: random weights and a byte-level BPE tokenizer trained on our own task text.

No weights can be downloaded in CI, so tests and the README train from scratch. The result is an ordinary model
directory (`AutoModelForCausalLM.from_pretrained` / `AutoTokenizer.from_pretrained`) with a ChatML chat template,
so everything downstream treats it exactly like a hub model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rlvrgym.tasks.base import Generator

PAD_TOKEN = "<|endoftext|>"
BOS_TOKEN = "<|im_start|>"
EOS_TOKEN = "<|im_end|>"
SPECIAL_TOKENS = [PAD_TOKEN, BOS_TOKEN, EOS_TOKEN]

#: ChatML, as Qwen uses it: the assistant turn ends with <|im_end|>, which is the model's EOS.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

Architecture = Literal["qwen2", "llama"]


def corpus_from_generators(generators: dict[str, Generator] | None = None, per_generator: int = 25,
                           difficulties: Iterable[int] = (1, 2, 3, 4, 5), seed: int = 0) -> Iterator[str]:
    """Prompts, worked solutions and answers of our generators, and the chat roles: the text the tokenizer must
    encode compactly. A few dozen tasks per family is plenty for a 1k vocabulary (sympy makes more slow)."""
    yield from ["system", "user", "assistant", "The final answer is"] * 10
    if generators is None:
        from rlvrgym.tasks.math_generators import MATH_GENERATORS

        generators = MATH_GENERATORS
    levels = list(difficulties)
    rng = np.random.default_rng(seed)
    for name in sorted(generators):
        for i in range(per_generator):
            task = generators[name](np.random.default_rng(int(rng.integers(2**62))), levels[i % len(levels)])
            yield task.prompt
            yield "\n".join(str(s) for s in task.meta.get("solution", []))
            yield f"The final answer is $\\boxed{{{task.reference}}}$."


def train_tokenizer(texts: Iterable[str], vocab_size: int = 1024) -> Any:
    """A byte-level BPE (any string encodes, nothing is ever unknown) with digits split one per token, which small
    models need to learn arithmetic; wrapped as a `PreTrainedTokenizerFast` with the chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if vocab_size < 300:
        raise ValueError(f"vocab_size must be at least 300 (256 bytes + special tokens + merges), got {vocab_size}")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS_TOKEN, eos_token=EOS_TOKEN,
                                      pad_token=PAD_TOKEN, padding_side="left", model_max_length=2048)
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def tiny_config(arch: Architecture, vocab_size: int, hidden: int, layers: int, heads: int, kv_heads: int,
                intermediate: int, max_positions: int, special_ids: dict[str, int]) -> Any:
    from transformers import LlamaConfig, Qwen2Config

    if hidden % heads or heads % kv_heads:
        raise ValueError(f"hidden ({hidden}) must divide by heads ({heads}), and heads by kv_heads ({kv_heads})")
    common: dict[str, Any] = {"vocab_size": vocab_size, "hidden_size": hidden, "intermediate_size": intermediate,
              "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv_heads,
              "max_position_embeddings": max_positions, "tie_word_embeddings": True, **special_ids}
    if arch == "qwen2":
        return Qwen2Config(**common)
    if arch == "llama":
        return LlamaConfig(**common)
    raise ValueError(f"arch must be 'qwen2' or 'llama', got {arch!r}")


def build_tiny_model(out_dir: str | Path, *, vocab: int = 1024, layers: int = 2, hidden: int = 64, heads: int = 4,
                     kv_heads: int = 2, intermediate: int | None = None, max_positions: int = 1024,
                     arch: Architecture = "qwen2", seed: int = 0, texts: Iterable[str] | None = None) -> Path:
    """Build and save a randomly initialised causal LM and its tokenizer; returns `out_dir`.

    Args:
        out_dir: where the model directory is written (created if needed).
        vocab: BPE vocabulary size requested from the tokenizer trainer (the model's embedding matches the result).
        layers, hidden, heads, kv_heads, intermediate: transformer sizes; `intermediate` defaults to 4 * hidden.
        max_positions: longest sequence (prompt + completion) in tokens.
        arch: "qwen2" or "llama".
        seed: seeds the weight initialisation.
        texts: tokenizer training text; defaults to our math generators' prompts and worked solutions.
    """
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(texts if texts is not None else corpus_from_generators(), vocab_size=vocab)
    ids = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
           "pad_token_id": tokenizer.pad_token_id}
    config = tiny_config(arch, len(tokenizer), hidden, layers, heads, kv_heads, intermediate or 4 * hidden,
                         max_positions, ids)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model.generation_config = GenerationConfig(**ids)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def count_parameters(model: Any) -> int:
    """Distinct parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())

"""Decoders with the dimensions of well-known small language models, randomly initialised.

A forward pass costs the same whatever the weights hold, so the cost of scoring with
Qwen2.5-0.5B or Llama-3.2-1B can be measured without their weights (nothing is
downloaded): these builders take the published configurations' sizes (vocabulary, width,
depth, attention and key/value heads, MLP width, tied embeddings) and initialise every
weight at random. Scores from such a model mean nothing; only time and memory do.
Position-encoding details that do not change the cost (RoPE base and scaling) are left
at the library's defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    AutoModelForCausalLM,
    LlamaConfig,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerFast,
    Qwen2Config,
)

from ifr_sim.core.scorer.causal_lm import PROMPT

ARCHITECTURES: dict[str, tuple[type[PretrainedConfig], dict[str, Any]]] = {
    "qwen2.5-0.5b": (Qwen2Config, {
        "vocab_size": 151_936, "hidden_size": 896, "intermediate_size": 4_864,
        "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
        "tie_word_embeddings": True,
    }),
    "qwen2.5-1.5b": (Qwen2Config, {
        "vocab_size": 151_936, "hidden_size": 1_536, "intermediate_size": 8_960,
        "num_hidden_layers": 28, "num_attention_heads": 12, "num_key_value_heads": 2,
        "tie_word_embeddings": True,
    }),
    "llama-3.2-1b": (LlamaConfig, {
        "vocab_size": 128_256, "hidden_size": 2_048, "intermediate_size": 8_192,
        "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
        "tie_word_embeddings": True,
    }),
    "smollm2-135m": (LlamaConfig, {
        "vocab_size": 49_152, "hidden_size": 576, "intermediate_size": 1_536,
        "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3,
        "tie_word_embeddings": True,
    }),
    "tiny-llama": (LlamaConfig, {
        "vocab_size": 512, "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "tie_word_embeddings": True,
    }),
}
"""Name -> (config class, sizes). `tiny-llama` is for rehearsing a benchmark in seconds."""
TOKENIZER_VOCAB = 8_192
"""Largest vocabulary of the tokenizer `save_random_decoder` trains."""


def architecture_config(name: str, layers: int | None = None) -> PretrainedConfig:
    """The configuration of architecture `name`, with `layers` decoder layers if given.

    Raises:
        ValueError: `name` is not one of `ARCHITECTURES`, or `layers` is below 1.
    """
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {name!r}; choose one of {sorted(ARCHITECTURES)}")
    if layers is not None and layers < 1:
        raise ValueError(f"layers={layers} is invalid: use 1 or more (unset: all of them)")
    config_class, sizes = ARCHITECTURES[name]
    config = config_class(**sizes)
    if layers is not None:
        config.num_hidden_layers = layers
    config._attn_implementation = "sdpa"
    return config


def random_decoder(name: str, layers: int | None = None, seed: int = 0) -> PreTrainedModel:
    """A float32 causal LM of architecture `name` with random weights, in eval mode."""
    torch.manual_seed(seed)
    model: PreTrainedModel = AutoModelForCausalLM.from_config(architecture_config(name, layers))
    return model.eval()


def save_random_decoder(
    name: str, directory: Path, texts: Sequence[str], layers: int | None = None
) -> Path:
    """Write a model directory that backend "causal-lm" loads: a random decoder of
    architecture `name` and a byte-level BPE tokenizer trained on `texts`.

    The tokenizer's vocabulary (at most `TOKENIZER_VOCAB` entries) is smaller than the
    architecture's; the decoder keeps the architecture's own, so its LM head costs what the
    real model's does. For measuring training cost without any download.
    """
    model = random_decoder(name, layers)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(
        [*texts, PROMPT],
        trainers.BpeTrainer(
            vocab_size=min(TOKENIZER_VOCAB, model.config.vocab_size),
            special_tokens=["<pad>", "<s>", "</s>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    bpe.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", bpe.token_to_id("<s>"))]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory

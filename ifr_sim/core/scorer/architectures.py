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

from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    LlamaConfig,
    PretrainedConfig,
    PreTrainedModel,
    Qwen2Config,
)

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

"""LoRA adapters on a transformer, through peft."""

from __future__ import annotations

from peft import LoraConfig, get_peft_model
from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING
from torch import nn
from transformers import PreTrainedModel


def add_lora(model: PreTrainedModel, rank: int, alpha: float) -> nn.Module:
    """Wrap `model` with LoRA adapters; its own weights are frozen, the adapters train.

    Target modules come from peft's per-architecture table (BERT: query/value, Llama and
    most decoders: q_proj/v_proj, GPT-2: c_attn). An architecture peft does not know gets
    adapters on every linear layer but the output layer, rather than an error. Adapter
    dropout is 0 so that PPO's first probability ratios are exactly 1.
    """
    known = model.config.model_type in TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING
    config = LoraConfig(
        r=rank,
        lora_alpha=alpha,  # type: ignore[arg-type]  # annotated int; peft only divides it by r
        lora_dropout=0.0,
        target_modules=None if known else "all-linear",
    )
    return get_peft_model(model, config)

"""LoRA adapters on a transformer, through peft.

peft is imported only when adapters are added: it takes seconds, and most commands (and
every scorer without adapters) never need it.
"""

from __future__ import annotations

import sys

from torch import nn
from transformers import PreTrainedModel


def add_lora(model: PreTrainedModel, rank: int, alpha: float) -> nn.Module:
    """Wrap `model` with LoRA adapters; its own weights are frozen, the adapters train.

    Target modules come from peft's per-architecture table (BERT: query/value, Llama and
    most decoders: q_proj/v_proj, GPT-2: c_attn). An architecture peft does not know gets
    adapters on every linear layer but the output layer, rather than an error. Adapter
    dropout is 0 so that PPO's first probability ratios are exactly 1.
    """
    from peft import LoraConfig, get_peft_model
    from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING

    known = model.config.model_type in TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING
    config = LoraConfig(
        r=rank,
        lora_alpha=alpha,  # type: ignore[arg-type]  # annotated int; peft only divides it by r
        lora_dropout=0.0,
        target_modules=None if known else "all-linear",
    )
    return get_peft_model(model, config)


def without_adapters(model: nn.Module) -> nn.Module:
    """The model under `model`'s LoRA adapters, or `model` if it has none (a model gets
    adapters only once peft is imported, so peft is looked up here, not imported)."""
    peft = sys.modules.get("peft")
    if peft is not None and isinstance(model, peft.PeftModel):
        return model.get_base_model()
    return model

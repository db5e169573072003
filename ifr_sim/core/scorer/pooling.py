"""Masked mean pooling, the one reduction every backend uses to turn tokens into a vector."""

from __future__ import annotations

import torch


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of `hidden` (..., T, D) over the positions where `mask` (..., T) is nonzero.

    Padding and masked-out positions contribute nothing, so a text's vector does not depend
    on what else shares its batch. Rows with an empty mask give zeros. Computed in float32
    so bf16 encoders pool without losing precision.
    """
    weights = mask.unsqueeze(-1).to(torch.float32)
    total = (hidden.to(torch.float32) * weights).sum(-2)
    return total / weights.sum(-2).clamp_min(1.0)

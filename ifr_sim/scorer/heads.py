"""The small learned head every backend adds to its text relevance.

The head is what trains in `trainable="head"` mode: it reads the item's typed attributes
(category multi-hot, quality, popularity) next to the query vector (instruction plus user
history), and, for the cross-encoder, the joint (instruction, item) encoding. Its output
layer starts at zero, so an untrained scorer ranks by text relevance alone and PPO grows
the correction from there.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ifr_sim.catalog.catalog import Catalog


def item_features(catalog: Catalog) -> torch.Tensor:
    """(n, C + 2) float32: category multi-hot, then quality and popularity."""
    columns = [catalog.categories, catalog.quality[:, None], catalog.popularity[:, None]]
    return torch.from_numpy(np.concatenate(columns, axis=1).astype(np.float32))


class FeatureHead(nn.Module):
    """A one-hidden-layer MLP over (query, item features[, pair encoding]) → one logit.

    The first layer is split by input so the query is projected once per user rather than
    once per candidate: `W [q; f; p] = W_q q + W_f f + W_p p`.

    Args:
        query_dim: size of the query vector.
        feature_dim: size of an item's feature vector.
        pair_dim: size of a per-(query, item) encoding, 0 when the backend has none.
        hidden_dim: width of the hidden layer.
    """

    def __init__(
        self, query_dim: int, feature_dim: int, pair_dim: int = 0, hidden_dim: int = 64
    ) -> None:
        super().__init__()
        self.query_in = nn.Linear(query_dim, hidden_dim)
        self.feature_in = nn.Linear(feature_dim, hidden_dim, bias=False)
        self.pair_in = nn.Linear(pair_dim, hidden_dim, bias=False) if pair_dim else None
        self.out = nn.Linear(hidden_dim, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(
        self, query: torch.Tensor, features: torch.Tensor, pair: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Logits (B, N) from query (B, Q), features (B, N, F) and pair (B, N, P)."""
        hidden = self.query_in(query).unsqueeze(1) + self.feature_in(features)
        if self.pair_in is not None:
            if pair is None:
                raise ValueError("this head was built with pair_dim > 0; pass the pair encoding")
            hidden = hidden + self.pair_in(pair)
        return self.out(F.gelu(hidden)).squeeze(-1)

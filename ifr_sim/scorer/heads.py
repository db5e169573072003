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
    """(n, C + 4) float32: category multi-hot, quality, popularity, and the range attribute.

    The range attribute (a movie's year, a product's price) is min-max scaled to [0, 1]
    with a flag for "known", so that a head can learn what "from the 90s" or "under $100"
    asks of an item; catalogs without one get zeros there.
    """
    columns = [catalog.categories, catalog.quality[:, None], catalog.popularity[:, None]]
    scaled, known = np.zeros(len(catalog)), np.zeros(len(catalog))
    if catalog.range_attribute is not None:
        values = catalog.attributes[catalog.range_attribute].astype(np.float64)
        known = np.isfinite(values)
        if known.any():
            low, high = values[known].min(), values[known].max()
            scaled = np.where(known, (values - low) / max(high - low, 1e-9), 0.0)
    columns += [scaled[:, None], known[:, None]]
    return torch.from_numpy(np.concatenate(columns, axis=1).astype(np.float32))


class FeatureHead(nn.Module):
    """A one-hidden-layer MLP over (query, item features[, pair encoding][, lexical
    features]) → one logit, plus a low-rank bilinear term `(U q + L l) · (V f)`.

    The first layer is split by input so the query is projected once per user rather than
    once per candidate: `W [q; f; p] = W_q q + W_f f + W_p p`. The bilinear term lets the
    head learn "this instruction asks for this category / decade / quality" directly, which
    an additive first layer can only approximate. Both the MLP's output layer and `V`
    start at zero, so an untrained head outputs exactly zero.

    Args:
        query_dim: size of the query vector.
        feature_dim: size of an item's feature vector.
        pair_dim: size of a per-(query, item) encoding, 0 when the backend has none.
        lexical_dim: size of the instruction's lexical features (see `lexical.py`), 0 for
            none.
        hidden_dim: width of the hidden layer.
        rank: rank of the bilinear term.
    """

    def __init__(
        self,
        query_dim: int,
        feature_dim: int,
        pair_dim: int = 0,
        lexical_dim: int = 0,
        hidden_dim: int = 64,
        rank: int = 16,
    ) -> None:
        super().__init__()
        self.query_in = nn.Linear(query_dim, hidden_dim)
        self.feature_in = nn.Linear(feature_dim, hidden_dim, bias=False)
        self.pair_in = nn.Linear(pair_dim, hidden_dim, bias=False) if pair_dim else None
        self.out = nn.Linear(hidden_dim, 1)
        self.query_factor = nn.Linear(query_dim, rank, bias=False)
        self.feature_factor = nn.Linear(feature_dim, rank, bias=False)
        self.lexical_in = nn.Linear(lexical_dim, hidden_dim, bias=False) if lexical_dim else None
        self.lexical_factor = nn.Linear(lexical_dim, rank, bias=False) if lexical_dim else None
        for zero in (self.out.weight, self.out.bias, self.feature_factor.weight):
            nn.init.zeros_(zero)

    def forward(
        self,
        query: torch.Tensor,
        features: torch.Tensor,
        pair: torch.Tensor | None = None,
        lexical: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits (B, N) from query (B, Q), features (B, N, F), pair (B, N, P) and lexical
        features (B, L)."""
        user = self.query_in(query)
        factor = self.query_factor(query)
        if self.lexical_in is not None and self.lexical_factor is not None:
            if lexical is None:
                raise ValueError("this head was built with lexical_dim > 0; pass the features")
            user = user + self.lexical_in(lexical)
            factor = factor + self.lexical_factor(lexical)
        hidden = user.unsqueeze(1) + self.feature_in(features)
        if self.pair_in is not None:
            if pair is None:
                raise ValueError("this head was built with pair_dim > 0; pass the pair encoding")
            hidden = hidden + self.pair_in(pair)
        bilinear = (factor.unsqueeze(1) * self.feature_factor(features)).sum(-1)
        return self.out(F.gelu(hidden)).squeeze(-1) + bilinear

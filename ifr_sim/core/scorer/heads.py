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

from ifr_sim.core.catalog.catalog import Catalog


def descriptive_columns(catalog: Catalog) -> int:
    """How many of `item_features`' columns describe the item directly (categories,
    quality, popularity, the scaled range attribute and its flag): all but the
    thermometer code."""
    return catalog.categories.shape[1] + 4


MAX_RANGE_EDGES = 128
"""Most thresholds of the range attribute's thermometer code (see `range_edges`)."""


def item_features(catalog: Catalog) -> torch.Tensor:
    """(n, C + 4 + E) float32: category multi-hot, quality, popularity, the range
    attribute, and a thermometer code of the range attribute over E thresholds.

    The range attribute (a movie's year, a product's price) is min-max scaled to [0, 1]
    with a flag for "known", so that a head can learn what "from the 90s" or "under $100"
    asks of an item; catalogs without one get zeros there. A scaled year alone makes "from
    the 80s" a window a head must carve out of one number; the thermometer code
    (`value >= edge` per edge) makes any interval a difference of two columns, which the
    head's bilinear term can express directly. Its columns are divided by E so that they
    sum to about the scaled value: a gradient step then moves an item's logit about as far
    as a step on any other single feature (with 0/1 columns it moved E/2 times as far, and
    training was worse than without the code).
    """
    columns = [catalog.categories, catalog.quality[:, None], catalog.popularity[:, None]]
    scaled, known = np.zeros(len(catalog)), np.zeros(len(catalog))
    thermometer = np.zeros((len(catalog), 0))
    if catalog.range_attribute is not None:
        values = catalog.attributes[catalog.range_attribute].astype(np.float64)
        known = np.isfinite(values)
        if known.any():
            low, high = values[known].min(), values[known].max()
            scaled = np.where(known, (values - low) / max(high - low, 1e-9), 0.0)
            edges = range_edges(values[known])
            above = np.where(known[:, None], values[:, None] >= edges[None, :], False)
            thermometer = above / max(len(edges), 1)
    columns += [scaled[:, None], known[:, None], thermometer]
    return torch.from_numpy(np.concatenate(columns, axis=1).astype(np.float32))


def range_edges(values: np.ndarray) -> np.ndarray:
    """Thresholds of the thermometer code: every distinct value but the smallest when
    there are at most `MAX_RANGE_EDGES + 1` (years: exact decade boundaries), else that
    many quantiles (prices)."""
    distinct = np.unique(values)
    if len(distinct) - 1 <= MAX_RANGE_EDGES:
        return distinct[1:]
    return np.unique(np.quantile(values, np.linspace(0.0, 1.0, MAX_RANGE_EDGES + 2)[1:-1]))


class FeatureHead(nn.Module):
    """A one-hidden-layer MLP over (query, item features[, pair encoding][, lexical
    features][, relation features]) → one logit, plus a low-rank bilinear term
    `(U q + L l) · (V f + R r)`.

    The first layer is split by input so the query is projected once per user and the
    item features once per catalog item, rather than once per candidate:
    `W [q; f; p] = W_q q + W_f f + W_p p`. The bilinear term lets the
    head learn "this instruction asks for this category / decade / quality" directly, which
    an additive first layer can only approximate. Both the MLP's output layer and `V`
    start at zero, so an untrained head outputs exactly zero.

    Args:
        query_dim: size of the query vector.
        feature_dim: size of an item's feature vector.
        pair_dim: size of a per-(query, item) encoding, 0 when the backend has none.
        lexical_dim: size of the instruction's lexical features (see `lexical.py`), 0 for
            none.
        relation_dim: size of each candidate's features relative to the instruction: to
            the item it names (`reference.py`) and to the numbers it states
            (`numbers.py`); 0 for none.
        hidden_dim: width of the hidden layer.
        rank: rank of the bilinear term.
    """

    def __init__(
        self,
        query_dim: int,
        feature_dim: int,
        pair_dim: int = 0,
        lexical_dim: int = 0,
        relation_dim: int = 0,
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
        self.relation_in = (
            nn.Linear(relation_dim, hidden_dim, bias=False) if relation_dim else None
        )
        self.relation_factor = (
            nn.Linear(relation_dim, rank, bias=False) if relation_dim else None
        )
        for zero in (self.out.weight, self.out.bias, self.feature_factor.weight):
            nn.init.zeros_(zero)
        if self.relation_factor is not None:
            nn.init.zeros_(self.relation_factor.weight)

    def forward(
        self,
        query: torch.Tensor,
        items: torch.Tensor,
        candidates: torch.Tensor,
        pair: torch.Tensor | None = None,
        lexical: torch.Tensor | None = None,
        relation: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits (B, N) from query (B, Q), the features of every catalog item (n, F),
        candidate indices (B, N), pair (B, N, P), lexical features (B, L) and relation
        features (B, N, R)."""
        user = self.query_in(query)
        factor = self.query_factor(query)
        if self.lexical_in is not None and self.lexical_factor is not None:
            if lexical is None:
                raise ValueError("this head was built with lexical_dim > 0; pass the features")
            user = user + self.lexical_in(lexical)
            factor = factor + self.lexical_factor(lexical)
        hidden = user.unsqueeze(1) + F.embedding(candidates, self.feature_in(items))
        if self.pair_in is not None:
            if pair is None:
                raise ValueError("this head was built with pair_dim > 0; pass the pair encoding")
            hidden = hidden + self.pair_in(pair)
        item_factor = F.embedding(candidates, self.feature_factor(items))
        if self.relation_in is not None and self.relation_factor is not None:
            if relation is None:
                raise ValueError("this head was built with relation_dim > 0; pass the features")
            hidden = hidden + self.relation_in(relation)
            item_factor = item_factor + self.relation_factor(relation)
        bilinear = (factor.unsqueeze(1) * item_factor).sum(-1)
        return self.out(F.gelu(hidden)).squeeze(-1) + bilinear

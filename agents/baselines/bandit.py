"""LinUCB: a contextual bandit that learns online which item features earn clicks."""

from __future__ import annotations

from typing import Any

import numpy as np

from ifr_sim.agents.base import Agent, Observation
from ifr_sim.agents.baselines.bm25 import BM25Index
from ifr_sim.agents.ranking import candidate_items, instructions_of, rank_candidates
from ifr_sim.core.catalog import Catalog


class LinUCBAgent(Agent):
    """Ranks by an upper confidence bound on a linear click model shared by all users.

    Each (instruction, candidate) pair is described by `feature_names`: the item's
    category multi-hot, quality and popularity, the BM25 match of its text to the
    instruction (divided by the row's best match, so it reads "how close to the best
    match here"), and a bias. The score is `θ·x + alpha·sqrt(xᵀA⁻¹x)` with the ridge
    regression `A = ridge·I + Σ xxᵀ`, `θ = A⁻¹ Σ x·click`: features seen rarely get a
    bonus, so the agent tries them until it knows what they are worth.

    It learns only when told what happened: call `learn` after each step with the
    observation the slates were chosen for. Every shown item counts as examined; under
    cascade-like click models the items below the last click may not have been seen, which
    mostly pulls the bias term down.

    Args:
        catalog: the items.
        slate_size: K.
        alpha: weight of the exploration bonus; 0 is greedy.
        ridge: prior precision of θ (how strongly it starts at zero).
    """

    name = "linucb"

    def __init__(
        self, catalog: Catalog, slate_size: int, alpha: float = 1.0, ridge: float = 1.0
    ) -> None:
        if alpha < 0 or ridge <= 0:
            raise ValueError(f"need alpha >= 0 and ridge > 0, got alpha={alpha}, ridge={ridge}")
        self.slate_size = slate_size
        self.alpha = alpha
        self.bm25 = BM25Index(catalog.texts)
        self.item_features = np.concatenate(
            [catalog.categories, catalog.quality[:, None], catalog.popularity[:, None]], axis=1
        ).astype(np.float64)
        self.feature_names: tuple[str, ...] = (
            *(f"category:{name}" for name in catalog.category_names),
            "quality",
            "popularity",
            "bm25",
            "bias",
        )
        size = len(self.feature_names)
        self.precision = ridge * np.eye(size)  # A
        self.response = np.zeros(size)  # b = Σ x·click
        self.covariance = np.linalg.inv(self.precision)  # A⁻¹
        self.theta = np.zeros(size)

    def act(
        self, observation: Observation, info: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        return rank_candidates(
            self.upper_bound(self.features(observation)), observation["shown"], self.slate_size
        )

    def features(self, observation: Observation) -> np.ndarray:
        """(B, N, F) features of every candidate for its user's instruction."""
        items = candidate_items(observation)
        match = self.bm25.score(instructions_of(observation), items)
        best = match.max(axis=1, keepdims=True)
        match = np.divide(match, best, out=np.zeros_like(match), where=best > 0)
        return np.concatenate(
            [self.item_features[items], match[..., None], np.ones_like(match)[..., None]], axis=-1
        )

    def upper_bound(self, features: np.ndarray) -> np.ndarray:
        """`θ·x + alpha·sqrt(xᵀA⁻¹x)` for features (..., F)."""
        return features @ self.theta + self.alpha * self.exploration_bonus(features)

    def exploration_bonus(self, features: np.ndarray) -> np.ndarray:
        """`sqrt(xᵀA⁻¹x)`: the standard deviation of θ·x, which shrinks as x is observed."""
        spread = np.einsum("...f,fg,...g->...", features, self.covariance, features)
        return np.sqrt(np.maximum(spread, 0.0))

    def learn(self, observation: Observation, slates: np.ndarray, clicks: np.ndarray) -> None:
        """Update from one step: `slates` (B, K) chosen for `observation`, `clicks` (B, K).

        A position repeated within a slate is an empty slot (nothing was shown there), so
        only each position's first slot counts.
        """
        slates = np.asarray(slates, dtype=np.int64)
        rows = np.arange(len(slates))[:, None]
        repeated = slates[:, :, None] == slates[:, None, :]
        first = ~np.tril(repeated, k=-1).any(axis=-1)
        shown = self.features(observation)[rows, slates]
        self.update(shown[first], np.asarray(clicks)[first])

    def update(self, features: np.ndarray, clicks: np.ndarray) -> None:
        """Add observations: features (M, F) of shown items and whether each was clicked (M,)."""
        x = np.asarray(features, dtype=np.float64)
        self.precision += x.T @ x
        self.response += x.T @ np.asarray(clicks, dtype=np.float64)
        self.covariance = np.linalg.inv(self.precision)
        self.theta = self.covariance @ self.response

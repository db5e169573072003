"""Latent tastes: a small matrix factorisation fitted on real ratings.

Simulated MovieLens users are drawn from the factors of the 943 real users, so their
tastes are as varied (and as correlated with genres) as real people's. The fit is an
alternating-least-squares on the ratings left after a global mean and user/item biases,
so the factors carry *taste*, not item quality (quality is a separate catalog column).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ifr_sim.core.catalog import Ratings


@dataclass(frozen=True)
class Factorization:
    """User and item taste factors; `user @ item.T` predicts the rating residual.

    With the global mean and the shrunk user and item biases it was fitted after, a
    biased matrix factorisation: `predict` is the plain reference rating predictor.
    """

    user: np.ndarray
    item: np.ndarray
    mean: float
    user_bias: np.ndarray
    item_bias: np.ndarray

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """The ratings of pairs (`users`, `items`): mean, both biases and the factors."""
        taste = np.einsum("pd,pd->p", self.user[users], self.item[items])
        return self.mean + self.user_bias[users] + self.item_bias[items] + taste


def fit_ratings(
    ratings: Ratings,
    num_items: int,
    dim: int = 16,
    reg: float = 10.0,
    iterations: int = 8,
    seed: int = 0,
) -> Factorization:
    """Fit rating residuals with ALS (deterministic for a seed).

    Args:
        ratings: the observed ratings.
        num_items: catalog size (items without ratings get zero factors).
        dim: factor dimension.
        reg: L2 penalty; large enough that sparse users stay near the mean taste.
        iterations: ALS sweeps (8 converges on MovieLens-100k).
        seed: seed of the initial factors.
    """
    rng = np.random.default_rng(seed)
    users, items = ratings.user.astype(np.int64), ratings.item.astype(np.int64)
    values = ratings.rating.astype(np.float64)
    mean = values.mean()
    item_bias = _shrunk_means(items, values - mean, num_items, reg)
    user_bias = _shrunk_means(users, values - mean - item_bias[items], ratings.num_users, reg)
    residual = values - mean - item_bias[items] - user_bias[users]

    user_f = rng.normal(0.0, 0.1, (ratings.num_users, dim))
    item_f = rng.normal(0.0, 0.1, (num_items, dim))
    by_user = _group(users, ratings.num_users)
    by_item = _group(items, num_items)
    for _ in range(iterations):
        user_f = _solve(by_user, items, residual, item_f, reg)
        item_f = _solve(by_item, users, residual, user_f, reg)
    return Factorization(user=user_f.astype(np.float32), item=item_f.astype(np.float32),
                         mean=float(mean), user_bias=user_bias, item_bias=item_bias)


def _shrunk_means(keys: np.ndarray, values: np.ndarray, size: int, reg: float) -> np.ndarray:
    sums = np.bincount(keys, weights=values, minlength=size)
    counts = np.bincount(keys, minlength=size)
    return sums / (counts + reg)


def _group(keys: np.ndarray, size: int) -> list[np.ndarray]:
    """Indices of the ratings of each key (user or item)."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(size + 1))
    return [order[bounds[k] : bounds[k + 1]] for k in range(size)]


def _solve(
    groups: list[np.ndarray],
    other_keys: np.ndarray,
    residual: np.ndarray,
    other_factors: np.ndarray,
    reg: float,
) -> np.ndarray:
    """One ALS half-step: ridge regression of each key's residuals on the other side."""
    dim = other_factors.shape[1]
    gram = np.empty((len(groups), dim, dim))
    rhs = np.empty((len(groups), dim))
    for k, rows in enumerate(groups):
        x = other_factors[other_keys[rows]]
        gram[k] = x.T @ x
        rhs[k] = x.T @ residual[rows]
    gram += reg * np.eye(dim)
    return np.linalg.solve(gram, rhs[..., None])[..., 0]

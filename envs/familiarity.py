"""Familiarity: how likely a user is to have come across an item, fitted on who rated what.

A rater rates what they watch, and they watch what they come across: the next items a
real MovieLens rater rates are told from items they never rate far better by popularity
than by any rating predictor (docs/fidelity.md). Tastes fitted to *how* people rate miss
this, so simulated users carry it as a term of its own, fitted to *what* they rate: a
weighted matrix factorisation of implicit feedback (Hu, Koren and Volinsky, 2008), where
every (rater, item) pair is observed, 1 if rated and 0 if not, and rated pairs weigh
`1 + alpha`. A catalog without ratings has nobody to fit: there every profile's
familiarity is the item's popularity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ifr_sim.core.catalog import Ratings

REG = 10.0
"""L2 penalty of the implicit-feedback factors."""
ALPHA = 10.0
"""Extra weight of a rated pair over an unrated one."""
ITERATIONS = 10
"""ALS sweeps (converged on MovieLens-100k)."""


@dataclass(frozen=True)
class Familiarity:
    """Familiarity of profiles with items: `user @ item.T + bias`, z-scored per profile.

    Attributes:
        user: (P, d) factors of the profiles.
        item: (n, d) factors of the items.
        bias: (n,) the part every profile shares.
        mean, scale: (P,) each profile's mean and standard deviation over the catalog.
    """

    user: np.ndarray
    item: np.ndarray
    bias: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def of(cls, user: np.ndarray, item: np.ndarray, bias: np.ndarray) -> Familiarity:
        """Factors and bias, with each profile's moments over the whole catalog (from the
        items' moments: no profile-by-item table)."""
        user, item, bias = (np.asarray(a, np.float64) for a in (user, item, bias))
        joint = np.cov(np.column_stack([item, bias]), rowvar=False, bias=True)
        extended = np.column_stack([user, np.ones(len(user))])
        variance = np.einsum("pd,de,pe->p", extended, joint, extended)
        mean = user @ item.mean(axis=0) + bias.mean()
        return cls(user=user.astype(np.float32), item=item.astype(np.float32),
                   bias=bias.astype(np.float32), mean=mean.astype(np.float32),
                   scale=(np.sqrt(np.maximum(variance, 0.0)) + 1e-8).astype(np.float32))

    def scores(self, profiles: np.ndarray, items: np.ndarray, weight: float) -> np.ndarray:
        """(B, N) float32: `weight` x z-scored familiarity of `profiles` (B,) with `items`
        (B, N); "+1" is one standard deviation above the profile's average item."""
        factors = np.take(self.item, items, axis=0)
        raw = np.matmul(factors, self.user[profiles][:, :, None])[..., 0] + self.bias[items]
        scale = np.float32(weight) / self.scale[profiles]
        return ((raw - self.mean[profiles][:, None]) * scale[:, None]).astype(np.float32)


def fit_familiarity(ratings: Ratings, num_items: int, dim: int, seed: int = 0) -> Familiarity:
    """Weighted ALS on the rated/unrated matrix (deterministic for a seed); the matrix is
    held dense, raters x items, which suits catalogs up to a few million such pairs.

    Args:
        ratings: who rated what (the values are not used).
        num_items: catalog size (items nobody rated get zero factors).
        dim: factor dimension.
        seed: seed of the initial item factors.
    """
    # float64 throughout: the float32 factors then do not depend on how many threads
    # the linear algebra used.
    rated = np.zeros((ratings.num_users, num_items))
    rated[ratings.user, ratings.item] = 1.0
    rng = np.random.default_rng(seed)
    item = rng.normal(0.0, 0.1, (num_items, dim))
    user = np.zeros((ratings.num_users, dim))
    for _ in range(ITERATIONS):
        user = _solve(rated, item)
        item = _solve(rated.T, user)
    return Familiarity.of(user, item, np.zeros(num_items))


def popularity_familiarity(popularity: np.ndarray, profiles: int) -> Familiarity:
    """Every profile equally familiar with an item, by its popularity (no ratings)."""
    return Familiarity.of(np.zeros((profiles, 1)), np.zeros((len(popularity), 1)), popularity)


def _solve(rated: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Each row's least-squares factors against `other`, every pair weighted
    (1 + ALPHA if rated, else 1), all rows in one batched solve."""
    dim = other.shape[1]
    outer = (other[:, :, None] * other[:, None, :]).reshape(len(other), dim * dim)
    lhs = (rated @ outer).reshape(-1, dim, dim) * ALPHA
    lhs += other.T @ other + REG * np.eye(dim)
    rhs = (1.0 + ALPHA) * (rated @ other)
    return np.linalg.solve(lhs, rhs[..., None])[..., 0]

"""The user population: latent tastes, favourite categories and click histories.

A *profile* is a base user (a real MovieLens rater, or a generated shopper). Each session
samples a profile from the split (train or held-out profiles), perturbs its taste with
noise, and may start warm (with items the profile really liked) or cold (no history).
All per-session quantities are arrays over a batch of users, so the single env and the
vector env share one code path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ifr_sim.core.catalog import Catalog
from ifr_sim.envs.config import Split, UserConfig
from ifr_sim.envs.familiarity import Familiarity, fit_familiarity, popularity_familiarity
from ifr_sim.envs.taste import fit_ratings

LIKED_PER_PROFILE = 50
"""Liked items kept per profile; warm histories are drawn from them."""

SYNTHETIC_PROFILES = 1000
"""Profiles generated for catalogs without ratings."""

AFFINITY_PRIOR = 5.0
"""Pseudo-items, spread as the catalog's categories, added to each profile's liked ones."""


@dataclass(frozen=True)
class UserPopulation:
    """Everything about users that is fixed for a world.

    Attributes:
        taste: (P, d) taste factors of the profiles.
        item_factors: (n, d) item factors in the same space.
        taste_mean, taste_cov: mean (d,) and covariance (d, d) of the item factors, to
            z-score a user's taste over the whole catalog without touching every item.
        affinity: (P, C) log share of each category among the profile's liked items
            (drives the intent's genre; -inf for a category no item has).
        familiarity: how likely each profile is to have come across each item.
        liked: (P, LIKED_PER_PROFILE) items each profile liked, -1 padded.
        heldout: (P,) bool, profiles kept for held-out evaluation.
    """

    taste: np.ndarray
    item_factors: np.ndarray
    taste_mean: np.ndarray
    taste_cov: np.ndarray
    affinity: np.ndarray
    familiarity: Familiarity
    liked: np.ndarray
    heldout: np.ndarray

    def profiles(self, split: Split) -> np.ndarray:
        """Indices of the profiles a session of `split` may draw."""
        if split == "all":
            return np.arange(len(self.taste))
        return np.flatnonzero(self.heldout == (split == "heldout"))

    def item_taste_scores(
        self, taste: np.ndarray, items: np.ndarray, weight: float = 1.0
    ) -> np.ndarray:
        """`taste_scores` of users (B, d) for items given by index (B, N), times `weight`."""
        # np.take gathers rows of a 2-D table several times faster than fancy indexing.
        return self.taste_scores(taste, np.take(self.item_factors, items, axis=0), weight)

    def taste_scores(
        self, taste: np.ndarray, factors: np.ndarray, weight: float = 1.0
    ) -> np.ndarray:
        """Z-scored taste of users (B, d) for items with factors (B, N, d), times `weight`.

        Relative to the whole catalog, so "+1" means "one standard deviation above this
        user's average item", whatever the catalog. Centre, scale and weight are folded
        into the (B, d) taste, so the (B, N) scores take one matvec and one subtraction.
        """
        scale = weight / (np.sqrt(((taste @ self.taste_cov) * taste).sum(axis=1)) + 1e-8)
        direction = (taste * scale[:, None]).astype(np.float32)
        centre = (direction @ self.taste_mean)[:, None]
        return np.matmul(factors, direction[:, :, None])[..., 0] - centre


def build_population(catalog: Catalog, config: UserConfig, seed: int = 0) -> UserPopulation:
    """Calibrate profiles on the catalog's ratings when it has them, else generate them."""
    rng = np.random.default_rng(seed)
    if catalog.ratings is not None:
        fit = fit_ratings(catalog.ratings, len(catalog), dim=config.taste_dim, seed=seed)
        taste, item_factors = fit.user, fit.item
        familiarity = fit_familiarity(catalog.ratings, len(catalog), config.taste_dim, seed)
        liked = _rated_liked(catalog, rng)
    else:
        item_factors = _generated_item_factors(catalog, config.taste_dim, rng)
        taste = rng.normal(0.0, 1.0, (SYNTHETIC_PROFILES, config.taste_dim)).astype(np.float32)
        liked = _top_taste_items(taste, item_factors, rng)
        familiarity = popularity_familiarity(catalog.popularity, len(taste))
    taste_mean = item_factors.mean(axis=0)
    taste_cov = np.cov(item_factors, rowvar=False).reshape(config.taste_dim, config.taste_dim)
    population = UserPopulation(
        taste=taste,
        item_factors=item_factors,
        taste_mean=taste_mean,
        taste_cov=taste_cov,
        affinity=np.zeros((len(taste), catalog.num_categories), np.float32),
        familiarity=familiarity,
        liked=liked,
        heldout=rng.permutation(len(taste)) < round(config.heldout_share * len(taste)),
    )
    return _with_affinity(population, catalog)


def _with_affinity(population: UserPopulation, catalog: Catalog) -> UserPopulation:
    """Category affinity = log of the category's share of the profile's liked items,
    smoothed toward its share of the catalog by AFFINITY_PRIOR items.

    So a profile asks most often for the genres it likes most often (drama, comedy), as
    real raters' held-out favourites do (docs/fidelity.md), not for the genres it likes
    more than others do (a residual taste would pick film-noir and documentaries).
    """
    liked = population.liked
    rows, slots = np.nonzero(liked >= 0)
    categories = catalog.categories.astype(np.float32)
    counts = np.zeros((len(liked), catalog.num_categories), np.float32)
    np.add.at(counts, rows, categories[liked[rows, slots]])
    prior = AFFINITY_PRIOR * categories.sum(axis=0) / max(categories.sum(), 1.0)
    with np.errstate(divide="ignore"):
        affinity = np.log(counts + prior) - np.log(counts.sum(axis=1, keepdims=True) +
                                                   prior.sum())
    return UserPopulation(**{**population.__dict__, "affinity": affinity.astype(np.float32)})


def _rated_liked(catalog: Catalog, rng: np.random.Generator) -> np.ndarray:
    """Up to LIKED_PER_PROFILE items each real user rated 4 or more."""
    ratings = catalog.ratings
    assert ratings is not None
    liked = np.full((ratings.num_users, LIKED_PER_PROFILE), -1, np.int64)
    keep = ratings.rating >= 4
    users, items = ratings.user[keep], ratings.item[keep]
    order = np.lexsort((rng.random(len(users)), users))
    users, items = users[order], items[order]
    starts = np.searchsorted(users, np.arange(ratings.num_users))
    rank = np.arange(len(users)) - starts[users]
    first = rank < LIKED_PER_PROFILE
    liked[users[first], rank[first]] = items[first]
    return liked


def _generated_item_factors(catalog: Catalog, dim: int, rng: np.random.Generator) -> np.ndarray:
    """Items of one category share a direction in taste space, plus item-level noise."""
    directions = rng.normal(0.0, 1.0, (catalog.num_categories, dim))
    per_item = catalog.categories.astype(np.float32) @ directions
    noise = rng.normal(0.0, 0.7, (len(catalog), dim))
    return (per_item + noise).astype(np.float32)


def _top_taste_items(taste: np.ndarray, item_factors: np.ndarray, rng: np.random.Generator,
                     pool: int = 400) -> np.ndarray:
    """For each profile, its favourites among a random sample of the catalog."""
    sample = rng.integers(0, len(item_factors), (len(taste), pool))
    scores = np.einsum("pd,pnd->pn", taste, item_factors[sample])
    best = np.argsort(-scores, axis=1)[:, :LIKED_PER_PROFILE]
    return np.take_along_axis(sample, best, axis=1)

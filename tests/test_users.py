"""User population: tastes calibrated on real ratings, splits, affinities, warm histories."""

from __future__ import annotations

import numpy as np
import pytest

from ifr_sim.core.catalog import load_movielens, make_synthetic_catalog
from ifr_sim.envs.config import UserConfig
from ifr_sim.envs.taste import fit_ratings
from ifr_sim.envs.users import AFFINITY_PRIOR, build_population


@pytest.fixture(scope="module")
def movielens():
    return load_movielens()


def test_factorisation_explains_ratings_beyond_biases(movielens) -> None:
    ratings = movielens.ratings
    fit = fit_ratings(ratings, len(movielens), dim=16, seed=0)
    assert fit.user.shape == (943, 16) and fit.item.shape == (1682, 16)
    # The factors must predict the residual taste: the dot product correlates with the
    # rating minus the item mean (a taste-free baseline would give zero correlation).
    item_mean = np.bincount(ratings.item, ratings.rating, 1682) / np.maximum(
        np.bincount(ratings.item, minlength=1682), 1)
    residual = ratings.rating - item_mean[ratings.item]
    predicted = np.einsum("rd,rd->r", fit.user[ratings.user], fit.item[ratings.item])
    assert np.corrcoef(predicted, residual)[0, 1] > 0.3


def test_fit_is_deterministic(movielens) -> None:
    a = fit_ratings(movielens.ratings, len(movielens), seed=0, iterations=2)
    b = fit_ratings(movielens.ratings, len(movielens), seed=0, iterations=2)
    assert np.array_equal(a.item, b.item)


def test_population_from_real_users(movielens) -> None:
    population = build_population(movielens, UserConfig())
    train, heldout = population.profiles("train"), population.profiles("heldout")
    assert len(train) + len(heldout) == 943 and not set(train) & set(heldout)
    assert abs(len(heldout) / 943 - 0.2) < 0.01
    assert population.affinity.shape == (943, movielens.num_categories)
    # Liked items are real: every listed item was rated 4+ by that user.
    ratings = movielens.ratings
    good = set(zip(ratings.user[ratings.rating >= 4].tolist(),
                   ratings.item[ratings.rating >= 4].tolist(), strict=True))
    user = 0
    liked = population.liked[user][population.liked[user] >= 0]
    assert len(liked) > 0 and all((user, int(i)) in good for i in liked)


def test_affinity_is_the_smoothed_genre_share_of_what_a_profile_liked(movielens) -> None:
    """Computed the slow way for one rater: the log of each genre's share of their liked
    items, with AFFINITY_PRIOR pseudo-items spread as the catalog's genres."""
    population = build_population(movielens, UserConfig())
    user = 5
    liked = population.liked[user][population.liked[user] >= 0]
    genres = movielens.categories.astype(float)
    counts = genres[liked].sum(axis=0)
    prior = AFFINITY_PRIOR * genres.sum(axis=0) / genres.sum()
    slow = np.log((counts + prior) / (counts.sum() + prior.sum()))
    np.testing.assert_allclose(population.affinity[user], slow, rtol=1e-5)
    favourites = np.argsort(-population.affinity.mean(axis=0))[:2]
    assert {movielens.category_names[c] for c in favourites} == {"drama", "comedy"}


def test_taste_scores_are_z_scores_over_the_catalog(movielens) -> None:
    population = build_population(movielens, UserConfig())
    taste = population.taste[:3]
    factors = np.broadcast_to(population.item_factors, (3, *population.item_factors.shape))
    z = population.taste_scores(taste, factors)
    assert np.allclose(z.mean(axis=1), 0, atol=1e-3)
    assert np.allclose(z.std(axis=1), 1, atol=1e-2)


def test_synthetic_population_without_ratings() -> None:
    catalog = make_synthetic_catalog(500, 0)
    population = build_population(catalog, UserConfig())
    assert population.taste.shape == (1000, 16)
    assert population.liked.shape[0] == 1000 and population.liked.min() >= 0


def test_weighted_taste_scores_match_the_z_score_formula(movielens) -> None:
    """The folded computation equals weight * (taste . f - taste . mean) / sd, in float64."""
    population = build_population(movielens, UserConfig())
    rng = np.random.default_rng(0)
    taste = population.taste[:4]
    items = rng.integers(0, len(movielens), (4, 50))
    got = population.item_taste_scores(taste, items, weight=2.5)
    t, f = taste.astype(np.float64), population.item_factors[items].astype(np.float64)
    sd = np.sqrt(np.einsum("bd,de,be->b", t, population.taste_cov, t))
    want = 2.5 * (np.einsum("bnd,bd->bn", f, t) - (t @ population.taste_mean)[:, None])
    np.testing.assert_allclose(got, want / sd[:, None], rtol=1e-4, atol=1e-4)
    assert got.dtype == np.float32

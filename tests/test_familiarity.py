"""Familiarity: fitted on who rated what, z-scored per profile, weighed by the users."""

from __future__ import annotations

import numpy as np
import pytest

from ifr_sim.agents.experiments.fidelity.probe import Question, ask
from ifr_sim.core.catalog import Ratings, load_movielens
from ifr_sim.core.config import with_overrides
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.familiarity import fit_familiarity, popularity_familiarity
from ifr_sim.envs.world import build_world


def _toy_ratings() -> Ratings:
    """Six raters; items 0-2 rated by everyone, item 3 by raters 0-2 only, item 4 by
    raters 3-5 only, item 5 by nobody."""
    pairs = [(u, i) for u in range(6) for i in (0, 1, 2)]
    pairs += [(u, 3) for u in range(3)] + [(u, 4) for u in range(3, 6)]
    users, items = (np.array(column) for column in zip(*pairs, strict=True))
    return Ratings(user=users, item=items, rating=np.full(len(users), 4.0),
                   timestamp=np.arange(len(users)), num_users=6)


def test_a_rater_is_more_familiar_with_what_raters_like_them_rated() -> None:
    fit = fit_familiarity(_toy_ratings(), num_items=6, dim=2)
    everyone = np.tile(np.arange(6), (6, 1))
    scores = fit.scores(np.arange(6), everyone, weight=1.0)
    assert (scores[:, :3].min(axis=1) > scores[:, 5]).all()
    assert (scores[:3, 3] > scores[:3, 4]).all() and (scores[3:, 4] > scores[3:, 3]).all()


def test_scores_are_weighted_z_scores_over_the_catalog() -> None:
    fit = fit_familiarity(_toy_ratings(), num_items=6, dim=2)
    everyone = np.tile(np.arange(6), (6, 1))
    scores = fit.scores(np.arange(6), everyone, weight=2.0)
    np.testing.assert_allclose(scores.mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(scores.std(axis=1), 2.0, rtol=1e-4)


def test_the_fit_is_deterministic_for_a_seed() -> None:
    ratings = load_movielens().ratings
    assert ratings is not None
    first, second = (fit_familiarity(ratings, 1682, dim=8, seed=3) for _ in range(2))
    assert np.array_equal(first.item, second.item) and np.array_equal(first.user, second.user)


def test_without_ratings_familiarity_is_popularity_for_everyone() -> None:
    popularity = np.array([0.1, 0.9, 0.5, 0.3], np.float32)
    fit = popularity_familiarity(popularity, profiles=3)
    scores = fit.scores(np.arange(3), np.tile(np.arange(4), (3, 1)), weight=1.0)
    assert (np.argsort(scores, axis=1) == np.argsort(popularity)).all()


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_familiarity_draws_clicks_but_is_not_liking(weight: float) -> None:
    """The weight adds weight x familiarity to the logit of the attractiveness; the
    preference (what a rating says) stays the same."""
    base = build_world(with_overrides(WorldConfig(), {"attractiveness.familiarity": 0.0}))
    world = build_world(with_overrides(WorldConfig(), {"attractiveness.familiarity": weight}))
    profiles = np.arange(8)
    items = np.tile(np.arange(40), (8, 1))
    np.testing.assert_allclose(_probe(world, profiles, items, "preference"),
                               _probe(base, profiles, items, "preference"), atol=1e-5)
    familiar = world.users.familiarity.scores(profiles, items, weight)
    lift = (_logit(_probe(world, profiles, items, "attractiveness"))
            - _logit(_probe(base, profiles, items, "attractiveness")))
    np.testing.assert_allclose(lift, familiar, atol=1e-3)
    assert np.ptp(familiar) > 1.0 if weight else not familiar.any()


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def _probe(world, profiles: np.ndarray, items: np.ndarray, question: Question) -> np.ndarray:
    """The same simulated users (one seed) every time."""
    return ask(world, profiles, items, np.random.default_rng(0), question)

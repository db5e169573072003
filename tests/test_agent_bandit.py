"""LinUCB: the exploration bonus math, learning a click model, and the env plumbing."""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np
import pytest

import ifr_sim
from ifr_sim.agents.base import Observation
from ifr_sim.agents.baselines.bandit import LinUCBAgent
from ifr_sim.core.catalog.catalog import Catalog

pytest_plugins = ("agent_fixtures",)


@pytest.fixture
def catalog(toy_catalog: Callable[..., Catalog]) -> Catalog:
    """200 items whose categories, quality and popularity are independent draws."""
    rng = np.random.default_rng(0)
    n = 200
    return toy_catalog(
        [f"item {i}" for i in range(n)], rng.random((n, 3)) < 0.5, rng.random(n), rng.random(n)
    )


def test_feature_layout(catalog: Catalog, observe: Callable[..., Observation]) -> None:
    agent = LinUCBAgent(catalog, slate_size=2)
    assert agent.feature_names == (
        "category:c0", "category:c1", "category:c2", "quality", "popularity", "bm25", "bias"
    )
    # "item 7" matches every text on "item" but only item 7 on "7": the best match is 1.
    features = agent.features(observe(["item 7"], [[7, 8]]))
    assert features.shape == (1, 2, 7)
    np.testing.assert_allclose(features[0, 0, :5], [*catalog.categories[7], catalog.quality[7],
                                                    catalog.popularity[7]], rtol=1e-6)
    assert features[0, 0, 5] == 1.0
    assert 0.0 < features[0, 1, 5] < 1.0
    np.testing.assert_array_equal(features[..., 6], 1.0)


def test_exploration_bonus_shrinks_only_for_observed_directions(catalog: Catalog) -> None:
    agent = LinUCBAgent(catalog, slate_size=2, ridge=1.0)
    seen, unseen = np.eye(7)[3], np.eye(7)[4]
    # A = I: bonus sqrt(xᵀx) = 1 for both unit vectors.
    np.testing.assert_allclose(agent.exploration_bonus(np.stack([seen, unseen])), [1.0, 1.0])
    agent.update(np.tile(seen, (10, 1)), np.ones(10))
    # A = I + 10·e3e3ᵀ: bonus(e3) = sqrt(1/11) = 0.301511, bonus(e4) stays 1;
    # θ = A⁻¹ Σ x·click = 10/11 on e3.
    np.testing.assert_allclose(agent.exploration_bonus(seen), 0.301511, atol=1e-6)
    np.testing.assert_allclose(agent.exploration_bonus(unseen), 1.0)
    np.testing.assert_allclose(agent.theta, 10 / 11 * seen)


def test_learn_counts_a_repeated_position_once(
    catalog: Catalog, observe: Callable[..., Observation]
) -> None:
    agent = LinUCBAgent(catalog, slate_size=3)
    observation = observe(["anything"], [[5, 6, 7]])
    x = agent.features(observation)[0]
    agent.learn(observation, np.array([[2, 2, 0]]), np.array([[1, 0, 0]]))
    # Slot 1 repeats position 2: an empty slot. Shown: position 2 (clicked), position 0.
    np.testing.assert_allclose(agent.precision, np.eye(7) + np.outer(x[2], x[2])
                               + np.outer(x[0], x[0]))
    np.testing.assert_allclose(agent.response, x[2])


def test_learns_that_quality_earns_clicks(
    catalog: Catalog, observe: Callable[..., Observation]
) -> None:
    rng = np.random.default_rng(1)
    agent = LinUCBAgent(catalog, slate_size=2, alpha=0.5)
    click_rate = []
    for _ in range(300):
        candidates = rng.choice(len(catalog), 20, replace=False)[None]
        observation = observe(["anything"], candidates)
        slates = agent.act(observation, {}, rng)
        clicks = rng.random(slates.shape) < catalog.quality[candidates[0, slates]]  # P = quality
        agent.learn(observation, slates, clicks)
        click_rate.append(clicks.mean())
    weights = dict(zip(agent.feature_names, agent.theta, strict=True))
    assert weights["quality"] > 0.5
    assert max(abs(weights[f"category:c{j}"]) for j in range(3)) < 0.2
    # A random slate's CTR is the mean quality, 0.5; the top 2 of 20 by quality get ~0.9.
    assert np.mean(click_rate[-100:]) > 0.75


def test_learns_from_the_real_environment() -> None:
    env = gym.make(ifr_sim.ENV_ID)
    world = env.unwrapped.world  # type: ignore[attr-defined]
    agent = LinUCBAgent(world.catalog, world.config.slate_size)
    before = agent.precision.copy()
    obs, _ = env.reset(seed=5)
    batch = {k: v[None] for k, v in obs.items()}
    slates = agent.act(batch, {}, np.random.default_rng(0))
    _, _, _, _, info = env.step(slates[0])
    agent.learn(batch, slates, info["clicks"][None])
    # Ten distinct items shown: the bias entry of A grows by exactly ten.
    assert agent.precision[-1, -1] - before[-1, -1] == world.config.slate_size
    assert agent.response[-1] == info["clicks"].sum()

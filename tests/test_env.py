"""The single environment: API conformance, determinism, pickling, actions and info."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import ifr_sim
from ifr_sim.agents.evaluation.simulation import run_episodes, summarise
from ifr_sim.agents.registry import make_agent
from ifr_sim.core.config import with_overrides
from ifr_sim.envs import sessions
from ifr_sim.envs.candidates import _first_distinct
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.spaces import decode_instruction

ENV_ID = ifr_sim.ENV_ID


@pytest.fixture(scope="module")
def env() -> gym.Env:
    return gym.make(ENV_ID)


def rollout(env: gym.Env, seed: int, steps: int = 40) -> list[tuple]:
    """(obs bytes, reward, done, relevance) per step under a fixed action sequence."""
    obs, info = env.reset(seed=seed)
    k = env.action_space.shape[0]
    trace = []
    for t in range(steps):
        action = (np.arange(k) + 3 * t) % env.action_space.nvec[0]
        obs, reward, terminated, truncated, info = env.step(action)
        trace.append(
            (
                obs["instruction"].tobytes(),
                obs["candidates"].tobytes(),
                reward,
                terminated,
                truncated,
                info["relevance"].tobytes(),
            )
        )
        if terminated or truncated:
            obs, info = env.reset()
    return trace


def test_gymnasium_checker_passes_without_warnings() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gym_check_env(gym.make(ENV_ID).unwrapped, skip_render_check=False)
    assert [str(w.message) for w in caught] == []


def test_sb3_checker_passes_without_warnings() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sb3_check_env(gym.make(ENV_ID).unwrapped, warn=True)
    assert [str(w.message) for w in caught] == []


def test_same_seed_same_episodes(env: gym.Env) -> None:
    other = gym.make(ENV_ID)
    assert rollout(env, seed=7) == rollout(other, seed=7)
    assert rollout(env, seed=7) != rollout(env, seed=8)


def test_pickle_round_trip_continues_identically(env: gym.Env) -> None:
    env.reset(seed=3)
    env.step(np.arange(10))
    copy = pickle.loads(pickle.dumps(env))
    action = np.arange(10, 20)
    a = env.step(action)
    b = copy.step(action)
    assert a[1] == b[1] and np.array_equal(a[0]["history"], b[0]["history"])


def test_observation_matches_info_and_space(env: gym.Env) -> None:
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert decode_instruction(obs["instruction"]) == info["instruction"]
    relevance = info["relevance"]
    assert relevance.shape == (100,) and np.all((relevance >= 0) & (relevance <= 1))
    best = np.sort(relevance)[::-1][:10]
    assert np.allclose(relevance[info["oracle_slate"]], best)
    assert info["intent"].num_parts() >= 1


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (np.arange(9), "shape"),
        (np.arange(10) * 1.0, "integer"),
        (np.arange(10) + 95, "outside"),
        (np.arange(10) - 1, "outside"),
    ],
)
def test_invalid_action_is_a_clear_value_error(
    env: gym.Env, action: np.ndarray, message: str
) -> None:
    env.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        env.unwrapped.step(action)


def test_repeated_index_is_an_empty_slot(env: gym.Env) -> None:
    env.reset(seed=0)
    base = env.unwrapped
    for _ in range(20):
        base.reset()
        _, _, _, _, info = base.step(np.zeros(10, dtype=np.int64))
        assert np.all(info["slate_items"][1:] == -1)
        assert not info["clicks"][1:].any()


def test_world_orders_random_popularity_oracle() -> None:
    """The world must leave room to learn: the oracle earns far more than random."""
    env = gym.make(ENV_ID)
    world = env.unwrapped.world
    reward = {
        name: summarise(run_episodes(make_agent(name, world), world.config, 150, 0))["reward"][0]
        for name in ("random", "popularity", "oracle")
    }
    assert reward["random"] < reward["popularity"] < reward["oracle"]
    assert reward["oracle"] > 2 * reward["random"]


def test_render_ansi_shows_instruction_and_slate() -> None:
    env = gym.make(ENV_ID, render_mode="ansi")
    _, info = env.reset(seed=0)
    assert info["instruction"] in env.render()
    env.step(np.arange(10))
    text = env.render()
    assert "last slate:" in text and text.count("[") >= 10


def test_make_keywords_reach_the_world() -> None:
    env = gym.make(
        ENV_ID, preset="synthetic-shop", num_candidates=50, slate_size=5, catalog_size=2000
    )
    obs, _ = env.reset(seed=0)
    world = env.unwrapped.world
    assert len(world.catalog) == 2000 and world.catalog.domain == "shop"
    assert obs["candidates"].shape == (50,) and env.action_space.shape == (5,)


def test_unknown_make_keyword_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="num_candidates"):
        gym.make(ENV_ID, num_candidate=10)


def test_candidates_are_distinct_and_mix_matching_items(env: gym.Env) -> None:
    matching = []
    for seed in range(20):
        obs, info = env.reset(seed=seed)
        assert len(np.unique(obs["candidates"])) == 100
        matching.append(info["satisfies"].sum())
    # matching_share=0.2 draws 20 from the intent's matching items (fewer when an intent
    # has few, or draws repeat); random and popular draws add some by chance.
    assert np.mean(matching) >= 15


def test_a_clicked_item_is_not_clicked_again_even_when_its_index_repeats() -> None:
    """An item clicked at its first slot stays clicked though later slots repeat it."""
    env = gym.make(ENV_ID, click_model="cascade").unwrapped
    env.reset(seed=0)
    s = env._sessions
    s.relevance[0, 7] = 1.0  # a cascade user clicks an attractiveness of 1 for sure
    _, _, _, _, info = env.step(np.full(10, 7))
    assert info["clicks"].tolist() == [True] + [False] * 9
    assert s.clicked[0, 7] and info["relevance"][7] == 0.0


def test_reseeding_replays_the_sessions_started_ahead() -> None:
    """Sessions start in blocks; a reseed must discard the block, not serve from it."""
    env = gym.make(ENV_ID)
    first, _ = env.reset(seed=4)
    env.reset()
    again, _ = env.reset(seed=4)
    assert np.array_equal(first["candidates"], again["candidates"])
    other = gym.make(ENV_ID)
    other.reset(seed=4)
    assert np.array_equal(env.reset()[0]["candidates"], other.reset()[0]["candidates"])


def test_refinements_are_cut_to_the_byte_budget_at_a_character_boundary() -> None:
    env = gym.make(ENV_ID).unwrapped
    env.reset(seed=0)
    s = env._sessions
    budget = s.instruction.shape[1]
    s.instruction_length[0] = budget - 3
    sessions._append_texts(s, np.array([0]), [" —é"])  # 1 + 3 + 2 bytes: only " " fits
    assert int(s.instruction_length[0]) == budget - 2
    decode_instruction(s.instruction[0]).encode("utf-8")  # valid UTF-8
    s.instruction_length[0] = budget - 5
    sessions._append_texts(s, np.array([0]), [" —é"])  # " —" fits, "é" does not
    assert decode_instruction(s.instruction[0][budget - 5 :]) == " —"


def test_large_candidate_sets_are_distinct_and_valid() -> None:
    """N close to the catalog size: the random draws must still yield N distinct items."""
    env = gym.make(ENV_ID, num_candidates=1500)
    for seed in range(5):
        obs, _ = env.reset(seed=seed)
        assert len(np.unique(obs["candidates"])) == 1500 and obs["candidates"].min() >= 0


def test_first_distinct_keeps_the_first_occurrences_in_draw_order() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        count = int(rng.integers(1, 30))
        drawn = rng.integers(-1, 40, (3, int(rng.integers(count, 60))))  # width >= count
        got = _first_distinct(drawn, count, 40)
        for row, kept in zip(drawn, got, strict=True):
            first = list(dict.fromkeys(x for x in row.tolist() if x >= 0))[:count]
            assert kept.tolist() == first + [-1] * (count - len(first))


def test_the_intent_category_follows_the_users_category_affinity() -> None:
    """Monte Carlo: the wanted category is drawn from softmax(affinity) over categories
    that have intents in the bank."""
    world = gym.make(ENV_ID).unwrapped.world
    bank, affinity = world.bank, world.users.affinity[[3]]
    has_intents = np.diff(bank.by_category) > 0
    weights = np.where(has_intents, np.exp(affinity[0] - affinity[0].max()), 0.0)
    expected = weights / weights.sum()
    cdf = np.repeat(bank.category_cdf(affinity, 1.0), 20_000, axis=0)
    intent, _ = bank.choose(np.random.default_rng(0), cdf)
    primary = np.searchsorted(bank.by_category, np.argsort(bank.order)[intent], side="right") - 1
    observed = np.bincount(primary, minlength=len(expected)) / len(intent)
    assert np.abs(observed - expected).max() < 0.015


def test_position_rewards_sum_to_the_reward_and_follow_the_clicks() -> None:
    env = gym.make(ENV_ID, config=with_overrides(WorldConfig(), {"reward.intent_bonus": 0.5}))
    _, info = env.reset(seed=4)
    for _ in range(60):
        satisfies = info["satisfies"][info["oracle_slate"]]
        _, reward, terminated, truncated, info = env.step(info["oracle_slate"])
        expected = info["clicks"] * (1.0 + 0.5 * satisfies)
        assert np.allclose(info["position_rewards"], expected)
        assert info["position_rewards"].sum() == pytest.approx(reward)
        if terminated or truncated:
            _, info = env.reset()

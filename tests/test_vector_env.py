"""The native vector env: API, autoreset, and equality with the single env."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from ifr_sim import ENV_ID
from ifr_sim.envs.benchmark import random_slates


def make_vec(num_envs: int, **kwargs) -> gym.vector.VectorEnv:
    return gym.make_vec(
        ENV_ID, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs
    )


def test_make_vec_spaces_and_shapes() -> None:
    env = make_vec(8)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert obs["candidates"].shape == (8, 100) and obs["instruction"].shape == (8, 256)
    assert info["relevance"].shape == (8, 100) and info["oracle_slate"].shape == (8, 10)
    obs, reward, terminated, _, info = env.step(random_slates(1, 8, 100, 10)[0])
    assert reward.shape == (8,) and terminated.dtype == bool and info["clicks"].shape == (8, 10)


def test_one_user_vector_env_replays_the_single_env_exactly() -> None:
    """Same code path and same generator: a batch of one is the single env, step for step."""
    single = gym.make(ENV_ID)
    vector = make_vec(1)
    s_obs, _ = single.reset(seed=11)
    v_obs, _ = vector.reset(seed=11)
    slates = random_slates(150, 1, 100, 10, seed=3)
    for slate in slates:
        assert np.array_equal(s_obs["candidates"], v_obs["candidates"][0])
        s_obs, s_reward, s_term, s_trunc, _ = single.step(slate[0])
        v_obs, v_reward, v_term, v_trunc, _ = vector.step(slate)
        assert (s_reward, s_term, s_trunc) == (v_reward[0], v_term[0], v_trunc[0])
        if s_term or s_trunc:
            s_obs, _ = single.reset()


def test_same_step_autoreset_reports_final_observation() -> None:
    env = make_vec(64)
    env.reset(seed=0)
    slates = random_slates(30, 64, 100, 10)
    for slate in slates:
        obs, _, terminated, truncated, info = env.step(slate)
        done = terminated | truncated
        if done.any():
            assert np.array_equal(info["_final_obs"], done)
            row = int(np.flatnonzero(done)[0])
            assert info["final_obs"][row]["turn"][0] >= 1
            assert obs["turn"][row, 0] == 0  # the new session starts fresh
            assert info["final_info"]["turns"][row] >= 1
            return
    pytest.fail("no session ended in 30 steps")


def test_no_state_leaks_between_sessions() -> None:
    env = make_vec(32)
    env.reset(seed=2)
    for slate in random_slates(40, 32, 100, 10):
        obs, _, terminated, truncated, _ = env.step(slate)
        fresh = terminated | truncated
        assert np.all(obs["turn"][fresh, 0] == 0)
        # A fresh session's history holds at most the warm-start clicks.
        assert np.all((obs["history"][fresh] >= 0).sum(axis=1) <= 5)


def test_vector_env_matches_single_env_in_distribution() -> None:
    """Mean episode clicks under a random policy agree within sampling error.

    Only each user's first session counts: sessions that start later in a fixed window
    would favour short ones.
    """
    vector = make_vec(256)
    vector.reset(seed=5)
    first = np.full(256, -1.0)
    for slate in random_slates(25, 256, 100, 10, seed=1):
        _, _, terminated, truncated, info = vector.step(slate)
        done = (terminated | truncated) & (first < 0)
        if done.any():
            first[done] = info["final_info"]["total_clicks"][done]
    assert np.all(first >= 0)  # every first session ended (TimeLimit: 20 turns)
    totals = first
    single = gym.make(ENV_ID)
    single_totals = []
    single.reset(seed=6)
    episode_clicks = 0
    for slate in random_slates(3000, 1, 100, 10, seed=2)[:, 0]:
        _, reward, terminated, truncated, _ = single.step(slate)
        episode_clicks += reward
        if terminated or truncated:
            single_totals.append(episode_clicks)
            episode_clicks = 0
            single.reset()
    a, b = np.asarray(totals), np.asarray(single_totals)
    standard_error = np.sqrt(a.var() / len(a) + b.var() / len(b))
    assert abs(a.mean() - b.mean()) < 4 * standard_error


def test_vector_env_rejects_bad_actions() -> None:
    env = make_vec(4)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros((3, 10), dtype=np.int64))


def test_final_observation_is_the_ended_sessions_last_view() -> None:
    env = make_vec(64)
    obs, _ = env.reset(seed=1)
    ended = 0
    for slate in random_slates(30, 64, 100, 10, seed=4):
        previous = obs
        obs, _, terminated, truncated, info = env.step(slate)
        for row in np.flatnonzero(terminated | truncated):
            final = info["final_obs"][row]
            assert final["turn"][0] == info["final_info"]["turns"][row]
            assert np.array_equal(final["candidates"], previous["candidates"][row])
            assert not np.array_equal(final["candidates"], obs["candidates"][row])
            ended += 1
    assert ended > 0


def test_same_seed_same_vector_rollout() -> None:
    slates = random_slates(15, 16, 100, 10, seed=2)
    runs = []
    for _ in range(2):
        env = make_vec(16)
        env.reset(seed=9)
        runs.append([env.step(slate)[1].tobytes() for slate in slates])
    assert runs[0] == runs[1]

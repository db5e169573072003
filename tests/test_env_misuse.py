"""Calls the envs would otherwise take silently: unknown reset options, steps after the end."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest

from ifr_sim import ENV_ID
from ifr_sim.envs.sb3_vec_env import make_sb3_vec_env

UNKNOWN = r"unknown keys \['user'\]; known keys: none"


def test_unknown_reset_option_is_refused_naming_the_known_keys() -> None:
    env = gym.make(ENV_ID)
    with pytest.raises(ValueError, match=UNKNOWN):
        env.reset(seed=0, options={"user": 3})
    env.reset(seed=0, options={})  # empty options, like None, are fine
    with pytest.raises(ValueError, match=UNKNOWN):
        gym.make_vec(ENV_ID, num_envs=2).reset(options={"user": 3})


def test_sb3_set_options_reaches_the_check() -> None:
    venv = make_sb3_vec_env(2, num_candidates=20, slate_size=3)
    venv.set_options({"user": 3})
    with pytest.raises(ValueError, match=UNKNOWN):
        venv.reset()


def terminated_env() -> tuple[gym.Env, dict[str, np.ndarray]]:
    """An env whose user has just left (terminated), and its last observation."""
    env = gym.make(ENV_ID, max_episode_steps=1000)  # the user leaves long before
    obs, _ = env.reset(seed=0)
    terminated = False
    while not terminated:
        obs, _, terminated, _, _ = env.step(np.arange(10))
    return env, obs


def test_step_after_termination_warns_and_shows_nothing() -> None:
    env, last = terminated_env()
    with pytest.warns(UserWarning, match=r"after the session terminated.*call reset\(\)"):
        obs, reward, terminated, truncated, info = env.step(np.arange(10, 20))
    assert (reward, terminated, truncated) == (0.0, True, False)
    assert not info["clicks"].any() and (info["slate_items"] == -1).all()
    assert all(np.array_equal(obs[key], last[key]) for key in obs)  # the user did not move
    env.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a new session steps without a warning
        env.step(np.arange(10))


def test_invalid_action_after_termination_is_still_an_error() -> None:
    env, _ = terminated_env()
    with pytest.raises(ValueError, match="outside"):
        env.step(np.arange(10) + 95)

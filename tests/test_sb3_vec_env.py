"""`SB3VecEnv`: SB3's `VecEnv` API over the native vector env, seeding, and PPO on it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch as th
from stable_baselines3 import PPO
from stable_baselines3.common.logger import KVWriter, Logger
from stable_baselines3.common.vec_env import VecCheckNan, VecMonitor

from ifr_sim.envs.benchmark import random_slates
from ifr_sim.envs.config import preset_config, with_overrides
from ifr_sim.envs.sb3_vec_env import SB3VecEnv, make_sb3_vec_env

USERS, N, K = 16, 20, 3


@pytest.fixture(scope="module")
def env() -> SB3VecEnv:
    """A small world whose reward has an intent bonus, so positions earn different rewards."""
    config = with_overrides(
        preset_config("movielens"),
        {"num_candidates": N, "slate_size": K, "reward.intent_bonus": 0.5},
    )
    return make_sb3_vec_env(USERS, config=config, max_episode_steps=6)


def test_spaces_are_the_single_users() -> None:
    env = make_sb3_vec_env(2, num_candidates=N, slate_size=K)
    assert env.num_envs == 2
    assert env.observation_space == env.venv.single_observation_space
    assert env.action_space == env.venv.single_action_space
    assert env.get_attr("render_mode") == [None, None] and env.render_mode is None
    assert env.env_is_wrapped(VecMonitor) == [False, False]
    assert not env.has_attr("world")
    with pytest.raises(NotImplementedError, match="no per-user env objects"):
        env.env_method("render")
    with pytest.raises(NotImplementedError, match="no per-user env objects"):
        env.set_attr("render_mode", "ansi")


def test_reset_and_step_follow_the_vec_env_api(env: SB3VecEnv) -> None:
    env.seed(0)
    obs = env.reset()
    for key, space in env.observation_space.spaces.items():
        assert obs[key].shape == (USERS, *space.shape) and obs[key].dtype == space.dtype
        assert all(space.contains(row) for row in obs[key])
    returns, lengths = np.zeros(USERS), np.zeros(USERS, int)
    ended, truncations, bonus_seen = 0, 0, False
    for slates in random_slates(40, USERS, N, K, seed=1):
        obs, rewards, dones, infos = env.step(slates)
        assert rewards.shape == (USERS,) and rewards.dtype == np.float32
        assert dones.shape == (USERS,) and dones.dtype == bool
        assert isinstance(infos, list) and len(infos) == USERS
        returns += rewards
        lengths += 1
        for i, info in enumerate(infos):
            assert info["clicks"].shape == (K,) and info["position_rewards"].shape == (K,)
            assert info["position_rewards"].sum() == pytest.approx(rewards[i])
            bonus_seen |= bool(np.any(info["position_rewards"] == 1.5))
            if not dones[i]:
                assert "terminal_observation" not in info and "episode" not in info
                continue
            terminal = info["terminal_observation"]
            assert env.observation_space.contains(terminal)
            assert terminal["turn"][0] >= 1 and obs["turn"][i, 0] == 0
            assert info["episode"]["r"] == pytest.approx(returns[i])
            assert info["episode"]["l"] == lengths[i] == terminal["turn"][0]
            ended += 1
            truncations += info["TimeLimit.truncated"]
            returns[i], lengths[i] = 0.0, 0
    assert ended > USERS and 0 < truncations < ended  # both ways to end occurred
    assert bonus_seen  # a click on a matching item earned click + intent_bonus


def _rollout(env: SB3VecEnv, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    env.seed(seed)
    first = env.reset()
    rewards = [env.step(slates)[1] for slates in random_slates(10, USERS, N, K, seed=2)]
    return first, np.stack(rewards)


def test_seed_applies_to_the_next_reset_only(env: SB3VecEnv) -> None:
    obs_a, rewards_a = _rollout(env, 3)
    obs_b, rewards_b = _rollout(env, 3)
    obs_c, rewards_c = _rollout(env, 4)
    for key in obs_a:
        assert np.array_equal(obs_a[key], obs_b[key])
    assert np.array_equal(rewards_a, rewards_b)
    assert not np.array_equal(obs_a["candidates"], obs_c["candidates"])
    assert not np.array_equal(rewards_a, rewards_c)
    assert env._seeds == [None] * USERS  # used once, then cleared like DummyVecEnv


def test_sb3_vec_env_wrappers_compose(env: SB3VecEnv) -> None:
    wrapped = VecMonitor(VecCheckNan(env, raise_exception=True))
    wrapped.seed(0)
    wrapped.reset()
    episodes = []
    for slates in random_slates(20, USERS, N, K, seed=5):
        _, _, dones, infos = wrapped.step(slates)
        episodes += [infos[i]["episode"] for i in np.flatnonzero(dones)]
    assert episodes and all(e["l"] >= 1 for e in episodes)


class _Recorder(KVWriter):
    """Keeps every dump of an SB3 logger (a dump clears the logger's own values)."""

    def __init__(self) -> None:
        self.dumps: list[dict[str, Any]] = []

    def write(self, key_values: dict[str, Any], key_excluded: Any, step: int = 0) -> None:
        self.dumps.append(dict(key_values))

    def close(self) -> None:
        pass


@pytest.mark.slow
def test_ppo_trains_on_the_adapter() -> None:
    """Two rollouts of 4 users x 8 turns; episodes end, so PPO logs their returns."""
    env = make_sb3_vec_env(4, num_candidates=N, slate_size=K)
    model = PPO("MultiInputPolicy", env, n_steps=8, batch_size=32, n_epochs=1, seed=0)
    recorder = _Recorder()
    model.set_logger(Logger(None, [recorder]))
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(64)
    assert model.num_timesteps == 64 and model.ep_info_buffer
    assert len(recorder.dumps) == 2
    assert all("rollout/ep_rew_mean" in d and "rollout/ep_len_mean" in d for d in recorder.dumps)
    after = list(model.policy.parameters())
    assert any(not th.equal(a, b) for a, b in zip(after, before, strict=True))

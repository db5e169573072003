"""The native vector env as a stable-baselines3 `VecEnv`.

SB3 trains on a `VecEnv`; its `DummyVecEnv` would step one Python env object per user.
`SB3VecEnv` instead hands SB3's calls to one `InstructionRecVectorEnv`, which steps all
users with numpy, and translates its Gymnasium conventions into SB3's: `done` = terminated
or truncated, the ended session's last observation in `infos[i]["terminal_observation"]`,
`"TimeLimit.truncated"`, and the `"episode"` record that SB3's `Monitor` would add (so PPO
logs `rollout/ep_rew_mean` without a wrapper per user). Both envs restart ended sessions
within the step, so no observation is lost in translation.

    >>> from ifr_sim.envs.sb3_vec_env import make_sb3_vec_env
    >>> env = make_sb3_vec_env(4, num_candidates=20, slate_size=3)
    >>> env.seed(0)
    [0, 1, 2, 3]
    >>> env.reset()["candidates"].shape
    (4, 20)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import (
    VecEnvIndices,
    VecEnvObs,
    VecEnvStepReturn,
)

from ifr_sim.envs.registration import ENV_ID
from ifr_sim.envs.vector_env import InstructionRecVectorEnv

_NO_ENV_OBJECTS = (
    "the native vector env has no per-user env objects; reach the shared world through "
    "`SB3VecEnv.venv` (an InstructionRecVectorEnv)"
)


class SB3VecEnv(VecEnv):
    """An `InstructionRecVectorEnv` behind SB3's `VecEnv` API.

    `infos[i]` holds, for user i, `clicks` (K,) and `position_rewards` (K,) (the reward
    earned at each slate position of the turn just played; they sum to the reward) and
    `TimeLimit.truncated`; when the user's session ended, also `terminal_observation`
    and `episode` (`r` return, `l` length, `t` seconds since construction, as `Monitor`).

    Seeding follows `DummyVecEnv`: `seed(s)` takes effect at the next `reset()`. The
    users share one generator, so the first stored seed seeds them all.

    Args:
        venv: the vector env to adapt; SB3 sees its single-user spaces.
    """

    def __init__(self, venv: InstructionRecVectorEnv) -> None:
        self.venv = venv
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
        self._t_start = time.time()
        self._actions: np.ndarray | None = None
        self._returns = np.zeros(self.num_envs)
        self._lengths = np.zeros(self.num_envs, np.int64)

    def reset(self) -> VecEnvObs:
        options = self._options[0]
        if any(o != options for o in self._options):
            raise ValueError("set_options: the users share one env, pass one options dict")
        obs, _ = self.venv.reset(seed=self._seeds[0], options=options or None)
        self._reset_seeds()
        self._reset_options()
        self._returns[:] = 0.0
        self._lengths[:] = 0
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        if self._actions is None:
            raise RuntimeError("call reset() and step_async() before step_wait()")
        actions, self._actions = self._actions, None
        obs, reward, terminated, truncated, info = self.venv.step(actions)
        clicks, earned = info["clicks"], info["position_rewards"]
        rewards = reward.astype(np.float32, copy=False)
        dones = terminated | truncated
        time_limit = truncated & ~terminated
        infos: list[dict[str, Any]] = [
            {"clicks": c, "position_rewards": p, "TimeLimit.truncated": bool(t)}
            for c, p, t in zip(clicks, earned, time_limit, strict=True)
        ]
        self._returns += rewards
        self._lengths += 1
        ended = np.flatnonzero(dones)
        if len(ended):
            elapsed = round(time.time() - self._t_start, 6)
            final_obs = info["final_obs"]
            for i in ended.tolist():
                infos[i]["terminal_observation"] = final_obs[i]
                infos[i]["episode"] = {
                    "r": round(float(self._returns[i]), 6),
                    "l": int(self._lengths[i]),
                    "t": elapsed,
                }
            self._returns[ended] = 0.0
            self._lengths[ended] = 0
        return obs, rewards, dones, infos

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """`render_mode` (None: the vector env does not render) for each user in `indices`.

        Raises:
            AttributeError: any other name (SB3's `has_attr` expects this error).
        """
        if attr_name == "render_mode":
            return [self.venv.render_mode for _ in self._get_indices(indices)]
        raise AttributeError(f"get_attr({attr_name!r}): {_NO_ENV_OBJECTS}")

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        raise NotImplementedError(f"set_attr({attr_name!r}): {_NO_ENV_OBJECTS}")

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        raise NotImplementedError(f"env_method({method_name!r}): {_NO_ENV_OBJECTS}")

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        """All False: no user is a wrapped Gymnasium env."""
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        raise NotImplementedError(
            f"get_images: {_NO_ENV_OBJECTS}; render one user with "
            f"gymnasium.make({ENV_ID!r}, render_mode='rgb_array') (or 'ansi'), or build "
            f"the envs with SB3's make_vec_env({ENV_ID!r}, n_envs), which renders each"
        )


def make_sb3_vec_env(num_envs: int, **make_kwargs: Any) -> SB3VecEnv:
    """`num_envs` simulated users of `ifr_sim/InstructionRec-v1` as an SB3 `VecEnv`.

    Args:
        num_envs: concurrent users.
        **make_kwargs: keyword arguments of `gymnasium.make_vec` for the env (`preset`,
            `config`, `num_candidates`, `max_episode_steps`, ...).
    """
    venv = gym.make_vec(
        ENV_ID, num_envs=num_envs, vectorization_mode="vector_entry_point", **make_kwargs
    ).unwrapped
    if not isinstance(venv, InstructionRecVectorEnv):
        raise TypeError(f"{ENV_ID} built a {type(venv).__name__}, not InstructionRecVectorEnv")
    return SB3VecEnv(venv)

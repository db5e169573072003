"""Credit assignment inside a slate: per-position advantages for PPO.

A turn's reward is the sum of the rewards earned at its K positions. The policy places
the slate position by position (Plackett-Luce), and the choice at position k cannot change
what happened at positions before it under the top-down examination models (cascade,
DCM, PBM): a user scans the slate from the top, so an item only affects clicks at its own
position and below. The reward already earned above position k is therefore a baseline
for the k-th placement (it depends only on earlier placements), and subtracting it keeps
the policy gradient unbiased while removing noise the k-th choice did not cause:

    A[t, k] = A_GAE[t] − Σ_{j<k} r[t, j]

This is the reward-to-go estimator of PL-Rank / REINFORCE with causality, applied inside
the slate; across turns GAE assigns credit as usual. SB3's PPO takes it unchanged: the
policy returns one log-probability per placement, this buffer one advantage per
placement, and PPO's clipped ratio then works per placement (its arithmetic is
elementwise). With the multinomial-logit click model every item competes with every other
for the single click, so earlier positions *can* depend on later ones; use
`credit="slate"` there (every placement gets the turn's advantage).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.buffers import DictRolloutBuffer
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.type_aliases import DictRolloutBufferSamples
from stable_baselines3.common.vec_env import VecNormalize

Credit = Literal["position", "slate"]


class SlateRolloutBuffer(DictRolloutBuffer):
    """A `DictRolloutBuffer` holding (K,) log-probs and advantages per step.

    `record_position_rewards` is called for every step before SB3 adds it (by
    `PositionRewardCallback`); `compute_returns_and_advantage` runs SB3's own GAE on the
    turn rewards and then spreads it over positions as the module docstring says. `credit`
    is the training config's `ppo.credit` (declared there, with its default).
    """

    def __init__(
        self,
        buffer_size: int,
        observation_space: spaces.Dict,
        action_space: spaces.MultiDiscrete,
        *args: Any,
        credit: Credit,
        **kwargs: Any,
    ) -> None:
        self.slate_size = len(action_space.nvec)
        self.credit = credit
        super().__init__(buffer_size, observation_space, action_space, *args, **kwargs)

    def reset(self) -> None:
        super().reset()
        shape = (self.buffer_size, self.n_envs, self.slate_size)
        self.log_probs = np.zeros(shape, dtype=np.float32)
        self.advantages = np.zeros(shape, dtype=np.float32)
        self.position_rewards = np.zeros(shape, dtype=np.float32)
        self.clicks = np.zeros(shape, dtype=bool)

    def record_position_rewards(self, rewards: np.ndarray, clicks: np.ndarray) -> None:
        """The (n_envs, K) rewards and clicks per position of the step about to be added."""
        self.position_rewards[self.pos] = rewards
        self.clicks[self.pos] = clicks

    def compute_returns_and_advantage(self, last_values: torch.Tensor, dones: np.ndarray) -> None:
        per_position = self.advantages
        self.advantages = np.zeros((self.buffer_size, self.n_envs), dtype=np.float32)
        super().compute_returns_and_advantage(last_values, dones)  # turn-level GAE, returns
        turn = self.advantages[:, :, None]
        if self.credit == "position":
            earlier = np.cumsum(self.position_rewards, axis=2) - self.position_rewards
            per_position[:] = turn - earlier
        else:
            per_position[:] = turn
        self.advantages = per_position

    def _get_samples(  # type: ignore[override]
        self, batch_inds: np.ndarray, env: VecNormalize | None = None
    ) -> DictRolloutBufferSamples:
        samples = super()._get_samples(batch_inds, env)
        return samples._replace(
            old_log_prob=self.to_torch(self.log_probs[batch_inds]),
            advantages=self.to_torch(self.advantages[batch_inds]),
        )


class PositionRewardCallback(BaseCallback):
    """Hands each step's per-position rewards and clicks (from `info`) to the buffer."""

    def _on_step(self) -> bool:
        buffer = getattr(self.model, "rollout_buffer", None)
        if isinstance(buffer, SlateRolloutBuffer):
            infos = self.locals["infos"]
            buffer.record_position_rewards(
                np.stack([info["position_rewards"] for info in infos]),
                np.stack([info["clicks"] for info in infos]),
            )
        return True

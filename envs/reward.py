"""Reward as a plain function of the users' responses (RecSim's convention)."""

from __future__ import annotations

import numpy as np

from ifr_sim.envs.config import RewardConfig


def position_rewards(
    clicks: np.ndarray, slate_satisfies: np.ndarray, config: RewardConfig
) -> np.ndarray:
    """(B, K) reward earned at each slate position; a turn's reward is their sum.

    Args:
        clicks: (B, K) bool clicks per position.
        slate_satisfies: (B, K) bool, the shown item satisfies the intent's hard constraints.
        config: the reward weights.
    """
    return (clicks * (config.click + config.intent_bonus * slate_satisfies)).astype(np.float32)

"""A trained (or zero-shot) `ScorerPolicy` behind the common agent interface."""

from __future__ import annotations

from typing import Any

import numpy as np

from ifr_sim.agents.base import Agent, Observation
from ifr_sim.agents.policy.scorer_policy import ScorerPolicy


class PolicyAgent(Agent):
    """Recommends the policy's mode: the top-K candidates by logit (shown ones penalised)."""

    def __init__(self, policy: ScorerPolicy, name: str = "ppo") -> None:
        self.policy = policy
        self.name = name

    def act(
        self, observation: Observation, info: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        self.policy.set_training_mode(False)
        return np.asarray(self.policy.rank(observation), dtype=np.int64)

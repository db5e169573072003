"""The agent interface every policy follows, so `simulate` and `evaluate` take any by name."""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

Observation = dict[str, np.ndarray]


class Agent(abc.ABC):
    """Chooses slates for a batch of users.

    Agents see what the environment observes; only the oracle also reads the ground truth
    in `info` (that is what makes it the upper bound, not a policy one could deploy).
    """

    name: str = "agent"

    @abc.abstractmethod
    def act(
        self, observation: Observation, info: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        """(B, K) candidate positions for a batch observation (arrays with users on axis 0)."""

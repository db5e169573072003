"""The agent interface every policy follows, so `simulate` and `evaluate` take any by name.

An agent chooses slates (`act`) and may learn from the clicks they got (`learn`).
"""

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

    def learn(  # noqa: B027 (doing nothing is the default: most agents do not learn online)
        self, observation: Observation, slates: np.ndarray, clicks: np.ndarray
    ) -> None:
        """Update from one turn: `slates` (B, K) chosen for `observation`, `clicks` (B, K).

        Every runner calls it after every step, so online learners (the bandit) improve
        while they are evaluated. Agents that do not learn online keep this default, which
        does nothing; PPO learns through its trainer instead.
        """

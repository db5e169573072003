"""Baselines that need no training: random, popularity and the oracle."""

from __future__ import annotations

from typing import Any

import numpy as np

from ifr_sim.agents.base import Agent, Observation
from ifr_sim.catalog import Catalog


class RandomAgent(Agent):
    """K distinct candidates uniformly at random: the floor every agent must beat."""

    name = "random"

    def __init__(self, slate_size: int) -> None:
        self.slate_size = slate_size

    def act(
        self, observation: Observation, info: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        batch, n = observation["candidates"].shape
        keys = rng.random((batch, n))
        return np.argpartition(keys, self.slate_size - 1, axis=1)[:, : self.slate_size]


class PopularityAgent(Agent):
    """The K most popular candidates, ignoring the instruction.

    Candidates shown in an earlier turn go last (scores are in [0, 1], so subtracting
    the `shown` flag demotes them), so a session does not see the same slate every turn.
    """

    name = "popularity"

    def __init__(self, catalog: Catalog, slate_size: int) -> None:
        self.popularity = catalog.popularity
        self.slate_size = slate_size

    def act(
        self, observation: Observation, info: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        scores = self.popularity[observation["candidates"].astype(np.int64)]
        return top_k(scores - observation["shown"], self.slate_size)


class OracleAgent(Agent):
    """Knows the user's true attractiveness (`info["oracle_slate"]`): the upper bound."""

    name = "oracle"

    def act(
        self, observation: Observation, info: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        return np.asarray(info["oracle_slate"]).reshape(len(observation["candidates"]), -1)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """(B, K) positions of the k highest scores per row, best first (ties: lower position)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    return order[:, :k]

"""Baselines that need no training: random, popularity and the oracle."""

from __future__ import annotations

from typing import Any

import numpy as np

from ifr_sim.agents.base import Agent, Observation
from ifr_sim.agents.ranking import candidate_items, rank_candidates
from ifr_sim.core.catalog import Catalog


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

    Candidates shown in an earlier turn go last, so a session does not see the same
    slate every turn.
    """

    name = "popularity"

    def __init__(self, catalog: Catalog, slate_size: int) -> None:
        self.popularity = catalog.popularity
        self.slate_size = slate_size

    def act(
        self, observation: Observation, info: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        scores = self.popularity[candidate_items(observation)]
        return rank_candidates(scores, observation["shown"], self.slate_size)


class OracleAgent(Agent):
    """Knows the user's true attractiveness (`info["oracle_slate"]`): the upper bound."""

    name = "oracle"

    def act(
        self, observation: Observation, info: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        return np.asarray(info["oracle_slate"]).reshape(len(observation["candidates"]), -1)


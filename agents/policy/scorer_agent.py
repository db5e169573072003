"""The language-model scorer used as it is, without fine-tuning: the zero-shot baseline."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ifr_sim.agents.base import Agent, Observation
from ifr_sim.agents.policy.slate_distribution import check_finite_scores
from ifr_sim.agents.ranking import candidate_items, instructions_of, rank_candidates
from ifr_sim.core.scorer import Scorer


class ScorerAgent(Agent):
    """The K candidates a `Scorer` rates highest for the instruction and the user's clicks.

    One scorer call per `act` covers the whole batch; it runs without gradient, so the
    scorer serves item and instruction embeddings from its caches. The same class runs a
    fine-tuned scorer: only the name differs.

    Args:
        scorer: any backend (see `ifr_sim.core.scorer.make_scorer`).
        slate_size: K.
        name: how reports call this agent.
    """

    def __init__(self, scorer: Scorer, slate_size: int, name: str = "zero-shot") -> None:
        self.scorer = scorer
        self.slate_size = slate_size
        self.name = name

    def act(
        self, observation: Observation, info: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        candidates = torch.from_numpy(candidate_items(observation))
        history = torch.from_numpy(np.asarray(observation["history"]).astype(np.int64))
        with torch.no_grad():
            scores = self.scorer(instructions_of(observation), candidates, history)
        check_finite_scores(scores)  # NaN would rank arbitrarily, not fail
        return rank_candidates(scores.float().cpu().numpy(), observation["shown"], self.slate_size)

"""A trained (or zero-shot) `ScorerPolicy` behind the common agent interface."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ifr_sim.agents.base import Agent, Observation
from ifr_sim.agents.policy.scorer_policy import ScorerFeaturesExtractor, ScorerPolicy
from ifr_sim.agents.policy.slate_distribution import PlackettLuceDistribution


class PolicyAgent(Agent):
    """Recommends the policy's mode: the top-K candidates by logit (shown ones penalised).

    Any number of candidates can be ranked, not only the N the policy was built for: the
    actor's logits are the scorer's (less the learned shown and clicked penalties), one
    per candidate, so a labelled instruction that lists 30 candidates, or the whole
    catalog, is ranked by the same scorer as a simulated session's N.
    """

    def __init__(self, policy: ScorerPolicy, name: str = "ppo") -> None:
        self.policy = policy
        self.name = name

    def act(
        self, observation: Observation, info: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        self.policy.set_training_mode(False)
        extractor = self.policy.features_extractor
        assert isinstance(extractor, ScorerFeaturesExtractor)
        tensors = {key: torch.as_tensor(np.asarray(value), device=self.policy.device)
                   for key, value in observation.items()}
        n = tensors["candidates"].shape[-1]
        with torch.no_grad():
            features = extractor(tensors)
        logits = features[:, extractor.query_dim : extractor.query_dim + n]
        # The policy's own distribution: its mode is its slate, and it refuses NaN logits.
        slates = PlackettLuceDistribution(min(self.policy.slate_size, n))
        return slates.proba_distribution(logits).mode().cpu().numpy()

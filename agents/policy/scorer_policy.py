"""The LLM scorer as a stable-baselines3 actor-critic policy.

SB3's `PPO` is used unchanged; the scorer enters through SB3's own extension points:
- `ScorerFeaturesExtractor` (a `BaseFeaturesExtractor`) runs the scorer once per batch
  and returns `[query | candidate logits | session state]`: one shared transformer for
  the actor and the critic, never a second copy;
- `SlateLatents` (in place of SB3's `MlpExtractor`) routes the logits to the actor and the
  query plus session state through a small value MLP to the critic;
- the action distribution is `PlackettLuceDistribution` over the candidate logits.

Pitfalls handled on purpose: SB3's orthogonal init is off (it would overwrite pretrained
weights); observations arrive as float tensors, so ids and bytes are cast back; dropout is
off in the scorer, so the first PPO ratio is exactly 1; the transformer's parameters
get their own learning rate (`encoder_lr_scale` times the heads' rate); and NaN or infinite
candidate logits (a diverged update) stop with an error that says so, in the slate
distribution, instead of ranking candidates arbitrarily.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from stable_baselines3.common.type_aliases import PyTorchObs, Schedule
from torch import nn

from ifr_sim.agents.policy.slate_distribution import PlackettLuceDistribution
from ifr_sim.agents.ranking import instructions_of
from ifr_sim.core.scorer import Scorer

STATE_FEATURES = 3
"""Session state the critic reads besides the query: turn, share shown, history filled."""

TURN_SCALE = 20.0
"""Turns are divided by this (the registered time limit) to stay near [0, 1]."""


class ScorerFeaturesExtractor(BaseFeaturesExtractor):
    """Runs the scorer: features = [query (D) | logits (N) | state (3)].

    A learned `shown_penalty` is subtracted from the logits of candidates shown in an
    earlier turn; it starts high, like the zero-shot agent that never repeats itself, and
    PPO can lower it if re-showing a good item pays. A second learned penalty,
    `clicked_penalty`, applies to candidates in the click history: users rarely click an
    item twice, and without it the policy cannot lower the penalty on items that were
    shown and skipped (often still the best match) without also re-showing the ones
    already clicked. Both initial values come from the training config (`ppo.shown_penalty`,
    `ppo.clicked_penalty`), their one declaration.
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        scorer: Scorer,
        shown_penalty: float,
        clicked_penalty: float,
    ) -> None:
        shape = observation_space["candidates"].shape
        assert shape is not None
        self.num_candidates = int(shape[0])
        super().__init__(observation_space, scorer.query_dim + self.num_candidates + STATE_FEATURES)
        self.scorer = scorer
        self.query_dim = scorer.query_dim
        self.shown_penalty = nn.Parameter(torch.tensor(float(shown_penalty)))
        self.clicked_penalty = nn.Parameter(torch.tensor(float(clicked_penalty)))

    def forward(self, observations: PyTorchObs) -> torch.Tensor:
        obs = observations
        assert isinstance(obs, dict)
        texts = instructions_of({"instruction": obs["instruction"].to("cpu", torch.uint8).numpy()})
        candidates = obs["candidates"].long()
        history = obs["history"].long()
        shown = obs["shown"].float()
        query = self.scorer.encode_query(texts, history)
        logits = self.scorer.score(query, texts, candidates).float()
        clicked = (candidates[:, :, None] == history[:, None, :]).any(dim=-1).float()
        logits = logits - self.shown_penalty * shown - self.clicked_penalty * clicked
        state = torch.stack(
            [
                obs["turn"][:, 0].float() / TURN_SCALE,
                shown.mean(dim=1),
                (history >= 0).float().mean(dim=1),
            ],
            dim=1,
        ).to(logits.device)
        return torch.cat([query.float(), logits, state], dim=1)


class SlateLatents(nn.Module):
    """Splits the features: logits to the actor as they are, query + state to a value MLP."""

    def __init__(self, query_dim: int, num_candidates: int, hidden: int = 64) -> None:
        super().__init__()
        self.query_dim, self.num_candidates = query_dim, num_candidates
        self.latent_dim_pi = num_candidates
        self.latent_dim_vf = hidden
        self.critic = nn.Sequential(
            nn.Linear(query_dim + STATE_FEATURES, hidden),
            nn.Tanh(),
            nn.Linear(hidden, hidden),
            nn.Tanh(),
        )

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward_actor(features), self.forward_critic(features)

    def forward_actor(self, features: torch.Tensor) -> torch.Tensor:
        return features[:, self.query_dim : self.query_dim + self.num_candidates]

    def forward_critic(self, features: torch.Tensor) -> torch.Tensor:
        query = features[:, : self.query_dim]
        state = features[:, self.query_dim + self.num_candidates :]
        return self.critic(torch.cat([query, state], dim=1))


class GroupScaledAdamW(torch.optim.AdamW):
    """AdamW whose parameter groups keep fixed ratios (`lr_scale`) to SB3's learning rate.

    SB3 writes one learning rate into every group before each update; scaling at step
    time keeps the transformer's rate a fixed fraction of the heads'.
    """

    def step(self, closure: Any = None) -> Any:
        base = [group["lr"] for group in self.param_groups]
        for group in self.param_groups:
            group["lr"] = group["lr"] * group.get("lr_scale", 1.0)
        try:
            return super().step(closure)
        finally:
            for group, lr in zip(self.param_groups, base, strict=True):
                group["lr"] = lr


class ScorerPolicy(ActorCriticPolicy):
    """Actor = the scorer's candidate logits under Plackett-Luce; critic = a value MLP.

    The numeric arguments have no defaults here: the training config (`ppo.…`) declares
    them once, and the trainer and the checkpoint loader pass its values.

    Args:
        observation_space, action_space, lr_schedule: as for any SB3 policy.
        scorer: the LLM scorer (its `trainable` mode decides what the transformer trains).
        encoder_lr_scale: the transformer's learning rate as a fraction of the heads'.
        shown_penalty: initial logit penalty of candidates shown earlier in the session.
        clicked_penalty: initial logit penalty of candidates in the click history.
        **kwargs: passed to `ActorCriticPolicy`.
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_space: spaces.MultiDiscrete,
        lr_schedule: Schedule,
        scorer: Scorer,
        encoder_lr_scale: float,
        shown_penalty: float,
        clicked_penalty: float,
        **kwargs: Any,
    ) -> None:
        self.slate_size = len(action_space.nvec)
        self.encoder_lr_scale = encoder_lr_scale
        kwargs.update(
            features_extractor_class=ScorerFeaturesExtractor,
            features_extractor_kwargs={
                "scorer": scorer,
                "shown_penalty": shown_penalty,
                "clicked_penalty": clicked_penalty,
            },
            ortho_init=False,
            share_features_extractor=True,
            optimizer_class=GroupScaledAdamW,
            optimizer_kwargs={"eps": 1e-5, "weight_decay": 0.0},
        )
        super().__init__(observation_space, action_space, lr_schedule, **kwargs)

    @property
    def scorer(self) -> Scorer:
        extractor = self.features_extractor
        assert isinstance(extractor, ScorerFeaturesExtractor)
        return extractor.scorer

    def _build_mlp_extractor(self) -> None:
        extractor = self.features_extractor
        assert isinstance(extractor, ScorerFeaturesExtractor)
        # SB3 types this attribute as its MlpExtractor; ours has the same interface.
        self.mlp_extractor = SlateLatents(  # type: ignore[assignment]
            extractor.query_dim, extractor.num_candidates
        )

    def _build(self, lr_schedule: Schedule) -> None:
        self._build_mlp_extractor()
        distribution = PlackettLuceDistribution(self.slate_size)
        self.action_dist = distribution
        self.action_net = distribution.proba_distribution_net()
        self.value_net = nn.Linear(self.mlp_extractor.latent_dim_vf, 1)
        encoder = {id(p) for p in self.scorer.encoder_parameters()}
        rest = [p for p in self.parameters() if p.requires_grad and id(p) not in encoder]
        groups = [{"params": rest, "lr_scale": 1.0}]
        if encoder:
            groups.append(
                {"params": self.scorer.encoder_parameters(), "lr_scale": self.encoder_lr_scale}
            )
        self.optimizer = self.optimizer_class(  # type: ignore[call-arg]
            groups, lr=lr_schedule(1), **self.optimizer_kwargs
        )

    def _get_action_dist_from_latent(self, latent_pi: torch.Tensor) -> PlackettLuceDistribution:
        return self.action_dist.proba_distribution(self.action_net(latent_pi))

    def forward(
        self, obs: PyTorchObs, deterministic: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Slates, values and (B, K) per-position log-probs (what the rollout buffer keeps)."""
        latent_pi, latent_vf = self.mlp_extractor(self.extract_features(obs))
        distribution = self._get_action_dist_from_latent(latent_pi)
        actions = distribution.get_actions(deterministic=deterministic)
        return actions, self.value_net(latent_vf), distribution.position_log_prob(actions)

    def evaluate_actions(
        self, obs: PyTorchObs, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Values, (B, K) per-position log-probs, and the entropy along the given slates."""
        latent_pi, latent_vf = self.mlp_extractor(self.extract_features(obs))
        distribution = self._get_action_dist_from_latent(latent_pi)
        actions = actions.long()
        return (
            self.value_net(latent_vf),
            distribution.position_log_prob(actions),
            distribution.entropy_along(actions),
        )

    def slate_log_prob(self, obs: PyTorchObs, actions: torch.Tensor) -> torch.Tensor:
        """(B,) log-probability of whole slates (for the KL to the reference policy).

        Only the actor runs: no value and no entropy, which the KL estimate does not read.
        """
        features = self.extract_features(obs)
        assert isinstance(features, torch.Tensor)  # one extractor, shared by actor and critic
        latent_pi = self.mlp_extractor.forward_actor(features)
        distribution = self._get_action_dist_from_latent(latent_pi)
        return distribution.position_log_prob(actions.long()).sum(dim=-1)

    def rank(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        """(B, K) deterministic slates (top-K logits) for a batch observation, as numpy."""
        return self.predict(observation, deterministic=True)[0]

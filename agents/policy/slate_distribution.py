"""The Plackett-Luce slate distribution, as a stable-baselines3 `Distribution`.

A ranking policy gives every candidate a score s_i. Plackett-Luce draws a slate of K
distinct candidates one position at a time, each time with probability softmax of the
scores of the candidates not yet placed:

    log p(a_1..a_K) = Σ_k [ s(a_k) − logsumexp_{i not in a_<k} s_i ]

Sampling uses the Gumbel top-K trick (add Gumbel noise to the scores, take the K largest),
which draws exactly this distribution in one pass; the mode is the top-K by score. Because
it implements SB3's `Distribution`, PPO itself is unchanged: the slate is one action whose
log-probability is the sum above.

Entropy: exact for K = 1 (a categorical). For K > 1 the slate entropy has no closed form;
by the chain rule H(A_1..A_K) = Σ_k E[H(A_k | A_<k)], so summing the conditional entropies
along one slate drawn from the distribution is an unbiased estimate. `entropy()` draws
that slate itself; `entropy_along(actions)` uses given ones (PPO passes the slates it is
re-evaluating, which were drawn from the rollout policy).
"""

from __future__ import annotations

from typing import Any

import torch
from stable_baselines3.common.distributions import Distribution
from torch import nn


def check_finite_scores(scores: torch.Tensor) -> None:
    """Fail loudly on NaN or infinite scores, which would otherwise rank arbitrarily.

    The fast path is one sum: a finite sum means every score is finite, and a sum is
    several times cheaper than an elementwise test (which runs only when the sum is not
    finite, to tell an overflow from a bad score). The details are counted on failure.

    Raises:
        ValueError: naming how many rows hold NaN or infinite scores, the likely cause
            and the fix.
    """
    if bool(torch.isfinite(scores.detach().sum())) or bool(torch.isfinite(scores).all()):
        return
    nan, inf = torch.isnan(scores), torch.isinf(scores)
    rows = (nan | inf).reshape(-1, scores.shape[-1]).any(dim=-1)
    raise ValueError(
        f"the policy produced NaN or infinite candidate scores ({int(nan.sum())} NaN, "
        f"{int(inf.sum())} infinite, in {int(rows.sum())} of {rows.numel()} rows). The usual "
        "cause is a diverged fine-tune: go back to the last checkpoint saved before it and "
        "train with a lower ppo.learning_rate, ppo.encoder_lr_scale or ppo.max_grad_norm. "
        "If no update has run yet, check the model's weights (a damaged file, or float16 "
        "overflow: load it in float32 or bfloat16)."
    )


class PlackettLuceDistribution(Distribution):
    """Slates of `slate_size` distinct candidates from per-candidate scores (logits)."""

    def __init__(self, slate_size: int) -> None:
        super().__init__()
        if slate_size < 1:
            raise ValueError(f"slate_size={slate_size} is invalid: use at least 1")
        self.slate_size = slate_size
        self.logits: torch.Tensor | None = None

    def proba_distribution_net(self, *args: Any, **kwargs: Any) -> nn.Module:
        """The scorer already outputs one logit per candidate: no extra layer."""
        return nn.Identity()

    def proba_distribution(self, logits: torch.Tensor) -> PlackettLuceDistribution:
        """Set the (B, N) candidate scores."""
        if logits.shape[-1] < self.slate_size:
            raise ValueError(
                f"{logits.shape[-1]} candidates cannot fill a slate of {self.slate_size}"
            )
        check_finite_scores(logits)
        self.logits = logits
        return self

    def _scores(self) -> torch.Tensor:
        if self.logits is None:
            raise RuntimeError("call proba_distribution(logits) first")
        return self.logits

    def log_prob(self, actions: torch.Tensor) -> torch.Tensor:
        """(B,) log-probability of (B, K) slates (−inf for a slate with a repeated index)."""
        return self.position_log_prob(actions).sum(dim=-1)

    def position_log_prob(self, actions: torch.Tensor) -> torch.Tensor:
        """(B, K) log p(a_k | a_<k): each placement's own term of the slate log-probability.

        PPO with per-position credit takes one ratio per placement from these.
        """
        return self._walk(actions.long())[0]

    def entropy(self) -> torch.Tensor:
        """(B,) exact for K = 1, else the chain-rule estimate along a sampled slate."""
        return self.entropy_along(self.sample())

    def entropy_along(self, actions: torch.Tensor) -> torch.Tensor:
        """(B,) Σ_k H(A_k | A_<k = actions_<k): the slate entropy's chain-rule terms."""
        return self._walk(actions.long())[1]

    def sample(self) -> torch.Tensor:
        """(B, K) slates drawn by Gumbel top-K."""
        logits = self._scores().detach()
        uniform = torch.rand_like(logits).clamp_(1e-20, 1.0)
        gumbel = -torch.log(-torch.log(uniform))
        return torch.topk(logits + gumbel, self.slate_size, dim=-1).indices

    def mode(self) -> torch.Tensor:
        """(B, K) the K highest-scoring candidates, best first."""
        return torch.topk(self._scores().detach(), self.slate_size, dim=-1).indices

    def actions_from_params(
        self, logits: torch.Tensor, deterministic: bool = False
    ) -> torch.Tensor:
        self.proba_distribution(logits)
        return self.get_actions(deterministic=deterministic)

    def log_prob_from_params(self, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        actions = self.actions_from_params(logits)
        return actions, self.log_prob(actions)

    def _walk(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Place the slate position by position: ((B, K) conditional log-probs, (B,) Σ
        conditional entropies)."""
        scores = self._scores()
        removed = torch.zeros_like(scores, dtype=torch.bool)
        terms = []
        entropy = scores.new_zeros(scores.shape[0])
        rows = torch.arange(scores.shape[0], device=scores.device)
        for k in range(actions.shape[1]):
            step = torch.log_softmax(scores.masked_fill(removed, float("-inf")), dim=-1)
            chosen = actions[:, k]
            terms.append(step[rows, chosen])
            safe_step = step.masked_fill(removed, 0.0)  # 0·log 0 = 0, with finite gradients
            entropy = entropy - (step.exp() * safe_step).sum(dim=-1)
            removed = removed.clone()
            removed[rows, chosen] = True
        return torch.stack(terms, dim=-1), entropy

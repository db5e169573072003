"""A KL penalty to the frozen zero-shot policy, in the reward (as in RLHF).

Fine-tuning a pretrained scorer on a few thousand simulated clicks can drift far from what
the language model knew. As in InstructGPT-style RLHF, each step's reward is reduced by
`coef * (log π(a|s) − log π_ref(a|s))` for the slate actually taken, where π_ref is a frozen
copy of the policy before training. In expectation over π's own actions this is
`coef · KL(π ‖ π_ref)`, so PPO maximises clicks minus the divergence. The penalty goes into
the reward rather than the loss, so SB3's PPO is used unchanged; the mean per-step
estimate is logged as `train/kl_ref`.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback

from ifr_sim.agents.policy.scorer_policy import ScorerPolicy


class KLPenaltyCallback(BaseCallback):
    """Shapes rollout rewards with the KL estimate to a frozen reference policy.

    Args:
        coef: weight of the penalty (0 turns it off but still logs the divergence).
        reference: the frozen reference; None copies the policy when training starts
            (a resumed run passes the initial policy, since its own has trained).
    """

    def __init__(
        self, coef: float, reference: ScorerPolicy | None = None, verbose: int = 0
    ) -> None:
        super().__init__(verbose)
        self.coef = coef
        self.reference = reference
        self._estimates: list[float] = []

    def _on_training_start(self) -> None:
        policy = self.model.policy
        assert isinstance(policy, ScorerPolicy)
        if self.reference is None:
            self.reference = frozen_copy(policy)

    def _on_rollout_start(self) -> None:
        self._estimates = []

    def _on_step(self) -> bool:
        assert self.reference is not None
        obs = self.locals["obs_tensor"]
        actions = torch.as_tensor(self.locals["actions"], device=self.reference.device)
        log_prob = self.locals["log_probs"].sum(dim=-1)
        with torch.no_grad():
            reference = self.reference.slate_log_prob(obs, actions)
        estimate = (log_prob - reference).cpu().numpy()
        self._estimates.append(float(estimate.mean()))
        rewards: np.ndarray = self.locals["rewards"]
        rewards -= (self.coef * estimate).astype(rewards.dtype)  # in place: SB3 stores it next
        return True

    def _on_rollout_end(self) -> None:
        if self._estimates:
            self.logger.record("train/kl_ref", float(np.mean(self._estimates)))


def frozen_copy(policy: ScorerPolicy) -> ScorerPolicy:
    """A frozen copy of `policy` that shares, rather than copies, what training cannot change.

    Only what trains is copied: the heads, the penalties, the value network, and the
    encoder's LoRA adapters or weights when those train. Frozen encoder weights are shared;
    a frozen encoder is shared whole, with its encoding cache, so the reference reads the
    item and instruction embeddings the policy computed and computes none of its own
    (`Scorer.frozen_copy_memo`).
    """
    reference = copy.deepcopy(policy, policy.scorer.frozen_copy_memo())
    reference.set_training_mode(False)
    reference.requires_grad_(False)
    return reference

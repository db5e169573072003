"""The auxiliary click loss: its value, where it runs, and that it learns from clicks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback, CallbackList

from ifr_sim.agents.policy.click_loss import ClickBatch, ClickLossCallback, click_loss, snapshot
from ifr_sim.agents.policy.credit import PositionRewardCallback, SlateRolloutBuffer
from ifr_sim.agents.policy.slate_distribution import PlackettLuceDistribution
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.agents.training.trainer import build_ppo
from ifr_sim.core.config import with_overrides

pytest_plugins = ("scorer_fixtures", "training_fixtures")


@pytest.fixture(scope="module")
def config(tiny_training: TrainConfig) -> TrainConfig:
    """Rollouts of 4 users x 8 turns = 32 steps."""
    return with_overrides(tiny_training, {"ppo.n_steps": 8})


def test_click_loss_by_hand() -> None:
    """Two users, logits over 3 candidates; clicks on candidate 0 (user 0) and 2 (user 1).

    log softmax([0, ln 2, ln 3]) = [ln 1/6, ln 2/6, ln 3/6]; user 0 clicks candidate 0
    (−ln 1/6 = ln 6) and user 1 clicks candidate 2 under uniform logits (ln 3): mean of two.
    """
    logits = torch.tensor([[0.0, math.log(2), math.log(3)], [0.0, 0.0, 0.0]])
    slates = torch.tensor([[0, 1], [1, 2]])
    clicks = torch.tensor([[True, False], [False, True]])
    expected = (math.log(6) + math.log(3)) / 2
    assert click_loss(logits, slates, clicks).item() == pytest.approx(expected, rel=1e-6)


def test_click_loss_without_clicks_is_zero() -> None:
    logits = torch.randn(2, 5, requires_grad=True)
    loss = click_loss(logits, torch.tensor([[0, 1], [2, 3]]), torch.zeros(2, 2, dtype=torch.bool))
    assert loss.item() == 0.0
    loss.backward()
    assert logits.grad is not None and torch.count_nonzero(logits.grad) == 0


def test_gradient_raises_the_clicked_logit_and_lowers_the_rest() -> None:
    logits = torch.zeros(1, 4, requires_grad=True)
    click_loss(logits, torch.tensor([[1, 3]]), torch.tensor([[True, False]])).backward()
    assert logits.grad is not None
    grad = logits.grad[0]
    assert grad[1] < 0 and (grad[[0, 2, 3]] > 0).all()  # descent raises candidate 1 only


class Capture(BaseCallback):
    """Keeps a snapshot of the last complete rollout, and the buffer's clicks then."""

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        buffer = getattr(self.model, "rollout_buffer", None)
        assert isinstance(buffer, SlateRolloutBuffer)
        self.batch = snapshot(buffer)
        self.clicks = buffer.clicks.copy()


def one_rollout(config: TrainConfig) -> tuple[PPO, ClickBatch, np.ndarray]:
    model = build_ppo(config)
    capture = Capture()
    model.learn(32, callback=CallbackList([PositionRewardCallback(), capture]))
    return model, capture.batch, capture.clicks


def test_snapshot_flattens_the_rollout_and_owns_its_copy(config: TrainConfig) -> None:
    model, batch, clicks = one_rollout(config)
    assert batch.slates.shape == batch.clicks.shape == (32, 4)
    assert batch.observations["candidates"].shape == (32, 20)
    assert batch.clicks.dtype == bool
    np.testing.assert_array_equal(batch.clicks, clicks.reshape(32, 4))
    buffer = model.rollout_buffer
    assert isinstance(buffer, SlateRolloutBuffer)
    buffer.clicks[:] = ~buffer.clicks
    np.testing.assert_array_equal(batch.clicks, clicks.reshape(32, 4))
    with pytest.raises(RuntimeError, match="before PPO"):
        snapshot(buffer)  # PPO's update has read (and reordered) it


def test_click_pass_runs_after_the_ppo_update_and_logs(config: TrainConfig) -> None:
    """The pass fits the rollout PPO just used, after PPO's update: the policy that PPO
    updates from is the one that collected the rollout (so its first ratio stays 1)."""
    model = build_ppo(config)
    events: list[str] = []
    original_train = model.train

    def train_and_note() -> None:
        events.append("ppo update")
        original_train()

    model.train = train_and_note
    click = ClickLossCallback(coef=1.0, epochs=1, batch_size=16, max_grad_norm=0.5)
    original_fit = click._fit_pending

    def fit_and_note() -> None:
        if click._pending is not None:
            events.append("click pass")
        original_fit()

    click._fit_pending = fit_and_note
    model.learn(64, callback=CallbackList([PositionRewardCallback(), click]))
    assert events == ["ppo update", "click pass", "ppo update", "click pass"]
    assert "train/click_loss" in model.logger.name_to_value


def test_click_pass_learns_which_candidates_get_clicked(config: TrainConfig) -> None:
    """Repeated passes over one rollout lower the click loss on it (the scorer fits)."""
    model, batch, _ = one_rollout(config)
    batch.clicks[:] = False
    batch.clicks[:, 0] = True  # every user clicks the first item of every slate
    policy = model.policy

    def loss() -> float:
        with torch.no_grad():
            obs = {k: torch.as_tensor(v) for k, v in batch.observations.items()}
            distribution = policy.get_distribution(obs)
            assert isinstance(distribution, PlackettLuceDistribution)
            return click_loss(distribution.logits, torch.as_tensor(batch.slates),
                              torch.as_tensor(batch.clicks)).item()

    before = loss()
    click = ClickLossCallback(coef=1.0, epochs=20, batch_size=16, max_grad_norm=0.5)
    click.init_callback(model)
    click._pending = batch
    click._fit_pending()
    assert loss() < before - 0.1

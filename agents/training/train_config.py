"""Typed configuration of a PPO training run, and its presets (quick, standard, gpu)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ifr_sim.core.config import (
    ConfigError,
    check,
    from_dict,
    help_field,
    nested_field,
    read_config_file,
    with_file_values,
)
from ifr_sim.core.scorer import ScorerConfig
from ifr_sim.envs.config import WorldConfig


@dataclass(frozen=True)
class PPOConfig:
    """PPO's knobs (SB3 names where SB3 has one)."""

    n_envs: int = help_field(32, "simulated users stepped together during rollouts")
    n_steps: int = help_field(8, "turns per user per rollout (rollout = n_envs * n_steps)")
    batch_size: int = help_field(64, "minibatch size of each gradient step")
    n_epochs: int = help_field(8, "passes over each rollout")
    learning_rate: float = help_field(5e-3, "learning rate of the heads")
    final_learning_rate: float | None = help_field(
        None, "the heads' learning rate at the last step, reached linearly (unset: constant)"
    )
    encoder_lr_scale: float = help_field(
        0.05, "the transformer's (LoRA or full) learning rate as a fraction of the heads'"
    )
    gamma: float = help_field(0.9, "discount across the turns of a session")
    gae_lambda: float = help_field(0.95, "GAE lambda")
    clip_range: float = help_field(0.2, "PPO ratio clipping")
    ent_coef: float = help_field(0.0, "entropy bonus weight")
    vf_coef: float = help_field(0.5, "value loss weight")
    max_grad_norm: float = help_field(0.5, "gradient clipping norm")
    kl_coef: float = help_field(
        0.02, "weight of the KL penalty to the frozen zero-shot policy (in the reward)"
    )
    credit: Literal["position", "slate"] = help_field(
        "position", "credit inside a slate: per-position reward-to-go, or the whole turn"
    )
    shown_penalty: float = help_field(
        5.0, "initial logit penalty for candidates shown earlier in the session (learned)"
    )
    clicked_penalty: float = help_field(
        10.0, "initial logit penalty for candidates the user already clicked (learned)"
    )
    click_loss_coef: float = help_field(
        2.0, "weight of the auxiliary click loss fitted after each PPO update (0 = PPO alone)"
    )
    click_loss_epochs: int = help_field(4, "passes of the auxiliary click loss over a rollout")

    def __post_init__(self) -> None:
        for name in ("n_envs", "n_steps", "batch_size", "n_epochs", "click_loss_epochs"):
            value = getattr(self, name)
            check(value >= 1, f"ppo.{name}", value, "use a whole number >= 1")
        check(
            self.batch_size <= self.n_envs * self.n_steps,
            "ppo.batch_size",
            self.batch_size,
            f"use at most n_envs * n_steps ({self.n_envs * self.n_steps})",
        )
        rollout = self.n_envs * self.n_steps
        check(rollout % self.batch_size == 0, "ppo.batch_size", self.batch_size,
              f"use a divisor of n_envs * n_steps ({rollout}), e.g. "
              f"{', '.join(map(str, _divisors_near(rollout, self.batch_size)))}; otherwise "
              "every epoch ends on a smaller minibatch, which SB3 warns about")
        check(self.learning_rate > 0, "ppo.learning_rate", self.learning_rate, "use > 0")
        if self.final_learning_rate is not None:
            check(self.final_learning_rate > 0, "ppo.final_learning_rate",
                  self.final_learning_rate, "use > 0, or leave it unset for a constant rate")
        check(self.encoder_lr_scale >= 0, "ppo.encoder_lr_scale", self.encoder_lr_scale, "use >= 0")
        for name in ("gamma", "gae_lambda"):
            value = getattr(self, name)
            check(0.0 <= value <= 1.0, f"ppo.{name}", value, "use a value in [0, 1]")
        check(0.0 < self.clip_range < 1.0, "ppo.clip_range", self.clip_range, "use (0, 1)")
        for name in ("ent_coef", "vf_coef", "kl_coef", "max_grad_norm", "click_loss_coef"):
            value = getattr(self, name)
            check(value >= 0, f"ppo.{name}", value, "use a number >= 0")


@dataclass(frozen=True)
class TrainConfig:
    """A whole training run: world, scorer, PPO, budget and evaluation."""

    world: WorldConfig = nested_field(
        WorldConfig, "the simulated world (training uses its train split)"
    )
    scorer: ScorerConfig = nested_field(ScorerConfig, "the language-model scorer")
    ppo: PPOConfig = nested_field(PPOConfig, "PPO")
    total_steps: int = help_field(20_000, "environment steps (user turns) to train for")
    eval_every: int = help_field(5_000, "evaluate on held-out users and templates every E steps")
    eval_episodes: int = help_field(200, "held-out sessions per evaluation")
    seed: int = help_field(0, "seed of the world's users, the policy and PPO")
    checkpoint_every: int = help_field(
        10_000, "save a resumable checkpoint every C steps (and after every evaluation)"
    )
    tensorboard_log: str | None = help_field(
        None, "also write every logged value as TensorBoard events under this directory"
    )

    def __post_init__(self) -> None:
        check(self.total_steps >= 1, "total_steps", self.total_steps, "use a whole number >= 1")
        check(self.world.split == "train", "world.split", self.world.split,
              "training always learns from the train split and evaluates on the held-out "
              "one; leave world.split at 'train'")
        check(not (self.ppo.credit == "position" and self.world.clicks.model == "mnl"),
              "ppo.credit", self.ppo.credit,
              "per-position credit is biased under world.clicks.model='mnl' (every item "
              "competes for the one click, so later positions change earlier ones); set "
              "ppo.credit='slate', or use a top-down click model (cascade, pbm, dcm)")
        check(self.eval_every >= 1, "eval_every", self.eval_every, "use a whole number >= 1")
        check(self.checkpoint_every >= 1, "checkpoint_every", self.checkpoint_every,
              "use a whole number >= 1")
        check(self.eval_episodes >= 1, "eval_episodes", self.eval_episodes, "use >= 1")


def _divisors_near(number: int, target: int) -> list[int]:
    """Up to three divisors of `number` closest to `target`, ascending."""
    divisors = [d for d in range(1, number + 1) if number % d == 0]
    return sorted(sorted(divisors, key=lambda d: (abs(d - target), d))[:3])


TRAIN_PRESETS: dict[str, dict[str, Any]] = {
    "quick": {"total_steps": 8_000, "eval_every": 4_000, "eval_episodes": 200},
    "standard": {
        "total_steps": 150_000,
        "eval_every": 15_000,
        "eval_episodes": 300,
        "ppo": {"n_envs": 64, "n_steps": 8, "batch_size": 128, "final_learning_rate": 5e-4},
    },
    "gpu": {
        "total_steps": 60_000,
        "eval_every": 10_000,
        "eval_episodes": 500,
        "scorer": {"trainable": "lora"},
        "ppo": {"n_envs": 128, "n_steps": 8, "batch_size": 256},
    },
}
"""`quick`: a few minutes on 2 CPU cores (frozen encoder, trainable heads); `standard`: the
same on CPU for longer, the learning rate falling linearly to a tenth; `gpu`: LoRA
adapters on the encoder (bring a bigger model with `scorer.model_path`)."""

DEFAULT_TRAIN_PRESET = "quick"
"""The preset of `ifr-sim train` and of a training config file that names none."""


def train_preset(name: str) -> TrainConfig:
    """The `TrainConfig` of a named preset."""
    if name not in TRAIN_PRESETS:
        raise ConfigError(
            f"unknown training preset {name!r}; choose one of {sorted(TRAIN_PRESETS)}"
        )
    return from_dict(TrainConfig, TRAIN_PRESETS[name])


def load_train_config(path: str | Path) -> TrainConfig:
    """A `TrainConfig` from a TOML/YAML file; a top-level `preset` key picks the base."""
    data = read_config_file(path)
    base = train_preset(data.pop("preset", DEFAULT_TRAIN_PRESET))
    return with_file_values(base, data)


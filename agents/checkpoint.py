"""Checkpoints: the trained parameters in safetensors plus the config, never a pickle.

A checkpoint directory holds `config.json` (the whole `TrainConfig`) and `policy.safetensors`
(only the parameters that train: heads, value network, shown penalty, and LoRA adapters or
full encoder weights when those train). The frozen transformer is not copied: loading
rebuilds it from `scorer.model_path` (or the bundled default) and overlays the saved
tensors. Files are written to a temporary name and renamed, so a crash mid-save leaves
the previous checkpoint intact.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ifr_sim.agents.policy import ScorerPolicy
from ifr_sim.agents.train_config import TrainConfig
from ifr_sim.atomic_io import write_atomically, write_text_atomically
from ifr_sim.config import from_dict, to_dict
from ifr_sim.envs.spaces import action_space, observation_space
from ifr_sim.envs.world import load_catalog
from ifr_sim.scorer import make_scorer

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "policy.safetensors"


class CheckpointError(ValueError):
    """A checkpoint directory is missing, incomplete or does not match its config."""


def build_policy(config: TrainConfig) -> ScorerPolicy:
    """A fresh (zero-shot) policy for the config's world and scorer."""
    catalog = load_catalog(config.world.catalog)
    scorer = make_scorer(config.scorer, catalog)
    return ScorerPolicy(
        observation_space(config.world, len(catalog)),
        action_space(config.world),
        lambda _: config.ppo.learning_rate,
        scorer=scorer,
        encoder_lr_scale=config.ppo.encoder_lr_scale,
        shown_penalty=config.ppo.shown_penalty,
    )


def trained_state(policy: ScorerPolicy) -> dict[str, torch.Tensor]:
    """The parameters that train, by name (what a checkpoint stores)."""
    return {
        name: param.detach().cpu().contiguous()
        for name, param in policy.named_parameters()
        if param.requires_grad
    }


def save_checkpoint(policy: ScorerPolicy, config: TrainConfig, directory: Path) -> None:
    """Write `config.json` and `policy.safetensors` into `directory`, atomically each."""
    directory.mkdir(parents=True, exist_ok=True)
    write_text_atomically(directory / CONFIG_FILE, json.dumps(to_dict(config), indent=2) + "\n")
    state = trained_state(policy)
    write_atomically(directory / WEIGHTS_FILE, lambda path: save_file(state, path))


def load_checkpoint(directory: Path) -> tuple[ScorerPolicy, TrainConfig]:
    """Rebuild the policy saved in `directory`; errors say what is missing or wrong."""
    config_path, weights_path = directory / CONFIG_FILE, directory / WEIGHTS_FILE
    for path in (config_path, weights_path):
        if not path.is_file():
            raise CheckpointError(
                f"{directory} is not a checkpoint: {path.name} is missing (a checkpoint "
                f"directory holds {CONFIG_FILE} and {WEIGHTS_FILE}, as `ifr-sim train` writes)"
            )
    try:
        config = from_dict(TrainConfig, json.loads(config_path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, ValueError) as error:
        raise CheckpointError(f"{config_path} is not a valid training config: {error}") from None
    try:
        tensors = load_file(weights_path)
    except Exception as error:  # safetensors raises its own error types for corrupt files
        raise CheckpointError(f"{weights_path} is corrupt or truncated: {error}") from None
    policy = build_policy(config)
    expected = trained_state(policy)
    missing, unexpected = set(expected) - set(tensors), set(tensors) - set(expected)
    if missing or unexpected:
        raise CheckpointError(
            f"{weights_path} does not match its config: missing {sorted(missing)[:5]}, "
            f"unexpected {sorted(unexpected)[:5]}"
        )
    wrong = [k for k, v in tensors.items() if v.shape != expected[k].shape]
    if wrong:
        raise CheckpointError(f"{weights_path}: tensors {wrong[:5]} have the wrong shape")
    policy.load_state_dict(tensors, strict=False)
    return policy, config


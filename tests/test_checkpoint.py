"""Checkpoints: round trip, rotation, and every way a checkpoint can be damaged.

A tiny randomly initialised BERT (tests/scorer_fixtures.py) and a 200-item synthetic
catalog keep the real policy, optimizer and file formats in play at test speed.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import CallbackList

from ifr_sim.agents.policy.credit import PositionRewardCallback
from ifr_sim.agents.policy.kl_penalty import KLPenaltyCallback
from ifr_sim.agents.training import checkpoint as checkpoint_module
from ifr_sim.agents.training.checkpoint import (
    FILES,
    MANIFEST_FILE,
    CheckpointError,
    CheckpointWarning,
    TrainingState,
    load_checkpoint,
    previous_directory,
    read_checkpoint,
    save_checkpoint,
    trained_state,
)
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.agents.training.trainer import build_ppo
from ifr_sim.core.config import with_overrides

pytest_plugins = ("scorer_fixtures", "training_fixtures")


@pytest.fixture(scope="module")
def config(tiny_training: TrainConfig) -> TrainConfig:
    return tiny_training


@pytest.fixture(scope="module")
def model(config: TrainConfig) -> PPO:
    """A learner after one update, so that the optimizer has moments to save."""
    model = build_ppo(config)
    model.learn(16, callback=CallbackList(
        [PositionRewardCallback(), KLPenaltyCallback(config.ppo.kl_coef)]))
    return model


def state(step: int, **changes: object) -> TrainingState:
    base = TrainingState(
        step=step, updates=step // 16, next_eval=step + 100, next_checkpoint=step + 32,
        finished=False, history=[{"step": 0, "reward": 1.5, "coverage_ci95": float("nan")}],
        episodes=[{"r": 2.0, "l": 3, "t": 0.5}],
        progress_rows=step // 16, run_id="train-x", reference_sha256="ab", oracle_reward=4.0,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def saved(model: PPO, config: TrainConfig, directory: Path, *steps: int) -> Path:
    for step in steps:
        save_checkpoint(directory, config, model.policy, state(step))
    return directory


def test_round_trip_restores_weights_optimizer_state_and_config(
    model: PPO, config: TrainConfig, tmp_path: Path
) -> None:
    directory = saved(model, config, tmp_path / "checkpoint", 16)
    checkpoint = read_checkpoint(directory)
    assert checkpoint.directory == directory and checkpoint.config == config
    assert checkpoint.state.step == 16 and checkpoint.state.episodes == [{"r": 2.0, "l": 3,
                                                                          "t": 0.5}]
    expected = trained_state(model.policy)
    assert checkpoint.weights.keys() == expected.keys()
    assert all(torch.equal(checkpoint.weights[k], expected[k]) for k in expected)
    saved_moments = checkpoint.optimizer["state"]
    live_moments = model.policy.optimizer.state_dict()["state"]
    assert saved_moments.keys() == live_moments.keys() and saved_moments
    for index, moments in live_moments.items():
        assert all(torch.equal(saved_moments[index][k], v) for k, v in moments.items())
    assert {p.name for p in directory.iterdir()} == {*FILES, MANIFEST_FILE}


def test_loaded_policy_scores_like_the_saved_one(
    model: PPO, config: TrainConfig, tmp_path: Path
) -> None:
    directory = saved(model, config, tmp_path / "checkpoint", 16)
    loaded, loaded_config = load_checkpoint(directory)
    assert loaded_config == config
    obs = model.policy.obs_to_tensor(model.env.reset())[0]
    with torch.no_grad():
        assert torch.allclose(model.policy.extract_features(obs), loaded.extract_features(obs),
                              atol=1e-5)
    from ifr_sim.agents.recommender import Recommender

    recommendations = Recommender.from_checkpoint(directory).recommend("a gift", k=3)
    assert [r.rank for r in recommendations] == [1, 2, 3]


def test_each_save_keeps_the_one_before(model: PPO, config: TrainConfig, tmp_path: Path) -> None:
    directory = saved(model, config, tmp_path / "checkpoint", 16, 32, 48)
    assert read_checkpoint(directory).state.step == 48
    assert read_checkpoint(previous_directory(directory)).state.step == 32
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint", "checkpoint-prev"]


@pytest.mark.parametrize("name", [*FILES, MANIFEST_FILE])
def test_a_truncated_file_is_reported_and_the_previous_checkpoint_used(
    model: PPO, config: TrainConfig, tmp_path: Path, name: str
) -> None:
    directory = saved(model, config, tmp_path / "checkpoint", 16, 32)
    path = directory / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.warns(CheckpointWarning, match="using the previous checkpoint") as caught:
        checkpoint = read_checkpoint(directory)
    assert checkpoint.state.step == 16 and checkpoint.directory == previous_directory(directory)
    assert f"{name} is" in str(caught[0].message)


def test_a_flipped_byte_is_caught_by_the_digest(
    model: PPO, config: TrainConfig, tmp_path: Path
) -> None:
    directory = saved(model, config, tmp_path / "checkpoint", 16)
    weights = directory / "policy.safetensors"
    data = bytearray(weights.read_bytes())
    data[-3] ^= 0xFF  # same size, one value changed: only the digest can tell
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"policy\.safetensors is corrupt: its SHA-256"):
        read_checkpoint(directory)


def test_a_checkpoint_without_manifest_is_incomplete(
    model: PPO, config: TrainConfig, tmp_path: Path
) -> None:
    directory = saved(model, config, tmp_path / "checkpoint", 16)
    (directory / MANIFEST_FILE).unlink()
    with pytest.raises(CheckpointError, match=r"manifest\.json is missing"):
        load_checkpoint(directory)
    with pytest.raises(CheckpointError, match="does not exist"):
        read_checkpoint(tmp_path / "nowhere")


def test_both_checkpoints_unusable_names_both(
    model: PPO, config: TrainConfig, tmp_path: Path
) -> None:
    directory = saved(model, config, tmp_path / "checkpoint", 16, 32)
    for path in (directory, previous_directory(directory)):
        (path / "state.json").write_text("{}")
    with pytest.raises(CheckpointError, match="the previous checkpoint is unusable too"):
        read_checkpoint(directory)


def test_a_failed_save_leaves_the_last_checkpoint_and_no_debris(
    model: PPO, config: TrainConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = saved(model, config, tmp_path / "checkpoint", 16)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint_module.torch, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(directory, config, model.policy, state(32))
    assert read_checkpoint(directory).state.step == 16
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]


def test_debris_of_a_killed_save_is_ignored_then_cleaned(
    model: PPO, config: TrainConfig, tmp_path: Path
) -> None:
    """A process killed while staging leaves a hidden half-written directory; one killed
    between the renames leaves only `-prev`. Reads cope with both; the next save cleans up."""
    directory = saved(model, config, tmp_path / "checkpoint", 16, 32)
    # Killed after the first two renames of a save: no checkpoint/, the old previous
    # retired, the staged one (here half-written) never renamed into place.
    previous_directory(directory).rename(tmp_path / ".checkpoint.retired-dead")
    directory.rename(previous_directory(directory))
    staged = tmp_path / ".checkpoint.staged-dead"
    staged.mkdir()
    (staged / "config.json").write_text("{")
    with pytest.warns(CheckpointWarning, match="does not exist"):
        assert read_checkpoint(directory).state.step == 32
    saved(model, config, directory, 48)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint", "checkpoint-prev"]
    assert read_checkpoint(directory).state.step == 48
    assert read_checkpoint(previous_directory(directory)).state.step == 32


def test_an_optimizer_file_with_code_in_it_is_refused(
    model: PPO, config: TrainConfig, tmp_path: Path
) -> None:
    """`weights_only=True`: a pickle that would import and call anything is an error, even
    with a manifest that matches it."""
    directory = saved(model, config, tmp_path / "checkpoint", 16)
    path = directory / "optimizer.pt"
    torch.save({"state": {}, "hook": print}, path)
    manifest = json.loads((directory / MANIFEST_FILE).read_text())
    manifest["files"]["optimizer.pt"] = checkpoint_module._describe(path)
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match=r"optimizer\.pt is unreadable"):
        read_checkpoint(directory)


def test_weights_of_another_config_are_refused(
    model: PPO, config: TrainConfig, tmp_path: Path
) -> None:
    directory = saved(model, config, tmp_path / "checkpoint", 16)
    other = with_overrides(config, {"scorer.trainable": "lora"})
    (directory / "config.json").write_text(json.dumps(checkpoint_module.to_dict(other)))
    manifest = json.loads((directory / MANIFEST_FILE).read_text())
    manifest["files"]["config.json"] = checkpoint_module._describe(directory / "config.json")
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="does not match its config: missing"):
        load_checkpoint(directory)

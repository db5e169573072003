"""Checkpoints: what training needs to continue, in plain formats, verified when read.

A checkpoint directory holds

- `config.json`: the whole `TrainConfig`;
- `policy.safetensors`: only the parameters that train (heads, value network, shown
  penalty, and LoRA adapters or full encoder weights when those train). The frozen
  transformer is not copied: loading rebuilds it from `scorer.model_path` (or the bundled
  default) and overlays the saved tensors;
- `optimizer.pt`: the optimizer's state dict, tensors and numbers only, read back with
  `torch.load(weights_only=True)`, which refuses anything that could run code;
- `state.json`: the trainer's `TrainingState` (step, update count, schedules, ...);
- `manifest.json`, written last: the size and SHA-256 digest of every other file, and
  the SHA-256 of the catalog file the policy was trained on (if it is a file).

The config records the catalog file by absolute path, so a checkpoint loads from any
working directory; a catalog that has moved since is found again by its content
(`relink_catalog`), and one whose content changed is refused: the policy's item indices
would point at other items.

Reading checks the manifest before anything else, so a truncated, corrupt or half-written
checkpoint is a `CheckpointError` that names the bad file rather than a policy with
garbage weights. Saving fills a fresh hidden sibling directory and renames it into
place, keeping the checkpoint it replaces as `<name>-prev`: whenever the process dies,
at least one complete checkpoint is on disk, and a reader that finds the newest one
damaged (or missing) uses the previous one, with a `CheckpointWarning` saying so.
Wherever a checkpoint is asked for, the run directory of `ifr-sim train` that holds it
will do (`checkpoint_directory`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save, save_file

from ifr_sim.agents.policy.scorer_policy import ScorerPolicy
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.core.atomic_io import fsync_directory, fsync_file
from ifr_sim.core.config import from_dict, to_dict
from ifr_sim.core.plain_json import plain
from ifr_sim.core.scorer import make_scorer
from ifr_sim.envs.catalog_source import (
    catalog_sha256,
    file_sha256,
    is_catalog_file,
    resolved_source,
    with_resolved_catalog,
)
from ifr_sim.envs.spaces import action_space, observation_space
from ifr_sim.envs.world import load_catalog

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "policy.safetensors"
OPTIMIZER_FILE = "optimizer.pt"
STATE_FILE = "state.json"
MANIFEST_FILE = "manifest.json"
FILES = (CONFIG_FILE, WEIGHTS_FILE, OPTIMIZER_FILE, STATE_FILE)
"""Every file a checkpoint holds besides its manifest."""
FORMAT = 1
PREVIOUS_SUFFIX = "-prev"


class CheckpointError(ValueError):
    """A checkpoint directory is missing, incomplete, corrupt or does not match its config."""


class CheckpointWarning(UserWarning):
    """The newest checkpoint was unusable, so the previous one was read instead."""


@dataclass(frozen=True)
class TrainingState:
    """Where training stands at a checkpoint, beyond the weights and the optimizer.

    Attributes:
        step: environment steps taken (SB3's `num_timesteps`).
        updates: PPO updates made (SB3's `_n_updates`, logged as `train/n_updates`).
        next_eval: the step at or after which the next evaluation runs.
        next_checkpoint: the step at or after which the next regular checkpoint is saved.
        finished: saved after the final evaluation (nothing is left to train).
        history: every evaluation result so far, each with its `step`.
        episodes: SB3's record of the last finished sessions (`r`, `l`, `t`), which
            `rollout/ep_rew_mean` averages.
        progress_rows: data rows of `progress.csv` written so far.
        run_id: the run store's id of this run, if it is recorded there.
        reference_sha256: digest of the initial policy's trained parameters; the KL
            penalty's reference is that policy, rebuilt from the config on resume.
        oracle_reward: the oracle's mean reward on the evaluation sessions, if computed.
    """

    step: int
    updates: int
    next_eval: int
    next_checkpoint: int
    finished: bool
    history: list[dict[str, Any]]
    episodes: list[dict[str, float]]
    progress_rows: int
    run_id: str | None
    reference_sha256: str
    oracle_reward: float | None


@dataclass(frozen=True)
class Checkpoint:
    """Everything read back from a checkpoint directory."""

    directory: Path
    """The directory actually read: `<name>-prev` if the newest one was unusable."""
    config: TrainConfig
    weights: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    state: TrainingState
    catalog_sha256: str | None = None
    """SHA-256 of the catalog file trained on; None for a registered catalog (or a
    checkpoint written before digests were recorded)."""


def previous_directory(directory: Path) -> Path:
    """Where the checkpoint before the one in `directory` is kept."""
    return directory.with_name(directory.name + PREVIOUS_SUFFIX)


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
        clicked_penalty=config.ppo.clicked_penalty,
    )


def trained_state(policy: ScorerPolicy) -> dict[str, torch.Tensor]:
    """The parameters that train, by name (what a checkpoint stores)."""
    return {
        name: param.detach().cpu().contiguous()
        for name, param in policy.named_parameters()
        if param.requires_grad
    }


def trained_state_sha256(policy: ScorerPolicy) -> str:
    """SHA-256 of the policy's trained parameters (names, dtypes, shapes and values)."""
    return hashlib.sha256(save(trained_state(policy))).hexdigest()


def save_checkpoint(
    directory: Path, config: TrainConfig, policy: ScorerPolicy, state: TrainingState
) -> None:
    """Write a complete checkpoint to `directory`, keeping the one it replaces as previous.

    The files go to a hidden staging directory first and are flushed to disk with their
    manifest; then the previous checkpoint is retired and the staged one renamed into
    place. A crash at any point leaves `directory` or its `-prev` complete. A catalog
    file is recorded by absolute path (from the working directory) and by its SHA-256.
    """
    config = dataclasses.replace(config, world=with_resolved_catalog(config.world))
    source = config.world.catalog.source
    parent = directory.parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(directory)
    staged = parent / f".{directory.name}.staged-{secrets.token_hex(4)}"
    staged.mkdir()
    try:
        weights = trained_state(policy)
        writers: dict[str, Callable[[Path], object]] = {
            CONFIG_FILE: lambda path: _write_json(path, to_dict(config)),
            WEIGHTS_FILE: lambda path: save_file(weights, path),
            OPTIMIZER_FILE: lambda path: torch.save(policy.optimizer.state_dict(), path),
            STATE_FILE: lambda path: _write_json(path, dataclasses.asdict(state)),
        }
        manifest: dict[str, Any] = {"format": FORMAT, "files": {}}
        if is_catalog_file(source):
            manifest["catalog"] = {"source": source, "sha256": catalog_sha256(source)}
        for name, write in writers.items():
            write(staged / name)
            fsync_file(staged / name)
            manifest["files"][name] = _describe(staged / name)
        _write_json(staged / MANIFEST_FILE, manifest)
        fsync_file(staged / MANIFEST_FILE)
        fsync_directory(staged)
        _publish(staged, directory)
    finally:
        if staged.exists():
            shutil.rmtree(staged)


def read_checkpoint(directory: Path) -> Checkpoint:
    """Read and verify the checkpoint in `directory`, or else the one before it.

    Raises:
        CheckpointError: neither `directory` nor `<directory>-prev` holds a complete,
            intact checkpoint; the message says what is wrong with each.
    """
    try:
        return _read(directory)
    except CheckpointError as error:
        previous = previous_directory(directory)
        if not previous.is_dir():
            raise
        try:
            checkpoint = _read(previous)
        except CheckpointError as second:
            raise CheckpointError(
                f"{error}; the previous checkpoint is unusable too: {second}"
            ) from None
        warnings.warn(
            f"{error}; using the previous checkpoint, {previous} "
            f"(step {checkpoint.state.step:,})",
            CheckpointWarning,
            stacklevel=2,
        )
        return checkpoint


def load_checkpoint(
    path: Path, catalog: str | Path | None = None
) -> tuple[ScorerPolicy, TrainConfig]:
    """Rebuild the policy saved in `path`, a checkpoint or a run directory.

    The previous checkpoint stands in for a damaged newest one, with a warning.

    Args:
        path: a checkpoint directory, or the run directory `ifr-sim train` wrote it to.
        catalog: where the catalog file trained on is now, if it has moved (see
            `relink_catalog`); None: where the checkpoint recorded it.
    """
    checkpoint = relink_catalog(read_checkpoint(checkpoint_directory(path)), catalog)
    policy = build_policy(checkpoint.config)
    load_weights(policy, checkpoint.weights, checkpoint.directory)
    return policy, checkpoint.config


def checkpoint_directory(path: Path) -> Path:
    """The checkpoint `path` names: itself, or the newest one of the run directory `path`.

    A run directory's checkpoint falls back to its previous one when damaged, as any
    checkpoint does (`read_checkpoint`).

    Raises:
        CheckpointError: `path` does not exist, or holds neither a checkpoint nor a run.
    """
    # Imported here: the trainer, which lays out run directories, imports this module.
    from ifr_sim.agents.training.trainer import CHECKPOINT_DIR

    newest = path / CHECKPOINT_DIR
    if newest.is_dir() or previous_directory(newest).is_dir():
        return newest
    wanted = (f"pass a checkpoint directory ({MANIFEST_FILE} with {', '.join(FILES)}) or the "
              f"run directory of `ifr-sim train` (its --run-dir, with {CHECKPOINT_DIR}/)")
    if path.is_dir() and not any((path / name).exists() for name in (MANIFEST_FILE, *FILES)):
        raise CheckpointError(f"{path} holds no checkpoint: {wanted}")
    if path.is_dir() or previous_directory(path).is_dir():
        return path
    if path.exists():
        raise CheckpointError(f"{path} is a file, not a checkpoint: {wanted}")
    raise CheckpointError(f"no checkpoint at {path}: it does not exist; {wanted}")


def relink_catalog(checkpoint: Checkpoint, source: str | Path | None = None) -> Checkpoint:
    """The checkpoint with its catalog file at `source`, verified by content.

    The policy's item indices mean the items of the catalog it was trained on, so the
    file must hold what it held then: its SHA-256 must match the one recorded. This is
    how a catalog that has moved is found again, and how one edited since is refused.

    Args:
        checkpoint: as `read_checkpoint` returns it.
        source: the catalog file's path now; None: the recorded path.

    Raises:
        CheckpointError: the file is missing (the message says how to point at its new
            place), its content differs from the recorded digest, or `source` names
            another kind of catalog than the one trained on.
    """
    world = checkpoint.config.world
    recorded = world.catalog.source
    wanted = recorded if source is None else resolved_source(str(source))
    if not (is_catalog_file(recorded) and is_catalog_file(wanted)):
        if wanted != recorded:
            raise CheckpointError(
                f"{checkpoint.directory} was trained on catalog {recorded!r}, not "
                f"{wanted!r}: a policy reads only the catalog it was trained on"
            )
        return checkpoint
    if not Path(wanted).is_file():
        raise CheckpointError(_missing_catalog(checkpoint, wanted))
    if checkpoint.catalog_sha256 is None:
        if wanted != recorded:
            raise CheckpointError(
                f"{checkpoint.directory} records no content digest of its catalog (it "
                f"predates them), so {wanted} cannot be verified to be the file it was trained "
                f"on, {recorded}: put that file back at its recorded path"
            )
        return checkpoint
    actual = catalog_sha256(wanted)
    if actual != checkpoint.catalog_sha256:
        what = (f"{wanted} has changed since the checkpoint was saved" if wanted == recorded
                else f"{wanted} is not the catalog this checkpoint was trained on ({recorded})")
        raise CheckpointError(
            f"{what}: the SHA-256 digests differ (file {actual[:12]}…, checkpoint "
            f"{checkpoint.catalog_sha256[:12]}…); pass the file it was trained on, or train "
            "a new policy on this one"
        )
    catalog = dataclasses.replace(world.catalog, source=wanted)
    config = dataclasses.replace(
        checkpoint.config, world=dataclasses.replace(world, catalog=catalog))
    return dataclasses.replace(checkpoint, config=config)


def _missing_catalog(checkpoint: Checkpoint, path: str) -> str:
    recorded = checkpoint.config.world.catalog.source
    if path != recorded:
        return f"catalog file {path} does not exist"
    if checkpoint.catalog_sha256 is None:
        return (f"the catalog {checkpoint.directory} was trained on, {recorded}, does not "
                "exist; put it back there (this checkpoint predates content digests, so a "
                "copy elsewhere cannot be verified)")
    return (f"the catalog {checkpoint.directory} was trained on, {recorded}, does not exist; "
            "if it has moved, pass its new path (`ifr-sim evaluate --checkpoint C --catalog "
            "NEWPATH`, `Recommender.from_checkpoint(C, catalog=NEWPATH)`): the file is "
            f"accepted when its SHA-256 is {checkpoint.catalog_sha256}")


_OTHER_VERSION = (
    "it was probably written by another version of ifr-sim (a scorer head with other "
    "parts) or mixes files from different runs; retrain it with `ifr-sim train`"
)
"""The likely cause of a weights file that does not fit its own config, and the fix."""


def load_weights(policy: ScorerPolicy, weights: Mapping[str, torch.Tensor], source: Path) -> None:
    """Overlay saved trained parameters on `policy`, checking names and shapes first."""
    expected = trained_state(policy)
    missing, unexpected = set(expected) - set(weights), set(weights) - set(expected)
    if missing or unexpected:
        raise CheckpointError(
            f"{source / WEIGHTS_FILE} does not match its config: missing "
            f"{sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}; {_OTHER_VERSION}"
        )
    wrong = [k for k, v in weights.items() if v.shape != expected[k].shape]
    if wrong:
        raise CheckpointError(
            f"{source / WEIGHTS_FILE}: tensors {wrong[:5]} have the wrong shape; {_OTHER_VERSION}"
        )
    policy.load_state_dict(dict(weights), strict=False)


def _read(directory: Path) -> Checkpoint:
    manifest = _verify(directory)
    config_path = directory / CONFIG_FILE
    try:
        config = from_dict(TrainConfig, json.loads(config_path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, ValueError) as error:
        raise CheckpointError(f"{config_path} is not a valid training config: {error}") from None
    try:
        weights = load_file(directory / WEIGHTS_FILE)
    except Exception as error:  # safetensors raises its own error types for corrupt files
        raise CheckpointError(f"{directory / WEIGHTS_FILE} is unreadable: {error}") from None
    try:
        optimizer = torch.load(directory / OPTIMIZER_FILE, map_location="cpu", weights_only=True)
    except Exception as error:  # pickle and torch errors of every kind
        raise CheckpointError(f"{directory / OPTIMIZER_FILE} is unreadable: {error}") from None
    state_path = directory / STATE_FILE
    try:
        state = TrainingState(**json.loads(state_path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, TypeError) as error:
        raise CheckpointError(f"{state_path} is not a valid training state: {error}") from None
    catalog = manifest.get("catalog")
    digest = catalog.get("sha256") if isinstance(catalog, dict) else None
    return Checkpoint(directory, config, weights, optimizer, state,
                      digest if isinstance(digest, str) else None)


def _verify(directory: Path) -> dict[str, Any]:
    """Check every file against the manifest (present, full size, same SHA-256); return it."""
    if not directory.is_dir():
        raise CheckpointError(f"{directory} is not a checkpoint directory: it does not exist")
    manifest_path = directory / MANIFEST_FILE
    if not manifest_path.is_file():
        raise CheckpointError(
            f"{directory} is not a complete checkpoint: {MANIFEST_FILE} is missing (a "
            f"checkpoint holds {', '.join(FILES)} and {MANIFEST_FILE}, written last by "
            "`ifr-sim train`; a directory without it was cut short or predates resumable "
            "checkpoints)"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        listed: dict[str, dict[str, Any]] = manifest["files"]
        version = manifest["format"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise CheckpointError(f"{manifest_path} is corrupt: {error}") from None
    if version != FORMAT:
        raise CheckpointError(
            f"{manifest_path}: checkpoint format {version!r}; this ifr-sim reads format {FORMAT}"
        )
    for name in FILES:
        path = directory / name
        if name not in listed or not path.is_file():
            raise CheckpointError(f"{directory} is incomplete: {name} is missing")
        actual = _describe(path)
        if actual["bytes"] != listed[name]["bytes"]:
            raise CheckpointError(
                f"{path} is truncated or overwritten: {actual['bytes']:,} bytes, the manifest "
                f"says {listed[name]['bytes']:,}"
            )
        if actual["sha256"] != listed[name]["sha256"]:
            raise CheckpointError(f"{path} is corrupt: its SHA-256 differs from the manifest's")
    return manifest


def _describe(path: Path) -> dict[str, Any]:
    return {"bytes": path.stat().st_size, "sha256": file_sha256(path)}


def _publish(staged: Path, directory: Path) -> None:
    """Rename `staged` to `directory`; the old `directory` becomes the previous checkpoint.

    Three renames, each atomic: old previous to a retired name, `directory` to previous,
    `staged` to `directory`; then the retired one is deleted. Between any two of them
    either `directory` or its previous checkpoint is complete. Without a `directory` (a
    process died between the renames) the previous checkpoint stays where it is.
    """
    previous = previous_directory(directory)
    retired = directory.parent / f".{directory.name}.retired-{secrets.token_hex(4)}"
    if directory.exists():
        if previous.exists():
            os.replace(previous, retired)
        os.replace(directory, previous)
    os.replace(staged, directory)
    fsync_directory(directory.parent)
    if retired.exists():
        shutil.rmtree(retired)


def _remove_leftovers(directory: Path) -> None:
    """Delete staged or retired directories a killed process left next to `directory`."""
    for prefix in (f".{directory.name}.staged-", f".{directory.name}.retired-"):
        for leftover in directory.parent.glob(f"{prefix}*"):
            shutil.rmtree(leftover, ignore_errors=True)


def remove_checkpoints(directory: Path) -> None:
    """Delete the checkpoint in `directory`, its previous one and any leftovers."""
    _remove_leftovers(directory)
    for path in (directory, previous_directory(directory)):
        if path.exists():
            shutil.rmtree(path)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, default=plain) + "\n", encoding="utf-8")

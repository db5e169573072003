"""`ifr-sim train` as a run of the run store: started or resumed, and how it ends.

The run is `finished` when training completes, `failed` with the error when it raises,
and `failed` with "interrupted ...: resume with `ifr-sim train --resume RUN_DIR`" on
Ctrl-C or SIGTERM. A process killed outright (SIGKILL, a power cut) leaves its run
`running`; `--resume` sets it running again and carries on, after deleting what the dead
process logged past its last checkpoint. A checkpoint whose run is not in the store (its
record was deleted, or lives in another workspace) goes on as a new run when asked to
(`as_new_run`): every way a run can end leaves a command that continues it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ifr_sim.agents.training.checkpoint import (
    MANIFEST_FILE,
    CheckpointError,
    CheckpointWarning,
    TrainingState,
    previous_directory,
    read_checkpoint,
)
from ifr_sim.agents.training.interrupt import terminate_as_interrupt
from ifr_sim.agents.training.run_lock import locked_run_directory
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.agents.training.trainer import CHECKPOINT_DIR, TrainingInterrupted, resume, train
from ifr_sim.core.config import ConfigError, to_dict
from ifr_sim.core.run_store import RunStore, UnknownRunError


def train_recorded(
    config: TrainConfig,
    run_dir: Path,
    store: RunStore,
    progress_bar: bool = False,
    preset: str | None = None,
) -> tuple[dict[str, Any], str]:
    """Train a new run recorded in `store`; returns the trainer's summary and the run id.

    `preset`, the training preset the config came from, is recorded with the config (the
    dashboard filters runs by it).

    Raises:
        ConfigError: `run_dir` holds an unfinished run (resume it, or pick another
            directory).
    """
    with terminate_as_interrupt(), locked_run_directory(run_dir):
        _refuse_unfinished(run_dir, store)
        recorded = {"preset": preset, **to_dict(config)} if preset else to_dict(config)
        run_id = store.start_run("train", recorded, config.seed)
        summary = _until_the_end(
            store, run_id, run_dir,
            lambda: train(config, run_dir, progress_bar, store=store, run_id=run_id),
        )
    return summary, run_id


def resume_recorded(
    run_dir: Path,
    store: RunStore,
    total_steps: int | None = None,
    progress_bar: bool = False,
    as_new_run: bool = False,
) -> tuple[dict[str, Any], str]:
    """Continue the run whose checkpoint is in `run_dir`; as `train_recorded` otherwise.

    The run is reopened in `store` (a checkpoint of a run that was not recorded in a
    store starts a new one there). `as_new_run` records the rest of a run that is not in
    `store` as a new run there. `total_steps` extends the run; it cannot shorten it.

    Raises:
        ConfigError: nothing to resume in `run_dir`, the run is not in `store` (and not
            `as_new_run`), or is there while `as_new_run` is set, or `total_steps` is
            below the steps already trained.
        CheckpointError: neither the checkpoint nor the previous one is intact.
    """
    if (run_dir / MANIFEST_FILE).is_file():
        raise ConfigError(
            f"{run_dir} is a checkpoint; --resume takes the run directory that holds it, "
            f"{run_dir.parent}"
        )
    directory = run_dir / CHECKPOINT_DIR
    if not (directory.is_dir() or previous_directory(directory).is_dir()):
        raise ConfigError(
            f"nothing to resume in {run_dir}: it holds no {CHECKPOINT_DIR}/ (`ifr-sim train "
            f"--run-dir {run_dir}` saves one at the first evaluation, after every other "
            "and every checkpoint_every steps)"
        )
    with terminate_as_interrupt(), locked_run_directory(run_dir):
        checkpoint = read_checkpoint(directory)
        state, config = checkpoint.state, checkpoint.config
        if total_steps is not None and total_steps < state.step:
            raise ConfigError(
                f"--total-steps={total_steps:,} is below the {state.step:,} steps this run has "
                "trained; give more steps to train further, or none to finish the run"
            )
        steps = total_steps if total_steps is not None else config.total_steps
        run_id = _reopen(store, state, {**to_dict(config), "total_steps": steps}, run_dir,
                         as_new_run)
        summary = _until_the_end(
            store, run_id, run_dir,
            lambda: resume(checkpoint, run_dir, steps, progress_bar, store=store, run_id=run_id),
        )
    return summary, run_id


def _refuse_unfinished(run_dir: Path, store: RunStore) -> None:
    """Stop a new run from replacing the checkpoint of one that can still be resumed."""
    directory = run_dir / CHECKPOINT_DIR
    if not (directory.is_dir() or previous_directory(directory).is_dir()):
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CheckpointWarning)
            checkpoint = read_checkpoint(directory)
    except CheckpointError:
        return  # nothing there can be resumed
    if not checkpoint.state.finished:
        resume = f"ifr-sim train --resume {run_dir}"
        if not _recorded(store, checkpoint.state.run_id):
            resume += f" --as-new-run --runs {store.workspace}"
        raise ConfigError(
            f"{run_dir} holds an unfinished run (checkpoint at step {checkpoint.state.step:,} "
            f"of {checkpoint.config.total_steps:,}): continue it with `{resume}`, train into "
            f"another --run-dir, or delete {directory} and "
            f"{previous_directory(directory).name} to start over"
        )


def _recorded(store: RunStore, run_id: str | None) -> bool:
    """Whether `run_id` is in `store` (a checkpoint of no recorded run counts as in it)."""
    if run_id is None:
        return True
    try:
        store.run(run_id)
    except UnknownRunError:
        return False
    return True


def _reopen(
    store: RunStore,
    state: TrainingState,
    config: dict[str, Any],
    run_dir: Path,
    as_new_run: bool,
) -> str:
    recorded = _recorded(store, state.run_id)
    if state.run_id is None or (as_new_run and not recorded):
        return store.start_run("train", config, config["seed"])
    if not recorded:
        raise ConfigError(
            f"{run_dir} belongs to run {state.run_id}, which is not in {store.path} (deleted "
            "from it, or recorded in another workspace): pass the --runs DIR it was recorded "
            f"in, or add --as-new-run to record the rest of it as a new run in {store.path}"
        )
    if as_new_run:
        raise ConfigError(
            f"--as-new-run is for a run missing from the run store, but {run_dir} belongs to "
            f"run {state.run_id}, which is in {store.path}: drop --as-new-run to continue it"
        )
    preset = store.run(state.run_id).config.get("preset")  # keep what the run started as
    store.resume_run(state.run_id, state.step, {"preset": preset, **config} if preset else config)
    return state.run_id


def _until_the_end(
    store: RunStore, run_id: str, run_dir: Path, body: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run `body`, then mark the run finished, failed or interrupted.

    Raises:
        ConfigError: the run was deleted from `store` while it trained; the message says
            how to go on from its checkpoint.
    """
    try:
        summary = body()
    except KeyboardInterrupt as error:
        _finish(store, run_id, run_dir, "failed", interruption(error, run_dir), quiet=True)
        raise
    except UnknownRunError:
        raise ConfigError(_deleted(store, run_id, run_dir)) from None
    except BaseException as error:
        _finish(store, run_id, run_dir, "failed", f"{type(error).__name__}: {error}", quiet=True)
        raise
    _finish(store, run_id, run_dir, "finished")
    return summary


def _finish(
    store: RunStore, run_id: str, run_dir: Path, status: str, error: str | None = None,
    quiet: bool = False,
) -> None:
    """Record how the run ended; a run deleted meanwhile is a `ConfigError` that says how
    to go on, or with `quiet` (the run is ending on another error) is passed over."""
    try:
        if status == "finished":
            store.finish_run(run_id, checkpoint=(run_dir / CHECKPOINT_DIR).resolve())
        else:
            store.finish_run(run_id, status, error=error)
    except UnknownRunError:
        if not quiet:
            raise ConfigError(_deleted(store, run_id, run_dir)) from None


def _deleted(store: RunStore, run_id: str, run_dir: Path) -> str:
    return (
        f"run {run_id} was deleted from {store.path} while it trained; its checkpoints in "
        f"{run_dir} are intact: go on as a new run with `ifr-sim train --resume {run_dir} "
        f"--as-new-run --runs {store.workspace}`"
    )


def interruption(error: KeyboardInterrupt, run_dir: Path) -> str:
    """What a Ctrl-C left behind, and how to go on from there."""
    if isinstance(error, TrainingInterrupted):
        return (f"interrupted at step {error.step:,}, checkpoint saved: resume with "
                f"`ifr-sim train --resume {run_dir}`")
    directory = run_dir / CHECKPOINT_DIR
    if directory.is_dir() or previous_directory(directory).is_dir():
        return ("interrupted before a checkpoint could be saved: resume from the last one "
                f"with `ifr-sim train --resume {run_dir}`")
    return "interrupted before the first checkpoint: nothing to resume, train again"

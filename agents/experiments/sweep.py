"""Run a sweep: every trial an ordinary training run, linked to its sweep in the run store.

The driver (`run_sweep`) records a `sweep` run, skips the trials the store already has
finished under this sweep's name, and hands the rest to Ray Tune (`sweep_tune.py`), one
CPU each. Inside a Ray worker a trial is `record_trial`: `ifr_sim.agents.training.trainer.train`
with the same run store, as a `train` run whose `sweep_id` is the sweep's name (the same
across re-runs) and whose `parent_id` is the sweep run. It logs every metric there as
`ifr-sim train` does, and a crash marks it `failed` with its error while the other trials
go on. After Tune returns (or is interrupted), `settle_trial` records what no worker
could: a trial the scheduler stopped early is `finished` at its last evaluation; a dead
worker, or a trial the sweep never reached, is `failed` with the reason.

Nothing here imports Ray, which is an optional extra (`pip install -e .[ray]`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

from ifr_sim.agents.experiments.sweep_spec import SweepSpec, Trial, trial_key
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.agents.training.trainer import train
from ifr_sim.core.config import to_dict
from ifr_sim.core.run_store import RunStore

RAY_DIR = "ray"
"""Ray's temporary folder inside the workspace (sessions, logs, sockets)."""
SWEEPS_DIR = "sweeps"
"""Trials' run folders and Tune's experiment state go in `<workspace>/sweeps/<name>/`."""
SOCKET_PATH_MAX = 107
"""Longest path of a Unix socket on Linux (108 bytes with the terminating NUL)."""
_SOCKET_TAIL = "/session_2026-01-01_00-00-00_000000_4194304/sockets/plasma_store.1"
"""The longest path Ray appends to its temporary folder for a socket (7-digit process id)."""
RAY_DIR_MAX = SOCKET_PATH_MAX - len(_SOCKET_TAIL)
NEVER_RAN = "not run: the sweep stopped before this trial started"
INTERRUPTED = "the sweep stopped before this trial finished"
WORKER_DIED = "the trial's Ray worker died before it could record an error"


class SweepError(ValueError):
    """The sweep cannot run as asked (Ray is missing, a path too long for Ray's sockets)."""


@dataclass(frozen=True)
class TrialJob:
    """What every trial worker needs, shipped once through Ray's object store."""

    workspace: str
    sweep_id: str
    parent_id: str
    run_root: str
    configs: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class TrialOutcome:
    """How one trial ended, as the run store has it after this invocation."""

    trial: Trial
    run_id: str | None
    status: str  # finished, failed, or skipped (finished in an earlier invocation)
    error: str | None = None


def run_sweep(
    spec: SweepSpec,
    workspace: Path,
    address: str | None = None,
    max_concurrent: int | None = None,
    ray_dir: Path | None = None,
    ray_dashboard: bool = False,
    echo: Callable[[str], None] = print,
) -> tuple[str, list[TrialOutcome]]:
    """Run every trial of `spec` not finished yet; returns the sweep run's id and outcomes.

    Args:
        spec: the parsed sweep file.
        workspace: the run store workspace; made absolute, since Ray workers open it too.
        address: an existing Ray cluster (`ray://HOST:PORT` or `HOST:PORT`); None starts
            a local Ray with this machine's cores.
        max_concurrent: at most this many trials at once (default: one per free CPU).
        ray_dir: Ray's temporary folder for a local Ray (default `<workspace>/ray`).
        ray_dashboard: also start Ray's own dashboard (local Ray only).
        echo: where progress lines go.
    """
    if max_concurrent is not None and max_concurrent < 1:
        raise SweepError(f"--max-concurrent={max_concurrent} is invalid: use 1 or more")
    workspace = workspace.resolve()
    if address is None:
        ray_dir = check_ray_dir(ray_dir or workspace / RAY_DIR)
    store = RunStore(workspace)
    trials = spec.trials()
    finished = finished_trial_keys(store, spec.name)
    todo = [trial for trial in trials if trial.key not in finished]
    skipped = [TrialOutcome(t, finished[t.key], "skipped") for t in trials if t.key in finished]
    echo(f"sweep {spec.name}: {len(trials)} trials "
         f"({len(spec.configurations())} configurations x {len(spec.seeds)} seeds); "
         f"{len(skipped)} already finished, {len(todo)} to run")
    with store.recording("sweep", spec.as_dict(), None, sweep_id=spec.name) as sweep_run:
        outcomes = []
        if todo:
            tune = _import_sweep_tune()
            run_root = workspace / SWEEPS_DIR / spec.name
            job = TrialJob(str(workspace), spec.name, sweep_run, str(run_root),
                           {trial.key: to_dict(trial.config) for trial in todo})
            errors: dict[str, str | None] = {}
            try:
                errors = tune.run_trials(spec, todo, job, address, max_concurrent, ray_dir,
                                         ray_dashboard, echo)
            finally:  # also when interrupted: no trial is left `running`
                outcomes = [settle_trial(store, spec.name, sweep_run, trial, errors)
                            for trial in todo]
        counts = {status: sum(o.status == status for o in outcomes + skipped)
                  for status in ("finished", "failed", "skipped")}
        store.log_metrics(sweep_run, 0, {f"sweep/{status}": float(count)
                                         for status, count in counts.items()})
    return sweep_run, skipped + outcomes


def finished_trial_keys(store: RunStore, sweep_id: str) -> dict[str, str]:
    """Trial key → run id of every finished training run of the sweep named `sweep_id`."""
    runs = store.runs(kind="train", status="finished", sweep_id=sweep_id)
    return {trial_key(run.config): run.id for run in reversed(runs)}  # newest wins


def record_trial(
    config: TrainConfig,
    store: RunStore,
    run_dir: Path,
    sweep_id: str,
    parent_id: str,
    callbacks: Sequence[BaseCallback] = (),
) -> str:
    """Train one trial as a `train` run linked to its sweep; returns the run id.

    An exception marks the run `failed` with the error and is re-raised, except the
    `SystemExit` with which Ray Tune ends a trial it stops early: that run is left for
    the driver, which records it `finished` at its last evaluation.
    """
    run_id = store.start_run("train", to_dict(config), config.seed, sweep_id, parent_id)
    try:
        train(config, run_dir, callbacks=list(callbacks), store=store, run_id=run_id)
    except SystemExit:
        raise
    except BaseException as error:
        store.finish_run(run_id, "failed", error=f"{type(error).__name__}: {error}")
        raise
    store.finish_run(run_id)
    return run_id


def settle_trial(
    store: RunStore,
    sweep_id: str,
    sweep_run: str,
    trial: Trial,
    errors: Mapping[str, str | None],
) -> TrialOutcome:
    """Record what the worker could not: early stops, dead workers, trials never started.

    `errors` maps the key of every trial that Tune saw end to its error (None when it
    ended without one: it completed or was stopped early); a trial missing from it never
    started, or was cut off by an interrupted sweep.
    """
    runs = [run for run in store.runs(kind="train", parent_id=sweep_run)
            if trial_key(run.config) == trial.key]
    ran, error = trial.key in errors, errors.get(trial.key)
    if not runs:  # the worker died before recording, or the trial never started
        run_id = store.start_run("train", to_dict(trial.config), trial.seed, sweep_id,
                                 sweep_run)
        reason = (error or WORKER_DIED) if ran else NEVER_RAN
        store.finish_run(run_id, "failed", error=reason)
        return TrialOutcome(trial, run_id, "failed", reason)
    run = runs[0]
    if run.status != "running":
        return TrialOutcome(trial, run.id, run.status, run.error)
    if ran and error is None:  # Tune ended it without an error: stopped early
        store.finish_run(run.id)
        return TrialOutcome(trial, run.id, "finished")
    reason = (error or WORKER_DIED) if ran else INTERRUPTED
    store.finish_run(run.id, "failed", error=reason)
    return TrialOutcome(trial, run.id, "failed", reason)


def check_ray_dir(ray_dir: Path) -> Path:
    """`ray_dir` made absolute, or a `SweepError` if Ray's socket paths under it won't fit."""
    ray_dir = ray_dir.resolve()
    if len(str(ray_dir).encode("utf-8")) > RAY_DIR_MAX:
        raise SweepError(
            f"Ray's temporary folder {ray_dir} is {len(str(ray_dir))} characters long, but Ray "
            f"puts Unix sockets under it and their paths may not exceed {SOCKET_PATH_MAX} "
            f"bytes: use a workspace (--runs) or a --ray-dir of at most {RAY_DIR_MAX} "
            "characters, e.g. --ray-dir /tmp/ifr-ray"
        )
    return ray_dir


def _import_sweep_tune() -> Any:
    try:
        from ifr_sim.agents.experiments import sweep_tune
    except ImportError as error:
        if error.name is None or not error.name.startswith("ray"):
            raise
        raise SweepError("sweeps run on Ray Tune, which is not installed: "
                         "pip install -e '.[ray]'") from error
    return sweep_tune

"""Run a sweep: every trial an ordinary training run, linked to its sweep in the run store.

The driver (`run_sweep`, the process of `ifr-sim sweep`) records a `sweep` run, skips the
trials the store already has finished under this sweep's name, and hands the rest to Ray
Tune (`sweep_tune.py`): on a local Ray, or on an existing cluster whose nodes train the
trials (`sweep_trial.py`). Only the driver writes the run store: trials report through
Tune, checkpoints go to Tune's storage, and a `TrialRecorder` (`sweep_record.py`) records
each trial as a `train` run whose `sweep_id` is the sweep's name (the same across
re-runs) and whose `parent_id` is the sweep run, with every metric, evaluation and
checkpoint location, live. A trial's crash or a dead node marks its run `failed` with
the reason while the other trials go on; an interrupted sweep's unfinished trials are
`failed` too, and a re-run of the sweep continues them from their last checkpoints.

Nothing here imports Ray, which is an optional extra (`pip install 'ifr-sim[ray]'`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ifr_sim.agents.experiments.sweep_record import (
    INTERRUPTED,
    NEVER_RAN,
    TrialOutcome,
    TrialRecorder,
    finished_trial_keys,
)
from ifr_sim.agents.experiments.sweep_spec import SweepSpec
from ifr_sim.core.run_store import RunStore

RAY_DIR = "ray"
"""Ray's temporary folder inside the workspace (sessions, logs, sockets)."""
SWEEPS_DIR = "sweeps"
"""Tune's storage inside the workspace by default: `<workspace>/sweeps/<name>/`."""
SOCKET_PATH_MAX = 107
"""Longest path of a Unix socket on Linux (108 bytes with the terminating NUL)."""
_SOCKET_TAIL = "/session_2026-01-01_00-00-00_000000_4194304/sockets/plasma_store.1"
"""The longest path Ray appends to its temporary folder for a socket (7-digit process id)."""
RAY_DIR_MAX = SOCKET_PATH_MAX - len(_SOCKET_TAIL)
RESOURCE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]*")
TRIAL_CPUS = 1.0
"""CPUs a trial asks for unless told otherwise: it trains on one torch thread."""


class SweepError(ValueError):
    """The sweep cannot run as asked (Ray is missing, a path too long for Ray's sockets)."""


@dataclass(frozen=True)
class RayOptions:
    """Where and how a sweep's trials run.

    Attributes:
        address: an existing Ray cluster: `auto` or `HOST:PORT` of its head (this process
            runs on a node of the cluster), or `ray://HOST:PORT` (Ray Client, from any
            machine); None starts a local Ray with this machine's cores.
        storage: where Tune keeps checkpoints and its state, as a path or a URI
            (`s3://…`, `gs://…`) every node can reach; the sweep uses `<storage>/<name>`.
            None: `<workspace>/sweeps`, enough for a local Ray or a one-machine cluster.
        max_concurrent: at most this many trials at once (None: as many as resources allow).
        max_failures: how many times Tune starts a failed trial again, from its checkpoint.
        trial_resources: what each trial asks of Ray: `cpu`, `gpu`, `memory` (bytes) or
            any custom resource of the cluster's nodes.
        ray_dir: Ray's temporary folder for a local Ray (default `<workspace>/ray`).
        ray_dashboard: also start Ray's own dashboard (local Ray only).
    """

    address: str | None = None
    storage: str | None = None
    max_concurrent: int | None = None
    max_failures: int = 0
    trial_resources: Mapping[str, float] = field(default_factory=lambda: {"cpu": TRIAL_CPUS})
    ray_dir: Path | None = None
    ray_dashboard: bool = False


def run_sweep(
    spec: SweepSpec,
    workspace: Path,
    options: RayOptions | None = None,
    echo: Callable[[str], None] = print,
) -> tuple[str, list[TrialOutcome]]:
    """Run every trial of `spec` not finished yet; returns the sweep run's id and outcomes.

    Args:
        spec: the parsed sweep file.
        workspace: the run store workspace; only this process opens it.
        options: where and how the trials run (default: a local Ray, one CPU a trial).
        echo: where progress lines go.
    """
    options = options or RayOptions()
    if options.max_concurrent is not None and options.max_concurrent < 1:
        raise SweepError(f"--max-concurrent={options.max_concurrent} is invalid: use 1 or more")
    if options.max_failures < 0:
        raise SweepError(f"--max-failures={options.max_failures} is invalid: use 0 or more")
    workspace = workspace.resolve()
    if options.address is None:
        options = replace(options, ray_dir=check_ray_dir(options.ray_dir or workspace / RAY_DIR))
    storage = sweep_storage(options.storage, workspace, spec.name)
    store = RunStore(workspace)
    trials = spec.trials()
    finished = finished_trial_keys(store, spec.name)
    todo = [trial for trial in trials if trial.key not in finished]
    skipped = [TrialOutcome(t, finished[t.key], "skipped") for t in trials if t.key in finished]
    echo(f"sweep {spec.name}: {len(trials)} trials "
         f"({len(spec.configurations())} configurations x {len(spec.seeds)} seeds); "
         f"{len(skipped)} already finished, {len(todo)} to run")
    recorded: dict[str, Any] = {**spec.as_dict(), "storage": storage}
    with store.recording("sweep", recorded, None, sweep_id=spec.name) as sweep_run:
        outcomes = []
        if todo:
            tune = _import_sweep_tune()
            recorder = TrialRecorder(store, spec.name, sweep_run, todo, spec.metric, echo)
            if options.address is not None and options.storage is None:
                echo(f"Tune's storage is {storage}: every node of the cluster must reach this "
                     "path, or give --storage a shared path or URI")
            try:
                tune.run_trials(spec, todo, options, storage, recorder)
            finally:  # also when interrupted: no trial is left `running`
                outcomes = recorder.outcomes()
            if any(outcome.error in (INTERRUPTED, NEVER_RAN) for outcome in outcomes):
                echo("the sweep stopped early: run the same command again to continue it, "
                     "each unfinished trial from its last checkpoint")
        counts = {status: sum(o.status == status for o in outcomes + skipped)
                  for status in ("finished", "failed", "skipped")}
        store.log_metrics(sweep_run, 0, {f"sweep/{status}": float(count)
                                         for status, count in counts.items()})
    return sweep_run, skipped + outcomes


def sweep_storage(storage: str | None, workspace: Path, name: str) -> str:
    """The sweep's folder (or URI) in Tune's storage: `<storage>/<name>`.

    A URI is kept as given; a path is made absolute, as every node must find the same one.
    """
    if storage is None:
        return str(workspace / SWEEPS_DIR / name)
    if "://" in storage:
        return f"{storage.rstrip('/')}/{name}"
    return str(Path(storage).expanduser().resolve() / name)


def parse_resources(text: str) -> dict[str, float]:
    """`cpu=1,gpu=0.5,NAME=N` → what each trial asks of Ray; `cpu` is 1 unless given.

    Raises:
        SweepError: an entry is not `NAME=AMOUNT` with an amount >= 0, or is repeated.
    """
    resources: dict[str, float] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        name, equals, amount = (part.strip() for part in entry.partition("="))
        try:
            value = float(amount)
        except ValueError:
            value = math.nan
        if not equals or RESOURCE_NAME.fullmatch(name) is None or not value >= 0:
            raise SweepError(f"--trial-resources entry {entry!r} is invalid: use NAME=AMOUNT "
                             "with an amount >= 0, e.g. cpu=1,gpu=0.5 or cpu=1,big_memory=1")
        if name in resources:
            raise SweepError(f"--trial-resources names {name!r} twice: give it once")
        resources[name] = value
    return {"cpu": TRIAL_CPUS, **resources}


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
                         "pip install 'ifr-sim[ray]'") from error
    return sweep_tune

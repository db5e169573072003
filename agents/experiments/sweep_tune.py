"""The Ray Tune side of a sweep on the driver: join or start Ray, run or restore the trials.

`run_trials` gives Ray Tune the trials to run as one grid of trial ids (the driver has
already resolved every config), `run_trial` (`sweep_trial.py`) as the trainable with
the resources asked for, an optional ASHA or median-stopping scheduler on the held-out
metric, `FailureConfig(max_failures)` retries, and Tune's storage for checkpoints and
its own state. If that storage holds the Tune experiment of an earlier run of the same
sweep, the experiment is restored (`Tuner.restore`): unfinished and failed trials
resume from their last checkpoint.

`RecordingCallback` turns Tune's callbacks into `TrialEvent`s for the driver's
`TrialRecorder`. It runs wherever Tune's controller runs: in this process, or, with Ray
Client (`ray://` addresses), in an actor on the cluster's head node; then the events
come back through a Ray queue and this process records them, so that here too only the
process that started the sweep writes the run store.

A local Ray keeps its temporary files in the given folder (not `/tmp/ray`), starts no
dashboard unless asked, reports no usage statistics (unless `RAY_USAGE_STATS_ENABLED`
says otherwise), and authenticates with a token held only in this process's environment
(unless a token is configured already), so nothing is written to `~/.ray`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import numbers
import os
import secrets
import threading
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import ray
import ray.cloudpickle
import ray.exceptions
from ray import tune
from ray.tune.schedulers import ASHAScheduler, MedianStoppingRule, TrialScheduler
from ray.util.queue import Empty, Queue

from ifr_sim.agents.experiments.sweep import RayOptions
from ifr_sim.agents.experiments.sweep_record import (
    TrialCheckpoint,
    TrialCompleted,
    TrialEvent,
    TrialFailed,
    TrialRecorder,
    TrialResult,
    TrialStarted,
)
from ifr_sim.agents.experiments.sweep_spec import SweepSpec, Trial
from ifr_sim.agents.experiments.sweep_trial import (
    EVALUATIONS_KEY,
    STEP_KEY,
    TRIAL_KEY,
    run_trial,
)
from ifr_sim.core.config import to_dict

TOKEN_SETTINGS = ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_MODE")
"""Environment variables with which the user already chose Ray's authentication."""
TUNE_SETTINGS = {
    "TUNE_DISABLE_STRICT_METRIC_CHECKING": "1",  # rollout results come without the metric
    "RAY_AIR_NEW_OUTPUT": "0",  # Tune's console output that `verbose=0` silences
    "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0",  # tiny trials' warning
}
"""Environment of Tune's controller: trials report each rollout's values too (results
without the sweep's metric), and the sweep prints its own progress lines."""
CHECKPOINTS_KEPT = 2
"""Tune keeps each trial's newest checkpoints in its storage, deleting older ones."""
CLIENT_PREFIX = "ray://"


def run_trials(
    spec: SweepSpec,
    trials: Sequence[Trial],
    options: RayOptions,
    storage: str,
    recorder: TrialRecorder,
) -> None:
    """Run `trials` with Tune, recording each through `recorder` as Tune reports it.

    Args:
        spec: the sweep (metric, mode, early stopping; its digest names the experiment).
        trials: the trials not finished yet.
        options: where and how to run.
        storage: the sweep's folder or URI in Tune's storage.
        recorder: the driver's run store recorder.
    """
    started = _start_ray(options)
    try:
        client = options.address is not None and options.address.startswith(CLIENT_PREFIX)
        queue = Queue(actor_options={"num_cpus": 0}) if client else None
        callback = RecordingCallback(recorder.record if queue is None else queue.put, storage)
        tuner = _tuner(spec, trials, options, storage, recorder.echo)
        _configure(tuner, callback, options.max_failures)
        if queue is None:
            tuner.fit()
        else:
            _fit_relaying(tuner, queue, recorder.record)
    finally:
        if started:
            ray.shutdown()


def experiment_name(spec: SweepSpec) -> str:
    """The Tune experiment of a sweep file: a re-run of the same file restores it."""
    text = json.dumps(spec.as_dict(), sort_keys=True, default=str)
    return f"tune-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}"


def _tuner(
    spec: SweepSpec,
    trials: Sequence[Trial],
    options: RayOptions,
    storage: str,
    echo: Callable[[str], None],
) -> tune.Tuner:
    """A new Tuner for `trials`, or the sweep's earlier one restored from `storage`."""
    configs = {trial.key: to_dict(trial.config) for trial in trials}
    trainable = tune.with_resources(tune.with_parameters(run_trial, configs=configs),
                                    dict(options.trial_resources))
    path = _join(storage, experiment_name(spec))
    if tune.Tuner.can_restore(path):
        echo(f"continuing the sweep's Tune experiment in {path}")
        return tune.Tuner.restore(path, trainable, resume_unfinished=True,
                                  resume_errored=True)
    echo(f"checkpoints and Tune's state go to {path}")
    labels = {trial.key: f"{trial.label} seed={trial.seed}" for trial in trials}
    return tune.Tuner(
        trainable,
        param_space={TRIAL_KEY: tune.grid_search(
            [{"key": t.key, "seed": t.seed, **t.params} for t in trials])},
        tune_config=tune.TuneConfig(
            metric=spec.metric,
            mode=spec.mode,
            scheduler=scheduler_for(spec, trials),
            max_concurrent_trials=options.max_concurrent,
            reuse_actors=True,  # a worker process imports torch and the trainer once
            trial_name_creator=lambda t: labels.get(t.config[TRIAL_KEY]["key"], t.trial_id),
            trial_dirname_creator=lambda t: f"trial-{t.config[TRIAL_KEY]['key']}",
        ),
        run_config=tune.RunConfig(
            name=experiment_name(spec),
            storage_path=storage,
            checkpoint_config=tune.CheckpointConfig(num_to_keep=CHECKPOINTS_KEPT),
            verbose=0,
        ),
    )


def _configure(tuner: tune.Tuner, callback: tune.Callback, max_failures: int) -> None:
    """Give the Tuner this run's callback and retries, after it saved its state.

    A Tuner pickles its run config into its experiment folder (`tuner.pkl`), and a
    restored one brings back what was pickled then. This run's recorder (so never written
    to the storage) and its `--max-failures` are set here instead, restored or not.
    """
    failure_config = tune.FailureConfig(max_failures=max_failures, fail_fast=False)
    local = getattr(tuner, "_local_tuner", None)  # set unless with Ray Client
    if local is not None:
        run_config = local.get_run_config()
        run_config.callbacks, run_config.failure_config = [callback], failure_config
        return
    remote: Any = getattr(tuner, "_remote_tuner")  # noqa: B009 (a private attribute)
    run_config = ray.get(remote.get_run_config.remote())
    run_config.callbacks, run_config.failure_config = [callback], failure_config
    ray.get(remote.set_run_config_and_remote_string_queue.remote(run_config, None))


def _fit_relaying(tuner: tune.Tuner, queue: Queue, record: Callable[[TrialEvent], None]) -> None:
    """Ray Client: Tune runs on the head node; record the events it queues, as they come."""
    failure: list[BaseException] = []

    def fit() -> None:
        try:
            tuner.fit()
        except BaseException as error:  # re-raised in the recording thread below
            failure.append(error)

    thread = threading.Thread(target=fit, name="tune-fit", daemon=True)
    thread.start()
    while thread.is_alive():
        try:
            record(queue.get(timeout=0.5))
        except Empty:
            continue
    while not queue.empty():
        record(queue.get_nowait())
    if failure:
        raise failure[0]


class RecordingCallback(tune.Callback):
    """Tells the driver's recorder what Tune says of each trial.

    Args:
        sink: where the events go: the recorder itself, or a queue it reads.
        storage: the storage folder or URI checkpoints go to (`RunConfig.storage_path`).
    """

    def __init__(self, sink: Callable[[TrialEvent], None], storage: str) -> None:
        self.sink = sink
        self.storage = storage

    def on_trial_start(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        restored = trial.latest_checkpoint_result  # what Tune restores the trial from
        step = None if restored is None else restored.metrics.get(STEP_KEY)
        self.sink(TrialStarted(_key(trial), None if step is None else int(step)))

    def on_trial_result(
        self, iteration: int, trials: list[Any], trial: Any, result: dict[str, Any], **info: Any
    ) -> None:
        if STEP_KEY not in result:
            return
        metrics = {key: float(value) for key, value in result.items()
                   if "/" in key and isinstance(value, numbers.Real)
                   and not isinstance(value, bool)}
        evaluations = json.loads(result.get(EVALUATIONS_KEY) or "[]")
        self.sink(TrialResult(_key(trial), int(result[STEP_KEY]), metrics, evaluations))

    def on_checkpoint(
        self, iteration: int, trials: list[Any], trial: Any, checkpoint: tune.Checkpoint,
        **info: Any,
    ) -> None:
        location = checkpoint_location(checkpoint, trial.storage.storage_fs_path, self.storage)
        self.sink(TrialCheckpoint(_key(trial), location))

    def on_trial_recover(
        self, iteration: int, trials: list[Any], trial: Any, **info: Any
    ) -> None:
        self.sink(TrialFailed(_key(trial), failure_reason(trial), retrying=True))

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self.sink(TrialFailed(_key(trial), failure_reason(trial)))

    def on_trial_complete(
        self, iteration: int, trials: list[Any], trial: Any, **info: Any
    ) -> None:
        self.sink(TrialCompleted(_key(trial)))


def checkpoint_location(checkpoint: tune.Checkpoint, root: str, storage: str) -> str:
    """Where a persisted checkpoint is: a local path, or a URI inside the storage URI.

    Tune's checkpoint paths drop the URI's scheme; `root` is the storage's path on its
    filesystem, `storage` the same place as given (with the scheme).
    """
    if checkpoint.filesystem is None or checkpoint.filesystem.type_name == "local":
        return str(checkpoint.path)
    relative = PurePosixPath(checkpoint.path).relative_to(PurePosixPath(root))
    return _join(storage, str(relative))


def failure_reason(trial: Any) -> str:
    """Why the trial's last attempt failed, in one line: the error the trial raised, or
    that its worker died or could no longer be reached (a dead node, a killed process)."""
    error: BaseException | None = None
    if trial.pickled_error_file and Path(trial.pickled_error_file).is_file():
        error = ray.cloudpickle.loads(Path(trial.pickled_error_file).read_bytes())
    if isinstance(error, ray.exceptions.RayTaskError):
        error = error.cause  # what the trial raised
    if error is None:
        lines = []
        if trial.error_file and Path(trial.error_file).is_file():
            lines = Path(trial.error_file).read_text(encoding="utf-8").strip().splitlines()
        return lines[-1] if lines else "the trial failed without an error message"
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    detail = next((line for line in lines if "died because" in line), lines[0] if lines else "")
    name = type(error).__name__
    if isinstance(error, ray.exceptions.RayActorError):
        node = (trial.last_result or {}).get("node_ip")
        where = f" on node {node}" if node else ""
        return f"{name}: the trial's Ray worker{where} died or could not be reached: {detail}"
    return f"{name}: {detail}" if detail else name


def scheduler_for(spec: SweepSpec, trials: Sequence[Trial]) -> TrialScheduler | None:
    """The Tune scheduler of `[early_stopping]` (None without one), its clock `env_steps`."""
    stopping = spec.early_stopping
    if stopping is None:
        return None
    longest = max(trial.config.total_steps for trial in trials)
    grace = stopping.grace_steps or min(trial.config.eval_every for trial in trials)
    if stopping.scheduler == "asha":
        return ASHAScheduler(time_attr=STEP_KEY, max_t=longest,
                             grace_period=min(grace, longest),
                             reduction_factor=stopping.reduction_factor)
    return MedianStoppingRule(time_attr=STEP_KEY, grace_period=grace)


def _start_ray(options: RayOptions) -> bool:
    """Join the cluster at the address, or start a local Ray; True if started here.

    With Ray already initialised in this process (a caller's `ray.init`), that one is used.
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.update(TUNE_SETTINGS)  # Tune's controller runs here (on the head with Ray Client)
    if ray.is_initialized():
        return False
    quiet: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
    if options.address:
        ray.init(address=options.address, runtime_env={"env_vars": TUNE_SETTINGS}, **quiet)
        return True
    if options.ray_dir is None:
        raise ValueError("a local Ray needs its temporary folder (ray_dir)")
    options.ray_dir.mkdir(parents=True, exist_ok=True)
    default_token = Path.home() / ".ray" / "auth_token"
    if not any(name in os.environ for name in TOKEN_SETTINGS) and not default_token.exists():
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)  # Ray's own token format
    ray.init(num_cpus=usable_cores(), include_dashboard=options.ray_dashboard,
             _temp_dir=str(options.ray_dir), **quiet)
    return True


def usable_cores() -> int:
    """The cores this process may run on (a `taskset` or cgroup cpuset narrows them)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _key(trial: Any) -> str:
    return str(trial.config[TRIAL_KEY]["key"])


def _join(storage: str, name: str) -> str:
    """`name` inside a storage folder or URI."""
    return f"{storage.rstrip('/')}/{name}"

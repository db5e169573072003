"""The Ray Tune side of a sweep: start or join Ray, run the trials, report evaluations.

`run_trials` gives a `ray.tune.Tuner` the trials as one grid of trial ids (the driver has
already resolved every config), one CPU and one torch thread each, an optional ASHA or
median-stopping scheduler on the held-out metric, and Tune's state under the workspace.
A trial reports each held-out evaluation (`eval/…`, with `env_steps` as the schedulers'
clock) through `TuneReportCallback`; its run store records are `sweep.record_trial`'s.

A local Ray keeps its temporary files in the given folder (not `/tmp/ray`), starts no
dashboard unless asked, reports no usage statistics (unless `RAY_USAGE_STATS_ENABLED`
says otherwise), and authenticates with a token held only in this process's environment
(unless a token is configured already), so nothing is written to `~/.ray`.
"""

from __future__ import annotations

import logging
import numbers
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ray
from ray import tune
from ray.tune.schedulers import ASHAScheduler, MedianStoppingRule, TrialScheduler
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import KVWriter

from ifr_sim.agents.experiments.sweep import TrialJob, record_trial
from ifr_sim.agents.experiments.sweep_spec import SweepSpec, Trial
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.core.config import from_dict
from ifr_sim.core.run_store import RunStore

STEP_KEY = "env_steps"
"""The reported result field with the trial's environment steps (the schedulers' clock)."""
TRIAL_KEY = "trial"
"""The Tune config entry naming a trial: its key, seed and searched values."""
TOKEN_SETTINGS = ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_MODE")
"""Environment variables with which the user already chose Ray's authentication."""


def run_trials(
    spec: SweepSpec,
    trials: Sequence[Trial],
    job: TrialJob,
    address: str | None,
    max_concurrent: int | None,
    ray_dir: Path | None,
    ray_dashboard: bool,
    echo: Callable[[str], None],
) -> dict[str, str | None]:
    """Run `trials` with Tune; trial key → the error's last line, None if it ended cleanly.

    Trials that did not end (never started, or cut off by an interrupted sweep) are
    missing from the result.
    """
    started = _start_ray(address, ray_dir, ray_dashboard)
    try:
        labels = {trial.key: f"{trial.label} seed={trial.seed}" for trial in trials}
        trainable = tune.with_resources(tune.with_parameters(_trial, job=job), {"cpu": 1})
        grid = [{"key": t.key, "seed": t.seed, **t.params} for t in trials]
        tuner = tune.Tuner(
            trainable,
            param_space={TRIAL_KEY: tune.grid_search(grid)},
            tune_config=tune.TuneConfig(
                metric=spec.metric,
                mode=spec.mode,
                scheduler=scheduler_for(spec, trials),
                max_concurrent_trials=max_concurrent,
                reuse_actors=True,  # a worker process imports torch and the trainer once
                trial_name_creator=lambda t: labels[t.config[TRIAL_KEY]["key"]],
                trial_dirname_creator=lambda t: f"trial-{t.config[TRIAL_KEY]['key']}",
            ),
            run_config=tune.RunConfig(
                name="tune",
                storage_path=job.run_root,
                failure_config=tune.FailureConfig(max_failures=0, fail_fast=False),
                callbacks=[ProgressLines(spec.metric, trials, echo)],
                verbose=0,
            ),
        )
        results = tuner.fit()
    finally:
        if started:
            ray.shutdown()
    errors: dict[str, str | None] = {}
    for index in range(len(results)):
        result = results[index]
        if result.config is None:
            continue
        key = result.config[TRIAL_KEY]["key"]
        if result.error is not None:
            errors[key] = _last_line(result.error)
        elif (result.metrics or {}).get("done"):  # ended: completed or stopped early
            errors[key] = None
    return errors


class TuneReportOutput(KVWriter):
    """An SB3 logger output that reports each held-out evaluation to Ray Tune.

    The trainer dumps every evaluation's `eval/…` values at its step; those, with the
    step as `env_steps`, are one Tune result. Dumps without `eval/…` values (rollouts)
    are not reported.
    """

    def write(
        self, key_values: dict[str, Any], key_excluded: dict[str, tuple[str, ...]], step: int = 0
    ) -> None:
        evaluation = {key: float(value) for key, value in key_values.items()
                      if key.startswith("eval/") and isinstance(value, numbers.Real)
                      and not isinstance(value, bool)}
        if evaluation:
            tune.report({**evaluation, STEP_KEY: int(step)})

    def close(self) -> None:
        """Nothing to close."""


class TuneReportCallback(BaseCallback):
    """Adds `TuneReportOutput` to the model's logger when training starts."""

    def _on_training_start(self) -> None:
        self.logger.output_formats.append(TuneReportOutput())

    def _on_step(self) -> bool:
        return True


class ProgressLines(tune.Callback):
    """One line per trial start and end: its last metric value, an early stop, an error."""

    def __init__(self, metric: str, trials: Sequence[Trial],
                 echo: Callable[[str], None]) -> None:
        self.metric = metric
        self.trials = {trial.key: trial for trial in trials}
        self.echo = echo

    def on_trial_start(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self.echo(f"started  {self._label(trial)}")

    def on_trial_complete(
        self, iteration: int, trials: list[Any], trial: Any, **info: Any
    ) -> None:
        result = trial.last_result or {}
        value, steps = result.get(self.metric), result.get(STEP_KEY)
        if value is None:
            self.echo(f"finished {self._label(trial)}: no evaluation reported")
            return
        total = self.trials[trial.config[TRIAL_KEY]["key"]].config.total_steps
        stopped = " (stopped early)" if steps is not None and steps < total else ""
        self.echo(f"finished {self._label(trial)}: {self.metric} {value:.4f} "
                  f"at step {steps}{stopped}")

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self.echo(f"failed   {self._label(trial)}")

    def _label(self, trial: Any) -> str:
        ours = self.trials[trial.config[TRIAL_KEY]["key"]]
        return f"{ours.label} seed={ours.seed}"


def _trial(tune_config: dict[str, Any], job: TrialJob) -> None:
    """One trial inside a Ray worker: one torch thread, the trial's config, its run."""
    import torch

    torch.set_num_threads(1)
    key = tune_config[TRIAL_KEY]["key"]
    config = from_dict(TrainConfig, job.configs[key])
    record_trial(config, RunStore(Path(job.workspace)), Path(job.run_root) / key,
                 job.sweep_id, job.parent_id, [TuneReportCallback()])


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


def _start_ray(address: str | None, ray_dir: Path | None, dashboard: bool) -> bool:
    """Join the cluster at `address`, or start a local Ray in `ray_dir`; True if started here.

    With Ray already initialised in this process (a caller's `ray.init`), that one is used.
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if ray.is_initialized():
        return False
    quiet: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
    if address:
        ray.init(address=address, **quiet)
        return True
    if ray_dir is None:
        raise ValueError("a local Ray needs its temporary folder (ray_dir)")
    ray_dir.mkdir(parents=True, exist_ok=True)
    default_token = Path.home() / ".ray" / "auth_token"
    if not any(name in os.environ for name in TOKEN_SETTINGS) and not default_token.exists():
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)  # Ray's own token format
    ray.init(num_cpus=usable_cores(), include_dashboard=dashboard, _temp_dir=str(ray_dir),
             **quiet)
    return True


def usable_cores() -> int:
    """The cores this process may run on (a `taskset` or cgroup cpuset narrows them)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _last_line(error: BaseException | None) -> str | None:
    """The last line of an error's text (Tune wraps a trial's error in its traceback)."""
    if error is None:
        return None
    lines = str(error).strip().splitlines()
    return lines[-1] if lines else type(error).__name__

"""One sweep trial inside a Ray worker, on any node: train, and report everything to Tune.

A trial never sees the run store (it is not even told where it is). It trains in Tune's
working directory for the trial on its node, and `TuneReporter` reports through
`tune.report`, once per rollout boundary, what the trainer logged and saved there:

- every numeric value the trainer logged (`rollout/…`, `train/…`, `eval/…`, `time/…`)
  at its step, with the step as `env_steps`, the clock of Tune's schedulers;
- each new checkpoint, as a `tune.Checkpoint` that Tune copies to its storage (a local
  folder, a shared filesystem or a cloud URI), with the evaluations it holds that were
  not reported yet (whole results, confidence intervals included) as JSON text.

The driver's Tune callback turns those reports into run store records. A trial Tune
starts again (after a failure, or in a restored sweep) gets its latest checkpoint back
from the storage and resumes from it, exactly as `ifr-sim train --resume` does.
"""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ray import tune
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import KVWriter, filter_excluded_keys

from ifr_sim.agents.training.checkpoint import (
    MANIFEST_FILE,
    STATE_FILE,
    read_checkpoint,
    remove_checkpoints,
)
from ifr_sim.agents.training.run_store_logger import FORMAT as RUN_STORE_FORMAT
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.agents.training.trainer import CHECKPOINT_DIR, resume, train
from ifr_sim.core.config import from_dict
from ifr_sim.core.plain_json import plain

STEP_KEY = "env_steps"
"""The reported result field with the trial's environment steps (the schedulers' clock)."""
EVALUATIONS_KEY = "evaluations"
"""The reported result field with the new evaluations of a checkpoint, as JSON text."""
TRIAL_KEY = "trial"
"""The Tune config entry naming a trial: its key, seed and searched values."""
RUN_DIR = "run"
"""The trainer's run folder inside Tune's working directory of the trial."""


def run_trial(tune_config: Mapping[str, Any], configs: Mapping[str, Mapping[str, Any]]) -> None:
    """Train the trial Tune picked, or resume it from the checkpoint Tune gives back.

    Args:
        tune_config: Tune's config of the trial; `tune_config["trial"]["key"]` names it.
        configs: trial key → resolved training config (plain data) of every trial to
            run. A trial missing from it finished in an earlier run of the sweep (a
            restored Tune experiment still lists it) and ends at once.
    """
    import torch

    key = tune_config[TRIAL_KEY]["key"]
    if key not in configs:
        return
    torch.set_num_threads(1)
    run_dir = Path(tune.get_context().get_trial_dir()) / RUN_DIR
    directory = run_dir / CHECKPOINT_DIR
    restored = tune.get_checkpoint()
    if restored is None:
        reporter = TuneReporter(directory)
        train(from_dict(TrainConfig, configs[key]), run_dir, callbacks=[reporter])
    else:
        remove_checkpoints(directory)
        restored.to_directory(str(directory))
        checkpoint = read_checkpoint(directory)
        reporter = TuneReporter(directory, checkpoint.state.step)
        resume(checkpoint, run_dir, callbacks=[reporter])
    reporter.flush()
    remove_checkpoints(directory)  # a scratch copy: the reported ones are in Tune's storage


class TuneReporter(BaseCallback):
    """Reports to Tune, at each rollout boundary, what the trainer logged and saved there.

    It runs before the trainer's own rollout-start work (evaluation, checkpoint), so it
    reports that work at the boundary's first environment step; the last boundary's (the
    final evaluation and checkpoint, after SB3's `learn` returns) is reported by `flush`.

    Args:
        directory: where the trainer saves its checkpoint.
        resumed_from: the step of the checkpoint this run resumed from: that checkpoint
            and the evaluations it holds are on record already.
    """

    def __init__(self, directory: Path, resumed_from: int | None = None) -> None:
        super().__init__()
        self.directory = directory
        self.pending: dict[int, dict[str, float]] = {}
        self.output = PendingValues(self.pending)
        self.reported_checkpoint = _signature(directory) if resumed_from is not None else None
        self.evaluated_to = -1 if resumed_from is None else resumed_from
        self.at_boundary = False

    def _on_training_start(self) -> None:
        self.logger.output_formats.append(self.output)

    def _on_rollout_start(self) -> None:
        self.at_boundary = True

    def _on_step(self) -> bool:
        if self.at_boundary:
            self.at_boundary = False
            self.flush()
        return True

    def flush(self) -> None:
        """Report the values logged since the last report, and a new checkpoint if any."""
        steps = sorted(self.pending)
        results: list[dict[str, Any]] = [{**self.pending[step], STEP_KEY: step}
                                         for step in steps]
        self.pending.clear()
        signature = _signature(self.directory)
        new_checkpoint = signature is not None and signature != self.reported_checkpoint
        if new_checkpoint:
            state = json.loads((self.directory / STATE_FILE).read_text(encoding="utf-8"))
            if not results or results[-1][STEP_KEY] != state["step"]:
                results.append({STEP_KEY: state["step"]})
            evaluations = [e for e in state["history"] if e["step"] > self.evaluated_to]
            if evaluations:
                results[-1][EVALUATIONS_KEY] = json.dumps(evaluations, default=plain)
                self.evaluated_to = evaluations[-1]["step"]
            self.reported_checkpoint = signature
        for index, result in enumerate(results):
            last = index == len(results) - 1
            checkpoint = tune.Checkpoint.from_directory(str(self.directory)) if (
                last and new_checkpoint) else None
            tune.report(result, checkpoint=checkpoint)


class PendingValues(KVWriter):
    """An SB3 logger output that keeps each dump's numeric values, by step, until reported.

    It keeps what `ifr-sim train` writes to the run store: text and other non-numeric
    values, and values excluded from the run store's output, are left out.
    """

    def __init__(self, pending: dict[int, dict[str, float]]) -> None:
        self.pending = pending

    def write(
        self, key_values: dict[str, Any], key_excluded: dict[str, tuple[str, ...]], step: int = 0
    ) -> None:
        kept = filter_excluded_keys(key_values, key_excluded, RUN_STORE_FORMAT)
        values = {key: float(value) for key, value in kept.items()
                  if isinstance(value, numbers.Real) and not isinstance(value, bool)}
        if values:
            self.pending.setdefault(int(step), {}).update(values)

    def close(self) -> None:
        """Nothing to close."""


def _signature(directory: Path) -> tuple[int, int] | None:
    """Identifies the checkpoint in `directory`: each save publishes a new manifest file."""
    try:
        status = os.stat(directory / MANIFEST_FILE)
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns

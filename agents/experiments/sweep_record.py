"""The driver's record of a sweep's trials: Tune's events in, run store writes out.

Only the process that runs the sweep (the Ray Tune driver) writes the run store; trials
on other nodes report through Tune instead (`sweep_trial.py`), and a Tune callback on
the driver turns what Tune tells it into the `TrialEvent`s below (`sweep_tune.py`).
`TrialRecorder` records each trial as a `train` run linked to its sweep, live: started
or resumed, every reported metric and evaluation, where each checkpoint is, and how it
ended. When Tune is done (or interrupted), `outcomes` settles what no event said: a trial
cut off by an interrupted sweep, or never started, is `failed` with that reason.

A trial that starts again (retried after a failure, or continued by a re-run of an
interrupted sweep) continues its run from the checkpoint it resumes from: what the run
logged after that checkpoint is deleted, so its curves have neither gaps nor duplicates.
A retried trial's run also counts its failed attempts as `sweep/retries`.

Nothing here needs Ray.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ifr_sim.agents.experiments.sweep_spec import Trial, trial_key
from ifr_sim.core.config import to_dict
from ifr_sim.core.run_store import RunStore

NEVER_RAN = "not run: the sweep stopped before this trial started"
INTERRUPTED = "the sweep stopped before this trial finished"
RETRIES_KEY = "sweep/retries"
"""A trial's failed attempts so far, logged at the step its next attempt resumes from."""


@dataclass(frozen=True)
class TrialStarted:
    """A trial (re)started; `resumed_from` is the step of the checkpoint it resumes from."""

    key: str
    resumed_from: int | None = None


@dataclass(frozen=True)
class TrialResult:
    """A trial reported what its trainer logged at `step` (and the evaluations since)."""

    key: str
    step: int
    metrics: Mapping[str, float]
    evaluations: Sequence[Mapping[str, Any]] = ()
    """Whole evaluation results (confidence intervals included), each with its `step`."""


@dataclass(frozen=True)
class TrialCheckpoint:
    """A trial's checkpoint reached Tune's storage at `location` (a path or a URI)."""

    key: str
    location: str


@dataclass(frozen=True)
class TrialFailed:
    """A trial's attempt failed; `retrying` when Tune will start it again."""

    key: str
    reason: str
    retrying: bool = False


@dataclass(frozen=True)
class TrialCompleted:
    """A trial ended without an error: it trained to the end or was stopped early."""

    key: str


TrialEvent = TrialStarted | TrialResult | TrialCheckpoint | TrialFailed | TrialCompleted


@dataclass(frozen=True)
class TrialOutcome:
    """How one trial ended, as the run store has it after this invocation."""

    trial: Trial
    run_id: str | None
    status: str  # finished, failed, or skipped (finished in an earlier invocation)
    error: str | None = None


@dataclass
class _Progress:
    """What the recorder knows of one trial in this invocation."""

    run_id: str
    failures: int = 0
    last: tuple[int, float] | None = None  # (step, value) of the sweep's metric
    outcome: TrialOutcome | None = None


@dataclass
class TrialRecorder:
    """Writes the runs of one sweep invocation's trials as their events arrive.

    Args:
        store: the run store; only this process writes it.
        sweep_id: the sweep's name (every trial run's `sweep_id`).
        sweep_run: the id of this invocation's `sweep` run (a new trial run's `parent_id`).
        trials: the trials to run; events of any other trial are ignored.
        metric: the sweep's metric, quoted in the line of a finished trial.
        echo: where one line per trial start and end goes.
    """

    store: RunStore
    sweep_id: str
    sweep_run: str
    trials: Sequence[Trial]
    metric: str
    echo: Callable[[str], None] = print
    _progress: dict[str, _Progress] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._trials = {trial.key: trial for trial in self.trials}

    def record(self, event: TrialEvent) -> None:
        """Write what `event` says to the run store (and a line for starts and ends)."""
        trial = self._trials.get(event.key)
        if trial is None:
            return
        match event:
            case TrialStarted():
                self._started(trial, event.resumed_from)
            case TrialResult():
                self._result(trial, event)
            case TrialCheckpoint():
                self.store.set_checkpoint(self._run(trial).run_id, event.location)
            case TrialFailed():
                self._failed(trial, event.reason, event.retrying)
            case TrialCompleted():
                self._completed(trial)

    def outcomes(self) -> list[TrialOutcome]:
        """How every trial ended; one still running, or never started, is failed now."""
        results = []
        for trial in self.trials:
            progress = self._progress.get(trial.key)
            if progress is None:
                run_id = self._start_run(trial)
                self.store.finish_run(run_id, "failed", error=NEVER_RAN)
                results.append(TrialOutcome(trial, run_id, "failed", NEVER_RAN))
            elif progress.outcome is None:
                self.store.finish_run(progress.run_id, "failed", error=INTERRUPTED)
                results.append(TrialOutcome(trial, progress.run_id, "failed", INTERRUPTED))
            else:
                results.append(progress.outcome)
        return results

    def _started(self, trial: Trial, resumed_from: int | None) -> None:
        progress = self._progress.get(trial.key)
        label = _label(trial)
        if progress is None and resumed_from is not None:
            earlier = unfinished_run(self.store, self.sweep_id, trial.key)
            if earlier is not None:  # a re-run continues an interrupted sweep's trial
                progress = self._progress[trial.key] = _Progress(earlier)
        if progress is None:
            self._progress[trial.key] = _Progress(self._start_run(trial))
            self.echo(f"started  {label}")
            return
        kept = -1 if resumed_from is None else resumed_from
        self.store.resume_run(progress.run_id, kept)
        progress.outcome, progress.last = None, None
        if progress.failures:
            self.store.log_metrics(progress.run_id, max(kept, 0),
                                   {RETRIES_KEY: float(progress.failures)})
        where = "from scratch" if resumed_from is None else f"from step {resumed_from}"
        self.echo(f"resumed  {label} {where}")

    def _result(self, trial: Trial, event: TrialResult) -> None:
        progress = self._run(trial)
        self.store.log_metrics(progress.run_id, event.step, event.metrics)
        for evaluation in event.evaluations:
            result = {key: value for key, value in evaluation.items() if key != "step"}
            self.store.log_evaluation(progress.run_id, int(evaluation["step"]), result)
        if self.metric in event.metrics:
            progress.last = (event.step, float(event.metrics[self.metric]))

    def _failed(self, trial: Trial, reason: str, retrying: bool) -> None:
        progress = self._run(trial)
        self.store.finish_run(progress.run_id, "failed", error=reason)
        if retrying:
            progress.failures += 1
            self.echo(f"failed   {_label(trial)}: {reason}; retrying")
            return
        progress.outcome = TrialOutcome(trial, progress.run_id, "failed", reason)
        self.echo(f"failed   {_label(trial)}: {reason}")

    def _completed(self, trial: Trial) -> None:
        progress = self._run(trial)
        self.store.finish_run(progress.run_id)
        progress.outcome = TrialOutcome(trial, progress.run_id, "finished")
        if progress.last is None:
            self.echo(f"finished {_label(trial)}: no evaluation reported")
            return
        step, value = progress.last
        stopped = " (stopped early)" if step < trial.config.total_steps else ""
        self.echo(f"finished {_label(trial)}: {self.metric} {value:.4f} at step {step}{stopped}")

    def _run(self, trial: Trial) -> _Progress:
        """The trial's progress; a run is started for a trial heard of before its start."""
        progress = self._progress.get(trial.key)
        if progress is None:
            progress = self._progress[trial.key] = _Progress(self._start_run(trial))
        return progress

    def _start_run(self, trial: Trial) -> str:
        return self.store.start_run("train", to_dict(trial.config), trial.seed, self.sweep_id,
                                    self.sweep_run)


def finished_trial_keys(store: RunStore, sweep_id: str) -> dict[str, str]:
    """Trial key → run id of every finished training run of the sweep named `sweep_id`."""
    runs = store.runs(kind="train", status="finished", sweep_id=sweep_id)
    return {trial_key(run.config): run.id for run in reversed(runs)}  # newest wins


def unfinished_run(store: RunStore, sweep_id: str, key: str) -> str | None:
    """The newest run of trial `key` in the sweep `sweep_id` that did not finish, if any."""
    for run in store.runs(kind="train", sweep_id=sweep_id):  # newest first
        if run.status != "finished" and trial_key(run.config) == key:
            return run.id
    return None


def _label(trial: Trial) -> str:
    return f"{trial.label} seed={trial.seed}"

"""A sweep's results from the run store: its trials, each configuration over seeds, the best.

Pure functions over a `RunStore`, returning pandas frames, shared by `ifr-sim sweep`'s
summary and the dashboard's sweep page. A trial is identified by its resolved config
(seed included, `sweep_spec.trial_key`); when a sweep was re-run, a trial's newest
finished run stands for it, else its newest run. A configuration is what stays when the
seed is left out; its label lists the config keys that differ between the sweep's
configurations.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> store = RunStore(Path(tempfile.mkdtemp()))
    >>> for seed, value in ((0, 0.2), (1, 0.3)):
    ...     run = store.start_run("train", {"total_steps": 8, "seed": seed}, seed, "s")
    ...     store.log_metrics(run, 8, {"eval/ndcg@10": value})
    ...     store.finish_run(run)
    >>> summary = configuration_summary(sweep_trials(store, "s"))
    >>> summary[["configuration", "seeds", "mean"]].round(2).to_dict("records")
    [{'configuration': 'base config', 'seeds': 2, 'mean': 0.25}]
"""

from __future__ import annotations

import json

import pandas as pd

from ifr_sim.agents.experiments.sweep_spec import describe, flatten, trial_key
from ifr_sim.core.metrics import mean_ci95
from ifr_sim.core.run_store import RunRecord, RunStore

DEFAULT_METRIC = "eval/ndcg@10"
TRIAL_COLUMNS = ("run", "trial", "configuration", "seed", "status", "final", "step",
                 "stopped_early", "error")
SUMMARY_COLUMNS = ("configuration", "seeds", "mean", "ci95", "min", "max", "stopped_early",
                   "failed", "best")


def sweep_ids(store: RunStore) -> list[str]:
    """The names of the sweeps in the store, the most recently started first."""
    names: list[str] = []
    for run in store.runs(kind="sweep"):
        if run.sweep_id is not None and run.sweep_id not in names:
            names.append(run.sweep_id)
    return names


def sweep_objective(store: RunStore, sweep_id: str) -> tuple[str, str]:
    """The `(metric, mode)` the newest run of the sweep ranked by (default NDCG@10, max)."""
    for run in store.runs(kind="sweep", sweep_id=sweep_id):
        return str(run.config.get("metric", DEFAULT_METRIC)), str(run.config.get("mode", "max"))
    return DEFAULT_METRIC, "max"


def sweep_trials(store: RunStore, sweep_id: str, metric: str = DEFAULT_METRIC) -> pd.DataFrame:
    """One row per trial (`TRIAL_COLUMNS`): its run, configuration, seed, final `metric`.

    `final` is the metric's value at its last step, `step` that step; `stopped_early`
    marks a finished trial whose last evaluation came before its `total_steps` (a
    scheduler stopped it).
    """
    trials: dict[str, RunRecord] = {}
    for run in store.runs(kind="train", sweep_id=sweep_id):  # newest first
        key = trial_key(run.config)
        kept = trials.get(key)
        if kept is None or (kept.status != "finished" and run.status == "finished"):
            trials[key] = run
    labels = configuration_labels(list(trials.values()))
    rows = []
    for key, run in trials.items():
        curve = store.metrics(run.id, [metric])
        step, final = (curve[-1][0], curve[-1][2]) if curve else (None, None)
        total = run.config.get("total_steps")
        stopped = (run.status == "finished" and isinstance(total, int)
                   and (step is None or step < total))
        rows.append((run.id, key, labels[run.id], run.seed, run.status, final, step, stopped,
                     run.error))
    frame = pd.DataFrame(rows, columns=list(TRIAL_COLUMNS))
    frame = frame.astype({"final": "float64", "stopped_early": bool})
    return frame.sort_values(["configuration", "seed"], ignore_index=True)


def configuration_labels(runs: list[RunRecord]) -> dict[str, str]:
    """Run id → its configuration in one line: the keys that differ between the runs' configs.

    The seed is left out, so the runs of one configuration share a label.
    """
    flat = {run.id: flatten(run.config) for run in runs}
    keys = sorted({key for config in flat.values() for key in config} - {"seed"})
    varied = [key for key in keys
              if len({json.dumps(config.get(key)) for config in flat.values()}) > 1]
    return {run_id: describe({key: config.get(key) for key in varied})
            for run_id, config in flat.items()}


def configuration_summary(trials: pd.DataFrame, mode: str = "max") -> pd.DataFrame:
    """One row per configuration (`SUMMARY_COLUMNS`), best first.

    `mean` ± `ci95` (normal 95% interval) over its finished trials' final values, one
    per seed; `best` marks the configuration with the best mean (`mode` max or min).
    Configurations without a finished trial come last, with no mean.
    """
    rows = []
    for label, group in trials.groupby("configuration", sort=False):
        done = group[(group["status"] == "finished") & group["final"].notna()]
        mean, ci = mean_ci95(done["final"].to_numpy()) if len(done) else (float("nan"),) * 2
        rows.append((label, len(done), mean, ci, done["final"].min(), done["final"].max(),
                     int(done["stopped_early"].sum()), int((group["status"] == "failed").sum()),
                     False))
    summary = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    summary = summary.astype({"mean": "float64", "ci95": "float64", "min": "float64",
                              "max": "float64", "best": bool})
    summary = summary.sort_values("mean", ascending=mode == "min", na_position="last",
                                  ignore_index=True)
    if len(summary) and pd.notna(summary.loc[0, "mean"]):
        summary.loc[0, "best"] = True
    return summary


def best_configuration(summary: pd.DataFrame) -> pd.Series | None:
    """The `configuration_summary` row marked best, or None when no trial finished."""
    best = summary[summary["best"]]
    return None if best.empty else best.iloc[0]


def summary_lines(store: RunStore, sweep_id: str) -> list[str]:
    """The sweep's configurations as a text table, best first, then the best one."""
    metric, mode = sweep_objective(store, sweep_id)
    summary = configuration_summary(sweep_trials(store, sweep_id, metric), mode)
    width = max([len("configuration"), *summary["configuration"].str.len()]) + 2
    lines = [f"{'configuration':<{width}}{'seeds':>6}{metric:>16}{'95% CI':>12}"
             f"{'stopped':>9}{'failed':>8}"]
    for row in summary.itertuples():
        mean, interval = ("-", "-") if row.seeds == 0 else (f"{row.mean:.4f}",
                                                            f"± {row.ci95:.4f}")
        lines.append(f"{row.configuration:<{width}}{row.seeds:>6}{mean:>16}{interval:>12}"
                     f"{row.stopped_early:>9}{row.failed:>8}")
    best = best_configuration(summary)
    if best is not None:
        lines.append(f"best: {best['configuration']} ({metric} {best['mean']:.4f} ± "
                     f"{best['ci95']:.4f} over {best['seeds']} seeds)")
    return lines

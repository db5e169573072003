"""What the dashboard shows, as pandas DataFrames read from a `RunStore`.

Pure functions, no Streamlit: the page (`app.py`) only lays these frames out, and the
tests check them without a browser. Curves are tidy (one row per run, key and step), the
shape `st.line_chart(frame, x="step", y="value", color="run")` draws one line per run from.

Example:
    >>> import tempfile
    >>> store = RunStore(Path(tempfile.mkdtemp()))
    >>> run_id = store.start_run("train", {}, seed=0)
    >>> store.log_metrics(run_id, 64, {"rollout/ep_rew_mean": 0.5})
    >>> metric_curves(store, [run_id], ["rollout/ep_rew_mean"])[["key", "step", "value"]]
                       key  step  value
    0  rollout/ep_rew_mean    64    0.5
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ifr_sim.run_store import DATABASE, RunRecord, RunStore

RUNS_ENV = "IFR_SIM_RUNS"
"""Environment variable with the workspace the dashboard reads (else `./runs`)."""

REWARD_KEYS = ("rollout/ep_rew_mean", "eval/reward", "eval/ctr")
RANKING_KEYS = ("eval/ndcg@5", "eval/ndcg@10", "eval/hr@10", "eval/mrr",
                "eval/intent_precision@10")
DIAGNOSTIC_KEYS = ("train/approx_kl", "train/clip_fraction", "train/entropy_loss",
                   "train/value_loss", "train/kl_ref", "train/explained_variance", "time/fps")
SECTIONS = {
    "Reward": REWARD_KEYS,
    "Ranking": RANKING_KEYS,
    "Training diagnostics": DIAGNOSTIC_KEYS,
}
"""The chart sections of the page, in order, each with the metric keys it draws."""

RUN_COLUMNS = ("id", "kind", "status", "seed", "started_at", "ended_at", "error",
               "checkpoint")
CURVE_COLUMNS = ("run", "key", "step", "value")


def workspace() -> Path:
    """The workspace the dashboard reads: `$IFR_SIM_RUNS`, else `./runs`."""
    return Path(os.environ.get(RUNS_ENV, "runs"))


def open_store(path: Path) -> RunStore | None:
    """The run store of `path`, or None if it has none yet (nothing is created then)."""
    return RunStore(path) if (Path(path) / DATABASE).is_file() else None


def runs_table(
    store: RunStore, kind: str | None = None, status: str | None = None
) -> pd.DataFrame:
    """One row per run, newest first, optionally only of one kind and/or status."""
    rows = [_run_row(run) for run in store.runs(kind, status)]
    return pd.DataFrame(rows, columns=list(RUN_COLUMNS))


def default_selection(runs: pd.DataFrame) -> list[str]:
    """The newest training run, else the newest run, else nothing (`runs` is newest first)."""
    if runs.empty:
        return []
    training = runs[runs["kind"] == "train"]
    return [str((training if not training.empty else runs)["id"].iloc[0])]


def metric_curves(
    store: RunStore, run_ids: Sequence[str], keys: Sequence[str]
) -> pd.DataFrame:
    """Tidy `run, key, step, value` rows of these runs and keys, by run, key and step."""
    rows = [
        (run_id, key, step, value)
        for run_id in run_ids
        for step, key, value in store.metrics(run_id, list(keys))
    ]
    curves = pd.DataFrame(rows, columns=list(CURVE_COLUMNS))
    return curves.astype({"run": str, "key": str, "step": "int64", "value": "float64"})


def smooth(curves: pd.DataFrame, window: int) -> pd.DataFrame:
    """Rolling mean of the last `window` points of each run's curve of each key.

    The first points average what there is so far, so no curve loses its start.
    """
    if window <= 1 or curves.empty:
        return curves
    smoothed = curves.sort_values(["run", "key", "step"]).copy()
    smoothed["value"] = smoothed.groupby(["run", "key"])["value"].transform(
        lambda values: values.rolling(window, min_periods=1).mean()
    )
    return smoothed.reset_index(drop=True)


def with_zero_shot_lines(curves: pd.DataFrame) -> pd.DataFrame:
    """Add, for every run's `eval/…` curve, a flat line at its first evaluation.

    A training run evaluates before its first update, so that first point is the
    zero-shot scorer on the same held-out sessions: the level PPO has to beat. The line is
    labelled `<run> (zero-shot)`.

    >>> c = pd.DataFrame({"run": ["r"] * 2, "key": ["eval/ctr"] * 2, "step": [0, 9],
    ...                   "value": [0.1, 0.2]})
    >>> with_zero_shot_lines(c)["value"].tolist()
    [0.1, 0.2, 0.1, 0.1]
    """
    evals = curves[curves["key"].str.startswith("eval/")]
    if evals.empty:
        return curves
    ordered = evals.sort_values("step")
    first = ordered.groupby(["run", "key"])["value"].transform("first")
    lines = ordered.assign(value=first, run=ordered["run"] + " (zero-shot)")
    return pd.concat([curves, lines], ignore_index=True)


def last_values(curves: pd.DataFrame) -> pd.DataFrame:
    """The last value of each key of each run: one row per run, one column per key."""
    if curves.empty:
        return pd.DataFrame()
    last = curves.sort_values("step").groupby(["run", "key"])["value"].last()
    return last.unstack("key")


def runs_without_metrics(store: RunStore, run_ids: Sequence[str]) -> list[str]:
    """The runs that have not logged a metric yet."""
    return [run_id for run_id in run_ids if not store.metrics(run_id)]


def runs_without_evaluation(store: RunStore, run_ids: Sequence[str]) -> list[str]:
    """The runs with neither a recorded evaluation nor an `eval/…` metric yet."""
    return [
        run_id for run_id in run_ids
        if not store.evaluations(run_id)
        and not store.metrics(run_id, [*REWARD_KEYS[1:], *RANKING_KEYS])
    ]


def _run_row(run: RunRecord) -> tuple[object, ...]:
    return tuple(getattr(run, column) for column in RUN_COLUMNS)

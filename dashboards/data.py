"""What the Curves page shows, as pandas DataFrames read from a `RunStore`.

Pure functions, no Streamlit: the page (`curves_page.py`) only lays these frames out, and
the tests check them without a browser. Curves are tidy (one row per run, key and step);
`section_frame` turns them into the chart frames of `seeds.py` (seed groups, bands) with
the reference lines of `references.py`.

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
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ifr_sim.agents.evaluation.online import ranking_metric_names
from ifr_sim.core.run_store import DATABASE, RunRecord, RunStore
from ifr_sim.dashboards.references import with_reference_lines, with_zero_shot_lines
from ifr_sim.dashboards.seeds import MEASURED, band_curves, seed_groups
from ifr_sim.envs.config import PRESETS, WorldConfig, preset_config

RUNS_ENV = "IFR_SIM_RUNS"
"""Environment variable with the workspace the dashboard reads (else `./runs`)."""

REWARD_KEYS = ("rollout/ep_rew_mean", "eval/reward", "eval/ctr")
DIAGNOSTIC_KEYS = ("train/approx_kl", "train/clip_fraction", "train/entropy_loss",
                   "train/value_loss", "train/kl_ref", "train/explained_variance", "time/fps")
RANKING_FAMILIES = ("ndcg", "hr", "mrr", "intent_precision")
"""The ranking metrics, in the order the page draws them (each at its cut-offs `@k`)."""

RUN_COLUMNS = ("id", "kind", "preset", "status", "seed", "started_at", "ended_at", "error",
               "checkpoint")
CURVE_COLUMNS = ("run", "key", "step", "value")

WORLD_PRESETS = {preset_config(name).catalog.source: name for name in PRESETS}
"""The world preset each catalog source belongs to (`movielens`, `synthetic-shop`)."""
CUSTOM_PRESET = "custom"
"""The preset of a run on a catalog file, or whose config names no world."""


def ranking_keys(runs: Sequence[RunRecord]) -> tuple[str, ...]:
    """The `eval/…` ranking keys of these runs: each metric at the cut-offs of their slates.

    A run's cut-offs follow its world's slate size (slates of 5 log `eval/ndcg@5`, never
    `eval/ndcg@10`); runs that record no world count as the default world.
    """
    sizes = {_slate_size(run.config) for run in runs} or {WorldConfig().slate_size}
    names = {name for size in sizes for name in ranking_metric_names(size)}

    def order(name: str) -> tuple[int, int]:
        family, _, k = name.partition("@")
        return RANKING_FAMILIES.index(family), int(k or 0)

    return tuple(f"eval/{name}" for name in sorted(names, key=order))


def is_ranking_section(keys: Sequence[str]) -> bool:
    """Whether every key is an `eval/…` ranking key (those charts get reference lines)."""
    return bool(keys) and all(
        key.startswith("eval/") and key[5:].partition("@")[0] in RANKING_FAMILIES
        for key in keys
    )


def sections(runs: Sequence[RunRecord]) -> dict[str, tuple[str, ...]]:
    """The chart sections of the page for these runs, in order, with the keys each draws."""
    return {
        "Reward": REWARD_KEYS,
        "Ranking": ranking_keys(runs),
        "Training diagnostics": DIAGNOSTIC_KEYS,
    }


SECTIONS = sections([])
"""The sections for runs of the default world (slates of 10)."""
RANKING_KEYS = SECTIONS["Ranking"]


def _slate_size(config: Mapping[str, Any]) -> int:
    world = config.get("world")
    size = world.get("slate_size") if isinstance(world, Mapping) else None
    return size if isinstance(size, int) else WorldConfig().slate_size


def workspace() -> Path:
    """The workspace the dashboard reads: `$IFR_SIM_RUNS`, else `./runs`."""
    return Path(os.environ.get(RUNS_ENV, "runs"))


def open_store(path: Path) -> RunStore | None:
    """The run store of `path`, or None if it has none yet (nothing is created then)."""
    return RunStore(path) if (Path(path) / DATABASE).is_file() else None


def runs_table(
    store: RunStore,
    kind: str | None = None,
    status: str | None = None,
    preset: str | None = None,
) -> pd.DataFrame:
    """One row per run, newest first, optionally only of one kind, status and/or preset."""
    rows = [_run_row(run) for run in store.runs(kind, status)]
    runs = pd.DataFrame(rows, columns=list(RUN_COLUMNS)).astype({"preset": str})
    return runs if preset is None else runs[runs["preset"] == preset].reset_index(drop=True)


def run_preset(config: Mapping[str, Any]) -> str:
    """The preset a run was made with.

    The `preset` its config records if there is one (a training preset such as `quick`);
    else the world preset whose catalog the run's world uses (`movielens`,
    `synthetic-shop`), or `custom` for a catalog file or a config without a world.

    >>> run_preset({"world": {"catalog": {"source": "synthetic"}}})
    'synthetic-shop'
    >>> run_preset({"preset": "quick", "world": {"catalog": {"source": "movielens"}}})
    'quick'
    """
    recorded = config.get("preset")
    if isinstance(recorded, str):
        return recorded
    world = config.get("world")
    catalog = world.get("catalog") if isinstance(world, dict) else None
    source = catalog.get("source") if isinstance(catalog, dict) else None
    return WORLD_PRESETS.get(str(source), CUSTOM_PRESET)


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


def section_frame(
    store: RunStore,
    runs: Sequence[RunRecord],
    keys: Sequence[str],
    window: int = 1,
    combine_seeds: bool = True,
) -> pd.DataFrame:
    """What a section's charts draw (`seeds.CHART_COLUMNS`), for all its keys.

    Each run's curves smoothed over `window` points, then one line per seed group (its
    mean and min-max band; with `combine_seeds` off, one per run), and on the ranking keys
    the zero-shot, best-baseline and oracle reference lines (`references.py`).
    """
    curves = smooth(metric_curves(store, [run.id for run in runs], keys), window)
    frame = band_curves(curves, seed_groups(runs, combine_seeds))
    if is_ranking_section(keys):
        frame = with_reference_lines(with_zero_shot_lines(frame), store, runs, keys)
    return frame


def line_labels(frames: Iterable[pd.DataFrame]) -> list[str]:
    """Every line label of the chart frames: measured lines first, then references.

    >>> f = pd.DataFrame({"run": ["b", "oracle", "a"], "line": ["run", "oracle", "run"]})
    >>> line_labels([f])
    ['a', 'b', 'oracle']
    """
    rows = pd.concat([frame[["run", "line"]] for frame in frames])
    measured = rows["line"] == MEASURED
    return [*sorted(set(rows["run"][measured])), *sorted(set(rows["run"][~measured]))]


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
        and not store.metrics(run_id, list(REWARD_KEYS[1:]))  # every evaluation logs these
    ]


def _run_row(run: RunRecord) -> tuple[object, ...]:
    return tuple(run_preset(run.config) if column == "preset" else getattr(run, column)
                 for column in RUN_COLUMNS)

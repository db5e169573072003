"""Reference levels on the held-out curves: zero-shot, best baseline and oracle.

- **zero-shot**: a training run evaluates before its first update, so the first point of
  each `eval/…` curve is the untrained scorer on the same held-out sessions: the level PPO
  has to beat. Drawn flat, labelled `<run> (zero-shot)`.
- **best baseline** and **oracle**: `ifr-sim evaluate --agent NAME` (and `ifr-sim demo`,
  for every agent) record an `evaluate` run with `eval/<metric>` at step 0. Those recorded
  in the same store on the same world as the curve's run (the same world config; a
  training run is compared on its held-out split) give the levels: the oracle's (the
  newest oracle run), and for each metric the highest of the baselines (every agent but the
  oracle, the zero-shot scorer and trained checkpoints), labelled with its agent.

Each reference is a flat line over the steps the metric's curves span, with `line` set to
its kind, so the chart can dash it and the CSV says what it is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ifr_sim.core.run_store import RunRecord, RunStore
from ifr_sim.dashboards.seeds import CHART_COLUMNS, MEASURED

ZERO_SHOT = "zero-shot"
BEST_BASELINE = "best baseline"
ORACLE = "oracle"
NOT_BASELINES = ("oracle", "zero-shot")
"""Agents that are references of their own, not baselines."""


def with_zero_shot_lines(curves: pd.DataFrame) -> pd.DataFrame:
    """Add, for every line's `eval/…` curve, a flat line at its first evaluation.

    >>> c = pd.DataFrame({"run": ["r"] * 2, "key": ["eval/ctr"] * 2, "step": [0, 9],
    ...                   "value": [0.1, 0.2], "low": [0.1, 0.2], "high": [0.1, 0.2],
    ...                   "seeds": [1, 1], "line": ["run", "run"]})
    >>> with_zero_shot_lines(c)["value"].tolist()
    [0.1, 0.2, 0.1, 0.1]
    """
    evals = curves[(curves["line"] == MEASURED) & curves["key"].str.startswith("eval/")]
    if evals.empty:
        return curves
    ordered = evals.sort_values("step", kind="stable")
    first = ordered.groupby(["run", "key"])["value"].transform("first")
    lines = ordered.assign(value=first, low=first, high=first, line=ZERO_SHOT,
                           run=ordered["run"] + f" ({ZERO_SHOT})")
    return pd.concat([curves, lines], ignore_index=True)


def evaluation_world(run: RunRecord) -> dict[str, Any] | None:
    """The world a run's `eval/…` values are measured on, or None if it has none.

    An `evaluate` run's own world; a training run's world on its held-out split (where it
    evaluates); nothing for other kinds.
    """
    world = run.config.get("world")
    if not isinstance(world, dict) or run.kind not in ("train", "evaluate"):
        return None
    return world if run.kind == "evaluate" else {**world, "split": "heldout"}


def reference_levels(
    store: RunStore, world: dict[str, Any], keys: Sequence[str]
) -> pd.DataFrame:
    """`line, label, key, value` of the oracle and the best baseline on `world`.

    Only finished `evaluate` runs of simulated sessions (not of an instruction file) and of
    a named agent (not a checkpoint) count.
    """
    rows = []
    for run in store.runs(kind="evaluate", status="finished"):
        config = run.config
        if (config.get("world") != world or config.get("instructions") is not None
                or config.get("checkpoint") is not None):
            continue
        agent = str(config.get("agent"))
        rows += [(agent, key, value) for _, key, value in store.metrics(run.id, list(keys))]
    levels = pd.DataFrame(rows, columns=["agent", "key", "value"])
    oracle = levels[levels["agent"] == ORACLE].groupby("key", sort=False).first().reset_index()
    baselines = levels[~levels["agent"].isin(NOT_BASELINES)].reset_index(drop=True)
    best = baselines.loc[baselines.groupby("key")["value"].idxmax().tolist()]
    return pd.concat([
        oracle.assign(line=ORACLE, label=ORACLE),
        best.assign(line=BEST_BASELINE, label=BEST_BASELINE + " (" + best["agent"] + ")"),
    ], ignore_index=True)[["line", "label", "key", "value"]]


def with_reference_lines(
    curves: pd.DataFrame, store: RunStore, runs: Sequence[RunRecord], keys: Sequence[str]
) -> pd.DataFrame:
    """Add the best-baseline and oracle lines of the worlds of `runs` to `curves`.

    With runs of several worlds, each world's labels end with `· <first run of it>`.
    """
    worlds: dict[str, tuple[dict[str, Any], str]] = {}
    for run in runs:
        world = evaluation_world(run)
        if world is not None:
            worlds.setdefault(json.dumps(world, sort_keys=True), (world, run.id))
    measured = curves[curves["line"] == MEASURED]
    span = measured.groupby("key")["step"].agg(["min", "max"])
    lines = []
    for world, first_run in worlds.values():
        levels = reference_levels(store, world, keys)
        suffix = f" · {first_run}" if len(worlds) > 1 else ""
        for level in levels.itertuples(index=False):
            if level.key not in span.index:
                continue  # no curve of that metric to compare with
            steps = sorted({int(span.loc[level.key, "min"]), int(span.loc[level.key, "max"])})
            lines += [(level.label + suffix, level.key, step, level.value, level.value,
                       level.value, 1, level.line) for step in steps]
    if not lines:
        return curves
    return pd.concat([curves, pd.DataFrame(lines, columns=list(CHART_COLUMNS))],
                     ignore_index=True)

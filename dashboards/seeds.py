"""Runs of one configuration with different seeds, drawn as one mean line and a band.

A seed changes the users, clicks and initial weights but not what is being measured, so
runs whose config is identical except for the seed are one experiment: the page draws
their mean at each step with a band from the lowest to the highest seed (min-max rather
than mean ± std, which says little with the usual 2-5 seeds).

Every chart frame has the columns of `CHART_COLUMNS`: `run` (the line's label), `key`,
`step`, `value` (the mean), `low`, `high`, `seeds` (how many runs have a value at that
step; 1 for a single run, whose band is the line itself) and `line` (`run` for a measured
curve, else the kind of reference line, see `references.py`).

Example:
    >>> curves = pd.DataFrame({"run": ["a", "b"], "key": ["eval/ctr"] * 2, "step": [8, 8],
    ...                        "value": [0.1, 0.3]})
    >>> band_curves(curves, {"a (seeds 0, 1)": ["a", "b"]})[["value", "low", "high", "seeds"]]
       value  low  high  seeds
    0    0.2  0.1   0.3      2
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pandas as pd

from ifr_sim.core.run_store import RunRecord

CHART_COLUMNS = ("run", "key", "step", "value", "low", "high", "seeds", "line")
MEASURED = "run"
"""The `line` of a measured curve (as opposed to a reference line)."""


def config_key(run: RunRecord) -> str:
    """What the runs of one configuration share: the kind and the config without its seed."""
    config = {key: value for key, value in run.config.items() if key != "seed"}
    return json.dumps([run.kind, config], sort_keys=True)


def seed_groups(runs: Sequence[RunRecord], combine: bool = True) -> dict[str, list[str]]:
    """Line label → ids of the runs it averages, in the order of `runs`.

    With `combine`, runs that differ only in their seed share one line, labelled with the
    id of the run with the lowest seed and every seed, e.g. `train-… (seeds 0, 1, 2)`;
    otherwise (and for a configuration run once) each run is its own line, labelled by id.
    """
    if not combine:
        return {run.id: [run.id] for run in runs}
    members: dict[str, list[RunRecord]] = {}
    for run in runs:
        members.setdefault(config_key(run), []).append(run)
    groups = {}
    for group in members.values():
        if len(group) == 1:
            groups[group[0].id] = [group[0].id]
            continue
        by_seed = sorted(group, key=lambda run: (run.seed is None, run.seed or 0))
        seeds = ", ".join(str(run.seed) for run in by_seed)
        groups[f"{by_seed[0].id} (seeds {seeds})"] = [run.id for run in group]
    return groups


def band_curves(curves: pd.DataFrame, groups: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """One curve per group: the mean, min and max over its runs at each step.

    `curves` is tidy (`run, key, step, value`, as `data.metric_curves` makes it); a run in
    no group keeps its own line. Steps are matched exactly: seeds of one configuration log
    at the same steps, and a step only some seeds reached yet (a run still being written)
    has a smaller `seeds` count.
    """
    label_of = {run_id: label for label, run_ids in groups.items() for run_id in run_ids}
    labelled = curves.assign(run=[label_of.get(run_id, run_id) for run_id in curves["run"]])
    bands = (
        labelled.groupby(["run", "key", "step"], sort=True)["value"]
        .agg(value="mean", low="min", high="max", seeds="count")
        .reset_index()
    )
    return bands.assign(line=MEASURED).astype(
        {"run": str, "key": str, "step": "int64", "value": "float64", "low": "float64",
         "high": "float64", "seeds": "int64", "line": str}
    )[list(CHART_COLUMNS)]

"""The transfer table: how the picked training runs rank a hand-written instruction set.

`ifr-sim bench learn`, given a hand-written set, records three `evaluate` runs of it per
training run, tagged with that run's id (`train_run`): the zero-shot policy, the trained
one and plain MiniLM cosine (`agents/experiments/transfer.py`). The Curves page lists
them under the curves, one row per line, with NDCG and precision at the slate's first 10
positions and their 95% confidence intervals over the set's lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ifr_sim.core.run_store import RunStore

FIGURES = ("ndcg@", "precision@")
"""The metrics a transfer line is reported by (at the cut-off its result names)."""


def transfer_table(store: RunStore, train_runs: Sequence[str]) -> pd.DataFrame:
    """`run, agent, instructions, <metric>, <metric> ±` per transfer line of `train_runs`,
    in the order they were recorded (zero-shot, trained, plain MiniLM); empty if none."""
    rows = []
    for run in reversed(store.runs(kind="evaluate", status="finished")):  # oldest first
        if run.config.get("train_run") not in train_runs:
            continue
        for _, result in store.evaluations(run.id):
            row = {"run": run.config["train_run"], "agent": run.config.get("agent"),
                   "instructions": Path(str(run.config.get("instructions"))).name}
            for key, value in result.items():
                if key.startswith(FIGURES) and not key.endswith("_ci95"):
                    row[key], row[f"{key} ±"] = value, result.get(f"{key}_ci95")
            rows.append(row)
    return pd.DataFrame(rows)

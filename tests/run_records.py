"""What a training run wrote, without the wall-clock values that differ between runs."""

from __future__ import annotations

import csv
from pathlib import Path

from ifr_sim.core.run_store import RunStore


def progress(path: Path) -> list[dict[str, str]]:
    """progress.csv rows without the wall-clock columns (`time/fps`, ...)."""
    with open(path, encoding="utf-8") as handle:
        return [{k: v for k, v in row.items() if not k.startswith("time/")}
                for row in csv.DictReader(handle)]


def curves(store: RunStore, run_id: str) -> list[tuple[int, str, float]]:
    """The run store's metric rows without the wall-clock keys."""
    return [row for row in store.metrics(run_id) if not row[1].startswith("time/")]

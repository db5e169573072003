"""Catalog files with long text: memory follows the total text, CSV fields have no limit."""

from __future__ import annotations

import csv
import json
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest

from ifr_sim.core.catalog import load_catalog_file

ROWS = 150
LONG = "lorem ipsum " * 87_382  # 1,048,584 characters, over 8x csv's default field limit


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        pd.DataFrame(rows).to_csv(path, index=False)
    else:
        pd.DataFrame(rows).to_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_one_long_cell_costs_its_own_size_not_rows_times_it(tmp_path: Path, suffix: str) -> None:
    rows = [
        {"id": f"i{n}", "title": f"Item {n}", "notes": LONG if n == 7 else "short"}
        for n in range(ROWS)
    ]
    path = write(tmp_path / f"items{suffix}", rows)
    tracemalloc.start()
    try:
        catalog = load_catalog_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    notes = catalog.attributes["notes"]
    assert notes[7] == LONG.strip() and notes[8] == "short"
    # Fixed-width numpy text would hold 150 rows x 4 bytes x 1 MB = 629 MB for this column
    # alone; the file, its decoded text and the item text built from it are a few MB.
    assert peak < 16 * len(LONG), f"peak {peak / 2**20:.0f} MiB"


def test_csv_fields_over_the_csv_modules_default_limit_load(tmp_path: Path) -> None:
    limit = csv.field_size_limit()
    text = "x" * (limit + 1)
    path = write(tmp_path / "items.csv", [{"id": "a", "title": "A", "text": text}])
    assert load_catalog_file(path).texts == (text,)
    assert csv.field_size_limit() == limit  # the process-wide limit is put back

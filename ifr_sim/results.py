"""Printing and saving evaluation results."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def print_results(results: Mapping[str, Mapping[str, Any]], metrics: Sequence[str]) -> None:
    """One row per metric, one column per agent: `mean ± ci95`."""
    names = list(results)
    width = max(22, *(len(n) + 2 for n in names))
    print(f"{'metric':<22}" + "".join(f"{n:>{width}}" for n in names))
    for metric in metrics:
        cells = []
        for name in names:
            mean, half = results[name][metric], results[name][f"{metric}_ci95"]
            cell = f"{mean:.4f}" if math.isnan(half) else f"{mean:.4f} ± {half:.4f}"
            cells.append(f"{cell:>{width}}")
        print(f"{metric:<22}" + "".join(cells))


def write_json(result: Mapping[str, Any], path: Path) -> None:
    """Write `result` as one flat JSON object (NaN as null), atomically."""
    clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in result.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(clean, out, indent=2)
        out.write("\n")
    os.replace(temp, path)

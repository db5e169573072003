"""Printing and saving evaluation results."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ifr_sim.core.atomic_io import write_text_atomically


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
    write_text_atomically(path, json.dumps(clean, indent=2) + "\n")

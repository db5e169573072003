"""JSON for the values our records hold: numpy scalars and arrays, paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plain(value: Any) -> Any:
    """`json.dumps(..., default=plain)`: numpy values as lists/numbers, paths as strings."""
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write a {type(value).__name__} as JSON: {value!r}")

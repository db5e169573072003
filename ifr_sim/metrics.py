"""Summary statistics with confidence intervals over episodes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Z95 = 1.959963984540054


def mean_ci95(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Mean and the half-width of its normal 95% confidence interval (0 for one value)."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        raise ValueError("no values to summarise")
    if data.size == 1:
        return float(data[0]), 0.0
    return float(data.mean()), float(Z95 * data.std(ddof=1) / np.sqrt(data.size))

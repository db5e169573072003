"""Rating errors: RMSE and MAE of predicted ratings, with CIs that respect the raters.

A rater's ratings are not independent of each other (a harsh rater's errors share a
sign), so the 95% CIs treat the rater as the unit: a ratio estimator over raters of the
summed squared (or absolute) errors, by the delta method.

A simulated user has no rating scale of its own, only a score (its attractiveness);
`ScaleMap` turns scores into ratings with a least-squares line fitted on ratings the
world was built from, never on the ones it is scored against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ifr_sim.core.metrics import Z95


def clustered_mean_ci95(values: np.ndarray, groups: np.ndarray) -> tuple[float, float]:
    """Mean of `values` and its 95% CI half-width with `groups` (raters) as the unit.

    The mean is sum/count; its variance is that of a ratio of per-group sums. Example:
    values 1, 3 (group 0) and 5 (group 1): mean 3; group residuals (1 + 3 - 2 x 3) = -2
    and (5 - 3) = 2, so the variance is (4 + 4) / (2 x 1) / 1.5² = 1.78 and the CI
    1.96 x 1.33 = 2.61.
    """
    _, group = np.unique(groups, return_inverse=True)
    sums = np.bincount(group, weights=values)
    counts = np.bincount(group).astype(np.float64)
    mean = float(sums.sum() / counts.sum())
    k = len(sums)
    if k < 2:
        return mean, 0.0
    residual = sums - mean * counts
    variance = (residual**2).sum() / (k * (k - 1)) / counts.mean() ** 2
    return mean, float(Z95 * np.sqrt(variance))


def rating_errors(predicted: np.ndarray, actual: np.ndarray,
                  raters: np.ndarray) -> dict[str, float]:
    """`rmse`, `mae` and their `_ci95` (clustered by rater); the RMSE's CI by the delta
    method, half the mean squared error's CI over the RMSE."""
    error = np.asarray(predicted, np.float64) - np.asarray(actual, np.float64)
    mse, mse_half = clustered_mean_ci95(error**2, raters)
    mae, mae_half = clustered_mean_ci95(np.abs(error), raters)
    rmse = float(np.sqrt(mse))
    return {"rmse": rmse, "rmse_ci95": mse_half / (2 * rmse) if rmse > 0 else 0.0,
            "mae": mae, "mae_ci95": mae_half}


@dataclass(frozen=True)
class ScaleMap:
    """rating = offsets[rater] + slope x score, clipped to the scale [low, high]."""

    slope: float
    offsets: np.ndarray
    low: float
    high: float

    @classmethod
    def fit(cls, scores: np.ndarray, ratings: np.ndarray, raters: np.ndarray,
            num_raters: int, shrink: float | None = None) -> ScaleMap:
        """Least squares of `ratings` on `scores`.

        With `shrink` None, one line for everyone. Otherwise each rater keeps their own
        level (a generous rater's 4 is a harsh rater's 3): the slope is fitted on each
        rater's deviations from their own means, and a rater's offset is their mean of
        rating - slope x score, shrunk toward everyone's by `shrink` pseudo-ratings.

        Example (shrink 0): rater 0 gives 2, 4 to scores 0, 1 and rater 1 gives 5 to 0:
        within rater 0 the slope is 2; offsets 2 (rater 0) and 5 (rater 1).
        """
        x, y = np.asarray(scores, np.float64), np.asarray(ratings, np.float64)
        group = np.asarray(raters) if shrink is not None else np.zeros(len(x), np.int64)
        size = num_raters if shrink is not None else 1
        counts = np.bincount(group, minlength=size).astype(np.float64)
        seen = np.maximum(counts, 1.0)
        dx = x - (np.bincount(group, x, size) / seen)[group]
        dy = y - (np.bincount(group, y, size) / seen)[group]
        spread = (dx * dx).sum()
        slope = float((dx * dy).sum() / spread) if spread > 0 else 0.0
        rest = y - slope * x
        level = rest.mean()
        pseudo = shrink or 0.0
        weight = counts + pseudo
        offsets = np.divide(np.bincount(group, rest, size) + pseudo * level, weight,
                            out=np.full(size, level), where=weight > 0)
        if shrink is None:
            offsets = np.full(num_raters, offsets[0])
        return cls(slope, offsets, float(y.min()), float(y.max()))

    def __call__(self, scores: np.ndarray, raters: np.ndarray) -> np.ndarray:
        """The ratings of `scores` given by `raters`."""
        rating = self.offsets[raters] + self.slope * np.asarray(scores, np.float64)
        return np.clip(rating, self.low, self.high)

"""Distributions of what users chose: concentration, popularity deciles and category shares.

Clicks of simulated users and ratings of real ones are both lists of item indices; these
functions turn such lists into distributions and compare two of them.
"""

from __future__ import annotations

import numpy as np

DECILES = 10


def gini(counts: np.ndarray) -> float:
    """Gini coefficient of non-negative counts (0: all equal, towards 1: one takes all).

    Example: counts 0, 0, 1, 3 (sorted, n = 4, total 4): sum of (2i - n - 1) x c_i over
    i = 1..4 is (-3)(0) + (-1)(0) + (1)(1) + (3)(3) = 10, over n x total = 16: 0.625.
    """
    values = np.sort(np.asarray(counts, np.float64))
    n, total = len(values), values.sum()
    if n == 0 or total == 0:
        return 0.0
    weights = 2 * np.arange(1, n + 1) - n - 1
    return float((weights * values).sum() / (n * total))


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence of two distributions, base 2 (0: equal, 1: disjoint).

    Example: (1, 0) and (0.5, 0.5): M = (0.75, 0.25); KL(p||M) = log2(1/0.75) = 0.415,
    KL(q||M) = 0.5 log2(0.5/0.75) + 0.5 log2(0.5/0.25) = 0.208; half their sum: 0.311.
    """
    p = np.asarray(p, np.float64) / np.sum(p)
    q = np.asarray(q, np.float64) / np.sum(q)
    m = 0.5 * (p + q)
    return float(0.5 * _kl(p, m) + 0.5 * _kl(q, m))


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    nonzero = p > 0
    return float((p[nonzero] * np.log2(p[nonzero] / q[nonzero])).sum())


def popularity_deciles(popularity: np.ndarray) -> np.ndarray:
    """The decile 0..9 of each item's popularity percentile in [0, 1] (9: most popular)."""
    return np.minimum((np.asarray(popularity) * DECILES).astype(np.int64), DECILES - 1)


def decile_shares(items: np.ndarray, deciles: np.ndarray) -> np.ndarray:
    """(10,) share of the chosen `items` in each popularity decile of the catalog."""
    counts = np.bincount(deciles[items], minlength=DECILES).astype(np.float64)
    return counts / max(counts.sum(), 1.0)


def category_shares(items: np.ndarray, categories: np.ndarray) -> np.ndarray:
    """(C,) share of the chosen `items` in each category; an item of k categories gives
    1/k to each (items without a category give nothing)."""
    member = categories[items].astype(np.float64)
    per_item = member.sum(axis=1, keepdims=True)
    weights = np.divide(member, per_item, out=np.zeros_like(member), where=per_item > 0)
    total = weights.sum()
    return weights.sum(axis=0) / total if total > 0 else weights.sum(axis=0)


def favourite_categories(raters: np.ndarray, items: np.ndarray, categories: np.ndarray,
                         num_raters: int, top: int = 3) -> np.ndarray:
    """(num_raters, C) each rater's `top` categories by their items' count (ties at the
    last place all kept; raters without items have none).

    Example: a rater whose liked items have categories {a, b}, {a}, {c}, {d}: a counts 2,
    b, c and d 1 each; the top 2 are a and the three tied at 1.
    """
    counts = np.zeros((num_raters, categories.shape[1]))
    np.add.at(counts, raters, categories[items].astype(np.float64))
    if categories.shape[1] <= top:
        return counts > 0
    cutoff = -np.sort(-counts, axis=1)[:, top - 1 : top]
    return (counts >= cutoff) & (counts > 0)

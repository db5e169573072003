"""Ranking metrics of slates, and summary statistics with confidence intervals over episodes.

A cut-off `@k` is only meaningful where a slate has k positions: scoring a slate of 5 at
@10 would divide by an ideal of 10 items and report the oracle at 0.75. `cutoffs` gives the
cut-offs a slate size allows, and the `@k` metrics refuse a k beyond the slate.
"""

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


def cutoffs(slate_size: int, fixed: Sequence[int]) -> tuple[int, ...]:
    """The slate size and each `fixed` cut-off below it, ascending: where `@k` exists.

    >>> cutoffs(10, (5, 10)), cutoffs(5, (5, 10)), cutoffs(3, (10,)), cutoffs(20, (5, 10))
    ((5, 10), (5,), (3,), (5, 10, 20))
    """
    if slate_size < 1:
        raise ValueError(f"slate_size={slate_size} is invalid: use at least 1")
    return tuple(sorted({k for k in fixed if k < slate_size} | {slate_size}))


def _check_cutoff(slates: np.ndarray, k: int) -> None:
    if not 1 <= k <= slates.shape[1]:
        raise ValueError(f"cut-off @{k} does not fit slates of {slates.shape[1]} items: "
                         f"use 1..{slates.shape[1]} (see `cutoffs`)")


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(k) + 2.0)


def ndcg_at_k(slates: np.ndarray, relevance: np.ndarray, k: int) -> np.ndarray:
    """Per row, NDCG@k of the slate with graded gains `relevance` (B, N); NaN if all zero.

    Example (gains 3, 2, 0 of candidates 0..2; slate [1, 0]):
        DCG = 2/log2(2) + 3/log2(3) = 3.893; ideal = 3 + 2/log2(3) = 4.262; NDCG = 0.913.

    Raises:
        ValueError: `k` exceeds the slate's length.
    """
    _check_cutoff(slates, k)
    top = slates[:, :k]
    gains = np.take_along_axis(relevance, top, axis=1)
    dcg = (gains * _discounts(top.shape[1])).sum(axis=1)
    ideal_gains = -np.sort(-relevance, axis=1)[:, :k]
    ideal = (ideal_gains * _discounts(ideal_gains.shape[1])).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ideal > 0, dcg / ideal, np.nan)


def target_rank(slates: np.ndarray, relevance: np.ndarray) -> np.ndarray:
    """Per row, the 0-based slate position of the most relevant candidate, or -1 if absent."""
    target = relevance.argmax(axis=1)
    hit = slates == target[:, None]
    return np.where(hit.any(axis=1), hit.argmax(axis=1), -1)


def hit_rate_at_k(slates: np.ndarray, relevance: np.ndarray, k: int) -> np.ndarray:
    """Per row, 1 if the most relevant candidate is in the first k slate positions."""
    _check_cutoff(slates, k)
    rank = target_rank(slates, relevance)
    return ((rank >= 0) & (rank < k)).astype(np.float64)


def reciprocal_rank(slates: np.ndarray, relevance: np.ndarray) -> np.ndarray:
    """Per row, 1/(rank+1) of the most relevant candidate in the slate (0 if absent)."""
    rank = target_rank(slates, relevance)
    return np.where(rank >= 0, 1.0 / np.maximum(rank + 1.0, 1.0), 0.0)


def precision_at_k(slates: np.ndarray, satisfies: np.ndarray, k: int) -> np.ndarray:
    """Per row, the share of the first k slate items that satisfy the intent's constraints."""
    _check_cutoff(slates, k)
    return np.take_along_axis(satisfies, slates[:, :k], axis=1).mean(axis=1)


def intra_list_diversity(items: np.ndarray, categories: np.ndarray) -> np.ndarray:
    """Per row, mean pairwise (1 - Jaccard) of the items' category sets (items (B, K)).

    Example: categories {a}, {a, b}, {c}: pairs 1-1/2, 1-0, 1-0 → (0.5 + 1 + 1) / 3 = 0.833.
    """
    member = categories[items].astype(np.float64)  # (B, K, C)
    shared = np.einsum("bic,bjc->bij", member, member)
    sizes = member.sum(axis=2)
    union = sizes[:, :, None] + sizes[:, None, :] - shared
    with np.errstate(invalid="ignore", divide="ignore"):
        distance = 1.0 - np.where(union > 0, shared / union, 1.0)
    k = items.shape[1]
    pairs = ~np.eye(k, dtype=bool)
    return (distance * pairs).sum(axis=(1, 2)) / max(k * (k - 1), 1)

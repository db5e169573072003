"""Ranking metrics against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from ifr_sim.core.metrics import (
    hit_rate_at_k,
    intra_list_diversity,
    mean_ci95,
    ndcg_at_k,
    precision_at_k,
    reciprocal_rank,
)

RELEVANCE = np.array([[3.0, 2.0, 0.0, 1.0]])


def test_ndcg_hand_computed() -> None:
    # slate [1, 0]: DCG = 2/1 + 3/log2(3) = 3.8928; ideal [3, 2]: 3 + 2/log2(3) = 4.2619
    assert ndcg_at_k(np.array([[1, 0]]), RELEVANCE, 2)[0] == pytest.approx(3.8928 / 4.2619, 1e-4)
    assert ndcg_at_k(np.array([[0, 1]]), RELEVANCE, 2)[0] == pytest.approx(1.0)
    assert ndcg_at_k(np.array([[2, 3]]), RELEVANCE, 2)[0] == pytest.approx(
        (1 / np.log2(3)) / 4.2619, 1e-4)
    assert np.isnan(ndcg_at_k(np.array([[0, 1]]), np.zeros((1, 4)), 2)[0])


def test_hit_rate_and_mrr_follow_the_most_relevant_candidate() -> None:
    # The target is candidate 0 (relevance 3).
    slates = np.array([[1, 0, 2], [0, 1, 2], [1, 2, 3]])
    rel = np.repeat(RELEVANCE, 3, axis=0)
    assert hit_rate_at_k(slates, rel, 1).tolist() == [0.0, 1.0, 0.0]
    assert hit_rate_at_k(slates, rel, 2).tolist() == [1.0, 1.0, 0.0]
    assert reciprocal_rank(slates, rel).tolist() == [0.5, 1.0, 0.0]


def test_precision() -> None:
    satisfies = np.array([[True, False, True, True]])
    assert precision_at_k(np.array([[0, 1, 2]]), satisfies, 3)[0] == pytest.approx(2 / 3)
    assert precision_at_k(np.array([[0, 1, 2]]), satisfies, 2)[0] == pytest.approx(1 / 2)


def test_intra_list_diversity_hand_computed() -> None:
    categories = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]], dtype=bool)
    # pairs: {a}-{a,b}: 1 - 1/2; {a}-{c}: 1; {a,b}-{c}: 1 → mean 2.5 / 3
    assert intra_list_diversity(np.array([[0, 1, 2]]), categories)[0] == pytest.approx(2.5 / 3)
    assert intra_list_diversity(np.array([[0, 0]]), categories)[0] == pytest.approx(0.0)


def test_mean_ci95() -> None:
    mean, half = mean_ci95([1.0, 2.0, 3.0])
    # std (ddof=1) = 1; 1.96 / sqrt(3) = 1.1316
    assert mean == 2.0 and half == pytest.approx(1.1316, 1e-3)
    assert mean_ci95([5.0]) == (5.0, 0.0)
    with pytest.raises(ValueError):
        mean_ci95([])

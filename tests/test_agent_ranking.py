"""`rank_candidates`: unshown candidates first, then by score, ties by position."""

from __future__ import annotations

import numpy as np

from ifr_sim.agents.ranking import rank_candidates


def test_ranks_by_descending_score() -> None:
    scores = np.array([[0.2, 0.9, 0.5, 0.1], [3.0, -1.0, 2.0, 7.0]])
    slates = rank_candidates(scores, np.zeros_like(scores), 3)
    np.testing.assert_array_equal(slates, [[1, 2, 0], [3, 0, 2]])


def test_shown_candidates_go_after_every_unshown_one() -> None:
    scores = np.array([[100.0, 0.9, -50.0, 0.1]])
    shown = np.array([[1, 0, 0, 1]])
    # Unshown 1 (0.9) and 2 (-50), then shown 0 (100) and 3 (0.1), each group by score.
    np.testing.assert_array_equal(rank_candidates(scores, shown, 4), [[1, 2, 0, 3]])


def test_ties_keep_the_lower_position_first() -> None:
    scores = np.array([[1.0, 2.0, 1.0, 2.0, 1.0]])
    shown = np.array([[0, 0, 0, 1, 0]])
    np.testing.assert_array_equal(rank_candidates(scores, shown, 5), [[1, 0, 2, 4, 3]])


def test_positions_are_distinct_and_k_long() -> None:
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 3, (50, 20)).astype(float)  # many ties
    shown = rng.integers(0, 2, (50, 20))
    slates = rank_candidates(scores, shown, 7)
    assert slates.shape == (50, 7)
    assert all(len(set(row)) == 7 for row in slates.tolist())
    # The slate's first shown candidate comes only once the unshown ones run out.
    unshown = (shown == 0).sum(axis=1)
    picked_shown = np.take_along_axis(shown, slates, axis=1)
    np.testing.assert_array_equal(picked_shown.sum(axis=1), np.maximum(7 - unshown, 0))

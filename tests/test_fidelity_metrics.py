"""The fidelity metrics against values worked out by hand on toy tables."""

from __future__ import annotations

import numpy as np
import pytest

from ifr_sim.core.fidelity.choices import (
    choice_metrics,
    pairwise_auc,
    pick_top,
    summarise_choices,
)
from ifr_sim.core.fidelity.distributions import (
    category_shares,
    decile_shares,
    favourite_categories,
    gini,
    js_divergence,
    popularity_deciles,
)
from ifr_sim.core.fidelity.ratings import ScaleMap, clustered_mean_ci95, rating_errors
from ifr_sim.core.metrics import Z95

RNG = np.random.default_rng(0)


def test_a_list_scored_like_a_classifier_of_its_items() -> None:
    # Scores 0.9, 0.4, 0.6, 0.1; positives the first two; the top two (0.9, 0.6) are
    # picked: TP 1, FP 1, FN 1, TN 1. Pairs (pos, neg): (0.9, 0.6) (0.9, 0.1) (0.4, 0.1)
    # right, (0.4, 0.6) wrong: AUC 3/4.
    scores = np.array([[0.9, 0.4, 0.6, 0.1]])
    labels = np.array([[True, True, False, False]])
    valid = np.ones_like(labels)
    picked = pick_top(scores, labels, valid, RNG)
    assert picked.tolist() == [[True, False, True, False]]
    metrics = choice_metrics(picked, scores, labels, valid)
    assert {name: float(values[0]) for name, values in metrics.items()} == {
        "accuracy": 0.5, "precision": 0.5, "recall": 0.5, "f1": 0.5, "auc": 0.75}


def test_padding_is_neither_picked_nor_counted() -> None:
    # One positive (0.2) and one negative (0.7) in a list padded to 4: the user picks
    # one item, the negative: accuracy 0 of 2 items, precision 0, AUC 0.
    scores = np.array([[0.2, 0.7, 5.0, 5.0]])
    labels = np.array([[True, False, False, False]])
    valid = np.array([[True, True, False, False]])
    picked = pick_top(scores, labels, valid, RNG)
    assert picked.tolist() == [[False, True, False, False]]
    metrics = choice_metrics(picked, scores, labels, valid)
    assert metrics["accuracy"][0] == 0.0 and metrics["precision"][0] == 0.0
    assert metrics["auc"][0] == 0.0


def test_ties_count_half_in_the_auc_and_are_picked_at_random() -> None:
    scores = np.zeros((4000, 2))
    labels = np.array([[True, False]] * 4000)
    valid = np.ones_like(labels)
    assert pairwise_auc(scores, labels, valid).tolist() == [0.5] * 4000
    accuracy = choice_metrics(pick_top(scores, labels, valid, np.random.default_rng(1)),
                              scores, labels, valid)["accuracy"].mean()
    assert accuracy == pytest.approx(0.5, abs=0.03)  # not 1: the list's order decides nothing


def test_a_list_without_negatives_has_no_auc_and_is_left_out_of_its_mean() -> None:
    scores = np.array([[0.9, 0.1], [0.3, 0.2]])
    labels = np.array([[True, False], [True, True]])
    valid = np.ones_like(labels)
    auc = pairwise_auc(scores, labels, valid)
    assert auc[0] == 1.0 and np.isnan(auc[1])
    summary = summarise_choices({"auc": auc, "accuracy": np.array([1.0, 0.5])})
    assert summary["auc"] == 1.0 and summary["auc_ci95"] == 0.0
    assert summary["accuracy"] == 0.75 and summary["users"] == 2
    # Two values 1 and 0.5: sd 0.354, CI 1.96 x 0.354 / sqrt 2 = 0.49.
    assert summary["accuracy_ci95"] == pytest.approx(Z95 * np.sqrt(0.125) / np.sqrt(2))


def test_rating_errors_with_raters_as_the_unit_of_the_ci() -> None:
    # Errors 1, -1 (rater 0) and 2 (rater 1): MSE (1 + 1 + 4) / 3 = 2, RMSE 1.414;
    # MAE 4/3. Clustered CI of the absolute errors: group sums 2 and 2, counts 2 and 1,
    # mean 4/3; residuals 2 - 8/3 and 2 - 4/3 = -2/3 and 2/3; variance
    # (4/9 + 4/9) / 2 / 1.5² = 0.1975, CI 1.96 x 0.444 = 0.871.
    errors = rating_errors(np.array([4.0, 2.0, 5.0]), np.array([3.0, 3.0, 3.0]),
                           np.array([0, 0, 1]))
    assert errors["rmse"] == pytest.approx(np.sqrt(2))
    assert errors["mae"] == pytest.approx(4 / 3)
    assert errors["mae_ci95"] == pytest.approx(Z95 * np.sqrt(8 / 9 / 2) / 1.5)
    mse, half = clustered_mean_ci95(np.array([1.0, 1.0, 4.0]), np.array([0, 0, 1]))
    assert mse == 2.0
    assert errors["rmse_ci95"] == pytest.approx(half / (2 * np.sqrt(2)))  # delta method


def test_one_rater_has_no_spread_to_estimate() -> None:
    assert clustered_mean_ci95(np.array([1.0, 3.0]), np.array([7, 7])) == (2.0, 0.0)


def test_the_rating_map_keeps_each_raters_level() -> None:
    # Rater 0 gives 2 and 4 to scores 0 and 1, rater 1 gives 5 to 0. Within rater 0 the
    # slope is 2; the offsets (no shrinkage) are 2 and 5.
    scores, ratings, raters = np.array([0.0, 1.0, 0.0]), np.array([2.0, 4.0, 5.0]), np.array(
        [0, 0, 1])
    own = ScaleMap.fit(scores, ratings, raters, num_raters=3, shrink=0.0)
    assert own.slope == 2.0 and own.offsets[:2].tolist() == [2.0, 5.0]
    assert own(np.array([0.5, 0.5]), np.array([0, 1])).tolist() == [3.0, 5.0]  # 6 clipped
    assert own.offsets[2] == pytest.approx(3.0)  # a rater never seen: everyone's level
    # Shrunk by 1 pseudo-rating toward everyone's mean of rating - 2 x score (3): rater 1
    # has (5 + 3) / 2 = 4.
    assert ScaleMap.fit(scores, ratings, raters, 3, shrink=1.0).offsets[1] == 4.0
    # One line for all: least squares slope 0.5 (see the docstring), intercept 3.5.
    line = ScaleMap.fit(scores, ratings, raters, 3)
    assert line.slope == pytest.approx(0.5) and line.offsets.tolist() == pytest.approx([3.5] * 3)


def test_gini_and_jensen_shannon_by_hand() -> None:
    assert gini(np.array([3, 0, 1, 0])) == 0.625
    assert gini(np.array([2, 2, 2])) == 0.0 and gini(np.zeros(3)) == 0.0
    assert js_divergence(np.array([1.0, 0.0]), np.array([0.5, 0.5])) == pytest.approx(0.3113,
                                                                                      abs=1e-4)
    assert js_divergence(np.array([1, 0]), np.array([0, 1])) == 1.0
    assert js_divergence(np.array([2, 6]), np.array([1, 3])) == 0.0  # counts are normalised


def test_popularity_deciles_and_shares() -> None:
    deciles = popularity_deciles(np.array([0.0, 0.05, 0.5, 0.99, 1.0]))
    assert deciles.tolist() == [0, 0, 5, 9, 9]
    shares = decile_shares(np.array([0, 1, 3, 4]), deciles)
    assert shares[0] == 0.5 and shares[9] == 0.5 and shares.sum() == 1.0


def test_an_item_of_two_genres_gives_half_to_each() -> None:
    categories = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]], bool)
    # Items 0, 1, 1, 2: genre 0 gets 0.5, genre 1 0.5, genre 2 2 (item 2 has none): / 3.
    shares = category_shares(np.array([0, 1, 1, 2]), categories)
    assert shares.tolist() == pytest.approx([0.5 / 3, 0.5 / 3, 2 / 3])


def test_favourite_genres_keep_ties_at_the_last_place() -> None:
    categories = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], bool)
    # Rater 0 liked all four items: a counts 2, b, c and d 1 each; top 2 = a + the ties.
    # Rater 1 liked item 1 only; rater 2 nothing.
    favourites = favourite_categories(np.array([0, 0, 0, 0, 1]), np.array([0, 1, 2, 3, 1]),
                                      categories, num_raters=3, top=2)
    assert favourites.tolist() == [[True, True, True, True], [True, False, False, False],
                                   [False, False, False, False]]

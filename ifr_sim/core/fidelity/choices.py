"""Choice metrics of Agent4Rec's preference alignment: a user picks from a list of items.

Each list mixes positives (items the real rater chose) and negatives; the simulated user
picks as many items as the list holds positives, its highest-scored ones, and is scored
like a classifier of each item: accuracy, precision, recall, F1, and the AUC of its
scores (threshold-free). Since it picks exactly as many items as there are positives,
precision, recall and F1 coincide; accuracy and AUC are the informative figures. Each
figure is computed per list (per user) and summarised by its mean and 95% CI over users.
"""

from __future__ import annotations

import numpy as np

from ifr_sim.core.metrics import mean_ci95

CHOICE_METRICS = ("accuracy", "precision", "recall", "f1", "auc")


def pick_top(scores: np.ndarray, labels: np.ndarray, valid: np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
    """(U, L) bool: each row's highest-scored valid items, as many as its positives.

    Equal scores are ordered at random (from `rng`), so a model that cannot tell two
    items apart is right half the time, not by the order of the list.
    """
    tie_break = rng.random(scores.shape)
    order = np.lexsort((tie_break, np.where(valid, -scores, np.inf)), axis=1)
    rank = np.argsort(order, axis=1)
    wanted = (labels & valid).sum(axis=1, keepdims=True)
    return (rank < wanted) & valid


def choice_metrics(picked: np.ndarray, scores: np.ndarray, labels: np.ndarray,
                   valid: np.ndarray) -> dict[str, np.ndarray]:
    """Per row: accuracy, precision, recall, F1 of `picked`, and the AUC of `scores`.

    Example (one list, scores 0.9, 0.4, 0.6, 0.1, positives the first two, the top two
    picked): TP = 1, FP = 1, FN = 1, TN = 1, so accuracy 0.5, precision = recall = F1 =
    0.5; of the 4 positive-negative pairs, 3 are ordered right: AUC 0.75.
    """
    positive, negative = labels & valid, ~labels & valid
    tp = (picked & positive).sum(axis=1).astype(np.float64)
    fp = (picked & negative).sum(axis=1)
    fn = (~picked & positive).sum(axis=1)
    tn = (~picked & negative).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(precision + recall > 0,
                      2 * precision * recall / (precision + recall), 0.0)
    return {"accuracy": (tp + tn) / valid.sum(axis=1), "precision": precision,
            "recall": recall, "f1": f1, "auc": pairwise_auc(scores, labels, valid)}


def pairwise_auc(scores: np.ndarray, labels: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per row, the share of (positive, negative) pairs the scores order right (ties
    count half): the Mann-Whitney AUC. NaN for a row without both kinds."""
    result = np.full(len(scores), np.nan)
    for row in range(len(scores)):
        pos = scores[row][labels[row] & valid[row]]
        neg = scores[row][~labels[row] & valid[row]]
        if len(pos) and len(neg):
            wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
            result[row] = wins / (len(pos) * len(neg))
    return result


def summarise_choices(per_user: dict[str, np.ndarray]) -> dict[str, float]:
    """Mean and 95% CI over users of each metric (`<metric>_ci95`), and `users`."""
    summary: dict[str, float] = {}
    for name, values in per_user.items():
        mean, half = mean_ci95(values[~np.isnan(values)])
        summary[name], summary[f"{name}_ci95"] = mean, half
    summary["users"] = len(next(iter(per_user.values())))
    return summary

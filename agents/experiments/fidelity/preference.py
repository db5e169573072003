"""How well a user model's preferences predict the real raters' held-out behaviour.

Two questions put to the simulated users through the probe (`probe.py`), and the same
two to simple references fitted on the same earlier ratings:

- **Rating error.** The simulated user's preference for each held-out item
  (`UserModel.preference`: by default the logit of its attractiveness), mapped to the
  1-5 scale by a line fitted on the rater's earlier ratings (`ScaleMap`: a common slope,
  the rater's own level), against the real rating.
- **Preference alignment.** From each choice list the user picks its most attractive
  items, as many as the list holds positives (`core.fidelity.choices`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ifr_sim.agents.experiments.fidelity.probe import ask
from ifr_sim.agents.experiments.fidelity.real import RealRatings
from ifr_sim.agents.experiments.fidelity.sample import ChoiceLists, ProbeSample
from ifr_sim.core.fidelity.choices import choice_metrics, pick_top, summarise_choices
from ifr_sim.core.fidelity.ratings import ScaleMap, rating_errors
from ifr_sim.envs.world import World

Scorer = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""Scores of items (U, L) for raters (U,); -1 items may score anything."""


def user_model_figures(world: World, sample: ProbeSample, shrink: float,
                       seed: int) -> dict[str, Any]:
    """Rating error and alignment of `world`'s user model on `sample`.

    `seed` draws the simulated users (and breaks ties), so two worlds probed with one
    seed answer as the same users would.
    """
    rng = np.random.default_rng([seed, 2])

    def preference(raters: np.ndarray, items: np.ndarray) -> np.ndarray:
        return ask(world, raters, items, rng, "preference")

    def attractiveness(raters: np.ndarray, items: np.ndarray) -> np.ndarray:
        return ask(world, raters, items, rng, "attractiveness")

    earlier, heldout = sample.earlier, sample.heldout
    before, after = _rating_scores(preference, sample)
    figures: dict[str, Any] = {}
    for suffix, local in (("", shrink), ("_global_map", None)):
        scale = ScaleMap.fit(before, earlier.rating, earlier.user, earlier.num_users, local)
        errors = rating_errors(scale(after, heldout.user), heldout.rating, heldout.user)
        for metric in ("rmse", "mae"):
            figures[f"rating_{metric}{suffix}"] = errors[metric]
            figures[f"rating_{metric}{suffix}_ci95"] = errors[f"{metric}_ci95"]
    figures["alignment"] = alignment(attractiveness, sample, rng)
    return figures


def reference_figures(real: RealRatings, sample: ProbeSample,
                      seed: int) -> dict[str, Any]:
    """The references' rating errors (global mean, item mean, user+item bias, biased
    MF) and alignment (random, popularity, biased MF) on the same `sample`."""
    mf, heldout = real.reference, sample.heldout
    users, items = heldout.user, heldout.item
    predictions = {
        "global_mean": np.full(len(users), mf.mean),
        "item_mean": mf.mean + mf.item_bias[items],
        "user_item_bias": mf.mean + mf.user_bias[users] + mf.item_bias[items],
        "biased_mf": mf.predict(users, items),
    }
    errors = {name: rating_errors(np.clip(p, 1.0, 5.0), heldout.rating, users)
              for name, p in predictions.items()}
    rng = np.random.default_rng([seed, 3])
    scorers: dict[str, Scorer] = {
        "random": lambda r, i: np.zeros(i.shape),
        "popularity": lambda r, i: real.counts[np.maximum(i, 0)],
        "biased_mf": lambda r, i: mf.predict(np.repeat(r, i.shape[1]),
                                             np.maximum(i, 0).ravel()).reshape(i.shape),
    }
    figures: dict[str, Any] = {}
    for key in ("rmse", "mae"):
        figures[f"rating_{key}_references"] = {n: e[key] for n, e in errors.items()}
        figures[f"rating_{key}_references_ci95"] = {n: e[f"{key}_ci95"]
                                                    for n, e in errors.items()}
    figures["alignment_references"] = {name: alignment(scorer, sample, rng)
                                       for name, scorer in scorers.items()}
    return figures


def alignment(score: Scorer, sample: ProbeSample,
              rng: np.random.Generator) -> dict[str, dict[str, float]]:
    """Per protocol ("1:1", ..., "liked_vs_disliked"): the choice metrics' means and CIs."""
    return {name: _choices(score, lists, rng) for name, lists in sample.lists.items()}


def _choices(score: Scorer, lists: ChoiceLists, rng: np.random.Generator) -> dict[str, float]:
    if not len(lists.raters):
        return {"users": 0}
    valid = lists.valid
    scores = np.where(valid, score(lists.raters, lists.items), -np.inf)
    picked = pick_top(scores, lists.positive, valid, rng)
    return summarise_choices(choice_metrics(picked, scores, lists.positive, valid))


def _rating_scores(score: Scorer, sample: ProbeSample) -> tuple[np.ndarray, np.ndarray]:
    """Scores of the earlier and the held-out rated items, probed in one go (one
    simulated user per rater answers both)."""
    earlier, heldout = sample.earlier, sample.heldout
    users = np.concatenate([earlier.user, heldout.user])
    items = np.concatenate([earlier.item, heldout.item])
    table, rows, columns = _per_rater(users, items)
    scores = score(np.unique(users), table)[rows, columns]
    return scores[:len(earlier.user)], scores[len(earlier.user):]


def _per_rater(users: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, ...]:
    """Items laid out one row per rater (-1 padded), and where each pair landed."""
    raters, row = np.unique(users, return_inverse=True)
    order = np.argsort(row, kind="stable")
    counts = np.bincount(row, minlength=len(raters))
    column = np.empty(len(row), np.int64)
    column[order] = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
    table = np.full((len(raters), counts.max(initial=0)), -1, np.int64)
    table[row, column] = items
    return table, row, column

"""What the simulated users are asked: the sampled raters' ratings and choice lists.

Drawn once per benchmark, so every world setting of the sweep answers the same
questions (and differences between settings are not sampling noise).

The choice lists follow Agent4Rec's preference alignment: for a ratio 1:m, each rater's
list holds `positives` items the rater rated in the held-out part and m times as many
items the rater never rated (drawn uniformly), shuffled. Liked vs disliked lists hold the
rater's held-out items rated 4-5 (positives) and 1-2 (negatives), for raters who have both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ifr_sim.agents.experiments.fidelity.config import FidelityConfig
from ifr_sim.agents.experiments.fidelity.real import RealRatings
from ifr_sim.core.catalog import Ratings
from ifr_sim.core.catalog.holdout import select

LIKED, DISLIKED = 4.0, 2.0
"""Ratings from LIKED up count as liked, up to DISLIKED as disliked."""
LIKED_VS_DISLIKED = "liked_vs_disliked"


@dataclass(frozen=True)
class ChoiceLists:
    """One list of items per rater; -1 pads shorter lists.

    Attributes:
        raters: (U,) the real rater (= the simulated user's profile) of each list.
        items: (U, L) item indices, -1 where a list has ended.
        positive: (U, L) the rater chose (or liked) the item.
    """

    raters: np.ndarray
    items: np.ndarray
    positive: np.ndarray

    @property
    def valid(self) -> np.ndarray:
        return self.items >= 0


@dataclass(frozen=True)
class ProbeSample:
    """The sampled raters, their ratings on both sides of the split, and their lists."""

    raters: np.ndarray
    earlier: Ratings
    heldout: Ratings
    lists: dict[str, ChoiceLists]


def ratio_name(ratio: int) -> str:
    """"1:3" for a ratio of 3."""
    return f"1:{ratio}"


def draw_sample(real: RealRatings, pool: np.ndarray, config: FidelityConfig,
                rng: np.random.Generator) -> ProbeSample:
    """`config.raters` raters of `pool` (all if 0 or more than there are) and their lists."""
    if 0 < config.raters < len(pool):
        raters = np.sort(rng.choice(pool, config.raters, replace=False))
    else:
        raters = np.sort(pool)
    split = real.split
    earlier = select(split.earlier, np.isin(split.earlier.user, raters))
    heldout = select(split.heldout, np.isin(split.heldout.user, raters))
    lists = {ratio_name(m): _ratio_lists(real, heldout, raters, config.positives, m, rng)
             for m in config.ratios}
    lists[LIKED_VS_DISLIKED] = _liked_lists(heldout, raters, rng)
    return ProbeSample(raters=raters, earlier=earlier, heldout=heldout, lists=lists)


def _ratio_lists(real: RealRatings, heldout: Ratings, raters: np.ndarray, positives: int,
                 ratio: int, rng: np.random.Generator) -> ChoiceLists:
    rows, labels, kept = [], [], []
    label = np.arange(positives * (1 + ratio)) < positives
    for rater in raters.tolist():
        chosen = heldout.item[heldout.user == rater]
        unrated = real.never_rated(rater)
        if len(chosen) < positives or len(unrated) < positives * ratio:
            continue
        items = np.concatenate([rng.choice(chosen, positives, replace=False),
                                rng.choice(unrated, positives * ratio, replace=False)])
        order = rng.permutation(len(items))
        rows.append(items[order])
        labels.append(label[order])
        kept.append(rater)
    return _stack(kept, rows, labels)


def _liked_lists(heldout: Ratings, raters: np.ndarray, rng: np.random.Generator) -> ChoiceLists:
    rows, labels, kept = [], [], []
    for rater in raters.tolist():
        mine = heldout.user == rater
        items, ratings = heldout.item[mine], heldout.rating[mine]
        keep = (ratings >= LIKED) | (ratings <= DISLIKED)
        liked = ratings[keep] >= LIKED
        if liked.all() or not liked.any():
            continue
        order = rng.permutation(int(keep.sum()))
        rows.append(items[keep][order])
        labels.append(liked[order])
        kept.append(rater)
    return _stack(kept, rows, labels)


def _stack(raters: list[int], rows: list[np.ndarray], labels: list[np.ndarray]) -> ChoiceLists:
    width = max((len(row) for row in rows), default=1)
    items = np.full((len(rows), width), -1, np.int64)
    positive = np.zeros((len(rows), width), bool)
    for k, (row, label) in enumerate(zip(rows, labels, strict=True)):
        items[k, :len(row)] = row
        positive[k, :len(label)] = label
    return ChoiceLists(raters=np.array(raters, np.int64), items=items, positive=positive)

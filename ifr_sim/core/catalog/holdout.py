"""A split of real ratings by time: each rater's last ratings are held out.

What the fidelity benchmark compares simulated users with: a world built on the earlier
part of every rater's ratings (tastes, biases, item quality and popularity, warm
histories) never reads the held-out part, so how its users judge the held-out items is a
prediction, as it would be for a person's next ratings. (Policies are evaluated on a
different split: a share of whole raters, `users.heldout_share`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ifr_sim.core.catalog.catalog import Ratings

RatingsPart = Literal["all", "before_holdout"]
"""Which ratings a world is built from: all, or each rater's earlier part only."""

HOLDOUT_SHARE = 0.2
"""Share of each rater's ratings held out: the last fifth by time (at least one)."""


@dataclass(frozen=True)
class RatingSplit:
    """The ratings before and in the held-out part; both keep the raters' indices."""

    earlier: Ratings
    heldout: Ratings


def time_split(ratings: Ratings, share: float = HOLDOUT_SHARE) -> RatingSplit:
    """Hold out each rater's last `share` of ratings by time (rounded, at least one).

    Ratings given in the same second keep their order in the table, so the split is the
    same on every run.

    Example: a rater with ratings at times 5, 1, 3, 2, 4 (rows 0..4) keeps rows 1, 3, 2, 4
    (times 1..4) and holds out row 0 (time 5): round(0.2 x 5) = 1.

    Raises:
        ValueError: the ratings have no timestamps, or `share` is not in (0, 1).
    """
    if ratings.timestamp is None:
        raise ValueError(
            "these ratings have no timestamps, so they cannot be split by time; load them "
            "with a timestamp column (MovieLens has one) or build the world from all "
            "ratings (catalog.ratings='all')"
        )
    if not 0.0 < share < 1.0:
        raise ValueError(f"holdout share {share} is invalid: use a share in (0, 1)")
    rows = np.lexsort((np.arange(len(ratings.user)), ratings.timestamp, ratings.user))
    users = ratings.user[rows]
    counts = np.bincount(users, minlength=ratings.num_users)
    held = np.maximum(1, np.round(share * counts)).astype(np.int64)
    ends = np.cumsum(counts)
    position = np.arange(len(rows)) - (ends - counts)[users]  # rank within the rater
    in_heldout = np.zeros(len(rows), bool)
    in_heldout[rows] = position >= (counts - held)[users]
    return RatingSplit(earlier=select(ratings, ~in_heldout), heldout=select(ratings, in_heldout))


def select(ratings: Ratings, keep: np.ndarray) -> Ratings:
    """The ratings of rows `keep` (a mask), in table order, with every rater index kept."""
    timestamp = None if ratings.timestamp is None else ratings.timestamp[keep]
    return Ratings(user=ratings.user[keep], item=ratings.item[keep],
                   rating=ratings.rating[keep], num_users=ratings.num_users,
                   timestamp=timestamp)

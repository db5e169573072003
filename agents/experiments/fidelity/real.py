"""The real raters' side: their ratings split by time, and references fitted before it.

Everything here reads the full ratings (the benchmark must know the held-out part to
score against it); the world never does. References are fitted on the earlier part
only, like the world, so both predict the same held-out ratings from the same data.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ifr_sim.core.catalog import Catalog
from ifr_sim.core.catalog.holdout import RatingSplit, time_split
from ifr_sim.envs.taste import Factorization, fit_ratings
from ifr_sim.envs.world import World, load_catalog


@dataclass(frozen=True)
class RealRatings:
    """The real ratings of a world's catalog, split by time, with the references.

    Attributes:
        split: each rater's earlier ratings and held-out last ones.
        reference: a biased MF (global mean, shrunk biases, factors) of the earlier part.
        counts: (n,) earlier ratings per item: the popularity reference.
        catalog: the catalog as all ratings describe it (for item categories).
    """

    split: RatingSplit
    reference: Factorization
    counts: np.ndarray
    catalog: Catalog

    def never_rated(self, rater: int) -> np.ndarray:
        """Items `rater` rated in neither part."""
        ratings = self.catalog.ratings
        assert ratings is not None
        return np.setdiff1d(np.arange(len(self.catalog)), ratings.item[ratings.user == rater])


def load_real(world: World, reg: float, seed: int) -> RealRatings:
    """The real ratings behind `world`, which must be built from their earlier part.

    Raises:
        ValueError: the world's catalog has no ratings, or was built from other ratings
            than the earlier part (`catalog.ratings` is not "before_holdout", or a
            registered catalog ignores it).
    """
    catalog_config = world.config.catalog
    if world.catalog.ratings is None:
        raise ValueError(f"the catalog {world.catalog.name!r} has no real ratings to measure "
                         "simulated users against")
    full = load_catalog(dataclasses.replace(catalog_config, ratings="all"))
    assert full.ratings is not None
    split = time_split(full.ratings)
    if catalog_config.ratings != "before_holdout" or (
            len(world.catalog.ratings.user) != len(split.earlier.user)):
        raise ValueError(
            f"the world's catalog {world.catalog.name!r} holds {len(world.catalog.ratings.user)}"
            f" ratings, not the {len(split.earlier.user)} before each rater's held-out part: "
            "build it with catalog.ratings='before_holdout' (a registered catalog's factory "
            "must honour that key)")
    reference = fit_ratings(split.earlier, len(full), dim=world.config.users.taste_dim,
                            reg=reg, seed=seed)
    counts = np.bincount(split.earlier.item, minlength=len(full)).astype(np.float64)
    return RealRatings(split=split, reference=reference, counts=counts, catalog=full)

"""Candidate generation: the N items a session's agent may rank.

A `CandidateGenerator` draws them for a batch of sessions; `candidates.generator` names
one of the registered generators (`register_candidate_generator` adds yours).

Real instruction-following recommenders rank a candidate set that a retrieval stage
produced. The built-in generator ("mixed") mimics one: about `matching_share` of the N
candidates satisfy the intent's hard constraints, about `popular_share` are popular
items, the rest are random, all distinct and shuffled so that position in the list
carries no information. When N equals the catalog size the candidates are the whole
catalog (shuffled).

Distinct items are the first distinct ones of a stream of draws; the random draws are
sized so that a session almost never falls short (a top-up covers the rare one that
does). Either way the random candidates are a uniform sample of the items not drawn
before them, so the sizing only saves time, it does not change the distribution.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable
from typing import cast

import numpy as np

from ifr_sim.core.catalog import Catalog
from ifr_sim.core.config import ConfigError
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.registry import CANDIDATE_GENERATORS


class CandidateGenerator(abc.ABC):
    """Draws the candidates of a batch of sessions, vectorised over sessions."""

    @abc.abstractmethod
    def sample(
        self, rng: np.random.Generator, pools: np.ndarray, pool_counts: np.ndarray
    ) -> np.ndarray:
        """Candidates for each session.

        Args:
            rng: the episode generator (the only source of randomness).
            pools: (B, P) items satisfying each session's intent, -1 padded.
            pool_counts: (B,) number of valid entries in each pool row.

        Returns:
            (B, N) int64 distinct item indices per row, N = `num_candidates`.
        """


CandidateGeneratorFactory = Callable[[Catalog, WorldConfig], CandidateGenerator]


def register_candidate_generator(name: str, factory: CandidateGeneratorFactory) -> None:
    """Let configs name a candidate generator: `candidates.generator = name` builds
    `factory(catalog, config)`.

    Raises:
        ValueError: the name is empty or taken.
    """
    CANDIDATE_GENERATORS.register(name, factory)


def candidate_generator_factory(name: str) -> CandidateGeneratorFactory:
    """The factory registered under `name` (a `ConfigError` lists the known ones)."""
    return cast(CandidateGeneratorFactory, CANDIDATE_GENERATORS.factory(name))


class MixedCandidateGenerator(CandidateGenerator):
    """Matching, popular and random items, distinct and shuffled (`CandidateConfig`)."""

    def __init__(self, catalog: Catalog, config: WorldConfig) -> None:
        size, num_candidates, shares = len(catalog), config.num_candidates, config.candidates
        if num_candidates > size:
            raise ConfigError(
                f"num_candidates={num_candidates} is invalid: the catalog {catalog.name!r} has "
                f"only {size} items; use at most {size}"
            )
        self.num_items = size
        self.num_candidates = num_candidates
        self.num_matching = round(num_candidates * shares.matching_share)
        self.num_popular = round(num_candidates * shares.popular_share)
        pool = max(1, round(size * shares.popular_pool))
        self.popular = np.argsort(-catalog.popularity, kind="stable")[:pool]
        self.num_random = _random_draws(size, num_candidates, self.num_matching + self.num_popular)

    def sample(
        self, rng: np.random.Generator, pools: np.ndarray, pool_counts: np.ndarray
    ) -> np.ndarray:
        batch = len(pools)
        if self.num_candidates == self.num_items:
            return rng.permuted(np.tile(np.arange(self.num_items), (batch, 1)), axis=1)
        picks = np.floor(rng.random((batch, self.num_matching)) * pool_counts[:, None])
        matching = pools[np.arange(batch)[:, None], picks.astype(np.int64)]
        matching[pool_counts == 0] = -1
        popular = self.popular[rng.integers(0, len(self.popular), (batch, self.num_popular))]
        random = rng.integers(0, self.num_items, (batch, self.num_random))
        drawn = np.concatenate([matching, popular, random], axis=1)
        rows = _first_distinct(drawn, self.num_candidates, self.num_items)
        short = np.flatnonzero(rows.min(axis=1) < 0)
        for row in short:  # only when the draws collided a lot: top up from the catalog
            rows[row] = _top_up(rows[row], self.num_items, rng)
        return rng.permuted(rows, axis=1)


def _random_draws(num_items: int, num_candidates: int, num_other: int) -> int:
    """How many uniform items to draw so that a session rarely lacks N distinct ones.

    Enough for the other draws' share plus a spare of N/2 + 8, and enough that the random
    draws alone hold 5% more than N distinct items in expectation (n ln(n / (n - t))
    draws hold t distinct of n): near the catalog size collisions are the rule.
    """
    floor = num_candidates - num_other + num_candidates // 2 + 8
    target = min(1.05 * num_candidates + 8, num_items - 1)
    return max(floor, math.ceil(num_items * math.log(num_items / (num_items - target))))


def _first_distinct(drawn: np.ndarray, count: int, num_items: int) -> np.ndarray:
    """The first `count` distinct, valid (>= 0) entries of each row (items below
    `num_items`); -1 where too few.

    Sorting (item, position) pairs packed into one integer groups each item's draws in
    draw order; sorting the positions of the first of each group then restores the draw
    order. Two integer sorts, several times faster than stable argsorts.
    """
    width = drawn.shape[1]
    shift = (width - 1).bit_length()
    dtype = np.int32 if num_items << shift < 2**31 else np.int64
    keys = np.sort(((drawn << shift) | np.arange(width)).astype(dtype), axis=1)
    item, position = keys >> shift, keys & ((1 << shift) - 1)
    first = item >= 0
    first[:, 1:] &= item[:, 1:] != item[:, :-1]
    kept = np.sort(np.where(first, position, width), axis=1)[:, :count]  # width: none left
    result = np.take_along_axis(drawn, np.minimum(kept, width - 1), axis=1)
    result[kept == width] = -1
    return result


def _top_up(row: np.ndarray, num_items: int, rng: np.random.Generator) -> np.ndarray:
    valid = row[row >= 0]
    rest = np.setdiff1d(np.arange(num_items), valid)
    extra = rng.choice(rest, size=len(row) - len(valid), replace=False)
    return np.concatenate([valid, extra])

"""Candidate generation: the N items a session's agent may rank.

Real instruction-following recommenders rank a candidate set that a retrieval stage
produced. We mimic one: about `matching_share` of the N candidates satisfy the intent's
hard constraints, about `popular_share` are popular items, the rest are random, all
distinct and shuffled so that position in the list carries no information. When N
equals the catalog size the candidates are the whole catalog (shuffled).
"""

from __future__ import annotations

import numpy as np

from ifr_sim.catalog import Catalog
from ifr_sim.config import ConfigError
from ifr_sim.envs.config import CandidateConfig


class CandidateGenerator:
    """Draws distinct candidate items for a batch of sessions, vectorised over sessions."""

    def __init__(self, catalog: Catalog, num_candidates: int, config: CandidateConfig) -> None:
        size = len(catalog)
        if num_candidates > size:
            raise ConfigError(
                f"num_candidates={num_candidates} is invalid: the catalog {catalog.name!r} has "
                f"only {size} items; use at most {size}"
            )
        self.num_items = size
        self.num_candidates = num_candidates
        self.num_matching = round(num_candidates * config.matching_share)
        self.num_popular = round(num_candidates * config.popular_share)
        pool = max(1, round(size * config.popular_pool))
        self.popular = np.argsort(-catalog.popularity, kind="stable")[:pool]

    def sample(
        self, rng: np.random.Generator, pools: np.ndarray, pool_counts: np.ndarray
    ) -> np.ndarray:
        """Candidates for each session.

        Args:
            rng: the episode generator.
            pools: (B, P) items satisfying each session's intent, -1 padded.
            pool_counts: (B,) number of valid entries in each pool row.

        Returns:
            (B, N) int64 distinct item indices per row, shuffled.
        """
        batch = len(pools)
        if self.num_candidates == self.num_items:
            return rng.permuted(np.tile(np.arange(self.num_items), (batch, 1)), axis=1)
        picks = np.floor(rng.random((batch, self.num_matching)) * pool_counts[:, None])
        matching = np.take_along_axis(pools, picks.astype(np.int64), axis=1)
        matching[pool_counts == 0] = -1
        popular = self.popular[rng.integers(0, len(self.popular), (batch, self.num_popular))]
        spare = self.num_candidates // 2 + 8
        random_count = self.num_candidates - self.num_matching - self.num_popular + spare
        random = rng.integers(0, self.num_items, (batch, random_count))
        drawn = np.concatenate([matching, popular, random], axis=1)
        rows = _first_distinct(drawn, self.num_candidates)
        short = np.flatnonzero(rows.min(axis=1) < 0)
        for row in short:  # only when the draws collided a lot: top up from the catalog
            rows[row] = _top_up(rows[row], self.num_items, rng)
        return rng.permuted(rows, axis=1)


def _first_distinct(drawn: np.ndarray, count: int) -> np.ndarray:
    """The first `count` distinct, valid (>= 0) entries of each row; -1 where too few."""
    order = np.argsort(drawn, axis=1, kind="stable")
    ordered = np.take_along_axis(drawn, order, axis=1)
    repeat = np.zeros_like(drawn, dtype=bool)
    repeat[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
    invalid = np.empty_like(repeat)
    np.put_along_axis(invalid, order, repeat | (ordered < 0), axis=1)
    keep = np.argsort(invalid, axis=1, kind="stable")[:, :count]
    result = np.take_along_axis(drawn, keep, axis=1)
    result[np.take_along_axis(invalid, keep, axis=1)] = -1
    return result


def _top_up(row: np.ndarray, num_items: int, rng: np.random.Generator) -> np.ndarray:
    valid = row[row >= 0]
    rest = np.setdiff1d(np.arange(num_items), valid)
    extra = rng.choice(rest, size=len(row) - len(valid), replace=False)
    return np.concatenate([valid, extra])

"""What dissatisfied users add to their intents after seeing a slate, for many at once.

Each refinement adds exactly one part, chosen to push away from what was shown: exclude
the unwanted category the slate was fullest of, ask for the range bucket the slate hit
least, raise the quality bar, or ask for the other end of popularity from the slate's.
The kind is drawn uniformly among those that can still be added. Everything is numpy over
the refining users, because the vector env refines many users per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.instructions.intent import POPULARITY_CODES, IntentBatch
from ifr_sim.core.instructions.vocabulary import Vocabulary

KINDS = ("exclude", "range", "quality", "popularity")
"""Refinement kinds; `Refinement.kind` indexes this tuple (-1 = nothing to add)."""

MAINSTREAM_SLATE = 0.5
"""A slate whose mean popularity reaches this reads as "too obvious" (ask for a hidden gem)."""


@dataclass(frozen=True)
class Refinement:
    """The refined intents and what was added per row.

    Attributes:
        batch: the intents with one part added (unchanged rows where `kind` is -1).
        kind: (R,) index into `KINDS`, or -1 when nothing could be added.
        value: (R,) the category (exclude), bucket (range) or popularity code added.
    """

    batch: IntentBatch
    kind: np.ndarray
    value: np.ndarray


class Refiner:
    """Refines intents of one catalog; built once per `InstructionLanguage`, so the
    vocabulary's lists become arrays once rather than at every refinement."""

    def __init__(self, catalog: Catalog, vocabulary: Vocabulary) -> None:
        self.catalog = catalog
        self.vocabulary = vocabulary
        # Row-major, so that gathering the rows of shown items is a cheap copy per row.
        self._categories = np.ascontiguousarray(catalog.categories)
        self._unspeakable = ~np.asarray(vocabulary.speakable, dtype=bool)
        self._low = np.array([b.low for b in vocabulary.range_buckets])
        self._high = np.array([b.high for b in vocabulary.range_buckets])
        name = catalog.range_attribute
        self._range_values = (
            catalog.attributes[name] if name is not None and vocabulary.range_buckets else None
        )

    def refine(
        self, batch: IntentBatch, shown_items: np.ndarray, rng: np.random.Generator
    ) -> Refinement:
        """Add one part to each of R intents, reacting to the (R, K) items shown (-1 = empty)."""
        rows = np.arange(len(batch))
        valid = shown_items >= 0
        shown = np.maximum(shown_items, 0)

        member = np.take(self._categories, shown, axis=0)  # faster than [shown]
        counts = (member & valid[:, :, None]).sum(axis=1)
        counts[batch.include | batch.exclude | self._unspeakable] = 0
        category = counts.argmax(axis=1)

        bucket, can_range = self._least_shown_bucket(batch, shown, valid, rng)
        popularity = np.where(
            _mean(self.catalog.popularity[shown], valid) >= MAINSTREAM_SLATE,
            POPULARITY_CODES["hidden_gem"],
            POPULARITY_CODES["well_known"],
        )
        available = np.stack(
            [counts[rows, category] > 0, can_range, batch.min_quality <= 0, batch.popularity == 0],
            axis=1,
        )
        keys = np.where(available, rng.random(available.shape), -1.0)
        kind = np.where(available.any(axis=1), keys.argmax(axis=1), -1)

        excludes, ranges, raises, popular = kind == 0, kind == 1, kind == 2, kind == 3
        exclude = batch.exclude.copy()
        exclude[rows, category] |= excludes
        low, high = batch.range_low, batch.range_high
        if ranges.any():
            low = np.where(ranges, self._low[bucket], low)
            high = np.where(ranges, self._high[bucket], high)
        refined = IntentBatch(
            include=batch.include,
            exclude=exclude,
            range_low=low,
            range_high=high,
            min_quality=np.where(raises, self.vocabulary.quality_bar, batch.min_quality),
            popularity=np.where(popular, popularity, batch.popularity).astype(np.int8),
            reference=batch.reference,
        )
        added = np.where(popular, popularity, -1)
        value = np.where(excludes, category, np.where(ranges, bucket, added))
        return Refinement(batch=refined, kind=kind, value=value)

    def _least_shown_bucket(
        self, batch: IntentBatch, shown: np.ndarray, valid: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the range bucket holding fewest shown items (ties at random), and
        whether a range can be asked for at all (none yet, and the catalog has buckets)."""
        rows = len(batch)
        if self._range_values is None:
            return np.zeros(rows, np.int64), np.zeros(rows, bool)
        no_range = np.isinf(batch.range_low) & np.isinf(batch.range_high)
        values = self._range_values[shown][:, :, None]
        inside = (values >= self._low) & (values <= self._high) & valid[:, :, None]
        crowding = inside.sum(axis=1) + rng.random((rows, len(self._low)))
        return crowding.argmin(axis=1), no_range


def _mean(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return (values * valid).sum(axis=1) / np.maximum(valid.sum(axis=1), 1)

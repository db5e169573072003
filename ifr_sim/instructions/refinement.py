"""What dissatisfied users add to their intents after seeing a slate, for many at once.

Each refinement adds exactly one part, chosen to push away from what was shown: exclude
the unwanted category the slate was fullest of, ask for the range bucket the slate hit
least, raise the quality bar, or ask for the other end of popularity from the slate's.
The kind is drawn uniformly among those that can still be added. Everything is numpy over
the refining users, because the vector env refines many users per step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ifr_sim.catalog.catalog import Catalog
from ifr_sim.instructions.intent import POPULARITY_CODES, IntentBatch
from ifr_sim.instructions.vocabulary import Vocabulary

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


def refine_batch(
    catalog: Catalog,
    vocabulary: Vocabulary,
    batch: IntentBatch,
    shown_items: np.ndarray,
    rng: np.random.Generator,
) -> Refinement:
    """Add one part to each of R intents, reacting to the (R, K) items shown (-1 = empty)."""
    rows = np.arange(len(batch))
    valid = shown_items >= 0
    shown = np.maximum(shown_items, 0)

    counts = (catalog.categories[shown] & valid[:, :, None]).sum(axis=1)
    counts[:, ~np.asarray(vocabulary.speakable, dtype=bool)] = 0
    counts[batch.include | batch.exclude] = 0
    category = counts.argmax(axis=1)

    bucket, can_range = _least_shown_bucket(catalog, vocabulary, batch, shown, valid, rng)
    popularity = np.where(
        _mean(catalog.popularity[shown], valid) >= MAINSTREAM_SLATE,
        POPULARITY_CODES["hidden_gem"],
        POPULARITY_CODES["well_known"],
    )
    available = np.stack(
        [counts.max(axis=1) > 0, can_range, batch.min_quality <= 0, batch.popularity == 0], axis=1
    )
    keys = np.where(available, rng.random(available.shape), -1.0)
    kind = np.where(available.any(axis=1), keys.argmax(axis=1), -1)

    exclude = batch.exclude.copy()
    adds = kind == 0
    exclude[rows[adds], category[adds]] = True
    low, high = batch.range_low.copy(), batch.range_high.copy()
    adds = kind == 1
    if adds.any():
        bounds = np.array([(b.low, b.high) for b in vocabulary.range_buckets])
        low[adds], high[adds] = bounds[bucket[adds]].T
    refined = replace(
        batch,
        exclude=exclude,
        range_low=low,
        range_high=high,
        min_quality=np.where(kind == 2, vocabulary.quality_bar, batch.min_quality),
        popularity=np.where(kind == 3, popularity, batch.popularity).astype(np.int8),
    )
    value = np.select([kind == 0, kind == 1, kind == 3], [category, bucket, popularity], -1)
    return Refinement(batch=refined, kind=kind, value=value)


def _least_shown_bucket(
    catalog: Catalog,
    vocabulary: Vocabulary,
    batch: IntentBatch,
    shown: np.ndarray,
    valid: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the range bucket holding fewest shown items (ties at random), and whether
    a range can be asked for at all (none yet, and the catalog has buckets)."""
    rows = len(batch)
    no_range = np.isinf(batch.range_low) & np.isinf(batch.range_high)
    buckets = vocabulary.range_buckets
    if not buckets or catalog.range_attribute is None:
        return np.zeros(rows, np.int64), np.zeros(rows, bool)
    values = catalog.attributes[catalog.range_attribute][shown]
    low = np.array([b.low for b in buckets])
    high = np.array([b.high for b in buckets])
    inside = (values[:, :, None] >= low) & (values[:, :, None] <= high) & valid[:, :, None]
    crowding = inside.sum(axis=1) + rng.random((rows, len(buckets)))
    return crowding.argmin(axis=1), no_range


def _mean(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return (values * valid).sum(axis=1) / np.maximum(valid.sum(axis=1), 1)

"""Checking items against intents, for B users and N items at once.

Two answers per (user, item): `hard`, whether the item meets every stated constraint (what
"satisfies the instruction" means in metrics and in rejecting unanswerable intents), and
`graded`, how well it does (what drives a simulated user's attraction), the mean over the
intent's parts of a soft score per part.

Thresholds (fixed, so that "a hidden gem" means the same thing in every catalog):
    hidden gem: popularity <= 0.35 and quality >= 0.55 (obscure *and* good);
    well known: popularity >= 0.75 (the top quarter by rating or review counts).
Soft scores ramp smoothly around each threshold (see `_ramp`); outside a range the score
decays as exp(-distance / scale) with scale = 10% of the attribute's span in the catalog,
so one decade off on MovieLens years scores about 0.3.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ifr_sim.catalog.catalog import Catalog
from ifr_sim.instructions.intent import Intent, IntentBatch
from ifr_sim.instructions.vocabulary import Vocabulary

HIDDEN_GEM_MAX_POPULARITY = 0.35
HIDDEN_GEM_MIN_QUALITY = 0.55
WELL_KNOWN_MIN_POPULARITY = 0.75
RAMP_WIDTH = 0.2
"""A soft threshold score goes from 0 to 1 over this width (0.15 below to 0.05 above)."""
RANGE_SCALE_SHARE = 0.1
REFERENCE_CATEGORY_WEIGHT = 0.7
"""Reference similarity = 0.7 * category Jaccard + 0.3 * closeness on the range attribute."""


@dataclass(frozen=True)
class IntentMatch:
    """How items meet intents.

    Attributes:
        hard: bool (B, N); the item meets every hard constraint of the user's intent.
        graded: float32 (B, N) in [0, 1]; mean soft score over the intent's parts, 0 where
            an exclusion is violated or the item is the reference itself, 1 for an intent
            with no parts.
    """

    hard: np.ndarray
    graded: np.ndarray


@dataclass(frozen=True)
class _Part:
    """One optional part kind, evaluated: who asked for it, who meets it, how well.

    `soft` is a thunk so that `satisfying_items` (hard constraints only) skips its cost.
    """

    asked: np.ndarray  # bool (B,)
    ok: np.ndarray  # bool (B, N)
    soft: Callable[[], np.ndarray]  # float (B, N) in [0, 1]


@dataclass(frozen=True)
class _Grid:
    """What the part evaluators share: the batch, the item grid and its category rows."""

    catalog: Catalog
    batch: IntentBatch
    items: np.ndarray
    member: np.ndarray  # float32 (B, N, C) category membership of each item
    range_values: np.ndarray | None  # the catalog's range attribute, if it has one
    range_scale: float  # distance on the range attribute at which closeness is 1/e

    def hits(self, categories: np.ndarray) -> np.ndarray:
        """(B, N) count of the (B, C) `categories` that each item has."""
        return np.matmul(self.member, categories.astype(np.float32)[:, :, None])[..., 0]


def intent_match(catalog: Catalog, batch: IntentBatch, items: np.ndarray) -> IntentMatch:
    """Match item grid `items` (int, shape (B, N)) against the B intents of `batch`."""
    return _match(catalog, batch, items, graded=True)


def satisfying_items(catalog: Catalog, intent: Intent, vocabulary: Vocabulary) -> np.ndarray:
    """Indices of all catalog items that meet `intent`'s hard constraints."""
    batch = IntentBatch.from_intents([intent], catalog, vocabulary)
    match = _match(catalog, batch, np.arange(len(catalog))[None, :], graded=False)
    return np.flatnonzero(match.hard[0])


def _match(catalog: Catalog, batch: IntentBatch, items: np.ndarray, graded: bool) -> IntentMatch:
    """`intent_match`; without `graded`, the graded scores are left at zero (for speed)."""
    items = np.asarray(items)
    if items.ndim != 2 or items.shape[0] != len(batch):
        raise ValueError(f"items must have shape (B={len(batch)}, N), got {items.shape}")
    values, scale = _range_values(catalog)
    member = catalog.categories[items].astype(np.float32)
    grid = _Grid(catalog, batch, items, member, values, scale)
    n_include = batch.include.sum(axis=1)
    n_exclude = batch.exclude.sum(axis=1)
    include_hits = grid.hits(batch.include)
    itself = items == batch.reference[:, None]
    vetoed = (grid.hits(batch.exclude) > 0) | itself
    hard = ((n_include[:, None] == 0) | (include_hits > 0)) & ~vetoed
    score = include_hits + n_exclude[:, None].astype(np.float32)
    parts = (n_include + n_exclude).astype(np.float32)
    for evaluate in _PART_KINDS:
        part = evaluate(grid)
        asked = part.asked[:, None]
        hard &= ~asked | part.ok
        if graded and part.asked.any():
            score += np.where(asked, part.soft(), 0.0).astype(np.float32)
        parts += part.asked
    if not graded:
        return IntentMatch(hard=hard, graded=np.zeros(items.shape, np.float32))
    mean = np.where(parts[:, None] > 0, score / np.maximum(parts, 1.0)[:, None], 1.0)
    return IntentMatch(hard=hard, graded=np.where(vetoed, 0.0, mean).astype(np.float32))


def _ramp(margin: np.ndarray) -> np.ndarray:
    """Smoothstep of how far past a threshold a value is: 0.84 at it, 1 from +0.05, 0 by -0.15."""
    x = np.clip(margin / RAMP_WIDTH + 0.75, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _range_values(catalog: Catalog) -> tuple[np.ndarray | None, float]:
    """The range attribute (None without one) and its decay scale, 10% of its span."""
    if catalog.range_attribute is None:
        return None, 1.0
    values = catalog.attributes[catalog.range_attribute]
    span = float(np.nanmax(values) - np.nanmin(values)) if np.isfinite(values).any() else 0.0
    return values, (RANGE_SCALE_SHARE * span if span > 0 else 1.0)


def _closeness(distance: np.ndarray, scale: float) -> np.ndarray:
    """exp(-distance / scale), with an unknown (NaN) distance scoring 0."""
    return np.nan_to_num(np.exp(-distance / scale), nan=0.0)


def _range_part(grid: _Grid) -> _Part:
    low, high = grid.batch.range_low[:, None], grid.batch.range_high[:, None]
    asked = np.isfinite(grid.batch.range_low) | np.isfinite(grid.batch.range_high)
    if grid.range_values is None:
        if asked.any():
            raise ValueError(f"catalog {grid.catalog.name!r} has no range_attribute to match a "
                             "range against; drop range_bucket from the intents")
        return _Part(asked, np.ones(grid.items.shape, bool), lambda: np.zeros(grid.items.shape))
    x = grid.range_values[grid.items]
    return _Part(
        asked,
        (x >= low) & (x <= high),
        lambda: _closeness(np.maximum(np.maximum(low - x, x - high), 0.0), grid.range_scale),
    )


def _quality_part(grid: _Grid) -> _Part:
    quality = grid.catalog.quality[grid.items]
    bar = grid.batch.min_quality.astype(quality.dtype)[:, None]
    return _Part(grid.batch.min_quality > 0, quality >= bar, lambda: _ramp(quality - bar))


def _popularity_part(grid: _Grid) -> _Part:
    p = grid.catalog.popularity[grid.items]
    q = grid.catalog.quality[grid.items]
    code = grid.batch.popularity[:, None]
    gem = code == 1
    ok = np.where(
        gem,
        (p <= HIDDEN_GEM_MAX_POPULARITY) & (q >= HIDDEN_GEM_MIN_QUALITY),
        p >= WELL_KNOWN_MIN_POPULARITY,
    )
    return _Part(grid.batch.popularity > 0, ok, lambda: np.where(
        gem,
        _ramp(HIDDEN_GEM_MAX_POPULARITY - p) * _ramp(q - HIDDEN_GEM_MIN_QUALITY),
        _ramp(p - WELL_KNOWN_MIN_POPULARITY),
    ))


def _reference_part(grid: _Grid) -> _Part:
    reference = grid.batch.reference
    anchor = np.maximum(reference, 0)  # any valid row where no reference was asked
    ref_categories = grid.catalog.categories[anchor]
    shared = grid.hits(ref_categories)

    def similarity() -> np.ndarray:
        sizes = grid.hits(np.ones_like(ref_categories))
        union = sizes + ref_categories.sum(axis=1)[:, None] - shared
        jaccard = shared / np.maximum(union, 1.0)
        if grid.range_values is None:
            return jaccard
        distance = np.abs(grid.range_values[grid.items] - grid.range_values[anchor][:, None])
        return (REFERENCE_CATEGORY_WEIGHT * jaccard
                + (1.0 - REFERENCE_CATEGORY_WEIGHT) * _closeness(distance, grid.range_scale))

    ok = (shared > 0) & (grid.items != reference[:, None])
    return _Part(reference >= 0, ok, similarity)


_PART_KINDS: tuple[Callable[[_Grid], _Part], ...] = (
    _range_part,
    _quality_part,
    _popularity_part,
    _reference_part,
)

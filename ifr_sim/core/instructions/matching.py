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

import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.instructions.intent import Intent, IntentBatch
from ifr_sim.core.instructions.vocabulary import Vocabulary

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
class _CatalogTables:
    """What every match reads from a catalog, derived once per catalog (catalogs are
    immutable), so a match of a few items does not pay for a pass over the catalog.

    Category rows are bit sets: how many of an intent's categories an item has is a
    popcount of an AND, far cheaper than a float matmul over (B, N, C). The popularity
    part's answers depend on nothing but the item and the requested code, so they are
    tabulated per code (row 0, nothing requested, is masked out wherever it is read).
    """

    category_bits: np.ndarray  # uint64 (n, W): each item's categories, W = ceil(C / 64)
    category_counts: np.ndarray  # int64 (n,): categories per item
    popularity_ok: np.ndarray  # bool (3, n): item meets popularity code c
    popularity_soft: np.ndarray  # float32 (3, n): how well, in [0, 1]
    range_values: np.ndarray | None  # the catalog's range attribute, if it has one
    range_scale: float  # distance on the range attribute at which closeness is 1/e

    @classmethod
    def of(cls, catalog: Catalog) -> _CatalogTables:
        """Derive the tables (one pass over the catalog)."""
        values, scale = None, 1.0
        if catalog.range_attribute is not None:
            values = catalog.attributes[catalog.range_attribute]
            finite = np.isfinite(values).any()
            span = float(np.nanmax(values) - np.nanmin(values)) if finite else 0.0
            scale = RANGE_SCALE_SHARE * span if span > 0 else 1.0
        p, q = catalog.popularity, catalog.quality
        gem_ok = (p <= HIDDEN_GEM_MAX_POPULARITY) & (q >= HIDDEN_GEM_MIN_QUALITY)
        gem_soft = _ramp(HIDDEN_GEM_MAX_POPULARITY - p) * _ramp(q - HIDDEN_GEM_MIN_QUALITY)
        known_soft = _ramp(p - WELL_KNOWN_MIN_POPULARITY)
        return cls(
            category_bits=_category_bits(catalog.categories),
            category_counts=catalog.categories.sum(axis=1),
            popularity_ok=np.stack([gem_ok, gem_ok, p >= WELL_KNOWN_MIN_POPULARITY]),
            popularity_soft=np.stack([gem_soft, gem_soft, known_soft]),
            range_values=values,
            range_scale=scale,
        )


_TABLES: dict[int, tuple[weakref.ref[Catalog], _CatalogTables]] = {}


def _tables(catalog: Catalog) -> _CatalogTables:
    """The catalog's tables, cached for as long as the catalog lives."""
    key = id(catalog)
    entry = _TABLES.get(key)
    if entry is None or entry[0]() is not catalog:
        entry = (weakref.ref(catalog, lambda _: _TABLES.pop(key, None)), _CatalogTables.of(catalog))
        _TABLES[key] = entry
    return entry[1]


def _category_bits(member: np.ndarray) -> np.ndarray:
    """Bool (R, C) category rows as uint64 (R, W) bit sets, W = ceil(C / 64): one word for
    most catalogs, which keeps the popcount's sum over words trivial."""
    return member.astype(np.uint64) @ _bit_values(member.shape[1])


@functools.cache
def _bit_values(num_categories: int) -> np.ndarray:
    """(C, W) uint64: category c is bit c % 64 of word c // 64 (a sum of distinct bits is
    their OR, so a matmul packs rows)."""
    c = np.arange(num_categories)
    values = np.zeros((num_categories, -(-num_categories // 64)), np.uint64)
    values[c, c // 64] = np.left_shift(np.uint64(1), (c % 64).astype(np.uint64))
    return values


_BYTE_POPCOUNT = np.array([bin(byte).count("1") for byte in range(256)], np.uint8)


def _byte_popcount(words: np.ndarray) -> np.ndarray:
    """Set bits per uint64 word, by bytes (numpy < 2 has no `np.bitwise_count`)."""
    return _BYTE_POPCOUNT[words.view(np.uint8)].reshape(*words.shape, 8).sum(axis=-1)


_popcount = getattr(np, "bitwise_count", _byte_popcount)


class _Grid:
    """What the part evaluators share: some rows of the batch, their item grid, and the
    catalog columns at those items, each gathered on first use (a part nobody asked for
    reads none).
    """

    def __init__(
        self,
        catalog: Catalog,
        batch: IntentBatch,
        items: np.ndarray,
        rows: slice | np.ndarray = slice(None),
    ) -> None:
        self.catalog = catalog
        self.tables = _tables(catalog)
        self.batch = batch
        self.rows = rows
        self.items = items[rows]

    def subset(self, rows: slice | np.ndarray) -> _Grid:
        """The grid of `rows` (of the whole batch) only."""
        return _Grid(self.catalog, self.batch, self.items, rows)

    def intents(self, field: str) -> np.ndarray:
        """The intents' `field` (an `IntentBatch` attribute) at the grid's rows."""
        return getattr(self.batch, field)[self.rows]

    @functools.cached_property
    def bits(self) -> np.ndarray:
        return np.take(self.tables.category_bits, self.items, axis=0)  # faster than [items]

    @functools.cached_property
    def quality(self) -> np.ndarray:
        return self.catalog.quality[self.items]

    @functools.cached_property
    def range_values(self) -> np.ndarray:
        assert self.tables.range_values is not None
        return self.tables.range_values[self.items]

    def hits(self, categories: np.ndarray) -> np.ndarray:
        """(B, N) float32 count of the (B, C) `categories` that each item has."""
        if not categories.any():
            return np.zeros(self.items.shape, np.float32)
        return self.shared(_category_bits(categories))

    def shared(self, bits: np.ndarray) -> np.ndarray:
        """(B, N) float32 count of the categories in bit sets `bits` (B, W) each item has."""
        return _popcount(self.bits & bits[:, None, :]).sum(axis=2, dtype=np.float32)


def intent_match(catalog: Catalog, batch: IntentBatch, items: np.ndarray) -> IntentMatch:
    """Match item grid `items` (int, shape (B, N)) against the B intents of `batch`."""
    return _match(catalog, batch, items, graded=True)


def satisfying_items(catalog: Catalog, intent: Intent, vocabulary: Vocabulary) -> np.ndarray:
    """Indices of all catalog items that meet `intent`'s hard constraints."""
    batch = IntentBatch.from_intents([intent], catalog, vocabulary)
    match = _match(catalog, batch, np.arange(len(catalog))[None, :], graded=False)
    return np.flatnonzero(match.hard[0])


def _match(catalog: Catalog, batch: IntentBatch, items: np.ndarray, graded: bool) -> IntentMatch:
    """`intent_match`; without `graded`, the graded scores are left at zero (for speed).

    Each optional part kind is evaluated on the rows that ask for it only, and skipped
    when none does.
    """
    items = np.asarray(items)
    if items.ndim != 2 or items.shape[0] != len(batch):
        raise ValueError(f"items must have shape (B={len(batch)}, N), got {items.shape}")
    grid = _Grid(catalog, batch, items)
    n_include = batch.include.sum(axis=1)
    n_exclude = batch.exclude.sum(axis=1)
    include_hits = grid.hits(batch.include)
    itself = items == batch.reference[:, None]
    vetoed = (grid.hits(batch.exclude) > 0) | itself
    hard = ((n_include[:, None] == 0) | (include_hits > 0)) & ~vetoed
    score = include_hits + n_exclude[:, None].astype(np.float32)
    parts = (n_include + n_exclude).astype(np.float32)
    for asks, evaluate in _PART_KINDS:
        asked = asks(batch)
        if not asked.any():
            continue
        everyone = asked.all()
        rows = slice(None) if everyone else np.flatnonzero(asked)
        ok, soft = evaluate(grid if everyone else grid.subset(rows))
        hard[rows] &= ok
        if graded:
            score[rows] += soft().astype(np.float32)
        parts[rows] += 1.0
    if not graded:
        return IntentMatch(hard=hard, graded=np.zeros(items.shape, np.float32))
    mean = np.where(parts[:, None] > 0, score / np.maximum(parts, 1.0)[:, None], 1.0)
    return IntentMatch(hard=hard, graded=np.where(vetoed, 0.0, mean).astype(np.float32, copy=False))


def _ramp(margin: np.ndarray) -> np.ndarray:
    """Smoothstep of how far past a threshold a value is: 0.84 at it, 1 from +0.05, 0 by -0.15."""
    x = np.minimum(np.maximum(margin / RAMP_WIDTH + 0.75, 0.0), 1.0)  # np.clip, sans overhead
    return x * x * (3.0 - 2.0 * x)


def _closeness(distance: np.ndarray, scale: float) -> np.ndarray:
    """exp(-distance / scale), with an unknown (NaN) distance scoring 0 (`fmax` drops NaN)."""
    return np.fmax(np.exp(-distance / scale), 0.0)


_Evaluation = tuple[np.ndarray, Callable[[], np.ndarray]]
"""A part evaluated on a grid: who meets it, bool (B, N), and a thunk for how well, float
(B, N) in [0, 1] (a thunk so that `satisfying_items`, hard constraints only, skips it)."""


def _asks_range(batch: IntentBatch) -> np.ndarray:
    return np.isfinite(batch.range_low) | np.isfinite(batch.range_high)


def _range_part(grid: _Grid) -> _Evaluation:
    if grid.tables.range_values is None:
        raise ValueError(f"catalog {grid.catalog.name!r} has no range_attribute to match a "
                         "range against; drop range_bucket from the intents")
    low, high = grid.intents("range_low")[:, None], grid.intents("range_high")[:, None]
    x = grid.range_values
    return (x >= low) & (x <= high), lambda: _closeness(
        np.maximum(np.maximum(low - x, x - high), 0.0), grid.tables.range_scale
    )


def _asks_quality(batch: IntentBatch) -> np.ndarray:
    return batch.min_quality > 0


def _quality_part(grid: _Grid) -> _Evaluation:
    quality = grid.quality
    bar = grid.intents("min_quality").astype(quality.dtype)[:, None]
    return quality >= bar, lambda: _ramp(quality - bar)


def _asks_popularity(batch: IntentBatch) -> np.ndarray:
    return batch.popularity > 0


def _popularity_part(grid: _Grid) -> _Evaluation:
    tables = grid.tables
    code = grid.intents("popularity")[:, None].astype(int)
    # Index the raveled (3, n) tables: a flat take beats fancy indexing with two arrays.
    at = grid.items + tables.popularity_ok.shape[1] * code
    return tables.popularity_ok.take(at), lambda: tables.popularity_soft.take(at)


def _asks_reference(batch: IntentBatch) -> np.ndarray:
    return batch.reference >= 0


def _reference_part(grid: _Grid) -> _Evaluation:
    reference = grid.intents("reference")
    anchor = np.maximum(reference, 0)  # any valid row where no reference was asked
    tables = grid.tables
    shared = grid.shared(tables.category_bits[anchor])

    def similarity() -> np.ndarray:
        counts = tables.category_counts
        union = counts[grid.items] + counts[anchor][:, None] - shared
        jaccard = shared / np.maximum(union, 1.0)
        if tables.range_values is None:
            return jaccard
        distance = np.abs(grid.range_values - tables.range_values[anchor][:, None])
        return (REFERENCE_CATEGORY_WEIGHT * jaccard
                + (1.0 - REFERENCE_CATEGORY_WEIGHT) * _closeness(distance, tables.range_scale))

    return (shared > 0) & (grid.items != reference[:, None]), similarity


_Asks = Callable[[IntentBatch], np.ndarray]
"""Which rows of a batch ask for a part kind, bool (B,)."""

_PART_KINDS: tuple[tuple[_Asks, Callable[[_Grid], _Evaluation]], ...] = (
    (_asks_range, _range_part),
    (_asks_quality, _quality_part),
    (_asks_popularity, _popularity_part),
    (_asks_reference, _reference_part),
)
"""The optional part kinds, in the order their scores add up: who asks, how to evaluate."""

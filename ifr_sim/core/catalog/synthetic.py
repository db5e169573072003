"""A synthetic electronics shop of any size, for catalogs larger than MovieLens.

Every item belongs to exactly one of twelve product categories (no cross-cutting tags:
brand, price tier and price carry the rest). A hidden latent quality per item, partly
set by its brand, raises its mean star rating, its number of reviews and a little its
price, so "highly rated" and "popular" requests point at genuinely better items while
prices stay realistic per category (log-normal around a typical street price).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ifr_sim.core.catalog.catalog import Catalog, CatalogError, percentile_rank

MIN_SIZE = 10
MAX_SIZE = 1_000_000
NEWEST_YEAR = 2025
"""Fixed rather than today's year, so the same seed gives the same catalog forever."""


@dataclass(frozen=True)
class _Kind:
    """One product category: its names, its brands and its price distribution."""

    name: str
    noun: str
    brands: tuple[str, ...]
    median_price: float
    price_spread: float
    share: float


_KINDS = (
    _Kind("phones", "Phone", ("Aurora", "Nimbus", "Vertex", "Kestrel"), 450, 0.6, 0.14),
    _Kind("laptops", "Laptop", ("Vertex", "Quanta", "Halcyon", "Nimbus"), 900, 0.5, 0.10),
    _Kind("headphones", "Headphones", ("Sonara", "Lumen", "Aurora", "Echofield"), 120, 0.8, 0.14),
    _Kind("cameras", "Camera", ("Optica", "Kestrel", "Lumen"), 650, 0.7, 0.06),
    _Kind("tablets", "Tablet", ("Aurora", "Quanta", "Nimbus"), 380, 0.5, 0.08),
    _Kind("smartwatches", "Smartwatch", ("Aurora", "Pulse", "Kestrel"), 250, 0.5, 0.08),
    _Kind("speakers", "Speaker", ("Sonara", "Echofield", "Lumen"), 90, 0.8, 0.10),
    _Kind("monitors", "Monitor", ("Vertex", "Optica", "Halcyon"), 280, 0.6, 0.07),
    _Kind("keyboards", "Keyboard", ("Quanta", "Halcyon", "Tactix"), 70, 0.6, 0.08),
    _Kind("televisions", "TV", ("Optica", "Lumen", "Vertex"), 700, 0.6, 0.06),
    _Kind("e-readers", "E-Reader", ("Folio", "Nimbus"), 130, 0.3, 0.04),
    _Kind("game consoles", "Console", ("Tactix", "Quanta"), 420, 0.35, 0.05),
)
_NAMES = np.array([k.name for k in _KINDS])
_NOUNS = np.array([k.noun for k in _KINDS])
_SHARES = np.array([k.share for k in _KINDS]) / sum(k.share for k in _KINDS)
_MEDIAN_PRICE = np.array([k.median_price for k in _KINDS])
_PRICE_SPREAD = np.array([k.price_spread for k in _KINDS])
_BRANDS = np.array(sorted({b for k in _KINDS for b in k.brands}))
_BRAND_COUNT = np.array([len(k.brands) for k in _KINDS])
_BRAND_OF = np.array(  # (kind, i) -> index into _BRANDS; -1 pads kinds with fewer brands
    [np.pad(np.searchsorted(_BRANDS, k.brands), (0, _BRAND_COUNT.max() - len(k.brands)),
            constant_values=-1) for k in _KINDS]
)
_SERIES = np.array(["X", "S", "Z", "A", "G", "M"])
_TIERS = np.array([" Lite", "", " Plus", " Pro"])
_TIER_SHARES = np.array([0.2, 0.4, 0.2, 0.2])
_TIER_PRICE = np.array([0.7, 1.0, 1.25, 1.6])
_TENTHS = np.char.mod("%.1f", np.arange(10, 51) / 10.0)  # "1.0" .. "5.0", indexed by 10r - 10


def make_synthetic_catalog(
    size: int,
    rng: np.random.Generator | int = 0,
    domain: Literal["shop"] = "shop",
) -> Catalog:
    """Generate a seeded electronics catalog of `size` items.

    Args:
        size: number of items, 10 to 1,000,000.
        rng: a generator to draw from (it is advanced) or an integer seed.
        domain: only "shop" exists; the argument keeps room for other synthetic domains.

    Returns:
        A "shop" catalog with attributes `brand` (str), `price`, `rating`, `num_reviews`
        and `year` (floats); `quality` is the rating mapped to [0, 1], `popularity` the
        percentile of review counts and `range_attribute` the price.

    Raises:
        CatalogError: `size` or `domain` is out of range.
    """
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise CatalogError(
            f"synthetic catalog size must be between {MIN_SIZE:,} and {MAX_SIZE:,}, got {size:,}"
        )
    if domain != "shop":
        raise CatalogError(f"synthetic catalogs exist only for domain 'shop', got {domain!r}")
    rng = np.random.default_rng(rng)

    kind = rng.choice(len(_KINDS), size=size, p=_SHARES)
    brand = _BRAND_OF[kind, (rng.random(size) * _BRAND_COUNT[kind]).astype(np.int64)]
    latent = rng.normal(0.0, 0.5, len(_BRANDS))[brand] + rng.normal(0.0, 1.0, size)
    tier = rng.choice(len(_TIERS), size=size, p=_TIER_SHARES)
    age = np.minimum(rng.geometric(0.3, size) - 1, 10)

    deviation = np.clip(rng.normal(size=size), -2.5, 2.5)  # no $30,000 headphones
    typical = _MEDIAN_PRICE[kind] * _TIER_PRICE[tier]
    price = np.maximum(5.0, np.round(typical * np.exp(_PRICE_SPREAD[kind] * deviation
                                                      + 0.1 * latent)))
    reviews = np.floor(np.exp(rng.normal(3.0 + 0.35 * latent + 0.15 * age, 1.4))) + 1.0
    rating_noise = rng.normal(0.0, 0.9, size) / np.sqrt(reviews)  # fewer reviews, noisier
    rating = np.round(np.clip(3.9 + 0.45 * latent + rating_noise, 1.0, 5.0), 1)
    year = (NEWEST_YEAR - age).astype(np.float64)

    model = np.char.add(_SERIES[rng.integers(0, len(_SERIES), size)],
                        rng.integers(1, 100, size).astype(str))
    titles = [
        f"{b} {m}{t} {n}"
        for b, m, t, n in zip(_BRANDS[brand].tolist(), model.tolist(), _TIERS[tier].tolist(),
                              _NOUNS[kind].tolist(), strict=True)
    ]
    return Catalog(
        name="synthetic-shop",
        domain="shop",
        ids=np.char.add("sku-", np.char.zfill(np.arange(size).astype(str), 7)),
        titles=tuple(titles),
        texts=_texts(titles, kind, brand, price, rating, reviews, year),
        category_names=tuple(_NAMES.tolist()),
        categories=kind[:, None] == np.arange(len(_KINDS)),
        quality=((rating - 1.0) / 4.0).astype(np.float32),
        popularity=percentile_rank(reviews),
        attributes={
            "brand": _BRANDS[brand],
            "price": price,
            "rating": rating,
            "num_reviews": reviews,
            "year": year,
        },
        range_attribute="price",
    )


def _texts(
    titles: list[str],
    kind: np.ndarray,
    brand: np.ndarray,
    price: np.ndarray,
    rating: np.ndarray,
    reviews: np.ndarray,
    year: np.ndarray,
) -> tuple[str, ...]:
    """What the scorer reads; formats ints and looks up ratings, as float formatting
    dominates the cost at a million items."""
    return tuple(
        f"{title}. Category: {c}. Brand: {b}. Price: ${p:,}. "
        f"Rated {r}/5 from {n:,} reviews. Released {y}."
        for title, c, b, p, r, n, y in zip(
            titles,
            _NAMES[kind].tolist(),
            _BRANDS[brand].tolist(),
            price.astype(np.int64).tolist(),
            _TENTHS[np.rint(rating * 10).astype(np.int64) - 10].tolist(),
            reviews.astype(np.int64).tolist(),
            year.astype(np.int64).tolist(),
            strict=True,
        )
    )

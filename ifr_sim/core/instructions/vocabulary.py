"""A catalog's vocabulary: the domain's words fitted to its categories and value ranges.

Range buckets are built from the catalog itself (decades that actually occur, price bands
at round numbers near the price quantiles), so that "from the 70s" or "under $100" is
never asked of a catalog without such items, and the same words work for MovieLens and
for any synthetic shop size.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ifr_sim.core.catalog.catalog import Catalog, Domain
from ifr_sim.core.instructions.intent import Popularity
from ifr_sim.core.instructions.lexicon import (
    DOMAIN_WORDS,
    UNSPEAKABLE,
    category_key,
    category_phrases,
)

Noun = tuple[str, str]
"""A noun phrase as (singular, plural), so templates can ask for either number."""

QUALITY_QUANTILE = 0.7
"""Items above this quality quantile count as "highly rated" (the bar is kept in [0.5, 0.9])."""
OLD_MOVIE_YEAR = 1960
"""Movies before this year share one "classic old films" bucket instead of a decade each."""
RECENT_YEARS = 3
""""Recent" = released in the catalog's last three years (its newest year included)."""


@dataclass(frozen=True)
class RangeBucket:
    """One range request on `catalog.range_attribute`, e.g. "the 90s" = [1990, 1999].

    Attributes:
        label: short name for reports and refinements ("the 90s", "under $100").
        phrases: postnominal phrasings ("from the 90s", "made in the 1990s").
        low: inclusive lower bound (-inf for none).
        high: inclusive upper bound (inf for none); adjacent price bands share an edge.
    """

    label: str
    phrases: tuple[str, ...]
    low: float
    high: float


@dataclass(frozen=True)
class CategoryWords:
    """How one category is said: heads ("comedy" / "comedies") and exclusions ("no horror")."""

    heads: tuple[Noun, ...]
    avoid: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    """Everything a description of an intent can say about one catalog.

    Attributes:
        domain: the catalog's domain.
        nouns: item nouns ("movie", "film").
        categories: words per category index.
        speakable: per category, False for placeholders like "unknown" (never sampled).
        range_buckets: the range requests this catalog supports (empty: none).
        quality_bar: the `min_quality` that "highly rated" stands for.
        quality_adjectives: prenominal quality words ("highly rated").
        quality_clauses: postnominal quality phrases ("with great reviews").
        popularity_adjectives: per popularity kind, prenominal words ("underrated").
        popularity_nouns: per popularity kind, heads ("hidden gem").
        occasions: situations for intention-style templates ("date night").
    """

    domain: Domain
    nouns: tuple[Noun, ...]
    categories: tuple[CategoryWords, ...]
    speakable: tuple[bool, ...]
    range_buckets: tuple[RangeBucket, ...]
    quality_bar: float
    quality_adjectives: tuple[str, ...]
    quality_clauses: tuple[str, ...]
    popularity_adjectives: Mapping[Popularity, tuple[str, ...]]
    popularity_nouns: Mapping[Popularity, tuple[Noun, ...]]
    occasions: tuple[str, ...]


def plural(phrase: str) -> str:
    """English plural of a noun phrase: "love story" → "love stories", "pair of X" → "pairs of X".

    Stored next to the singular so rendering never pluralises on the hot path.
    """
    head, sep, tail = phrase.partition(" of ")
    words = head.split(" ")
    last = words[-1]
    if last.endswith("y") and last[-2:-1] not in ("a", "e", "o", "u"):
        last = last[:-1] + "ies"
    elif last.endswith(("s", "x", "ch", "sh")):
        last += "es"
    else:
        last += "s"
    return " ".join([*words[:-1], last]) + sep + tail


def _noun(phrase: str) -> Noun:
    return (phrase, plural(phrase))


def vocabulary_for(catalog: Catalog) -> Vocabulary:
    """Build the vocabulary of `catalog`'s domain, fitted to its categories and ranges."""
    words = DOMAIN_WORDS[catalog.domain]
    phrases = [category_phrases(words, name) for name in catalog.category_names]
    return Vocabulary(
        domain=catalog.domain,
        nouns=tuple(_noun(n) for n in words.nouns),
        categories=tuple(
            CategoryWords(heads=tuple(_noun(h) for h in p.heads), avoid=p.avoid) for p in phrases
        ),
        speakable=tuple(category_key(n) not in UNSPEAKABLE for n in catalog.category_names),
        range_buckets=_range_buckets(catalog),
        quality_bar=_quality_bar(catalog.quality),
        quality_adjectives=words.quality_adjectives,
        quality_clauses=words.quality_clauses,
        popularity_adjectives=words.popularity_adjectives,
        popularity_nouns={k: tuple(_noun(n) for n in v) for k, v in words.popularity_nouns.items()},
        occasions=words.occasions,
    )


def _quality_bar(quality: np.ndarray) -> float:
    bar = float(np.quantile(quality, QUALITY_QUANTILE))
    return round(min(max(bar, 0.5), 0.9), 2)


def _range_buckets(catalog: Catalog) -> tuple[RangeBucket, ...]:
    name = catalog.range_attribute
    if name is None or catalog.attributes[name].dtype.kind != "f":
        return ()
    values = catalog.attributes[name]
    values = values[np.isfinite(values)]
    if values.size == 0:
        return ()
    if catalog.domain == "movies" and name == "year":
        return _decade_buckets(values)
    if catalog.domain == "shop" and name == "price":
        return _price_buckets(values)
    return _tertile_buckets(values, name.replace("_", " "))


def _decade_buckets(years: np.ndarray) -> tuple[RangeBucket, ...]:
    """Old classics, each decade from the 60s that has movies, and the last few years."""
    buckets = []
    if np.any(years < OLD_MOVIE_YEAR):
        buckets.append(RangeBucket(
            f"before {OLD_MOVIE_YEAR}",
            (f"from before {OLD_MOVIE_YEAR}", f"made before {OLD_MOVIE_YEAR}",
             f"from the classic era before {OLD_MOVIE_YEAR}"),
            -math.inf, float(OLD_MOVIE_YEAR - 1),
        ))
    for decade in np.unique(years[years >= OLD_MOVIE_YEAR] // 10 * 10).astype(int).tolist():
        if decade < 2000:
            short = f"the {decade % 100}s"
            phrases = (f"from {short}", f"from the {decade}s", f"made in {short}")
        else:
            short = f"the {decade}s"
            phrases = (f"from {short}", f"made in {short}", f"released in {short}")
        buckets.append(RangeBucket(short, phrases, float(decade), float(decade + 9)))
    newest = float(years.max())
    buckets.append(RangeBucket(
        "recent",
        ("released in the last few years", "that came out recently", "from the last few years"),
        newest - (RECENT_YEARS - 1), math.inf,
    ))
    return tuple(buckets)


def _price_buckets(prices: np.ndarray) -> tuple[RangeBucket, ...]:
    """Bands between round prices near the price quintiles: "under $100" ... "over $1,000"."""
    low, high = float(prices.min()), float(prices.max())
    rounded = {_round_price(q) for q in np.quantile(prices, (0.2, 0.4, 0.6, 0.8)).tolist() if q > 0}
    edges = sorted(e for e in rounded if low < e < high)
    if not edges:
        return ()
    first, last = _usd(edges[0]), _usd(edges[-1])
    under = (f"under {first}", f"for less than {first}", f"that costs under {first}")
    over = (f"over {last}", f"priced above {last}", f"costing more than {last}")
    middle = [
        RangeBucket(f"{_usd(a)} to {_usd(b)}", (f"between {_usd(a)} and {_usd(b)}",
                    f"in the {_usd(a)} to {_usd(b)} range", f"priced {_usd(a)} to {_usd(b)}"), a, b)
        for a, b in itertools.pairwise(edges)
    ]
    return (RangeBucket(under[0], under, -math.inf, edges[0]), *middle,
            RangeBucket(over[0], over, edges[-1], math.inf))


def _usd(value: float) -> str:
    return f"${value:,.0f}"


def _round_price(value: float) -> float:
    """The nearest (in ratio) of 1, 2, 3, 5 times a power of ten: 140 → 100, 260 → 300."""
    scale = 10.0 ** math.floor(math.log10(value))
    candidates = [m * scale for m in (1, 2, 3, 5, 10)]
    return min(candidates, key=lambda c: abs(math.log(c / value)))


def _tertile_buckets(values: np.ndarray, attribute: str) -> tuple[RangeBucket, ...]:
    """Low / medium / high thirds of any other range attribute, in neutral words."""
    edges = [e for e in sorted(set(np.quantile(values, (1 / 3, 2 / 3)).tolist()))
             if values.min() < e < values.max()]
    if not edges:
        return ()
    low = (f"with a low {attribute}", f"on the low end for {attribute}")
    medium = (f"with a medium {attribute}", f"with a moderate {attribute}")
    high = (f"with a high {attribute}", f"on the high end for {attribute}")
    buckets = [RangeBucket(f"low {attribute}", low, -math.inf, edges[0])]
    if len(edges) == 2:
        buckets.append(RangeBucket(f"medium {attribute}", medium, edges[0], edges[1]))
    buckets.append(RangeBucket(f"high {attribute}", high, edges[-1], math.inf))
    return tuple(buckets)

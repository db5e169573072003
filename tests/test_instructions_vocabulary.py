"""Vocabularies: range buckets fitted to the catalog, category words, English helpers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from instructions_fixtures import COMEDY, HEADPHONES, movie_catalog, shop_catalog

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.instructions import vocabulary_for
from ifr_sim.core.instructions.render import article
from ifr_sim.core.instructions.vocabulary import plural


def _generic(range_attribute: str | None) -> Catalog:
    n = 12
    categories = np.zeros((n, 3), dtype=bool)
    categories[np.arange(n), np.arange(n) % 3] = True
    return Catalog(
        name="tiny-generic", domain="generic", ids=np.array([str(i) for i in range(n)]),
        titles=tuple(f"Thing {i}" for i in range(n)), texts=tuple(f"Thing {i}" for i in range(n)),
        category_names=("alpha", "beta_tools", "unknown"), categories=categories,
        quality=np.linspace(0, 1, n), popularity=np.linspace(1, 0, n),
        attributes={"battery_life": np.arange(n, dtype=np.float64)},
        range_attribute=range_attribute,
    )


def test_movie_buckets_are_the_decades_present() -> None:
    buckets = vocabulary_for(movie_catalog()).range_buckets
    assert [b.label for b in buckets] == [
        "before 1960", "the 60s", "the 70s", "the 80s", "the 90s", "the 2000s", "the 2010s",
        "recent",
    ]
    nineties = buckets[4]
    assert (nineties.low, nineties.high) == (1990, 1999)
    assert "from the 90s" in nineties.phrases
    assert (buckets[0].low, buckets[0].high) == (-math.inf, 1959)
    assert (buckets[-1].low, buckets[-1].high) == (2016, math.inf)  # newest year 2018


def test_shop_price_bands_are_contiguous_round_and_cover_every_price() -> None:
    catalog = shop_catalog()
    buckets = vocabulary_for(catalog).range_buckets
    assert len(buckets) >= 3
    assert buckets[0].label.startswith("under $") and buckets[0].low == -math.inf
    assert buckets[-1].label.startswith("over $") and buckets[-1].high == math.inf
    for before, after in itertools.pairwise(buckets):
        assert before.high == after.low
        assert f"{before.high:,.0f}" in before.label
    for price in catalog.attributes["price"]:
        assert any(b.low <= price <= b.high for b in buckets)


def test_generic_buckets_are_neutral_thirds_or_absent() -> None:
    buckets = vocabulary_for(_generic("battery_life")).range_buckets
    assert [b.label for b in buckets] == [
        "low battery life", "medium battery life", "high battery life"
    ]
    assert vocabulary_for(_generic(None)).range_buckets == ()


def test_category_words() -> None:
    movies = vocabulary_for(movie_catalog())
    assert ("comedy", "comedies") in movies.categories[COMEDY].heads
    assert ("funny movie", "funny movies") in movies.categories[COMEDY].heads
    shop = vocabulary_for(shop_catalog())
    assert ("pair of headphones", "pairs of headphones") in shop.categories[HEADPHONES].heads
    generic = vocabulary_for(_generic(None))
    assert generic.categories[1].heads == (("beta tools item", "beta tools items"),)
    assert generic.speakable == (True, True, False)  # "unknown" is never asked for


@pytest.mark.parametrize(("singular", "expected"), [
    ("comedy", "comedies"), ("love story", "love stories"), ("pair of shoes", "pairs of shoes"),
    ("smartwatch", "smartwatches"), ("day", "days"), ("TV", "TVs"), ("movie", "movies"),
])
def test_plural(singular: str, expected: str) -> None:
    assert plural(singular) == expected


@pytest.mark.parametrize(("phrase", "expected"), [
    ("animated movie", "an"), ("comedy", "a"), ("IMAX movie", "an"), ("e-reader", "an"),
    ("underrated film", "an"), ("useful gadget", "a"), ("unique pick", "a"),
])
def test_article(phrase: str, expected: str) -> None:
    assert article(phrase) == expected

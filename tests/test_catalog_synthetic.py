"""The synthetic shop is seeded, bounded, typed, and its ratings mean something."""

from __future__ import annotations

import numpy as np
import pytest

from ifr_sim.core.catalog import Catalog, CatalogError, make_synthetic_catalog


@pytest.fixture(scope="module")
def large() -> Catalog:
    return make_synthetic_catalog(100_000, rng=7)


def test_smallest_catalog() -> None:
    shop = make_synthetic_catalog(10)
    assert len(shop) == 10
    assert shop.domain == "shop"
    assert shop.ratings is None
    assert len(set(shop.ids.tolist())) == 10


def test_every_item_has_exactly_one_category(large: Catalog) -> None:
    assert len(large) == 100_000
    assert large.num_categories == 12
    assert {"phones", "laptops", "headphones", "game consoles"} <= set(large.category_names)
    assert np.all(large.categories.sum(axis=1) == 1)
    assert np.all(large.categories.sum(axis=0) > 0)


def test_attributes_are_typed(large: Catalog) -> None:
    attributes = large.attributes
    assert attributes["brand"].dtype.kind == "U"
    for name in ("price", "rating", "num_reviews", "year"):
        assert attributes[name].dtype == np.float64, name
    assert attributes["price"].min() >= 5.0
    assert attributes["rating"].min() >= 1.0 and attributes["rating"].max() <= 5.0
    assert attributes["num_reviews"].min() >= 1.0
    assert attributes["year"].min() >= 2015.0 and attributes["year"].max() <= 2025.0
    assert large.range_attribute == "price"


def test_text_describes_the_item(large: Catalog) -> None:
    item = large.item(0)
    assert item.text.startswith(f"{item.title}. Category: {item.categories[0]}.")
    assert f"Brand: {item.attributes['brand']}." in item.text
    assert f"Price: ${item.attributes['price']:,.0f}." in item.text
    assert f"Rated {item.attributes['rating']:.1f}/5" in item.text
    assert item.title.startswith(str(item.attributes["brand"]))


def test_scores_lie_in_unit_interval_and_track_ratings(large: Catalog) -> None:
    for column in (large.quality, large.popularity):
        assert column.dtype == np.float32
        assert column.min() >= 0.0 and column.max() <= 1.0
    assert np.allclose(large.quality, (large.attributes["rating"] - 1.0) / 4.0)
    # Better items collect more reviews, so quality and popularity correlate positively.
    assert np.corrcoef(large.quality, large.popularity)[0, 1] > 0.1


def test_same_seed_same_catalog() -> None:
    first, second = make_synthetic_catalog(500, rng=3), make_synthetic_catalog(500, rng=3)
    assert first.texts == second.texts
    assert np.array_equal(first.quality, second.quality)
    from_generator = make_synthetic_catalog(500, rng=np.random.default_rng(3))
    assert from_generator.texts == first.texts


def test_different_seeds_differ() -> None:
    assert make_synthetic_catalog(500, rng=1).texts != make_synthetic_catalog(500, rng=2).texts


@pytest.mark.parametrize("size", [0, 9, 1_000_001])
def test_size_out_of_bounds(size: int) -> None:
    with pytest.raises(CatalogError, match="between 10 and 1,000,000"):
        make_synthetic_catalog(size)


def test_only_the_shop_domain_exists() -> None:
    with pytest.raises(CatalogError, match="only for domain 'shop'"):
        make_synthetic_catalog(10, domain="movies")  # type: ignore[arg-type]

"""MovieLens-100k loads with the counts, genres and scores GroupLens publishes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from ifr_sim.core.catalog import Catalog, CatalogError, load_movielens
from ifr_sim.core.catalog.movielens import INSTALL_HINT


@pytest.fixture(scope="module")
def movies() -> Catalog:
    return load_movielens()


def test_sizes_match_the_published_dataset(movies: Catalog) -> None:
    assert len(movies) == 1682
    assert movies.ratings is not None
    assert movies.ratings.num_users == 943
    assert len(movies.ratings.rating) == 100_000


def test_ratings_index_users_and_items_contiguously(movies: Catalog) -> None:
    ratings = movies.ratings
    assert ratings is not None
    assert ratings.rating.dtype == np.float32
    assert set(np.unique(ratings.rating)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert np.array_equal(np.unique(ratings.user), np.arange(943))
    assert ratings.item.min() == 0 and ratings.item.max() == len(movies) - 1


def test_genres_are_readable_lower_case_names(movies: Catalog) -> None:
    assert {"animation", "children's", "sci-fi", "film-noir", "western"} <= set(
        movies.category_names
    )
    assert "unknown" not in movies.category_names  # a missing label, not a genre
    assert len(movies.category_names) == 18
    assert movies.categories.dtype == bool


def test_toy_story(movies: Catalog) -> None:
    toy_story = movies.item(int(movies.index_of(["1"])[0]))
    assert toy_story.title == "Toy Story"
    assert toy_story.categories == ("animation", "children's", "comedy")
    assert toy_story.attributes["year"] == 1995.0
    assert toy_story.attributes["num_ratings"] == 452.0
    assert toy_story.text.startswith("Animation, children's, comedy: Toy Story (1995).")
    assert toy_story.text.endswith(" 3.9 stars, 452 ratings.")


def test_trailing_articles_move_to_the_front(movies: Catalog) -> None:
    assert movies.item(int(movies.index_of(["12"])[0])).title == "The Usual Suspects"


def test_unknown_movie_has_no_year_and_a_placeholder_title(movies: Catalog) -> None:
    unknown = movies.item(int(movies.index_of(["267"])[0]))
    assert np.isnan(unknown.attributes["year"])
    assert unknown.title == "Untitled movie 267"
    assert unknown.categories == ()


def test_quality_and_popularity_lie_in_unit_interval(movies: Catalog) -> None:
    for column in (movies.quality, movies.popularity):
        assert column.dtype == np.float32
        assert column.min() >= 0.0 and column.max() <= 1.0
    assert movies.popularity.max() == 1.0  # the most rated movie
    assert movies.range_attribute == "year"
    assert movies.domain == "movies"


def test_one_perfect_rating_is_not_top_quality(movies: Catalog) -> None:
    # "They Made Me a Criminal" (id 1122) has a single 5-star rating; Star Wars (id 50)
    # averages about 4.36 over 583 ratings. Shrinking toward the mean ranks Star Wars higher.
    lone, star_wars = movies.index_of(["1122", "50"])
    assert movies.item(int(lone)).attributes["avg_rating"] == 5.0
    assert movies.quality[star_wars] > movies.quality[lone]


def test_missing_files_name_the_fix(tmp_path: Path) -> None:
    (tmp_path / "ml-100k.item").write_text("item_id:token\n1\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"lacks ml-100k\.inter.*pip install --no-deps"):
        load_movielens(tmp_path)


def test_missing_recbole_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CatalogError, match="not installed") as raised:
        load_movielens()
    assert INSTALL_HINT in str(raised.value)

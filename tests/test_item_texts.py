"""Item texts state catalog facts, never the instruction language's own phrases.

A scorer that meets "from the 90s" both in the instruction and in the item text is taught
to match strings, not to read; people do not write the templates' words.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from ifr_sim.core.catalog import Catalog, load_movielens, make_synthetic_catalog
from ifr_sim.core.instructions import vocabulary_for


def _template_phrases(catalog: Catalog) -> set[str]:
    """Every word group the template language describes items with, for this catalog."""
    vocab = vocabulary_for(catalog)
    phrases = {*vocab.quality_adjectives, *vocab.quality_clauses}
    phrases |= {p for words in vocab.popularity_adjectives.values() for p in words}
    phrases |= {n for nouns in vocab.popularity_nouns.values() for pair in nouns for n in pair}
    phrases |= {p for bucket in vocab.range_buckets for p in bucket.phrases}
    return {p.lower() for p in phrases}


@pytest.mark.parametrize("make", [load_movielens, lambda: make_synthetic_catalog(2000)],
                         ids=["movielens", "shop"])
def test_no_item_text_uses_a_template_phrase(make: Callable[[], Catalog]) -> None:
    catalog = make()
    pattern = re.compile("|".join(rf"\b{re.escape(p)}\b" for p in _template_phrases(catalog)))
    said = {m.group() for i, text in enumerate(catalog.texts)
            for m in pattern.finditer(text.lower().replace(catalog.titles[i].lower(), ""))}
    assert said == set()


def test_a_movie_text_is_title_year_genres_and_rating_numbers() -> None:
    movies = load_movielens()
    toy_story = movies.item(int(movies.index_of(["1"])[0]))
    assert toy_story.text == (
        "Toy Story (1995). Genres: animation, children's, comedy. 3.9 stars, 452 ratings."
    )

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


FIELD_WORDS = {
    "movies": {"genres", "stars", "rating", "ratings", "not", "rated", "yet"},
    "shop": {"category", "brand", "price", "rated", "from", "reviews", "released"},
}
"""The words a catalog's texts may use to label its facts; nothing else is said in words."""


@pytest.mark.parametrize("make", [load_movielens, lambda: make_synthetic_catalog(2000)],
                         ids=["movielens", "shop"])
def test_item_texts_hold_only_facts_of_the_catalog(make: Callable[[], Catalog]) -> None:
    # Besides the title, a text may only name the item's own categories and brand, give
    # numbers (year, rating, count, price) and label them with a few field words.
    catalog = make()
    brands = catalog.attributes.get("brand")
    other_words = set()
    for i, text in enumerate(catalog.texts):
        facts = set(" ".join(catalog.item(i).categories).lower().split())
        if brands is not None:
            facts |= set(str(brands[i]).lower().split())
        title = rf"(?<!\w){re.escape(catalog.titles[i].lower())}(?!\w)"  # "Ed" is no "comedy"
        words = re.findall(r"[a-z][a-z'-]*", re.sub(title, " ", text.lower(), count=1))
        other_words |= set(words) - facts - FIELD_WORDS[catalog.domain]
    assert other_words == set()


def test_a_movie_text_is_genres_then_title_year_and_rating_numbers() -> None:
    movies = load_movielens()
    toy_story = movies.item(int(movies.index_of(["1"])[0]))
    assert toy_story.text == (
        "Animation, children's, comedy: Toy Story (1995). 3.9 stars, 452 ratings."
    )

"""The fixed English words of each domain, before any catalog is looked at.

Kept apart from `vocabulary.py` (which adapts these words to one catalog) so that adding
a genre or a product kind is a one-line data change here. Category phrases are looked up
by a normalised key (lower-case letters only, a plural "s"/"es" optional), so "Sci-Fi",
"sci-fi" and "scifi" all find the same entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from ifr_sim.core.catalog.catalog import Domain
from ifr_sim.core.instructions.intent import Popularity

T = TypeVar("T")


@dataclass(frozen=True)
class CategoryPhrases:
    """How people name one category.

    Attributes:
        heads: singular noun phrases that can head a request ("comedy", "funny movie").
        avoid: what follows "no" in an exclusion ("comedies", "horror").
    """

    heads: tuple[str, ...]
    avoid: tuple[str, ...]


@dataclass(frozen=True)
class DomainWords:
    """The domain's words that do not depend on the catalog's categories or range."""

    nouns: tuple[str, ...]
    categories: Mapping[str, CategoryPhrases]
    quality_adjectives: tuple[str, ...]
    quality_clauses: tuple[str, ...]
    popularity_adjectives: Mapping[Popularity, tuple[str, ...]]
    popularity_nouns: Mapping[Popularity, tuple[str, ...]]
    occasions: tuple[str, ...]


UNSPEAKABLE = frozenset({"unknown", "nogenreslisted", "other", "misc", "none"})
"""Placeholder category names a user would never ask for (they are never sampled)."""


def category_key(name: str) -> str:
    """The lookup key of a category name: lower-case ASCII letters only."""
    return re.sub("[^a-z]", "", name.lower())


def _c(heads: str, avoid: str) -> CategoryPhrases:
    """Shorthand: phrases separated by "|"."""
    return CategoryPhrases(tuple(heads.split("|")), tuple(avoid.split("|")))


_MOVIE_CATEGORIES = {
    "action": _c("action movie|action film|action flick", "action movies|action"),
    "adventure": _c("adventure movie|adventure film", "adventure movies"),
    "animation": _c("animated movie|animated film|cartoon", "animation|animated stuff"),
    "children": _c("family movie|kids' movie|children's film", "kids' movies|children's films"),
    "comedy": _c("comedy|funny movie|comedy film", "comedies|comedy"),
    "crime": _c("crime movie|crime film|crime drama", "crime movies|crime stories"),
    "documentary": _c("documentary|nonfiction film", "documentaries"),
    "drama": _c("drama|dramatic film", "dramas|heavy drama"),
    "fantasy": _c("fantasy movie|fantasy film", "fantasy"),
    "filmnoir": _c("noir film|noir movie", "film noir|noir"),
    "horror": _c("horror movie|scary movie|horror flick", "horror|scary stuff"),
    "musical": _c("musical|song-and-dance movie", "musicals"),
    "mystery": _c("mystery|whodunit", "mysteries|whodunits"),
    "romance": _c("romance|romantic movie|love story", "romance|romantic stuff"),
    "scifi": _c("sci-fi movie|science fiction film|sci-fi flick", "sci-fi|science fiction"),
    "thriller": _c("thriller|suspense film", "thrillers"),
    "war": _c("war movie|war film", "war movies"),
    "western": _c("western|cowboy movie", "westerns"),
    "imax": _c("IMAX movie", "IMAX releases"),
}

_SHOP_CATEGORIES = {
    "phone": _c("phone|smartphone", "phones"),
    "smartphone": _c("smartphone|phone", "phones"),
    "laptop": _c("laptop|notebook computer", "laptops"),
    "headphone": _c("pair of headphones|headset|pair of earbuds", "headphones"),
    "camera": _c("camera|digital camera", "cameras"),
    "tablet": _c("tablet", "tablets"),
    "smartwatch": _c("smartwatch|fitness watch", "smartwatches"),
    "watch": _c("watch|smartwatch", "watches"),
    "speaker": _c("speaker|bluetooth speaker", "speakers"),
    "monitor": _c("monitor|computer screen", "monitors"),
    "keyboard": _c("keyboard|mechanical keyboard", "keyboards"),
    "television": _c("TV|television", "TVs|televisions"),
    "tv": _c("TV|television", "TVs|televisions"),
    "ereader": _c("e-reader|e-book reader", "e-readers"),
    "gameconsole": _c("game console|gaming console", "consoles|game consoles"),
    "book": _c("book|novel", "books"),
    "toy": _c("toy|kids' toy", "toys"),
    "kitchen": _c("kitchen gadget|kitchen appliance", "kitchen gadgets"),
    "clothing": _c("piece of clothing|clothing item", "clothes|clothing"),
    "shoe": _c("pair of shoes|pair of sneakers", "shoes"),
    "furniture": _c("piece of furniture", "furniture"),
    "electronic": _c("gadget|electronic gadget", "electronics"),
}

_MOVIES = DomainWords(
    nouns=("movie", "film", "flick"),
    categories=_MOVIE_CATEGORIES,
    quality_adjectives=("highly rated", "critically acclaimed", "well-reviewed", "top-rated"),
    quality_clauses=("with great reviews", "that critics loved", "with strong ratings"),
    popularity_adjectives={
        "hidden_gem": ("underrated", "lesser-known", "overlooked"),
        "well_known": ("popular", "well-known", "crowd-pleasing"),
    },
    popularity_nouns={
        "hidden_gem": ("hidden gem", "sleeper hit"),
        "well_known": ("classic", "crowd favourite", "popular pick"),
    },
    occasions=(
        "a movie night with friends",
        "a rainy Sunday afternoon",
        "date night",
        "a long flight",
        "a family evening",
        "a lazy weekend",
    ),
)

_SHOP = DomainWords(
    nouns=("product", "gadget", "device"),
    categories=_SHOP_CATEGORIES,
    quality_adjectives=("highly rated", "well-reviewed", "top-rated", "five-star"),
    quality_clauses=("with great reviews", "that buyers love", "with strong ratings"),
    popularity_adjectives={
        "hidden_gem": ("underrated", "lesser-known", "under-the-radar"),
        "well_known": ("popular", "best-selling", "well-known"),
    },
    popularity_nouns={
        "hidden_gem": ("hidden gem", "underrated find"),
        "well_known": ("best-seller", "popular pick", "crowd favourite"),
    },
    occasions=(
        "a birthday gift",
        "my new apartment",
        "a long trip",
        "going back to school",
        "a present for my dad",
        "the holidays",
    ),
)

_GENERIC = DomainWords(
    nouns=("item", "option", "pick"),
    categories={},
    quality_adjectives=("highly rated", "well-reviewed", "top-rated"),
    quality_clauses=("with great reviews", "with strong ratings"),
    popularity_adjectives={
        "hidden_gem": ("underrated", "lesser-known"),
        "well_known": ("popular", "well-known"),
    },
    popularity_nouns={
        "hidden_gem": ("hidden gem", "underrated find"),
        "well_known": ("popular pick", "crowd favourite"),
    },
    occasions=("a project I'm working on", "this weekend", "a friend's birthday"),
)

DOMAIN_WORDS: Mapping[Domain, DomainWords] = {
    "movies": _MOVIES,
    "shop": _SHOP,
    "generic": _GENERIC,
}


def lookup(table: Mapping[str, T], name: str) -> T | None:
    """The entry of category `name` in a table keyed by `category_key` (a plural "s" or
    "es" optional), or None."""
    key = category_key(name)
    for candidate in (key, key.removesuffix("es"), key.removesuffix("s")):
        if candidate in table:
            return table[candidate]
    return None


def category_phrases(words: DomainWords, name: str) -> CategoryPhrases:
    """The phrases for category `name`, or a plain fallback built from the name itself."""
    found = lookup(words.categories, name)
    if found is not None:
        return found
    readable = " ".join(re.split(r"[\s_\-]+", name.strip().lower()))
    return CategoryPhrases(heads=(f"{readable} {words.nouns[0]}",), avoid=(readable,))

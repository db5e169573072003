"""Constraints resolved to relevant items: hand-checked on the toy catalogs, the simulator's
own matching, and errors that name what is known."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from instructions_fixtures import COMEDY, movie_catalog, shop_catalog

from ifr_sim.core.instructions import Intent, satisfying_items, vocabulary_for
from ifr_sim.core.instructions.constraints import ConstraintError, ConstraintResolver


def relevant(constraints: dict, catalog=None) -> list[int]:
    return ConstraintResolver(catalog or movie_catalog()).relevant(constraints).tolist()


def test_comedies_of_the_90s_without_romance() -> None:
    # 1990s comedies: Toy Story 0 (1995), Clerks 1 (1994), Groundhog Day 2 (1993, romance),
    # Clueless 19 (1995, romance); excluding romance leaves 0 and 1.
    assert relevant({"include": ["comedy"], "exclude": ["romance"],
                     "year": {"min": 1990, "max": 1999}}) == [0, 1]


def test_category_names_ignore_case_punctuation_and_a_plural_s() -> None:
    # children's: Toy Story 0, Up 10, Paddington 2 13, Shrek 16.
    for name in ("children's", "Childrens", "CHILDREN"):
        assert relevant({"include": [name]}) == [0, 10, 13, 16]
    assert relevant({"include": ["phone"], "price": {"max": 500}}, shop_catalog()) == [0, 1]


def test_hidden_gems_are_obscure_and_good() -> None:
    # popularity <= 0.35 and quality >= 0.55: Annie Hall 6, Some Like It Hot 9, Lady Bird 12,
    # Paddington 2 13, Hereditary 17 (Night of the Living Dead 14 is obscure but 0.50).
    assert relevant({"popularity": "hidden_gem"}) == [6, 9, 12, 13, 17]


def test_a_reference_by_title_shares_a_genre_and_is_not_itself() -> None:
    # Sharing animation, children's or comedy with Toy Story, made by 2005: Clerks 1,
    # Groundhog Day 2, Airplane! 5, Annie Hall 6, Some Like It Hot 9, Shrek 16, Clueless 19.
    assert relevant({"reference": "toy story", "year": {"max": 2005}}) == [1, 2, 5, 6, 9, 16, 19]


def test_high_quality_is_the_vocabularys_highly_rated_bar() -> None:
    catalog = movie_catalog()
    bar = vocabulary_for(catalog).quality_bar
    expected = np.flatnonzero(catalog.quality >= np.float32(bar)).tolist()
    assert relevant({"min_quality": "high"}) == expected
    assert relevant({"min_quality": 0.85}) == [0, 4, 8, 9, 10, 13]


def test_ranges_match_exactly_what_the_simulator_counts_as_satisfying() -> None:
    catalog = movie_catalog()
    vocabulary = vocabulary_for(catalog)
    resolver = ConstraintResolver(catalog)
    for bucket, spec in enumerate(vocabulary.range_buckets):
        bounds = {key: value for key, value in (("min", spec.low), ("max", spec.high))
                  if math.isfinite(value)}
        constraints = {"include": ["comedy"], "year": bounds, "min_quality": 0.7}
        intent = Intent(include=(COMEDY,), range_bucket=bucket, min_quality=0.7)
        expected = satisfying_items(catalog, intent, vocabulary).tolist()
        if expected:
            assert resolver.relevant(constraints).tolist() == expected, spec
        else:  # no 1960s comedy of quality 0.7: an error, not an empty relevant set
            with pytest.raises(ConstraintError, match="match no item"):
                resolver.relevant(constraints)


@pytest.mark.parametrize(("constraints", "message"), [
    ({"include": ["cartoons"]}, "unknown category ['cartoons']; catalog 'tiny-movies' has "
     "['comedy', 'animation', 'horror', 'drama', 'romance', \"children's\"]"),
    ({"genre": ["comedy"]}, "unknown constraint key(s) ['genre']; known keys for catalog "
     "'tiny-movies': ['include', 'exclude', 'year', 'min_quality', 'popularity', 'reference']"),
    ({"price": {"max": 50}}, "takes ranges on 'year' only, not ['price']"),
    ({"popularity": "famous"}, "one of ['hidden_gem', 'well_known'], got 'famous'"),
    ({"reference": "Toy Storey"}, "no item of catalog 'tiny-movies' is titled 'Toy Storey'; "
     "did you mean ['Toy Story']"),
    ({"include": ["comedy"], "exclude": ["Comedy"]}, "['comedy'] are both in 'include' and "
     "'exclude'"),
    ({"include": ["horror"], "year": {"min": 2019}}, "match no item of catalog 'tiny-movies'"),
    ({}, "non-empty JSON object"),
    ({"year": {"min": 2000, "max": 1990}}, "min 2000 is above max 1990"),
    ({"year": [1990, 1999]}, "'min' and/or 'max'"),
    ({"min_quality": 4}, "number in [0, 1]"),
    ({"include": "comedy"}, "must be a list of category names"),
])
def test_errors_say_what_is_known(constraints: dict, message: str) -> None:
    with pytest.raises(ConstraintError) as caught:
        ConstraintResolver(movie_catalog()).relevant(constraints)
    assert message in str(caught.value)


def test_a_title_two_items_share_is_named_by_id() -> None:
    titles = list(movie_catalog().titles)
    titles[1] = "Toy Story"
    catalog = dataclasses.replace(movie_catalog(), titles=tuple(titles))
    resolver = ConstraintResolver(catalog)
    with pytest.raises(ConstraintError, match=r"\(ids \['1', '2'\]\); name one as"):
        resolver.relevant({"reference": "Toy Story"})
    # Clerks (id 2) is a comedy only: the other comedies are relevant.
    assert resolver.relevant({"reference": {"id": "2"}}).tolist() == [0, 2, 5, 6, 9, 12, 13,
                                                                       16, 19]

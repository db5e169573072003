"""Intent matching: hand-checked hard and graded answers, and batch/row consistency."""

from __future__ import annotations

import math

import numpy as np
import pytest
from instructions_fixtures import (
    ANIMATION,
    ANNIE_HALL,
    CHILDREN,
    CLERKS,
    CLUELESS,
    COMEDY,
    DRAMA,
    GROUNDHOG_DAY,
    HORROR,
    LOST_REEL,
    SCREAM,
    SHREK,
    TOY_STORY,
    movie_catalog,
    shop_catalog,
)

from ifr_sim.core.instructions import (
    InstructionLanguage,
    Intent,
    IntentBatch,
    intent_match,
    satisfying_items,
    vocabulary_for,
)
from ifr_sim.core.instructions.matching import _byte_popcount, _category_bits, _popcount

AIRPLANE = 5  # 1980 comedy
YEAR_SCALE = 0.1 * (2018 - 1942)  # range decay scale: 10% of the catalog's year span


def _bucket(label: str) -> int:
    labels = [b.label for b in vocabulary_for(movie_catalog()).range_buckets]
    return labels.index(label)


def _match_one(intent: Intent, items: list[int]) -> tuple[np.ndarray, np.ndarray]:
    catalog = movie_catalog()
    batch = IntentBatch.from_intents([intent], catalog, vocabulary_for(catalog))
    match = intent_match(catalog, batch, np.array([items]))
    return match.hard[0], match.graded[0]


def _satisfying(intent: Intent) -> set[int]:
    catalog = movie_catalog()
    return set(satisfying_items(catalog, intent, vocabulary_for(catalog)).tolist())


def test_comedy_from_the_90s() -> None:
    # 90s comedies: Toy Story (1995), Clerks (1994), Groundhog Day (1993), Clueless (1995).
    intent = Intent(include=(COMEDY,), range_bucket=_bucket("the 90s"))
    assert _satisfying(intent) == {TOY_STORY, CLERKS, GROUNDHOG_DAY, CLUELESS}


def test_nothing_animated_vetoes_toy_story() -> None:
    intent = Intent(include=(COMEDY,), exclude=(ANIMATION,), range_bucket=_bucket("the 90s"))
    assert _satisfying(intent) == {CLERKS, GROUNDHOG_DAY, CLUELESS}
    hard, graded = _match_one(intent, [TOY_STORY, CLERKS, AIRPLANE, SHREK])
    assert hard.tolist() == [False, True, False, False]
    # Clerks meets all 3 parts; Airplane! (1980) is 10 years out of range:
    # (1 + 1 + exp(-10 / 7.6)) / 3 = 0.756; animated films score 0.
    assert graded[0] == 0.0 and graded[3] == 0.0
    assert graded[1] == pytest.approx(1.0)
    assert graded[2] == pytest.approx((2 + math.exp(-10 / YEAR_SCALE)) / 3, abs=1e-5)


def test_unknown_year_is_outside_every_range() -> None:
    hard, graded = _match_one(Intent(range_bucket=_bucket("recent")), [LOST_REEL])
    assert not hard[0] and graded[0] == 0.0


def test_open_ended_buckets() -> None:
    assert _satisfying(Intent(range_bucket=_bucket("before 1960"))) == {8, 9}  # 1942, 1959
    assert _satisfying(Intent(range_bucket=_bucket("recent"))) == {11, 12, 13, 17}  # 2017-18


def test_quality_bar_is_hard_and_ramps_softly() -> None:
    hard, graded = _match_one(Intent(min_quality=0.8), [CLERKS, GROUNDHOG_DAY, 13])
    assert hard.tolist() == [False, True, True]  # 0.70, 0.80 (exactly the bar), 0.90
    # smoothstep(margin / 0.2 + 0.75): 0.25 -> 0.156, 0.75 -> 0.844, clipped 1 -> 1.
    np.testing.assert_allclose(graded, [0.15625, 0.84375, 1.0], atol=1e-5)


def test_popularity_thresholds() -> None:
    # hidden gem: popularity <= 0.35 and quality >= 0.55 (Night of the Living Dead: 0.5).
    assert _satisfying(Intent(popularity="hidden_gem")) == {6, 9, 12, 13, 17}
    # well known: popularity >= 0.75.
    assert _satisfying(Intent(popularity="well_known")) == {0, 2, 4, 8, 10, 16, 18}


def test_reference_shares_a_category_and_excludes_itself() -> None:
    intent = Intent(reference=TOY_STORY)
    assert _satisfying(intent) == {1, 2, 5, 6, 9, 10, 12, 13, 16, 19}
    hard, graded = _match_one(intent, [TOY_STORY, SHREK, SCREAM])
    assert hard.tolist() == [False, True, False]
    # Shrek has the same three genres (Jaccard 1) and is 6 years later:
    # 0.7 * 1 + 0.3 * exp(-6 / 7.6) = 0.836. Toy Story itself scores 0.
    assert graded[0] == 0.0
    assert graded[1] == pytest.approx(0.7 + 0.3 * math.exp(-6 / YEAR_SCALE), abs=1e-5)


def test_include_is_any_and_graded_counts_each_wanted_category() -> None:
    # "a comedy or a drama": Clerks has one of the two (graded 1/2), Lady Bird both.
    hard, graded = _match_one(Intent(include=(COMEDY, DRAMA)), [CLERKS, 12, SCREAM])
    assert hard.tolist() == [True, True, False]
    np.testing.assert_allclose(graded, [0.5, 1.0, 0.0])


def test_empty_intent_matches_everything_fully() -> None:
    hard, graded = _match_one(Intent(), list(range(len(movie_catalog()))))
    assert hard.all() and np.all(graded == 1.0)


def test_batch_matches_each_intent_row_by_row() -> None:
    for catalog in (movie_catalog(), shop_catalog()):
        language = InstructionLanguage(catalog, min_matching_items=1, specificity=0.8)
        rng = np.random.default_rng(0)
        intents = [language.sample_intent(rng, rng.random(catalog.num_categories))
                   for _ in range(40)]
        intents += [Intent(), Intent(include=(0, 1), exclude=(2,), reference=3)]
        items = rng.integers(0, len(catalog), size=(len(intents), 12))
        whole = intent_match(catalog, language.batch(intents), items)
        assert whole.hard.dtype == bool and whole.graded.dtype == np.float32
        assert np.all((whole.graded >= 0) & (whole.graded <= 1))
        for row, intent in enumerate(intents):
            one = intent_match(catalog, language.batch([intent]), items[row : row + 1])
            np.testing.assert_array_equal(one.hard[0], whole.hard[row])
            np.testing.assert_array_equal(one.graded[0], whole.graded[row])
            violated = catalog.categories[items[row]][:, list(intent.exclude)].any(axis=1)
            assert np.all(whole.graded[row][violated] == 0.0)
            satisfying = set(satisfying_items(catalog, intent, language.vocabulary).tolist())
            assert whole.hard[row].tolist() == [i in satisfying for i in items[row]]


def test_from_intents_encodes_every_field() -> None:
    catalog = movie_catalog()
    intent = Intent(include=(COMEDY,), exclude=(HORROR, CHILDREN), range_bucket=_bucket("the 80s"),
                    min_quality=0.7, popularity="hidden_gem", reference=ANNIE_HALL)
    batch = IntentBatch.from_intents([intent, Intent()], catalog, vocabulary_for(catalog))
    assert batch.include[0].tolist() == [True, False, False, False, False, False]
    assert batch.exclude[0].tolist() == [False, False, True, False, False, True]
    assert (batch.range_low.tolist(), batch.range_high.tolist()) == (
        [1980.0, -math.inf], [1989.0, math.inf])
    assert batch.min_quality.tolist() == [0.7, 0.0]
    assert batch.popularity.tolist() == [1, 0] and batch.popularity.dtype == np.int8
    assert batch.reference.tolist() == [ANNIE_HALL, -1] and batch.reference.dtype == np.int64
    assert intent.num_parts() == 7 and Intent().num_parts() == 0


def test_invalid_intents_are_rejected() -> None:
    with pytest.raises(ValueError, match="both wanted and excluded"):
        Intent(include=(COMEDY,), exclude=(COMEDY,))
    with pytest.raises(ValueError, match="min_quality"):
        Intent(min_quality=1.5)
    catalog = movie_catalog()
    with pytest.raises(ValueError, match="range_bucket 99"):
        IntentBatch.from_intents([Intent(range_bucket=99)], catalog, vocabulary_for(catalog))
    batch = IntentBatch.from_intents([Intent()], catalog, vocabulary_for(catalog))
    with pytest.raises(ValueError, match="shape"):
        intent_match(catalog, batch, np.zeros((2, 3), dtype=np.int64))


def test_category_counts_span_several_bit_words() -> None:
    """More than 64 categories: an item's hits are counted across words."""
    rng = np.random.default_rng(0)
    member = rng.random((30, 150)) < 0.2
    wanted = rng.random((4, 150)) < 0.1
    bits, wanted_bits = _category_bits(member), _category_bits(wanted)
    assert bits.shape == (30, 3)
    counts = _popcount(bits[None] & wanted_bits[:, None, :]).sum(axis=2)
    np.testing.assert_array_equal(counts, (member[None] & wanted[:, None]).sum(axis=2))
    np.testing.assert_array_equal(_byte_popcount(bits), np.unpackbits(
        bits.view(np.uint8), axis=1).reshape(30, 3, 64).sum(axis=2))

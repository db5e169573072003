"""InstructionLanguage: intents drawn from taste, readable instructions, refinements."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from instructions_fixtures import (
    ANIMATION,
    CHILDREN,
    COMEDY,
    DRAMA,
    HORROR,
    ROMANCE,
    SHREK,
    TOY_STORY,
    movie_catalog,
    shop_catalog,
)

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.instructions import (
    InstructionLanguage,
    Intent,
    Vocabulary,
    satisfying_items,
)
from ifr_sim.core.instructions.render import Draws

CATALOGS = pytest.mark.parametrize("catalog", [movie_catalog(), shop_catalog()],
                                   ids=["movies", "shop"])


def _random_intent(rng: np.random.Generator, catalog: Catalog, vocab: Vocabulary) -> Intent:
    """Any combination of parts, answerable or not: rendering must cope with all of them."""
    order = rng.permutation(catalog.num_categories).tolist()
    n_include, n_exclude = rng.choice(3, p=[0.3, 0.5, 0.2]), rng.choice(3, p=[0.6, 0.3, 0.1])
    maybe = rng.random(4) < 0.4
    return Intent(
        include=tuple(order[:n_include]),
        exclude=tuple(order[n_include : n_include + n_exclude]),
        range_bucket=int(rng.integers(len(vocab.range_buckets))) if maybe[0] else None,
        min_quality=vocab.quality_bar if maybe[1] else None,
        popularity=("hidden_gem", "well_known")[rng.integers(2)] if maybe[2] else None,
        reference=int(rng.integers(len(catalog))) if maybe[3] else None,
    )


def _mentions(text: str, intent: Intent, language: InstructionLanguage) -> bool:
    """Whether `text` says every part of `intent` in one of the vocabulary's phrasings."""
    vocab, lowered = language.vocabulary, text.lower()

    def said(phrases: object) -> bool:
        return any(p.lower() in lowered for p in phrases)  # type: ignore[attr-defined]

    checks = [said(w for h in vocab.categories[c].heads for w in h) for c in intent.include]
    checks += [said(vocab.categories[c].avoid) for c in intent.exclude]
    if intent.range_bucket is not None:
        checks.append(said(vocab.range_buckets[intent.range_bucket].phrases))
    if intent.min_quality is not None:
        checks.append(said(vocab.quality_adjectives + vocab.quality_clauses))
    if intent.popularity is not None:
        nouns = [w for n in vocab.popularity_nouns[intent.popularity] for w in n]
        checks.append(said([*vocab.popularity_adjectives[intent.popularity], *nouns]))
    if intent.reference is not None:
        checks.append(language.catalog.titles[intent.reference] in text)
    return all(checks)


@CATALOGS
def test_rendered_text_is_clean_and_says_every_part(catalog: Catalog) -> None:
    language = InstructionLanguage(catalog, split="all", min_matching_items=1)
    rng = np.random.default_rng(0)
    templates = set()
    for _ in range(2500):
        intent = _random_intent(rng, catalog, language.vocabulary)
        text, template = language.render_with_template(intent, rng)
        templates.add(template.id)
        assert 10 < len(text) < 200, text
        assert "{" not in text and "}" not in text, text
        assert "  " not in text and " ," not in text and " ." not in text, text
        assert text[0].isupper() and text[-1] in ".?!", text
        assert _mentions(text, intent, language), (intent, text)
    assert len(templates) == len(language.templates)


@CATALOGS
def test_vague_and_specific_intents_read_naturally(catalog: Catalog) -> None:
    language = InstructionLanguage(catalog, min_matching_items=1)
    rng = np.random.default_rng(1)
    for intent in (Intent(), Intent(include=(0,)), Intent(exclude=(1,)), Intent(range_bucket=0),
                   Intent(min_quality=0.8), Intent(popularity="hidden_gem"), Intent(reference=2)):
        for _ in range(30):
            text = language.render(intent, rng)
            assert "a an" not in text and " a a" not in text and ", ," not in text, text
            assert _mentions(text, intent, language), text


def test_same_seed_same_text() -> None:
    language = InstructionLanguage(movie_catalog(), min_matching_items=2)
    intent = Intent(include=(COMEDY,), exclude=(ANIMATION,), range_bucket=4, min_quality=0.8)
    first = [language.render(intent, np.random.default_rng(s)) for s in range(20)]
    again = [language.render(intent, np.random.default_rng(s)) for s in range(20)]
    assert first == again
    assert len(set(first)) > 10  # real variety across seeds


def test_sample_intent_favours_liked_categories_and_avoids_excluding_them() -> None:
    language = InstructionLanguage(movie_catalog(), min_matching_items=2)
    # Loves comedy, likes animation, never children's; median affinity 1.5.
    affinity = np.array([6.0, 3.0, 2.0, 1.0, 1.0, 0.0])
    rng = np.random.default_rng(7)
    intents = [language.sample_intent(rng, affinity) for _ in range(400)]
    wanted = Counter(c for i in intents for c in i.include)
    excluded = Counter(c for i in intents for c in i.exclude)
    # Comedy has 6/13 of the affinity; rejecting unanswerable intents shifts it a little.
    assert wanted[COMEDY] / sum(wanted.values()) > 0.35
    assert wanted[COMEDY] > wanted[ANIMATION] > wanted[DRAMA]
    assert wanted[CHILDREN] == 0
    # Exclusions come from the less-liked half only (drama, romance, children's).
    assert set(excluded) == {DRAMA, ROMANCE, CHILDREN}


@CATALOGS
@pytest.mark.parametrize("min_matching", [1, 5])
def test_sampled_intents_always_have_enough_answers(catalog: Catalog, min_matching: int) -> None:
    language = InstructionLanguage(catalog, min_matching_items=min_matching, specificity=0.9)
    rng = np.random.default_rng(min_matching)
    for _ in range(60):
        intent = language.sample_intent(rng, rng.random(catalog.num_categories))
        assert 0 <= intent.num_parts() <= 4
        assert len(satisfying_items(catalog, intent, language.vocabulary)) >= min_matching


def test_impossible_minimum_falls_back_to_the_empty_intent() -> None:
    catalog = movie_catalog()
    language = InstructionLanguage(catalog, min_matching_items=len(catalog))
    assert language.sample_intent(np.random.default_rng(0), np.ones(6)) == Intent()


def test_specificity_controls_the_number_of_parts() -> None:
    affinity = np.ones(6)
    means = []
    for specificity in (0.0, 0.5, 1.0):
        language = InstructionLanguage(movie_catalog(), specificity=specificity,
                                       min_matching_items=1)
        rng = np.random.default_rng(0)
        means.append(np.mean([language.sample_intent(rng, affinity).num_parts()
                              for _ in range(200)]))
    assert means[0] == 1.0
    assert means[0] < means[1] < means[2]


def test_sampling_is_deterministic_under_a_seed() -> None:
    language = InstructionLanguage(shop_catalog(), min_matching_items=2)
    affinity = np.array([1.0, 2.0, 0.5, 0.1])
    runs = [[language.sample_intent(np.random.default_rng(11), affinity) for _ in range(3)]
            for _ in range(2)]
    assert runs[0] == runs[1]


def test_bad_arguments_are_rejected() -> None:
    catalog = movie_catalog()
    language = InstructionLanguage(catalog, min_matching_items=2)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="non-negative"):
        language.sample_intent(rng, -np.ones(6))
    with pytest.raises(ValueError, match="shape"):
        language.sample_intent(rng, np.ones(3))
    with pytest.raises(ValueError, match="specificity"):
        InstructionLanguage(catalog, specificity=1.5)
    with pytest.raises(ValueError, match="min_matching_items"):
        InstructionLanguage(catalog, min_matching_items=len(catalog) + 1)


def refine_one(
    language: InstructionLanguage, intent: Intent, shown: np.ndarray, rng: np.random.Generator
) -> tuple[Intent, str]:
    """Refine a single intent through the batched API."""
    batch, said = language.refine(language.batch([intent]), shown[None], rng)
    return batch.intent(0, language.vocabulary), said[0]


def test_refine_excludes_the_slates_most_common_unwanted_category() -> None:
    language = InstructionLanguage(movie_catalog(), min_matching_items=1)
    # Only an exclusion can still be added. The slate (Toy Story, Shrek) is all animated
    # children's comedy: comedy is wanted, animation and children's tie; the first wins.
    intent = Intent(include=(COMEDY,), range_bucket=4, min_quality=0.5, popularity="well_known")
    refined, said = refine_one(language, intent, np.array([TOY_STORY, SHREK]),
                               np.random.default_rng(0))
    assert refined == Intent(include=(COMEDY,), exclude=(ANIMATION,), range_bucket=4,
                             min_quality=0.5, popularity="well_known")
    assert any(word in said for word in language.vocabulary.categories[ANIMATION].avoid), said


@CATALOGS
def test_refine_adds_one_part_and_says_it(catalog: Catalog) -> None:
    language = InstructionLanguage(catalog, min_matching_items=2)
    rng = np.random.default_rng(5)
    kinds: Counter[str] = Counter()
    for _ in range(300):
        intent = language.sample_intent(rng, rng.random(catalog.num_categories))
        shown = rng.choice(len(catalog), size=4, replace=False)
        refined, said = refine_one(language, intent, shown, rng)
        if refined == intent:
            assert said == "Show me something else."
            continue
        assert refined.num_parts() == intent.num_parts() + 1
        added = Intent(
            exclude=tuple(c for c in refined.exclude if c not in intent.exclude),
            range_bucket=refined.range_bucket if intent.range_bucket is None else None,
            min_quality=refined.min_quality if intent.min_quality is None else None,
            popularity=refined.popularity if intent.popularity is None else None,
        )
        assert added.num_parts() == 1
        assert _mentions(said, added, language), (added, said)
        assert said[0].isupper() and said[-1] in ".?!"
        kinds[next(k for k in ("exclude", "range_bucket", "min_quality", "popularity")
                   if getattr(added, k) not in (None, ()))] += 1
    assert len(kinds) == 4  # every kind of refinement happens


def test_refine_batch_adds_at_most_one_part_per_row() -> None:
    language = InstructionLanguage(movie_catalog(), min_matching_items=1)
    rng = np.random.default_rng(2)
    intents = [language.sample_intent(rng, rng.random(6)) for _ in range(50)]
    shown = rng.integers(-1, 20, (50, 3))
    batch, said = language.refine(language.batch(intents), shown, rng)
    assert len(said) == 50
    for row, intent in enumerate(intents):
        refined = batch.intent(row, language.vocabulary)
        assert refined.num_parts() - intent.num_parts() in (0, 1)


def test_refine_with_nothing_to_add() -> None:
    language = InstructionLanguage(movie_catalog(), min_matching_items=1)
    full = Intent(include=(COMEDY,), exclude=(HORROR,), range_bucket=4, min_quality=0.5,
                  popularity="well_known")
    shown = np.full(2, -1, dtype=np.int64)
    assert refine_one(language, full, shown, np.random.default_rng(0)) == (
        full, "Show me something else.")


def test_refinement_utterances_draw_as_one_generator_call_per_user_would() -> None:
    """The batched word choices consume the generator as four uniforms per speaking user,
    in row order; a user with nothing to add draws none."""
    language = InstructionLanguage(movie_catalog(), min_matching_items=1)
    renderer = language._renderer
    kinds, values = np.array([0, -1, 2, 3, 1]), np.array([HORROR, -1, -1, 1, 0])
    batched = renderer.refinements(kinds, values, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    one_by_one = [
        renderer._refinement(kind, value, Draws(rng, size=4)) if kind >= 0
        else "Show me something else."
        for kind, value in zip(kinds.tolist(), values.tolist(), strict=True)
    ]
    assert batched == one_by_one

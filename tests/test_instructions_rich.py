"""The rich instruction language: its styles, its held-out style, loose ranges and noise."""

from __future__ import annotations

import math
from collections import Counter

import gymnasium as gym
import numpy as np
import pytest
from instructions_fixtures import COMEDY, HEAT, HORROR, movie_catalog, shop_catalog

import ifr_sim
from ifr_sim.core.instructions import InstructionLanguage, Intent, RangeBucket, satisfying_items
from ifr_sim.core.instructions.loose_ranges import loose_phrases
from ifr_sim.core.instructions.noise import noisy
from ifr_sim.core.instructions.render import Draws
from ifr_sim.core.instructions.rich import (
    HELDOUT_STYLES,
    RICH_TEMPLATES,
    RichLanguage,
    RichRenderer,
    rich_templates,
)
from ifr_sim.core.instructions.rich_words import EXCLUSIONS, MOODS, REFERENCES
from ifr_sim.envs.config import CatalogConfig, WorldConfig
from ifr_sim.envs.languages import language_factory

TRAIN_STYLES = {"preference", "intention", "task", "keyword", "chatty", "mood", "comparison"}


def test_the_question_style_and_every_fourth_frame_are_held_out() -> None:
    train, heldout = rich_templates("train"), rich_templates("heldout")
    assert set(train).isdisjoint(heldout)
    assert set(train) | set(heldout) == set(RICH_TEMPLATES) == set(rich_templates("all"))
    assert {t.style for t in train} == TRAIN_STYLES
    assert {t for t in RICH_TEMPLATES if t.style in HELDOUT_STYLES} <= set(heldout)
    assert {t.style for t in heldout} == TRAIN_STYLES | HELDOUT_STYLES
    assert all(int(t.id[-2:]) % 4 == 3 for t in heldout if t.style not in HELDOUT_STYLES)


@pytest.mark.parametrize("split, styles", [("train", TRAIN_STYLES),
                                           ("heldout", TRAIN_STYLES | HELDOUT_STYLES)])
def test_a_language_speaks_every_style_of_its_split(split: str, styles: set[str]) -> None:
    language = RichLanguage(movie_catalog(), split)  # type: ignore[arg-type]
    rng = np.random.default_rng(0)
    affinity = np.ones(movie_catalog().num_categories)
    used: Counter[str] = Counter()
    for _ in range(600):
        text, template = language.render_with_template(language.sample_intent(rng, affinity), rng)
        assert text.strip()
        used[template.style] += 1
    assert set(used) == styles
    assert used["keyword"] > used["task"]  # keywords are the commonest way people type


def test_the_same_seed_says_the_same_instructions() -> None:
    def said(seed: int) -> list[str]:
        language = RichLanguage(shop_catalog(), "all")
        rng = np.random.default_rng(seed)
        affinity = np.ones(shop_catalog().num_categories)
        return [language.render(language.sample_intent(rng, affinity), rng) for _ in range(50)]

    assert said(3) == said(3)
    assert said(3) != said(4)


def test_a_mood_stands_for_the_wanted_genre() -> None:
    renderer = RichRenderer(movie_catalog(), RichLanguage(movie_catalog()).vocabulary)
    rng = np.random.default_rng(0)
    moods = {renderer.mood(Intent(include=(COMEDY,)), Draws(rng)) for _ in range(50)}
    assert moods == set(MOODS["movies"]["comedy"])
    # Only intents whose wanted genres all have moods can be said as a mood.
    assert "mood" in renderer.styles(Intent(include=(COMEDY,)))
    assert "mood" not in renderer.styles(Intent(exclude=(HORROR,)))


def test_keywords_say_each_part_and_a_comparison_names_the_item() -> None:
    renderer = RichRenderer(movie_catalog(), RichLanguage(movie_catalog()).vocabulary)
    rng = np.random.default_rng(0)
    said = renderer.keywords(Intent(include=(COMEDY,), exclude=(HORROR,)), Draws(rng))
    assert any(word in said for word in ("comedy", "funny", "comedies"))
    assert any(frame.format(word) in said for frame in EXCLUSIONS
               for word in ("horror", "scary", "horror flick"))
    comparison = renderer.comparison(Intent(reference=HEAT), Draws(rng))
    assert comparison in {frame.format(title) for frame in REFERENCES
                          for title in ("Heat", "Heat (1995)", "heat", "heat (1995)")}
    assert "comparison" not in renderer.styles(Intent(include=(COMEDY,)))


@pytest.mark.parametrize("bucket, domain, keyword, postnominal", [
    (RangeBucket("the 90s", (), 1990, 1999), "movies", "'90s", "from the nineties"),
    (RangeBucket("before 1960", (), -math.inf, 1959), "movies", "pre-1960",
     "from the 1950s or earlier"),
    (RangeBucket("recent", (), 1996, math.inf), "movies", "1996 or later", "newer than 1995"),
    (RangeBucket("under $50", (), -math.inf, 50), "shop", "under $50", "under fifty bucks"),
    (RangeBucket("$100 to $200", (), 100, 200), "shop", "around $150",
     "between a hundred and two hundred bucks"),
    (RangeBucket("over $1,000", (), 1000, math.inf), "shop", "$1k+",
     "over a thousand dollars"),
])
def test_loose_ranges_say_the_bucket_in_other_words(
    bucket: RangeBucket, domain: str, keyword: str, postnominal: str
) -> None:
    said = loose_phrases(bucket, domain)
    assert keyword in said.keywords
    assert postnominal in said.postnominal


def test_loose_ranges_keep_what_an_instruction_means() -> None:
    rich = RichLanguage(shop_catalog()).vocabulary
    templates = InstructionLanguage(shop_catalog()).vocabulary
    assert len(rich.range_buckets) == len(templates.range_buckets) > 1
    for bucket in range(len(rich.range_buckets)):
        intent = Intent(range_bucket=bucket)
        assert np.array_equal(satisfying_items(shop_catalog(), intent, rich),
                              satisfying_items(shop_catalog(), intent, templates))


def test_noise_lower_cases_and_misspells_by_the_draws() -> None:
    rng = np.random.default_rng(0)
    # Uniforms are used last first: casing 0.0 (lower case), then no typo (0.9, 0.9).
    assert noisy("I want a Comedy.", Draws(rng, values=[0.9, 0.9, 0.0])) == "i want a comedy"
    # Casing 0.5 (kept); a typo (0.0), no second (0.9); of the long words "want" and
    # "Comedy." the second (0.99); of its inner letters o, m, e, d the third (0.5); dropped
    # (0.5: the second of swap, drop, double).
    assert noisy("I want a Comedy.", Draws(rng, values=[0.5, 0.5, 0.99, 0.9, 0.0, 0.5])) == (
        "I want a Comdy.")


def test_worlds_name_the_rich_language() -> None:
    assert isinstance(language_factory("rich")(shop_catalog(), "train", 0.5), RichLanguage)
    config = WorldConfig(catalog=CatalogConfig(source="synthetic", size=300), language="rich",
                         split="heldout")
    env = gym.make(ifr_sim.ENV_ID, config=config)
    said = set()
    for seed in range(40):
        said.add(env.reset(seed=seed)[1]["instruction"])
    assert len(said) > 30
    assert any(text.rstrip().endswith("?") for text in said)  # the held-out question style

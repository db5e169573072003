"""The rich instruction language: the ways people actually type requests.

Besides the template language's three styles (preference, intention, task), a rich
instruction may be a keyword list ("comedy 90s no horror"), a chatty message ("ok so my
friends are coming over..."), a vague mood that stands for a genre ("something to make me
laugh, 90s"), a comparison to a named item ("Toy Story vibes, well reviewed"), or a
question ("any good westerns?"). Ranges are said loosely (`loose_ranges.py`) and any
instruction may come out lower-cased or misspelt (`noise.py`).

Held out are every fourth frame of every style, as in the template language, and the
whole *question* style: a policy evaluated on the held-out split meets a kind of
sentence it never trained on, not only new words in a kind it knows.

Descriptions ("{desc}") reuse the template language's `Renderer`, over a vocabulary whose
range phrases include the loose postnominal ones (bounds and quality bar unchanged, so an
instruction means what the template language's would).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.instructions.intent import Intent
from ifr_sim.core.instructions.language import InstructionLanguage
from ifr_sim.core.instructions.lexicon import lookup
from ifr_sim.core.instructions.loose_ranges import loose_phrases
from ifr_sim.core.instructions.noise import noisy
from ifr_sim.core.instructions.render import Draws, Renderer
from ifr_sim.core.instructions.rich_words import (
    EXCLUSIONS,
    FRAMES,
    KEYWORDS,
    MOODS,
    POPULARITY_AFTER,
    POPULARITY_BEFORE,
    QUALITY_KEYWORDS,
    REFERENCES,
)
from ifr_sim.core.instructions.templates import TEMPLATES, Split, Template, in_split
from ifr_sim.core.instructions.vocabulary import Vocabulary

HELDOUT_STYLES = frozenset({"question"})
"""Styles only the held-out split speaks."""
STYLE_WEIGHTS = {"preference": 0.5, "intention": 0.5, "task": 0.5, "keyword": 3.0,
                 "chatty": 1.5, "mood": 1.5, "comparison": 1.5, "question": 1.5}
"""Relative chance of each style among those an intent can be said in."""

RICH_TEMPLATES: tuple[Template, ...] = TEMPLATES + tuple(
    Template(f"{style}-{i:02d}", style, text)
    for style, frames in FRAMES.items()
    for i, text in enumerate(frames)
)
"""The template language's templates, then every rich frame, in a fixed order."""


def rich_templates(split: Split) -> tuple[Template, ...]:
    """The frames of `split`: held-out frames and styles only in "heldout" (and "all")."""
    if split == "all":
        return RICH_TEMPLATES
    return tuple(t for t in RICH_TEMPLATES
                 if (split == "heldout") == (t.style in HELDOUT_STYLES or in_split(t, "heldout")))


def rich_vocabulary(vocabulary: Vocabulary, domain: str) -> Vocabulary:
    """`vocabulary` with each range bucket's loose postnominal phrases added to its own."""
    buckets = tuple(
        dataclasses.replace(b, phrases=b.phrases + loose_phrases(b, domain).postnominal)
        for b in vocabulary.range_buckets
    )
    return dataclasses.replace(vocabulary, range_buckets=buckets)


class RichRenderer(Renderer):
    """Says intents in every rich style; descriptions as the template language's."""

    def __init__(self, catalog: Catalog, vocabulary: Vocabulary) -> None:
        super().__init__(catalog, vocabulary)
        domain = catalog.domain
        names = catalog.category_names
        self._keywords = [lookup(KEYWORDS[domain], name) or tuple(h for h, _ in words.heads)
                          for name, words in zip(names, vocabulary.categories, strict=True)]
        self._avoid = [lookup(KEYWORDS[domain], name) or words.avoid
                       for name, words in zip(names, vocabulary.categories, strict=True)]
        self._moods = [lookup(MOODS[domain], name) or () for name in names]
        rating = f"{1.0 + 4.0 * vocabulary.quality_bar:.1f}"  # quality = (rating - 1) / 4
        self._quality = tuple(q.format(rating=rating) for q in QUALITY_KEYWORDS[domain])
        self._ranges = [loose_phrases(b, domain).keywords for b in vocabulary.range_buckets]

    def styles(self, intent: Intent) -> frozenset[str]:
        """The styles `intent` can be said in: a mood needs wanted categories that have
        moods, a comparison needs a reference item."""
        unusable = set()
        if not intent.include or not all(self._moods[c] for c in intent.include):
            unusable.add("mood")
        if intent.reference is None:
            unusable.add("comparison")
        return frozenset(STYLE_WEIGHTS) - unusable

    def instruction(
        self, intent: Intent, templates: Sequence[Template], rng: np.random.Generator
    ) -> tuple[str, Template]:
        """An instruction in a style drawn ∝ `STYLE_WEIGHTS` among the intent's usable
        styles that `templates` has, in a frame of that style, then typing noise."""
        draws = Draws(rng)
        usable = self.styles(intent)
        frames = [t for t in templates if t.style in usable]
        counts = {style: sum(t.style == style for t in frames) for style in usable}
        weights = np.array([STYLE_WEIGHTS[t.style] / counts[t.style] for t in frames])
        at = int(np.searchsorted(np.cumsum(weights), draws.uniform() * weights.sum(), "right"))
        template = frames[min(at, len(frames) - 1)]
        slots: dict[str, Callable[[], str]] = {
            "{keywords}": lambda: self.keywords(intent, draws),
            "{mood}": lambda: self.mood(intent, draws),
            "{comparison}": lambda: self.comparison(intent, draws),
            "{desc}": lambda: self.describe(intent, draws, plural=False),
            "{descs}": lambda: self.describe(intent, draws, plural=True),
            "{occasion}": lambda: draws.pick(self.vocabulary.occasions),
        }
        text = template.text
        for slot, fill in slots.items():
            if slot in text:
                text = text.replace(slot, fill())
        return noisy(text, draws), template

    def keywords(self, intent: Intent, draws: Draws) -> str:
        """The intent as search-box keywords: "underrated 90s comedy, no horror"."""
        return self._joined(self._keyword_parts(intent, draws, noun=True), draws) or "anything"

    def mood(self, intent: Intent, draws: Draws) -> str:
        """The wanted category as a mood, the other parts as keywords after it."""
        said = " or ".join(draws.pick(self._moods[c]) for c in intent.include)
        rest = self._joined(self._keyword_parts(dataclasses.replace(intent, include=()),
                                                draws), draws)
        return f"{said}, {rest}" if rest else said

    def comparison(self, intent: Intent, draws: Draws) -> str:
        """The reference item first ("more like Heat"), the other parts as keywords."""
        assert intent.reference is not None  # `styles` offers this style only then
        said = draws.pick(REFERENCES).format(self.loose_title(intent.reference, draws))
        rest = self._joined(self._keyword_parts(dataclasses.replace(intent, reference=None),
                                                draws), draws)
        return f"{said}, {rest}" if rest else said

    def loose_title(self, item: int, draws: Draws) -> str:
        """A title as people type it: with or without its year, sometimes lower-cased."""
        title = self.title(item) if draws.chance(0.5) else self.catalog.titles[item]
        return title.lower() if draws.chance(0.3) else title

    def _keyword_parts(self, intent: Intent, draws: Draws, noun: bool = False) -> list[str]:
        """[popularity] [range] category [range], then quality, reference, exclusions; with
        `noun`, the domain's plural noun stands in for a category when neither it nor a
        range is said ("underrated films", not "underrated")."""
        head: list[str] = []
        tail: list[str] = []
        if intent.popularity is not None:
            if draws.chance(0.5):
                head.append(draws.pick(POPULARITY_BEFORE[intent.popularity]))
            else:
                tail.append(draws.pick(POPULARITY_AFTER[intent.popularity]))
        category = " or ".join(draws.pick(self._keywords[c]) for c in intent.include)
        if noun and not category and intent.range_bucket is None:
            category = draws.pick(self.vocabulary.nouns)[1]
        when = draws.pick(self._ranges[intent.range_bucket]) if (
            intent.range_bucket is not None) else ""
        head += [when, category] if draws.chance(0.4) else [category, when]
        if intent.min_quality is not None:
            tail.append(draws.pick(self._quality))
        if intent.reference is not None:
            tail.append(draws.pick(REFERENCES).format(self.loose_title(intent.reference, draws)))
        tail += [draws.pick(EXCLUSIONS).format(draws.pick(self._avoid[c]))
                 for c in intent.exclude]
        said = " ".join(word for word in head if word)
        return [said, *tail] if said else tail

    @staticmethod
    def _joined(parts: list[str], draws: Draws) -> str:
        return draws.pick((" ", ", ")).join(parts) if parts else ""


class RichLanguage(InstructionLanguage):
    """`InstructionLanguage` in every rich style (see the module docstring).

    Intents, matching and refinement are the template language's; only what users say
    differs. Refinements use the rich vocabulary, so they too say ranges loosely.
    """

    def __init__(
        self,
        catalog: Catalog,
        split: Split = "train",
        specificity: float = 0.5,
        min_matching_items: int = 10,
    ) -> None:
        super().__init__(catalog, split, specificity, min_matching_items)
        self.templates = rich_templates(split)
        self.vocabulary = rich_vocabulary(self.vocabulary, catalog.domain)
        self._renderer = RichRenderer(catalog, self.vocabulary)

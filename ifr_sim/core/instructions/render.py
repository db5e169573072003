"""Turning intents into English: descriptions, instructions and refinement utterances.

A description is a noun phrase assembled from the intent's parts,

    [article] [quality / popularity words] head [quality clause] [range] [reference] [exclusion]

e.g. "a highly rated comedy from the 90s, no animation" or "something like Toy Story (1995)",
with every slot phrased by a random choice among the vocabulary's variants. Randomness
comes only from the caller's generator, drawn in small batches (`Draws`) because a numpy
call per word choice would dominate the cost of rendering.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.instructions.intent import POPULARITY_NAMES, Intent
from ifr_sim.core.instructions.templates import Template
from ifr_sim.core.instructions.vocabulary import Vocabulary

T = TypeVar("T")

REFERENCE_FRAMES = ("like {}", "similar to {}", "in the vein of {}", "along the lines of {}")
EXCLUSION_FRAMES = (", no {}", ", but no {}", " — no {}, please", ", without any {}",
                    " (no {})", ", though not {}")
REFINE_EXCLUDE = ("No, not {}.", "Not {}, please.", "Please, no {}.", "Enough {} — something else.",
                  "Skip the {}.")
REFINE_RANGE = ("Something {} instead.", "Only ones {}, please.", "Can you stick to ones {}?")
REFINE_QUALITY = ("Only {} ones, please.", "Just the {} ones.", "Something {}, please.")
REFINE_POPULARITY = {
    "hidden_gem": ("Those are too obvious; something {}, please.", "Too mainstream. Anything {}?",
                   "I've seen all of these. Show me something {}."),
    "well_known": ("I haven't heard of any of these; something {}, please.",
                   "Too obscure. Anything {}?", "Show me something {} instead."),
}
NOTHING_TO_ADD = "Show me something else."
SOMETHING_CHANCE = 0.4
"""How often a description without a category says "something" rather than "a movie"."""


class Draws:
    """Uniform numbers drawn from `rng` a batch at a time, consumed one per word choice
    (last first); `values` are uniforms drawn already, used up before drawing more."""

    def __init__(
        self, rng: np.random.Generator, size: int = 16, values: Sequence[float] = ()
    ) -> None:
        self._rng = rng
        self._size = size
        self._values: list[float] = list(values)

    def uniform(self) -> float:
        if not self._values:
            self._values = self._rng.random(self._size).tolist()
        return self._values.pop()

    def pick(self, options: Sequence[T]) -> T:
        return options[int(self.uniform() * len(options))]

    def chance(self, probability: float) -> bool:
        return self.uniform() < probability


def article(phrase: str) -> str:
    """The article for a phrase ("a" or "an"), by its first letter, with "you"-sound exceptions."""
    word = phrase.lower()
    vowel = word[:1] in ("a", "e", "i", "o", "u")
    return "an" if vowel and not word.startswith(("uni", "use", "eu", "one")) else "a"


class Renderer:
    """Says intents of one catalog in words; one instance per `InstructionLanguage`."""

    def __init__(self, catalog: Catalog, vocabulary: Vocabulary) -> None:
        self.catalog = catalog
        self.vocabulary = vocabulary
        year = catalog.attributes.get("year") if catalog.domain == "movies" else None
        self._years = year if year is not None and year.dtype.kind == "f" else None

    def instruction(
        self, intent: Intent, templates: Sequence[Template], rng: np.random.Generator
    ) -> tuple[str, Template]:
        """A full instruction for `intent` in one of `templates`, and the template used."""
        draws = Draws(rng)
        template = draws.pick(templates)
        text = template.text
        if "{desc}" in text:
            text = text.replace("{desc}", self.describe(intent, draws, plural=False))
        if "{descs}" in text:
            text = text.replace("{descs}", self.describe(intent, draws, plural=True))
        if "{occasion}" in text:
            text = text.replace("{occasion}", draws.pick(self.vocabulary.occasions))
        return text, template

    def describe(self, intent: Intent, draws: Draws, plural: bool) -> str:
        """A noun phrase for `intent`: singular with its article, or a bare plural."""
        vocab, number = self.vocabulary, int(plural)
        head = None
        premods: list[str] = []
        postmods: list[str] = []
        if intent.include:
            head = " or ".join(draws.pick(vocab.categories[c].heads)[number]
                               for c in intent.include)
        if intent.popularity is not None:
            if head is None and draws.chance(0.5):
                head = draws.pick(vocab.popularity_nouns[intent.popularity])[number]
            else:
                premods.append(draws.pick(vocab.popularity_adjectives[intent.popularity]))
        quality_clause = None
        if intent.min_quality is not None:
            if draws.chance(0.6):
                premods.insert(0, draws.pick(vocab.quality_adjectives))
            else:
                quality_clause = draws.pick(vocab.quality_clauses)
        if quality_clause is not None:
            postmods.append(quality_clause)
        if intent.range_bucket is not None:
            postmods.append(draws.pick(vocab.range_buckets[intent.range_bucket].phrases))
        if intent.reference is not None:
            postmods.append(draws.pick(REFERENCE_FRAMES).format(self.title(intent.reference)))
        exclusion = ""
        if intent.exclude:
            avoided = " or ".join(draws.pick(vocab.categories[c].avoid) for c in intent.exclude)
            if head is None and not premods and not postmods and not plural and draws.chance(0.3):
                return f"anything but {avoided}"
            exclusion = draws.pick(EXCLUSION_FRAMES).format(avoided)
        return " ".join([self._noun_phrase(head, premods, draws, plural), *postmods]) + exclusion

    def _noun_phrase(
        self, head: str | None, premods: list[str], draws: Draws, plural: bool
    ) -> str:
        if head is None:
            if not plural and draws.chance(SOMETHING_CHANCE):
                return " ".join(["something", " and ".join(premods)]) if premods else "something"
            head = draws.pick(self.vocabulary.nouns)[int(plural)]
        core = f"{', '.join(premods)} {head}" if premods else head
        return core if plural else f"{article(core)} {core}"

    def title(self, item: int) -> str:
        """How a user names a reference item: a movie with its year, "Toy Story (1995)"."""
        title = self.catalog.titles[item]
        if self._years is None or title.endswith(")") or math.isnan(self._years[item]):
            return title
        return f"{title} ({self._years[item]:.0f})"

    def refinements(
        self, kinds: np.ndarray, values: np.ndarray, rng: np.random.Generator
    ) -> list[str]:
        """What each user says to add one part (`KINDS[kind]` with `value`; -1: nothing).

        A user who says something makes two word choices from four uniforms of their own,
        drawn for all users in one call (row order, as one `Draws` per user would).
        """
        speaking = int(np.count_nonzero(kinds >= 0))
        uniforms = iter(rng.random((speaking, 4)).tolist())
        return [
            self._refinement(kind, value, Draws(rng, values=next(uniforms)))
            if kind >= 0 else NOTHING_TO_ADD
            for kind, value in zip(kinds.tolist(), values.tolist(), strict=True)
        ]

    def _refinement(self, kind: int, value: int, draws: Draws) -> str:
        vocab = self.vocabulary
        if kind == 0:
            return draws.pick(REFINE_EXCLUDE).format(draws.pick(vocab.categories[value].avoid))
        if kind == 1:
            phrase = draws.pick(vocab.range_buckets[value].phrases)
            return draws.pick(REFINE_RANGE).format(phrase)
        if kind == 2:
            return draws.pick(REFINE_QUALITY).format(draws.pick(vocab.quality_adjectives))
        popularity = POPULARITY_NAMES[value]
        assert popularity is not None  # kind 3 always adds a popularity code
        words = vocab.popularity_adjectives[popularity]
        return draws.pick(REFINE_POPULARITY[popularity]).format(draws.pick(words))

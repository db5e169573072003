"""`InstructionLanguage`: the one object the environment talks to about instructions.

It composes the vocabulary (words fitted to the catalog), the intent sampler, the
renderer and the template split, so an environment only chooses a catalog, a split and a
specificity, and hands in its generator for every random choice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.instructions.intent import Intent, IntentBatch
from ifr_sim.core.instructions.refinement import Refiner
from ifr_sim.core.instructions.render import Renderer
from ifr_sim.core.instructions.sampling import IntentSampler
from ifr_sim.core.instructions.templates import Split, Template, templates_for
from ifr_sim.core.instructions.vocabulary import vocabulary_for


class InstructionLanguage:
    """Samples intents from users' tastes, says them, and refines them after a bad slate.

    Args:
        catalog: the items intents refer to.
        split: which templates instructions use: "train", "heldout" or "all".
        specificity: in [0, 1]; an intent has 1 + Binomial(3, specificity) part kinds, so 0
            gives only vague one-part intents, 0.5 averages 2.5 parts and 1 always gives 4.
        min_matching_items: fewest catalog items that must satisfy a sampled or refined
            intent (an instruction nothing answers teaches the policy nothing).

    Example:
        >>> language = InstructionLanguage(catalog)  # doctest: +SKIP
        >>> intent = language.sample_intent(rng, affinity)  # doctest: +SKIP
        >>> language.render(intent, rng)  # doctest: +SKIP
        'Find me a highly rated comedy from the 90s, no animation.'
    """

    def __init__(
        self,
        catalog: Catalog,
        split: Split = "train",
        specificity: float = 0.5,
        min_matching_items: int = 10,
    ) -> None:
        self.catalog = catalog
        self.split = split
        self.templates: tuple[Template, ...] = templates_for(split)
        self.vocabulary = vocabulary_for(catalog)
        self.min_matching_items = min_matching_items
        self._sampler = IntentSampler(catalog, self.vocabulary, specificity, min_matching_items)
        self._renderer = Renderer(catalog, self.vocabulary)
        self._refiner = Refiner(catalog, self.vocabulary)

    def sample_intent(self, rng: np.random.Generator, category_affinity: np.ndarray) -> Intent:
        """Draw an intent for a user with non-negative `category_affinity` (shape (C,)).

        The wanted category is drawn ∝ affinity, an excluded one among the categories at or
        below the median affinity, ∝ (max affinity - affinity);
        intents with fewer than `min_matching_items` answers are redrawn (20 tries, then a
        single wanted category with enough items).
        """
        return self._sampler.sample(rng, category_affinity)

    def render(self, intent: Intent, rng: np.random.Generator) -> str:
        """The instruction for `intent`, in a random template of this language's split."""
        return self.render_with_template(intent, rng)[0]

    def render_with_template(
        self, intent: Intent, rng: np.random.Generator
    ) -> tuple[str, Template]:
        """Like `render`, also returning the template used (for split checks and analysis)."""
        return self._renderer.instruction(intent, self.templates, rng)

    def refine(
        self, batch: IntentBatch, shown_items: np.ndarray, rng: np.random.Generator
    ) -> tuple[IntentBatch, list[str]]:
        """Add one part to each intent after an unwanted slate, and say it.

        Args:
            batch: R intents of users who clicked nothing.
            shown_items: (R, K) items they were shown, -1 for empty slots.
            rng: the episode generator.

        Returns:
            the refined intents and, per row, the utterance ("No, not horror."), or
            "Show me something else." where nothing could be added.
        """
        refinement = self._refiner.refine(batch, shown_items, rng)
        said = self._renderer.refinements(refinement.kind, refinement.value, rng)
        return refinement.batch, said

    def batch(self, intents: Sequence[Intent]) -> IntentBatch:
        """Stack `intents` for `intent_match`."""
        return IntentBatch.from_intents(intents, self.catalog, self.vocabulary)

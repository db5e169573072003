"""Drawing a user's intent from their taste, so that instructions agree with behaviour.

The wanted category is drawn in proportion to the user's category affinity, the excluded
one from the less-liked half of the categories ∝ (max affinity - affinity), so the least
liked is the likeliest (and, next to a wanted one, only a category that overlaps it, so that
the exclusion means something); a reference item is a reasonably popular item of a liked category
(people cite films they have heard of). Intents that too few items satisfy are redrawn, so
every instruction has answers in the catalog.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.instructions.intent import Intent
from ifr_sim.core.instructions.matching import satisfying_items
from ifr_sim.core.instructions.vocabulary import Vocabulary

KIND_WEIGHTS = {"include": 3.0, "exclude": 1.0, "range": 1.5, "quality": 1.5,
                "popularity": 1.0, "reference": 1.0}
"""Relative chance of each part kind; a wanted category is the most common request."""
KINDS = tuple(KIND_WEIGHTS)
CATEGORY_KINDS = frozenset({"include", "exclude", "reference"})
MAX_PARTS = 4
MAX_TRIES = 20
DECENT_POPULARITY = 0.5
"""Reference items come from the more popular half of their category when it has any."""


class IntentSampler:
    """Draws intents for one catalog; see `InstructionLanguage.sample_intent`."""

    def __init__(
        self,
        catalog: Catalog,
        vocabulary: Vocabulary,
        specificity: float,
        min_matching_items: int,
    ) -> None:
        if not 0.0 <= specificity <= 1.0:
            raise ValueError(f"specificity must lie in [0, 1], got {specificity}")
        if not 1 <= min_matching_items <= len(catalog):
            raise ValueError(f"min_matching_items must be in 1..{len(catalog)} (the catalog "
                             f"size), got {min_matching_items}")
        self.catalog = catalog
        self.vocabulary = vocabulary
        self.specificity = specificity
        self.min_matching_items = min_matching_items
        counts = catalog.categories.sum(axis=0)
        self._usable = np.array(vocabulary.speakable, dtype=bool) & (counts > 0)
        self._big_enough = self._usable & (counts >= min_matching_items)
        members = catalog.categories
        self._cooccur = np.array([members[column].any(axis=0) for column in members.T])
        self._bucket_sizes = self._count_in_buckets().astype(np.float64)
        weights = np.array([
            0.0 if (kind in CATEGORY_KINDS and not self._usable.any())
            or (kind == "range" and self._bucket_sizes.sum() == 0) else weight
            for kind, weight in KIND_WEIGHTS.items()
        ])
        self._kind_p = weights / weights.sum()
        decent = catalog.popularity >= DECENT_POPULARITY
        self._references = [
            np.flatnonzero(column & decent) if np.any(column & decent) else np.flatnonzero(column)
            for column in catalog.categories.T
        ]

    def sample(self, rng: np.random.Generator, category_affinity: np.ndarray) -> Intent:
        """An intent with at least `min_matching_items` answers (see the module docstring)."""
        affinity = self._checked(category_affinity)
        for _ in range(MAX_TRIES):
            intent = self._draw(rng, affinity)
            if self.answerable(intent):
                return intent
        return self._fallback(rng, affinity)

    def answerable(self, intent: Intent) -> bool:
        """Whether enough catalog items satisfy `intent` for it to be asked."""
        matching = satisfying_items(self.catalog, intent, self.vocabulary)
        return len(matching) >= self.min_matching_items

    def _checked(self, affinity: np.ndarray) -> np.ndarray:
        affinity = np.asarray(affinity, dtype=np.float64)
        if affinity.shape != (self.catalog.num_categories,):
            raise ValueError(f"category_affinity must have shape ({self.catalog.num_categories},),"
                             f" got {affinity.shape}")
        if not np.all(np.isfinite(affinity) & (affinity >= 0)):
            raise ValueError("category_affinity must be finite and non-negative "
                             "(e.g. a softmax of z-scored affinities)")
        return affinity

    def _draw(self, rng: np.random.Generator, affinity: np.ndarray) -> Intent:
        num_kinds = int(np.count_nonzero(self._kind_p))
        num_parts = min(1 + int(rng.binomial(MAX_PARTS - 1, self.specificity)), num_kinds)
        drawn = rng.choice(len(KINDS), num_parts, replace=False, p=self._kind_p)
        chosen = {KINDS[k] for k in drawn}
        fields: dict[str, Any] = {}
        if "include" in chosen:
            fields["include"] = (_draw_index(rng, affinity, self._usable),)
        if "exclude" in chosen:
            allowed = self._usable & (affinity <= np.median(affinity[self._usable]))
            if "include" in fields:  # "a phone, no laptops" would say nothing
                allowed &= self._cooccur[fields["include"][0]]
                allowed[fields["include"][0]] = False
            if allowed.any():
                fields["exclude"] = (_draw_index(rng, affinity.max() - affinity, allowed),)
        if "range" in chosen:
            sizes = self._bucket_sizes
            fields["range_bucket"] = _draw_index(rng, sizes, sizes > 0)
        if "quality" in chosen:
            fields["min_quality"] = self.vocabulary.quality_bar
        if "popularity" in chosen:
            fields["popularity"] = "hidden_gem" if rng.random() < 0.5 else "well_known"
        if "reference" in chosen:
            include = fields.get("include") or (_draw_index(rng, affinity, self._usable),)
            pool = self._references[include[0]]
            fields["reference"] = int(pool[rng.integers(len(pool))])
        return Intent(**fields)

    def _fallback(self, rng: np.random.Generator, affinity: np.ndarray) -> Intent:
        """A single wanted category with enough items, else the empty (match-all) intent."""
        if not self._big_enough.any():
            return Intent()
        return Intent(include=(_draw_index(rng, affinity, self._big_enough),))

    def _count_in_buckets(self) -> np.ndarray:
        buckets, name = self.vocabulary.range_buckets, self.catalog.range_attribute
        if not buckets or name is None:
            return np.zeros(0)
        values = self.catalog.attributes[name]
        return np.array([np.count_nonzero((values >= b.low) & (values <= b.high)) for b in buckets])


def _draw_index(rng: np.random.Generator, weights: np.ndarray, allowed: np.ndarray) -> int:
    """An index drawn ∝ `weights` among `allowed` ones (uniformly if their weights are all 0)."""
    masked = np.where(allowed, weights, 0.0)
    if masked.sum() <= 0:
        masked = allowed.astype(np.float64)
    return int(rng.choice(len(masked), p=masked / masked.sum()))

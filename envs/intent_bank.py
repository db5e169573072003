"""A bank of pre-sampled intents, their instructions and their matching items.

Sampling an intent, checking it against the catalog and rendering it to text is Python
work per intent; doing it at every reset would make the vector env as slow as a Python
loop over users. So a world pre-samples `size` intents once (from a world seed, not the
episode seed), renders each a few times with the templates of its split, and keeps a
sample of the items that satisfy each. A session then picks an intent by the user's
taste: a wanted category drawn from the user's category affinity, then an intent of the
bank whose primary category it is, and one of its renderings: pure numpy over users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ifr_sim.core.catalog import Catalog
from ifr_sim.core.instructions import InstructionLanguage, Intent, IntentBatch, satisfying_items

RENDERINGS = 4
"""Paraphrases kept per intent."""

POOL_SIZE = 256
"""Matching items kept per intent for candidate generation."""


@dataclass(frozen=True)
class IntentBank:
    """Pre-sampled intents, grouped by primary category.

    Attributes:
        intents: the M intents.
        batch: the same intents as an `IntentBatch` of M rows.
        texts: (M, RENDERINGS) instructions.
        text_bytes: (M, RENDERINGS, L) their UTF-8 bytes, zero padded.
        text_lengths: (M, RENDERINGS) byte lengths.
        pools: (M, POOL_SIZE) items satisfying each intent's hard constraints, -1 padded.
        pool_counts: (M,) valid entries per pool row.
        by_category: (C + 1,) offsets into `order`; intents whose primary category is c
            are `order[by_category[c]:by_category[c + 1]]`.
        order: (M,) intent indices sorted by primary category.
    """

    intents: tuple[Intent, ...]
    batch: IntentBatch
    texts: tuple[tuple[str, ...], ...]
    text_bytes: np.ndarray
    text_lengths: np.ndarray
    pools: np.ndarray
    pool_counts: np.ndarray
    by_category: np.ndarray
    order: np.ndarray

    def category_cdf(self, affinity: np.ndarray, temperature: float) -> np.ndarray:
        """Cumulative weights of the wanted-category draw, one row per user (or profile).

        A softmax of `affinity / temperature` over the categories that have intents, left
        unnormalised: `choose` scales its uniform draw by the row total instead.

        Args:
            affinity: (B, C) category affinity of the users (-inf = never).
            temperature: softmax temperature of the favourite-category draw.

        Returns:
            (B, C) float32 cumulative weights.
        """
        counts = np.diff(self.by_category)
        logits = np.where(counts > 0, affinity / temperature, -np.inf)
        logits -= logits.max(axis=1, keepdims=True)
        return np.cumsum(np.exp(logits), axis=1)

    def choose(
        self, rng: np.random.Generator, category_cdf: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """An intent and a rendering per user.

        Args:
            rng: the episode generator.
            category_cdf: (B, C) the users' rows of `category_cdf`, which depends only on
                the user's profile, so callers tabulate it once.

        Returns:
            intent indices (B,) and rendering indices (B,).
        """
        batch = len(category_cdf)
        u = rng.random(batch) * category_cdf[:, -1]
        category = (u[:, None] < category_cdf).argmax(axis=1)
        counts = self.by_category[category + 1] - self.by_category[category]
        offset = np.floor(rng.random(batch) * counts).astype(np.int64)
        intent = self.order[self.by_category[category] + offset]
        return intent, rng.integers(0, RENDERINGS, batch)


def build_intent_bank(
    catalog: Catalog, language: InstructionLanguage, size: int, max_bytes: int, seed: int = 0
) -> IntentBank:
    """Sample, render and index `size` intents with the language's templates."""
    rng = np.random.default_rng(seed)
    uniform = np.ones(catalog.num_categories)
    intents = tuple(language.sample_intent(rng, uniform) for _ in range(size))
    texts = tuple(tuple(language.render(i, rng) for _ in range(RENDERINGS)) for i in intents)
    text_bytes, text_lengths = encode_texts(texts, max_bytes)
    pools = np.full((size, POOL_SIZE), -1, np.int64)
    counts = np.zeros(size, np.int64)
    for m, intent in enumerate(intents):
        items = satisfying_items(catalog, intent, language.vocabulary)
        if len(items) > POOL_SIZE:
            items = rng.choice(items, POOL_SIZE, replace=False)
        pools[m, : len(items)] = items
        counts[m] = len(items)
    primary = np.array([_primary_category(catalog, i, rng) for i in intents])
    order = np.argsort(primary, kind="stable")
    by_category = np.searchsorted(primary[order], np.arange(catalog.num_categories + 1))
    return IntentBank(
        intents=intents,
        batch=language.batch(intents),
        texts=texts,
        text_bytes=text_bytes,
        text_lengths=text_lengths,
        pools=pools,
        pool_counts=counts,
        by_category=by_category,
        order=order,
    )


def encode_texts(
    texts: tuple[tuple[str, ...], ...], max_bytes: int
) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 bytes of each text, cut at a character boundary to fit `max_bytes`."""
    rows, cols = len(texts), len(texts[0])
    out = np.zeros((rows, cols, max_bytes), np.uint8)
    lengths = np.zeros((rows, cols), np.int64)
    for r, row in enumerate(texts):
        for c, text in enumerate(row):
            data = utf8_prefix(text, max_bytes)
            out[r, c, : len(data)] = np.frombuffer(data, np.uint8)
            lengths[r, c] = len(data)
    return out, lengths


def utf8_prefix(text: str, max_bytes: int) -> bytes:
    """The longest prefix of `text` whose UTF-8 encoding fits in `max_bytes`."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return data
    return data[:max_bytes].decode("utf-8", errors="ignore").encode("utf-8")


def _primary_category(catalog: Catalog, intent: Intent, rng: np.random.Generator) -> int:
    """The category a user must like to pick this intent."""
    if intent.include:
        return intent.include[0]
    if intent.reference is not None:
        members = np.flatnonzero(catalog.categories[intent.reference])
        if len(members):
            return int(members[0])
    return int(rng.choice(np.flatnonzero(catalog.categories.any(axis=0))))

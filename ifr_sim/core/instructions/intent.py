"""Intents: what a simulated user wants, as data that items can be checked against.

An `Intent` is one user's need in readable form (category indices, a range bucket, ...);
an `IntentBatch` is the same for B users as dense arrays, so that matching a (B, N) grid
of items is a handful of numpy operations instead of a loop over users.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from ifr_sim.core.catalog.catalog import Catalog

if TYPE_CHECKING:
    from ifr_sim.core.instructions.vocabulary import Vocabulary

Popularity = Literal["hidden_gem", "well_known"]
POPULARITY_CODES: dict[Popularity | None, int] = {None: 0, "hidden_gem": 1, "well_known": 2}
"""How `IntentBatch.popularity` encodes the popularity request."""
POPULARITY_NAMES: dict[int, Popularity | None] = {v: k for k, v in POPULARITY_CODES.items()}


@dataclass(frozen=True)
class Intent:
    """A structured need ("a highly rated comedy from the 90s, no animation").

    Each wanted or excluded category is its own part, as is each other field that is set;
    `num_parts` counts them, so a refinement that adds "no horror" adds exactly one part.

    Attributes:
        include: wanted category indices (an item must have at least one).
        exclude: excluded category indices (an item must have none).
        range_bucket: index into `Vocabulary.range_buckets`, on `catalog.range_attribute`.
        min_quality: quality bar in [0, 1] ("highly rated").
        popularity: "hidden_gem" (obscure but good) or "well_known".
        reference: an item index ("something like Toy Story (1995)").
    """

    include: tuple[int, ...] = ()
    exclude: tuple[int, ...] = ()
    range_bucket: int | None = None
    min_quality: float | None = None
    popularity: Popularity | None = None
    reference: int | None = None

    def __post_init__(self) -> None:
        both = set(self.include) & set(self.exclude)
        if both:
            raise ValueError(f"categories {sorted(both)} are both wanted and excluded; pick one")
        if self.min_quality is not None and not 0.0 <= self.min_quality <= 1.0:
            raise ValueError(f"min_quality must lie in [0, 1], got {self.min_quality}")
        if self.popularity not in POPULARITY_CODES:
            raise ValueError(f"popularity must be 'hidden_gem', 'well_known' or None, "
                             f"got {self.popularity!r}")

    def num_parts(self) -> int:
        """How many constraints the user stated (0 = "anything")."""
        optional = (self.range_bucket, self.min_quality, self.popularity, self.reference)
        return len(self.include) + len(self.exclude) + sum(v is not None for v in optional)


@dataclass(frozen=True)
class IntentBatch:
    """B intents as arrays; the neutral value of each field means "not requested".

    Attributes:
        include: bool (B, C); an all-False row wants no particular category.
        exclude: bool (B, C).
        range_low: float (B,), inclusive; -inf = no lower bound.
        range_high: float (B,), inclusive; inf = no upper bound.
        min_quality: float (B,); 0 = no bar.
        popularity: int8 (B,); 0 none, 1 hidden gem, 2 well known.
        reference: int64 (B,); -1 = none.
    """

    include: np.ndarray
    exclude: np.ndarray
    range_low: np.ndarray
    range_high: np.ndarray
    min_quality: np.ndarray
    popularity: np.ndarray
    reference: np.ndarray

    def __len__(self) -> int:
        return len(self.reference)

    @classmethod
    def from_intents(
        cls, intents: Sequence[Intent], catalog: Catalog, vocabulary: Vocabulary
    ) -> IntentBatch:
        """Stack `intents`; range buckets are resolved through `vocabulary`."""
        b, c = len(intents), catalog.num_categories
        include = np.zeros((b, c), dtype=bool)
        exclude = np.zeros((b, c), dtype=bool)
        low = np.full(b, -np.inf)
        high = np.full(b, np.inf)
        buckets = vocabulary.range_buckets
        for row, intent in enumerate(intents):
            include[row, list(intent.include)] = True
            exclude[row, list(intent.exclude)] = True
            if intent.range_bucket is not None:
                if not 0 <= intent.range_bucket < len(buckets):
                    raise ValueError(
                        f"intent {row}: range_bucket {intent.range_bucket} is not one of the "
                        f"{len(buckets)} buckets of this vocabulary"
                    )
                bucket = buckets[intent.range_bucket]
                low[row], high[row] = bucket.low, bucket.high
        return cls(
            include=include,
            exclude=exclude,
            range_low=low,
            range_high=high,
            min_quality=np.array([i.min_quality or 0.0 for i in intents], dtype=np.float64),
            popularity=np.array([POPULARITY_CODES[i.popularity] for i in intents], dtype=np.int8),
            reference=np.array(
                [-1 if i.reference is None else i.reference for i in intents], dtype=np.int64
            ),
        )

    def intent(self, row: int, vocabulary: Vocabulary) -> Intent:
        """Row `row` as a readable `Intent` (the inverse of `from_intents`)."""
        bucket = None
        if np.isfinite(self.range_low[row]) or np.isfinite(self.range_high[row]):
            bounds = [(b.low, b.high) for b in vocabulary.range_buckets]
            bucket = bounds.index((self.range_low[row], self.range_high[row]))
        return Intent(
            include=tuple(np.flatnonzero(self.include[row]).tolist()),
            exclude=tuple(np.flatnonzero(self.exclude[row]).tolist()),
            range_bucket=bucket,
            min_quality=float(self.min_quality[row]) if self.min_quality[row] > 0 else None,
            popularity=POPULARITY_NAMES[int(self.popularity[row])],
            reference=int(self.reference[row]) if self.reference[row] >= 0 else None,
        )

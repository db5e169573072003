"""The item catalog: a columnar store of items with text and typed attributes.

Every part of the simulator works on item *indices* (0..n-1) into one `Catalog`, so that
users, intents and clicks are numpy operations over arrays rather than Python loops over
objects. External ids (the ones in a user's file) are kept as strings and mapped back at
the edges with `Catalog.index_of`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Domain = Literal["movies", "shop", "generic"]
DOMAINS: tuple[Domain, ...] = ("movies", "shop", "generic")


class CatalogError(ValueError):
    """A catalog could not be built; the message names the file, row and column."""


@dataclass(frozen=True)
class Item:
    """One catalog item, as a person would read it.

    Attributes:
        id: the external id (as in the source file).
        title: short display name.
        text: what the scorer reads (title plus a description of the attributes).
        categories: category names the item belongs to.
        attributes: typed attribute values (numbers as float, labels as str).
    """

    id: str
    title: str
    text: str
    categories: tuple[str, ...]
    attributes: Mapping[str, float | str]


@dataclass(frozen=True)
class Ratings:
    """Explicit user-item ratings (e.g. MovieLens), used to calibrate simulated users.

    Attributes:
        user: user index per rating, 0..num_users-1.
        item: item index per rating, into the catalog.
        rating: the rating value (MovieLens: 1..5).
        num_users: number of distinct users.
        timestamp: when each rating was given (seconds since 1970), where the source
            says; what a split by time (`holdout.time_split`) orders each rater's ratings by.
    """

    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray
    num_users: int
    timestamp: np.ndarray | None = None


@dataclass(frozen=True)
class Catalog:
    """A columnar catalog of `n` items.

    The simulator needs a few *semantic* columns that every domain has (categories, a
    quality and a popularity in [0, 1]); anything else is a typed attribute. The
    instruction language reads `domain` to pick its words and `range_attribute` for
    range requests ("from the 90s" on `year`, "under $300" on `price`).

    Attributes:
        name: a short name for reports ("movielens-100k", "synthetic-shop", a file stem).
        domain: which vocabulary the instruction language uses.
        ids: external ids, shape (n,), unique strings.
        titles: display titles, length n, non-empty.
        texts: what the scorer reads, length n, non-empty.
        category_names: names of the C categories.
        categories: bool membership matrix, shape (n, C).
        quality: float32 in [0, 1], shape (n,); e.g. a normalised average rating.
        popularity: float32 in [0, 1], shape (n,); e.g. the percentile of rating counts.
        attributes: typed columns of shape (n,): float arrays (NaN = unknown) or str arrays.
        range_attribute: name of the numeric attribute range requests refer to, or None.
        ratings: real ratings to calibrate users on, when the source has them.
    """

    name: str
    domain: Domain
    ids: np.ndarray
    titles: tuple[str, ...]
    texts: tuple[str, ...]
    category_names: tuple[str, ...]
    categories: np.ndarray
    quality: np.ndarray
    popularity: np.ndarray
    attributes: Mapping[str, np.ndarray] = field(default_factory=dict)
    range_attribute: str | None = None
    ratings: Ratings | None = None

    def __post_init__(self) -> None:
        n = len(self.ids)
        if n == 0:
            raise CatalogError(f"catalog {self.name!r} has no items; it needs at least one")
        checks = {
            "titles": len(self.titles),
            "texts": len(self.texts),
            "categories": self.categories.shape[0],
            "quality": len(self.quality),
            "popularity": len(self.popularity),
            **{f"attributes[{k!r}]": len(v) for k, v in self.attributes.items()},
        }
        for column, length in checks.items():
            if length != n:
                raise CatalogError(
                    f"catalog {self.name!r}: column {column} has {length} rows, ids has {n}"
                )
        if self.categories.ndim != 2 or self.categories.shape[1] != len(self.category_names):
            raise CatalogError(
                f"catalog {self.name!r}: categories must have shape (n, {len(self.category_names)})"
            )
        if self.domain not in DOMAINS:
            raise CatalogError(f"catalog {self.name!r}: domain must be one of {DOMAINS}")
        if self.range_attribute is not None and self.range_attribute not in self.attributes:
            raise CatalogError(
                f"catalog {self.name!r}: range_attribute {self.range_attribute!r} is not an "
                f"attribute (attributes: {sorted(self.attributes)})"
            )
        for column in ("quality", "popularity"):
            values = getattr(self, column)
            if not np.all((values >= 0.0) & (values <= 1.0)):
                raise CatalogError(f"catalog {self.name!r}: {column} must lie in [0, 1]")

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def num_categories(self) -> int:
        return len(self.category_names)

    def item(self, index: int) -> Item:
        """The item at `index`, as a readable record."""
        cats = tuple(
            name for name, member in zip(self.category_names, self.categories[index], strict=True)
            if member
        )
        attrs = {k: (v[index].item() if v.dtype.kind == "f" else str(v[index]))
                 for k, v in self.attributes.items()}
        return Item(
            id=str(self.ids[index]),
            title=self.titles[index],
            text=self.texts[index],
            categories=cats,
            attributes=attrs,
        )

    def index_of(self, ids: Sequence[str | int]) -> np.ndarray:
        """Map external ids to item indices; unknown ids are an error, never dropped."""
        lookup = self._id_lookup()
        missing = [i for i in ids if str(i) not in lookup]
        if missing:
            raise KeyError(f"unknown item ids in catalog {self.name!r}: {missing[:10]}")
        return np.array([lookup[str(i)] for i in ids], dtype=np.int64)

    def _id_lookup(self) -> dict[str, int]:
        cache = self.__dict__.get("_lookup")
        if cache is None:
            cache = {str(k): i for i, k in enumerate(self.ids)}
            object.__setattr__(self, "_lookup", cache)
        return cache


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """Rank `values` onto [0, 1] (ties share their average rank), as float32.

    Popularity columns use this so that heavy-tailed counts (ratings, reviews) spread
    evenly over [0, 1] instead of bunching near zero.
    """
    if len(values) < 2:
        return np.full(len(values), 0.5, dtype=np.float32)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts + 1) / 2.0  # 0-based, ties averaged
    return (average_rank[inverse] / (len(values) - 1)).astype(np.float32)

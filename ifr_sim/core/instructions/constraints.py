"""Constraints: what a labelled instruction asks for, resolved to its relevant items by code.

A hand-written instruction set states each line's need as data (categories wanted and
excluded, a range on the catalog's range attribute, a quality bar, a popularity request, a
reference item) instead of a hand-typed list of item ids. The resolver turns that data into
an `Intent` and asks the simulator's own matching (`intent_match`) which items meet it, so
an item counts as relevant exactly when it would satisfy a simulated user with that intent,
and a relabelled catalog needs no relabelled file.

Example (MovieLens): `{"include": ["comedy"], "exclude": ["horror"],
"year": {"min": 1990, "max": 1999}, "min_quality": "high"}`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.instructions.intent import POPULARITY_CODES, Intent, IntentBatch, Popularity
from ifr_sim.core.instructions.lexicon import category_key
from ifr_sim.core.instructions.matching import intent_match
from ifr_sim.core.instructions.vocabulary import vocabulary_for

FIXED_KEYS = ("include", "exclude", "min_quality", "popularity", "reference")
"""Constraint keys every catalog reads; the catalog's range attribute ("year", "price")
is the one other key."""
HIGH_QUALITY = "high"
"""`min_quality` spelled as a word: the vocabulary's "highly rated" bar for the catalog."""


class ConstraintError(ValueError):
    """A constraint cannot be read or matched; the message names the key and the fix."""


class ConstraintResolver:
    """Resolves constraint objects to the indices of the catalog items that meet them.

    Built once per catalog: the category names, titles and quality bar are looked up once
    for every line of a file.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.vocabulary = vocabulary_for(catalog)
        self._categories = _category_lookup(catalog.category_names)
        self._titles: dict[str, list[int]] = {}
        for index, title in enumerate(catalog.titles):
            self._titles.setdefault(title.strip().casefold(), []).append(index)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key a constraint object may hold for this catalog."""
        attribute = self.catalog.range_attribute
        return (*FIXED_KEYS[:2], *([attribute] if attribute else []), *FIXED_KEYS[2:])

    def relevant(self, constraints: Mapping[str, Any]) -> np.ndarray:
        """Sorted indices of the items meeting every constraint; none is an error.

        Raises:
            ConstraintError: an unknown key, name, title or value, or no item matches.
        """
        intent, (low, high) = self.intent(constraints)
        batch = IntentBatch.from_intents([intent], self.catalog, self.vocabulary)
        batch = dataclasses.replace(batch, range_low=np.array([low]), range_high=np.array([high]))
        everything = np.arange(len(self.catalog))[None, :]
        items = np.flatnonzero(intent_match(self.catalog, batch, everything).hard[0])
        if not len(items):
            raise ConstraintError(
                f"constraints {dict(constraints)} match no item of catalog "
                f"{self.catalog.name!r}; loosen them"
            )
        return items

    def intent(self, constraints: Mapping[str, Any]) -> tuple[Intent, tuple[float, float]]:
        """The `Intent` the constraints state, and their inclusive range on the catalog's
        range attribute (-inf, inf where unbounded); an `Intent` holds a range only as one
        of the vocabulary's buckets, while people state any bounds."""
        if not isinstance(constraints, Mapping) or not constraints:
            raise ConstraintError(
                "'constraints' must be a non-empty JSON object with some of the keys "
                f"{list(self.keys)}"
            )
        unknown = [key for key in constraints if key not in self.keys]
        if unknown:
            raise ConstraintError(self._unknown_key_message(unknown))
        include = self._category_indices(constraints, "include")
        exclude = self._category_indices(constraints, "exclude")
        both = sorted(set(include) & set(exclude))
        if both:
            names = [self.catalog.category_names[c] for c in both]
            raise ConstraintError(f"{names} are both in 'include' and 'exclude'; pick one")
        attribute = self.catalog.range_attribute
        bounds = (-math.inf, math.inf)
        if attribute is not None and attribute in constraints:
            bounds = _range(constraints[attribute], attribute)
        intent = Intent(
            include=include,
            exclude=exclude,
            min_quality=self._min_quality(constraints.get("min_quality")),
            popularity=_popularity(constraints.get("popularity")),
            reference=self._reference(constraints.get("reference")),
        )
        return intent, bounds

    def _unknown_key_message(self, unknown: Sequence[str]) -> str:
        attribute = self.catalog.range_attribute
        ranged = [key for key in unknown if key in ("year", "price")]
        if ranged and attribute:
            return (f"catalog {self.catalog.name!r} takes ranges on {attribute!r} only, not "
                    f"{ranged}; write {{\"{attribute}\": {{\"min\": ..., \"max\": ...}}}}")
        return (f"unknown constraint key(s) {list(unknown)}; known keys for catalog "
                f"{self.catalog.name!r}: {list(self.keys)}")

    def _category_indices(self, constraints: Mapping[str, Any], key: str) -> tuple[int, ...]:
        names = constraints.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConstraintError(f"'{key}' must be a list of category names, got {names!r}")
        found = {name: self._category_index(name) for name in names}
        unknown = [name for name, index in found.items() if index is None]
        if unknown:
            raise ConstraintError(
                f"'{key}': unknown categor{'y' if len(unknown) == 1 else 'ies'} {unknown}; "
                f"catalog {self.catalog.name!r} has {list(self.catalog.category_names)}"
            )
        return tuple(sorted({index for index in found.values() if index is not None}))

    def _category_index(self, name: str) -> int | None:
        for key in _category_forms(name):
            if key in self._categories:
                return self._categories[key]
        return None

    def _min_quality(self, value: Any) -> float | None:
        if value is None:
            return None
        if value == HIGH_QUALITY:
            return self.vocabulary.quality_bar
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                0.0 <= value <= 1.0):
            raise ConstraintError(
                f"'min_quality' must be a number in [0, 1] (the catalog's quality scale; "
                f"(stars - 1) / 4 for 1-5 stars) or {HIGH_QUALITY!r}, got {value!r}"
            )
        return float(value)

    def _reference(self, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, Mapping) and set(value) == {"id"}:
            try:
                return int(self.catalog.index_of([value["id"]])[0])
            except KeyError as error:
                raise ConstraintError(f"'reference': {error.args[0]}") from None
        if not isinstance(value, str) or not value.strip():
            raise ConstraintError(
                f"'reference' must be an item title or {{\"id\": ITEM_ID}}, got {value!r}"
            )
        matches = self._titles.get(value.strip().casefold(), [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            ids = [str(self.catalog.ids[i]) for i in matches]
            raise ConstraintError(
                f"'reference': {len(matches)} items are titled {value!r} (ids {ids}); name "
                "one as {\"id\": ITEM_ID}"
            )
        close = difflib.get_close_matches(value, self.catalog.titles, n=3)
        hint = f"; did you mean {close}?" if close else ""
        raise ConstraintError(
            f"'reference': no item of catalog {self.catalog.name!r} is titled {value!r}{hint}"
        )


def _category_forms(name: str) -> tuple[str, str]:
    """A category name's lookup keys: as written and without a plural "s", so "Sci-Fi",
    "scifi", "childrens" and "game console" find "sci-fi", "children's", "game consoles"."""
    key = category_key(name)
    return key, key.removesuffix("s")


def _category_lookup(names: Sequence[str]) -> dict[str, int]:
    """Lookup key -> category index; a key two categories share names neither."""
    lookup: dict[str, int | None] = {}
    for index, name in enumerate(names):
        for key in set(_category_forms(name)):
            lookup[key] = None if key in lookup and lookup[key] != index else index
    return {key: index for key, index in lookup.items() if index is not None}


def _range(value: Any, attribute: str) -> tuple[float, float]:
    """Inclusive (low, high) from `{"min": x, "max": y}`, either bound optional."""
    if not isinstance(value, Mapping) or not value or set(value) - {"min", "max"}:
        raise ConstraintError(
            f"'{attribute}' must be an object with 'min' and/or 'max' (inclusive numbers), "
            f"got {value!r}"
        )
    bounds = []
    for key, unbounded in (("min", -math.inf), ("max", math.inf)):
        bound = value.get(key)
        if bound is None:
            bounds.append(unbounded)
        elif isinstance(bound, bool) or not isinstance(bound, int | float) or not math.isfinite(
                bound):
            raise ConstraintError(f"'{attribute}.{key}' must be a number, got {bound!r}")
        else:
            bounds.append(float(bound))
    low, high = bounds
    if low > high:
        raise ConstraintError(f"'{attribute}': min {low:g} is above max {high:g}")
    return low, high


def _popularity(value: Any) -> Popularity | None:
    if value is not None and value not in POPULARITY_CODES:
        choices = [name for name in POPULARITY_CODES if name is not None]
        raise ConstraintError(f"'popularity' must be one of {choices}, got {value!r}")
    return value

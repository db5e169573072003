"""Where each candidate's year or price stands against the numbers an instruction states.

"A crime thriller from the 80s", "horror before 1970", "under $50": the constraint is a
number, and a head that learns one direction per decade from the instruction's words
learns the decades the training language says often and not the others (after training
in the simulator, the 80s and 70s of people's instructions were met far less often than
the 90s). So the instruction's numbers are read as spans of the catalog's range attribute
and each candidate gets, against them:

- whether its value lies in one of the spans, in their hull (first start to last end),
  below the hull or above it,
- its distance from the hull as a share of a quarter of the attribute's spread (capped
  at one),
- whether its value is known, and whether the instruction states a number at all.

Which of these the instruction wants ("before", "under", "from the") is the head's to
learn from its words; nothing here knows the instruction language beyond how numbers
are written: digits ("1994", "1,000", "$49.99"), decades ("1990s", "90s", "'80s", "80's")
and the English decade words ("the eighties"). A two-digit decade takes the century that
puts it in the catalog's range; a number outside the range (give or take a tenth of
it) is not about the attribute ("4 stars", "10 films") and is left out.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import torch

from ifr_sim.core.catalog.catalog import Catalog

SIZE = 7
"""Features per candidate (see the module docstring, in that order)."""
DECADE_WORDS = {
    "twenties": 20, "thirties": 30, "forties": 40, "fifties": 50,
    "sixties": 60, "seventies": 70, "eighties": 80, "nineties": 90,
}
"""English decade words and the two-digit decade each names. Not the instruction
language's table (`rich_words.DECADE_WORDS`): the scorer reads no word list of the
simulator's, so what it learns cannot lean on how the simulator happens to phrase things."""
_DECADE_WORD = "|".join(DECADE_WORDS)
_NUMBER = re.compile(
    rf"(?P<word>\b(?:{_DECADE_WORD})\b)"
    r"|(?P<full>\b(?:1[5-9]|20)\d0)\s?'?s\b"
    r"|(?P<short>(?<![\w.,])'?\d0)\s?'?s\b"
    r"|(?P<number>(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.,])\d+(?:\.\d+)?)",
    re.IGNORECASE,
)
"""A decade word, a four-digit decade ("1990s"), a two-digit one ("90s", "'80s", "80's")
or a plain number (with thousands commas and decimals)."""
MARGIN = 0.1
"""Numbers this share of the attribute's spread outside its range still count."""
DISTANCE_SCALE = 0.25
"""Share of the attribute's spread at which the distance feature reaches its cap of one."""


class NumberFeatures:
    """Per-candidate features (B, N, `SIZE`) against the numbers each instruction states.

    Args:
        catalog: its range attribute (a year, a price) is what numbers are compared with;
            use only when `NumberFeatures.applies(catalog)`.
    """

    cache_size = 4096

    def __init__(self, catalog: Catalog) -> None:
        name = catalog.range_attribute
        if name is None or not self.applies(catalog):
            raise ValueError(f"catalog {catalog.name!r} has no numeric range attribute to "
                             "compare numbers with; check NumberFeatures.applies first")
        values = np.asarray(catalog.attributes[name], np.float64)
        known = np.isfinite(values)
        self.low, self.high = float(values[known].min()), float(values[known].max())
        self.spread = max(self.high - self.low, 1e-9)
        self.values = torch.from_numpy(np.where(known, values, np.nan))
        self.known = torch.from_numpy(known)
        self._spans: OrderedDict[str, list[tuple[float, float]]] = OrderedDict()

    @staticmethod
    def applies(catalog: Catalog) -> bool:
        """Whether the catalog has a range attribute with at least one numeric value."""
        name = catalog.range_attribute
        if name is None or catalog.attributes[name].dtype.kind not in "fiu":
            return False
        return bool(np.isfinite(np.asarray(catalog.attributes[name], np.float64)).any())

    def spans(self, instruction: str) -> list[tuple[float, float]]:
        """The spans (low, high), inclusive, that the instruction's numbers name, in order.

        Example (years 1919-1998): "late 70s or 1985, not 4 stars" gives
        [(1970, 1979), (1985, 1985)].
        """
        found = []
        for match in _NUMBER.finditer(instruction):
            span = self._span(match)
            if span is not None and self._in_range(span):
                found.append(span)
        return found

    def __call__(self, instructions: Sequence[str], candidates: torch.Tensor) -> torch.Tensor:
        """Features (B, N, `SIZE`) for candidate indices (B, N) of `instructions`, computed
        for the whole batch at once (they are recomputed in every PPO minibatch)."""
        spans = [self._cached_spans(text) for text in instructions]
        width = max([1, *(len(found) for found in spans)])
        low = torch.full((len(spans), width), math.nan, dtype=torch.float64)
        high = low.clone()
        for row, found in enumerate(spans):
            for column, (bottom, top) in enumerate(found):
                low[row, column], high[row, column] = bottom, top
        stated = torch.tensor([bool(found) for found in spans])[:, None]
        start = torch.tensor([min((b for b, _ in found), default=0.0) for found in spans],
                             dtype=torch.float64)[:, None]
        end = torch.tensor([max((t for _, t in found), default=0.0) for found in spans],
                           dtype=torch.float64)[:, None]
        value = self.values[candidates.cpu()]  # NaN where unknown: every comparison False
        known = self.known[candidates.cpu()]
        inside = ((value[..., None] >= low[:, None]) & (value[..., None] <= high[:, None])).any(-1)
        below, above = stated & (value < start), stated & (value > end)
        distance = torch.where(below, start - value, torch.where(above, value - end, 0.0))
        columns = [inside, stated & known & ~below & ~above, below, above,
                   (distance / (DISTANCE_SCALE * self.spread)).clamp(max=1.0), known,
                   stated.expand_as(known)]
        features = torch.stack([column.to(torch.float32) for column in columns], dim=-1)
        return features.to(candidates.device)

    def _cached_spans(self, instruction: str) -> list[tuple[float, float]]:
        """`spans`, remembered for the instructions seen last (a rollout's are re-read by
        every minibatch of its update)."""
        found = self._spans.get(instruction)
        if found is None:
            found = self._spans[instruction] = self.spans(instruction)
            if len(self._spans) > self.cache_size:
                self._spans.popitem(last=False)
        else:
            self._spans.move_to_end(instruction)
        return found

    def _span(self, match: re.Match[str]) -> tuple[float, float] | None:
        if match["word"]:
            return self._decade(DECADE_WORDS[match["word"].lower()])
        if match["full"]:
            start = float(match["full"])
            return start, start + 9
        if match["short"]:
            return self._decade(int(match["short"].lstrip("'")))
        number = float(match["number"].replace(",", ""))
        return (number, number) if math.isfinite(number) else None

    def _decade(self, two_digits: int) -> tuple[float, float]:
        """The century's decade nearest the catalog's range ("the 20s": 1920s for films)."""
        starts = [century + two_digits for century in (1900.0, 2000.0)]
        middle = (self.low + self.high) / 2
        start = min(starts, key=lambda s: abs(s + 4.5 - middle))
        return start, start + 9

    def _in_range(self, span: tuple[float, float]) -> bool:
        margin = MARGIN * self.spread
        return span[1] >= self.low - margin and span[0] <= self.high + margin

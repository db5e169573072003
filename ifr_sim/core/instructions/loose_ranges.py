"""Year and price ranges said loosely: "90s", "from the nineties", "under fifty bucks".

The template language says a range bucket one tidy way ("from the 90s", "under $100").
People write the same bucket as a keyword ("'90s", "$100-$200", "1k+"), in words ("the
nineties", "a hundred bucks") or vaguely ("old", "latest"). Every phrase here means the
bucket's range or a looser version of it (films before 1960 are "old"); none narrows it,
so an item that satisfies the intent still satisfies what was said.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ifr_sim.core.instructions.rich_words import DECADE_WORDS, NUMBER_WORDS
from ifr_sim.core.instructions.vocabulary import RangeBucket


@dataclass(frozen=True)
class LoosePhrases:
    """The loose ways of saying one bucket.

    Attributes:
        keywords: forms for a keyword list ("90s", "under $100").
        postnominal: forms that follow a noun ("a comedy from the nineties").
    """

    keywords: tuple[str, ...]
    postnominal: tuple[str, ...]


def loose_phrases(bucket: RangeBucket, domain: str) -> LoosePhrases:
    """How people say `bucket` of a movie catalog's years or a shop's prices; buckets of
    other attributes keep their own phrases.

    >>> loose_phrases(RangeBucket("the 90s", (), 1990, 1999), "movies").keywords[:4]
    ('90s', "'90s", '1990s', 'nineties')
    """
    loose = None
    if domain == "movies":
        loose = _years(bucket.low, bucket.high)
    elif domain == "shop":
        loose = _prices(bucket.low, bucket.high)
    return loose or LoosePhrases(bucket.phrases, bucket.phrases)


def _years(low: float, high: float) -> LoosePhrases:
    if math.isinf(low):
        first, last = f"{high + 1:.0f}", f"{high - 9:.0f}s"
        return LoosePhrases(
            (f"pre-{first}", f"before {first}", "old", "really old", "vintage", "golden-age",
             "black-and-white era"),
            (f"from before {first}", f"from the {last} or earlier", "from way back",
             "from the golden age of cinema", f"made before {first}"),
        )
    if math.isinf(high):
        since = f"{low:.0f}"
        return LoosePhrases(
            ("newest", "latest", "new releases", f"{since} or later", f"{since}+", "recent"),
            (f"from {since} on", f"newer than {low - 1:.0f}", "that's fairly new",
             "from the last couple of years", f"released {since} or later"),
        )
    decade = int(low)
    short = f"{decade % 100:02d}s"
    word = DECADE_WORDS.get(decade, f"{decade}s")
    return LoosePhrases(
        (short, f"'{short}", f"{decade}s", word, f"{short} era", f"{decade}-{decade + 9}"),
        (f"from the {word}", f"made in the {word}", f"from the '{short}",
         f"between {decade} and {decade + 9}", f"from {decade} to {decade + 9}"),
    )


def _prices(low: float, high: float) -> LoosePhrases:
    if math.isinf(low):
        top = int(high)
        return LoosePhrases(
            (f"under {top}", f"under ${top:,}", f"<${top}", f"max ${top:,}",
             f"{short_amount(top)} or less", f"budget under ${top:,}", f"cheap, under {top}"),
            (f"under {said_amount(top)} bucks", f"for less than {top} dollars",
             f"for no more than ${top:,}", f"that won't cost over ${top:,}"),
        )
    if math.isinf(high):
        bottom = int(low)
        return LoosePhrases(
            (f"over ${bottom:,}", f"${short_amount(bottom)}+", f"{short_amount(bottom)} or more",
             f"high-end, over ${bottom:,}", f"above {bottom}"),
            (f"over {said_amount(bottom)} dollars", f"for more than ${bottom:,}",
             f"that costs over {short_amount(bottom)}"),
        )
    a, b = int(low), int(high)
    return LoosePhrases(
        (f"${a:,}-${b:,}", f"{a}-{b}", f"{short_amount(a)}-{short_amount(b)} range",
         f"around ${(a + b) // 2:,}"),
        (f"between {said_amount(a)} and {said_amount(b)} bucks", f"for {a} to {b} dollars",
         f"for at least ${a:,} but under ${b:,}", f"for around ${(a + b) // 2:,}"),
    )


def said_amount(amount: int) -> str:
    """A round amount in words where people write it so, else in digits.

    >>> said_amount(50), said_amount(120)
    ('fifty', '120')
    """
    return NUMBER_WORDS.get(amount, f"{amount:,}")


def short_amount(amount: int) -> str:
    """Whole thousands as "1k", other amounts in digits."""
    return f"{amount // 1000}k" if amount >= 1000 and amount % 1000 == 0 else str(amount)

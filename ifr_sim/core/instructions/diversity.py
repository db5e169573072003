"""Lexical diversity of a set of instructions: distinct n-grams and self-BLEU.

A generator that says every intent in the same few frames teaches a scorer those frames,
not the language people use. Two standard measures say how varied a corpus is, so a
generated language can be set next to a hand-written set:

- **distinct-n** (Li et al., 2016): distinct n-grams over all n-grams of the corpus;
  higher is more varied. It falls as a corpus grows, so compare corpora of one size.
- **self-BLEU** (Zhu et al., 2018, Texygen): the mean BLEU of each instruction against all
  the others as references; higher means the instructions repeat each other.

Words are lower-cased runs of letters, digits and apostrophes; punctuation is dropped, so
"Comedy!" and "comedy" are one word.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

BLEU_ORDER = 4
"""Largest n-gram of BLEU (uniform weights over 1..4, as in Texygen)."""
SMOOTHING = 0.1
"""Matches credited to an n-gram order without any (Chen & Cherry's method 1), so one
short instruction without a shared 4-gram does not zero its BLEU."""

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def words(text: str) -> list[str]:
    """Lower-cased words, punctuation dropped.

    >>> words("Sci-fi, NOT horror!! Kids' stuff")
    ['sci', 'fi', 'not', 'horror', 'kids', 'stuff']
    """
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """The n-grams of `tokens`, in order."""
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Distinct n-grams / all n-grams over the corpus (0 when it has no n-gram).

    >>> distinct_n(["a b a", "a b"], 1)  # words a, b, a, a, b: 2 distinct of 5
    0.4
    """
    grams = [gram for text in texts for gram in ngrams(words(text), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


class _Others:
    """For every n-gram, its two highest counts among the corpus's texts, so that the
    highest count among all texts but one is read in constant time."""

    def __init__(self, counts: Sequence[Counter[tuple[str, ...]]]) -> None:
        self.top: dict[tuple[str, ...], list[tuple[int, int]]] = {}
        for index, counter in enumerate(counts):
            for gram, count in counter.items():
                best = self.top.setdefault(gram, [])
                best.append((count, index))
                best.sort(reverse=True)
                del best[2:]

    def max_count(self, gram: tuple[str, ...], excluded: int) -> int:
        for count, index in self.top.get(gram, ()):
            if index != excluded:
                return count
        return 0


def self_bleu(texts: Sequence[str], order: int = BLEU_ORDER) -> float:
    """Mean sentence BLEU of each text against all the others (texts of fewer than two
    words are skipped; nan when fewer than two texts remain).

    Clipped n-gram precisions for n = 1..`order`, geometric mean with uniform weights,
    brevity penalty against the closest reference length (shorter on ties), as in
    `nltk.translate.bleu_score.sentence_bleu` with smoothing method 1 (`SMOOTHING`): a
    text that shares no word with any other scores 0.
    """
    tokenized = [tokens for tokens in map(words, texts) if len(tokens) >= 2]
    if len(tokenized) < 2:
        return math.nan
    per_order = [[Counter(ngrams(tokens, n)) for tokens in tokenized]
                 for n in range(1, order + 1)]
    others = [_Others(counts) for counts in per_order]
    lengths = sorted(len(tokens) for tokens in tokenized)
    total = 0.0
    for index, tokens in enumerate(tokenized):
        log_precision = 0.0
        for n in range(1, order + 1):
            counts = per_order[n - 1][index]
            possible = sum(counts.values())
            if possible == 0:  # shorter than n words: smoothed as an order without matches
                log_precision += math.log(SMOOTHING)
                continue
            clipped = sum(min(count, others[n - 1].max_count(gram, index))
                          for gram, count in counts.items())
            if n == 1 and clipped == 0:  # no word in common: BLEU 0, as in nltk
                log_precision = -math.inf
                break
            log_precision += math.log((clipped or SMOOTHING) / possible)
        reference = _closest_length(lengths, len(tokens))
        brevity = min(0.0, 1.0 - reference / len(tokens))
        total += math.exp(brevity + log_precision / order)  # exp(-inf) = 0
    return total / len(tokenized)


def _closest_length(lengths: list[int], length: int) -> int:
    """The reference length closest to `length` among the others (`lengths` sorted,
    `length` itself in it once), the shorter on a tie."""
    others = list(lengths)
    del others[bisect.bisect_left(others, length)]
    at = bisect.bisect_left(others, length)
    near = others[max(at - 1, 0) : at + 1]
    return min(near, key=lambda ref: (abs(ref - length), ref))


@dataclass(frozen=True)
class Diversity:
    """The lexical diversity of one corpus (see the module docstring)."""

    size: int
    distinct_1: float
    distinct_2: float
    distinct_3: float
    self_bleu: float
    mean_words: float


def diversity(texts: Sequence[str]) -> Diversity:
    """Every measure of `texts` at once."""
    return Diversity(
        size=len(texts),
        distinct_1=distinct_n(texts, 1),
        distinct_2=distinct_n(texts, 2),
        distinct_3=distinct_n(texts, 3),
        self_bleu=self_bleu(texts),
        mean_words=sum(len(words(t)) for t in texts) / len(texts) if texts else 0.0,
    )

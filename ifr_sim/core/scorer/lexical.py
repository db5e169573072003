"""Hashed word and word-pair features of an instruction, learned beside the language model.

A mean-pooled sentence embedding blurs the words that decide a hard constraint: "a war
movie, no drama" and "a drama, no war movies" embed almost alike. The head therefore
also reads a bag of the instruction's tokens and adjacent token pairs, hashed into a
fixed number of buckets (the hashing trick of Weinberger et al., 2009), each bucket a
learned vector. Pairs keep local order ("no drama" is not "drama, no"), which is what a
negation or a decade needs. Only the scorer's tokenizer is used: no vocabulary of ours,
so it works for any catalog and language the tokenizer covers.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

PAIR_MULTIPLIER = 1_000_003
"""Mixes a token pair into one integer before hashing (a prime above any vocabulary size)."""
BUCKET_MIXER = 2_654_435_761
"""Knuth's multiplicative hash constant: spreads neighbouring ids over the buckets."""


def hashed_ngrams(token_ids: Sequence[int], buckets: int) -> list[int]:
    """Bucket indices of the tokens and of each adjacent pair (deterministic, no salt).

    Example: ids [7, 9] give the buckets of 7, of 9 and of the pair (7, 9); an empty
    text gives [] (its bag is then the zero vector).
    """
    grams = [token + 1 for token in token_ids]
    grams += [(a + 1) * PAIR_MULTIPLIER + b + 1 for a, b in itertools.pairwise(token_ids)]
    return [(gram * BUCKET_MIXER) % (2**32) % buckets for gram in grams]


class HashedNgramBag(nn.Module):
    """Mean of learned bucket vectors (B, dim) over an instruction's tokens and token pairs.

    Args:
        tokenizer: the scorer's tokenizer (its ids are what gets hashed).
        buckets: number of hash buckets (rows of the embedding table).
        dim: size of each bucket's vector.
        max_length: tokens read per instruction.
    """

    cache_size = 4096

    def __init__(
        self, tokenizer: PreTrainedTokenizerBase, buckets: int, dim: int, max_length: int
    ) -> None:
        super().__init__()
        self.tokenizer = tokenizer
        self.buckets, self.max_length = buckets, max_length
        self.bag = nn.EmbeddingBag(buckets, dim, mode="mean")
        nn.init.normal_(self.bag.weight, std=0.1)
        self._ids: OrderedDict[str, list[int]] = OrderedDict()

    def forward(self, instructions: Sequence[str]) -> torch.Tensor:
        ids = [self._bucket_ids(text) for text in instructions]
        device = self.bag.weight.device
        flat = torch.tensor([i for row in ids for i in row], dtype=torch.long, device=device)
        lengths = torch.tensor([0] + [len(row) for row in ids[:-1]], dtype=torch.long)
        offsets = lengths.cumsum(0).to(device)
        return self.bag(flat, offsets)

    def _bucket_ids(self, text: str) -> list[int]:
        """The text's bucket indices; tokenizing is the slow part, so they are cached."""
        cached = self._ids.get(text)
        if cached is not None:
            self._ids.move_to_end(text)
            return cached
        tokens = self.tokenizer(
            text, add_special_tokens=False, truncation=True, max_length=self.max_length
        )["input_ids"]
        ids = self._ids[text] = hashed_ngrams(tokens, self.buckets)
        if len(self._ids) > self.cache_size:
            self._ids.popitem(last=False)
        return ids

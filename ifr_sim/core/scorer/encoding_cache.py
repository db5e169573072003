"""What a scorer computed from its encoder's weights, kept until any of them changes.

Item embeddings (all n catalog items), instruction embeddings (an LRU keyed by text) and
the reference features derived from both cost encoder forward passes; everything else a
scorer does is cheap. They stay valid exactly as long as the encoder's weights, which a
scorer identifies by a key of every weight's storage pointer and write counter (torch
bumps the counter on every in-place write: an optimizer step, `load_state_dict`, a
`.to()` move). No trainer has to remember to call anything.

Nothing else ever empties the cache: an embedding is the same to the last bit whatever
batch it was computed in (`Scorer.embed_texts`), so what the cache holds never changes a
result, and a run resumed with an empty cache continues exactly. Several scorers that run
one encoder module with the same weights (a policy and its frozen KL reference) share one
cache, so no text is encoded twice.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import torch

from ifr_sim.core.scorer.reference import ReferenceFeatures

WeightsKey = tuple[tuple[int, int], ...]
QUERY_CACHE_FLOATS = 2**25
"""Budget of the instruction cache (128 MiB of float32). With MiniLM's 384 dimensions
that is 87,381 texts: the 13,107 distinct training instructions of a 150k-step `standard`
run and every held-out one fit, so evaluations reuse their encodings."""


class EncodingCache:
    """Encodings made with one state of an encoder's weights (`key`; `item_key` for the
    items, which differs when items are encoded without the LoRA adapters).

    Args:
        dim: size of an instruction embedding (sets how many fit the budget).
    """

    def __init__(self, dim: int) -> None:
        self.key: WeightsKey = ()
        self.item_key: WeightsKey = ()
        self.items: torch.Tensor | None = None
        """(n, D) unit embeddings of every catalog item, or None until computed."""
        self.reference: ReferenceFeatures | None = None
        """Features relating candidates to the item an instruction names, or None."""
        self.queries: OrderedDict[str, torch.Tensor] = OrderedDict()
        self.query_capacity = max(4096, QUERY_CACHE_FLOATS // dim)

    def sync(self, key: WeightsKey, item_key: WeightsKey) -> None:
        """Drop what was made with other weights: instruction embeddings if `key` (all the
        weights that encode instructions) changed, item embeddings if `item_key` (those
        that encode items) did, and the reference features if either did."""
        if item_key != self.item_key:
            self.item_key = item_key
            self.items = None
            self.reference = None
        if key != self.key:
            self.key = key
            self.queries.clear()
            self.reference = None

    def instructions(
        self, texts: Sequence[str], embed: Callable[[list[str]], torch.Tensor]
    ) -> torch.Tensor:
        """Embeddings (len(texts), D); `embed` computes the distinct texts not cached."""
        found = {text: self.queries[text] for text in texts if text in self.queries}
        for text in found:
            self.queries.move_to_end(text)
        missing = [text for text in dict.fromkeys(texts) if text not in found]
        if missing:
            for text, vector in zip(missing, embed(missing), strict=True):
                found[text] = self.queries[text] = vector
            while len(self.queries) > self.query_capacity:
                self.queries.popitem(last=False)
        return torch.stack([found[text] for text in texts])

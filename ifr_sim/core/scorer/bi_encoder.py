"""The bi-encoder scorer: instruction and items embedded apart, compared by cosine."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ifr_sim.core.scorer.base import Scorer


class BiEncoderScorer(Scorer):
    """score = scale · cos(query, item) + head(query, item features).

    The fast default: every item is embedded once (and again only after the encoder's
    weights change), so scoring N candidates for B users is one (B, N, D) product. The
    scale starts at 20, the temperature sentence-transformers trains MNRL with, so a
    softmax over candidates is peaked enough to act on; the head starts at zero, so the
    untrained scorer is pure embedding similarity. Constructor arguments: see `Scorer`;
    the model is an encoder (`AutoModel`) such as all-MiniLM-L6-v2.
    """

    def score(
        self, query: torch.Tensor, instructions: Sequence[str], candidates: torch.Tensor
    ) -> torch.Tensor:
        """Logits (B, N): scaled cosine to each candidate plus the item-feature head."""
        candidates = candidates.to(self.device)
        # Against the whole catalog, then the candidates' columns: one matrix product, no
        # (B, N, D) copy of the candidates' embeddings (2x faster at N = 100).
        cosine = (query @ self.item_embeddings().T).gather(1, candidates)
        return self.scale * cosine + self.head_scores(query, instructions, candidates)

"""The cross-encoder scorer: instruction and item read together in one forward pass."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F
from transformers import PreTrainedModel

from ifr_sim.core.scorer.base import Scorer
from ifr_sim.core.scorer.lora import without_adapters
from ifr_sim.core.scorer.pooling import masked_mean


class CrossEncoderScorer(Scorer):
    """score = scale · relevance(instruction, item) + head(query, item features, pair).

    Every (instruction, item) pair is one joint encoding, so item tokens can attend to the
    instruction: slower than the bi-encoder (B·N forward passes, nothing to cache), but
    stronger once trained. The relevance is

    * the model's logit, when the directory holds a single-label
      `*ForSequenceClassification` cross-encoder (scale starts at 1);
    * otherwise, zero-shot for a plain encoder such as MiniLM: the cosine between the
      mean of the instruction-segment tokens and the mean of the item-segment tokens of
      the joint encoding (scale starts at 20).

    The zero-initialised head also reads `pair`, the mean of all tokens of the joint
    encoding, and is what learns relevance on top of that zero-shot signal.

    Constructor arguments: see `Scorer`; the model is an encoder (`AutoModel`) or a
    single-label sequence classifier, and its tokenizer must be a fast tokenizer (segment
    ids per token).
    """

    @property
    def uses_classifier(self) -> bool:
        """Whether the relevance is the model's own logit (a trained cross-encoder)."""
        return _is_classifier(self.encoder)

    @staticmethod
    def initial_scale(model: PreTrainedModel) -> float:
        """1 for a classifier's logit, 20 for the zero-shot cosine."""
        return 1.0 if _is_classifier(model) else 20.0

    @staticmethod
    def pair_dim(model: PreTrainedModel) -> int:
        """The head reads the mean of the joint encoding's tokens."""
        return int(model.config.hidden_size)

    def score(
        self, query: torch.Tensor, instructions: Sequence[str], candidates: torch.Tensor
    ) -> torch.Tensor:
        """Logits (B, N), one joint encoding per (instruction, candidate) pair."""
        candidates = candidates.to(self.device)
        rows, width = candidates.shape
        firsts = [instructions[row] for row in range(rows) for _ in range(width)]
        seconds = [self.item_texts[item] for item in candidates.flatten().tolist()]
        step = self.batch_size
        chunks = [
            self._encode_pairs(firsts[s : s + step], seconds[s : s + step])
            for s in range(0, len(firsts), step)
        ]
        relevance = torch.cat([chunk[0] for chunk in chunks]).view(rows, width)
        pair = torch.cat([chunk[1] for chunk in chunks]).view(rows, width, -1)
        return self.scale * relevance + self.head_scores(query, instructions, candidates, pair)

    def _encode_pairs(
        self, instructions: list[str], items: list[str]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Relevance (P,) and the mean of all tokens (P, D) for P joint encodings."""
        batch = self.tokenize(instructions, items)
        output = self.run_encoder(batch, output_hidden_states=True)
        hidden = output.hidden_states[-1]
        pair = masked_mean(hidden, batch["attention_mask"])
        if self.uses_classifier:
            return output.logits[:, 0].float(), pair
        segments = torch.tensor(
            [[-1 if s is None else s for s in batch.sequence_ids(i)] for i in range(len(items))],
            device=self.device,
        )
        instruction = masked_mean(hidden, segments == 0)
        item = masked_mean(hidden, segments == 1)
        return F.cosine_similarity(instruction, item, dim=-1), pair


def _is_classifier(model: nn.Module) -> bool:
    """A `*ForSequenceClassification` model (possibly under LoRA adapters)."""
    base = without_adapters(model)
    return type(base).__name__.endswith("ForSequenceClassification")

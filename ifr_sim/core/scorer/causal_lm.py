"""The causal-LM scorer: how likely a decoder finds each item as the answer to a request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from transformers import PreTrainedModel

from ifr_sim.core.scorer.base import Scorer
from ifr_sim.core.scorer.decoder_scoring import (
    naive_mean_log_probs,
    shared_prefix_mean_log_probs,
)

CUE = "Recommended item:"
PROMPT = "User request: {instruction}\n" + CUE


class CausalLMScorer(Scorer):
    """score = scale · mean log p(item tokens | prompt) + head(query, item features).

    The prompt is `PROMPT` filled with the instruction; the item's text follows it after a
    space. Averaging over the item's tokens (length normalisation) keeps long titles from
    losing to short ones. Each prompt runs once and its keys and values serve all its
    candidates (`decoder_scoring.py`), with attention masks so that no token sees padding
    or another candidate. Item tokens are found once per item by tokenizing
    `CUE + " " + text` and dropping the tokens `CUE` alone produces, so tokenizers that
    merge a leading space into the first word (BPE, SentencePiece) see the item as they
    would in the prompt. When a pair is too long, the prompt keeps its last and the item
    its first `max_length // 2` tokens. The query vector is the mean of the prompt's last
    hidden states. Scale starts at 1 (log-probabilities are already a usable logit).

    Constructor arguments: see `Scorer`; the model is a decoder (`AutoModelForCausalLM`).
    """

    embed_kwargs: ClassVar[dict[str, Any]] = {"use_cache": False, "logits_to_keep": 1}
    _item_tokens: list[list[int]] | None = None

    @staticmethod
    def initial_scale(model: PreTrainedModel) -> float:
        """1: a mean log-probability is already a usable logit."""
        return 1.0

    def query_text(self, instruction: str) -> str:
        """The prompt the item text is scored as a continuation of."""
        return PROMPT.format(instruction=instruction)

    def item_tokens(self) -> list[list[int]]:
        """Token ids of each item's text as it follows the prompt (cached; weights-free)."""
        if self._item_tokens is None:
            cue = self.tokenizer(CUE, add_special_tokens=False)["input_ids"]
            joint = self.tokenizer(
                [f"{CUE} {text}" for text in self.item_texts], add_special_tokens=False
            )["input_ids"]
            self._item_tokens = [
                ids[_common_prefix(cue, ids) :][: self.max_length // 2] for ids in joint
            ]
        return self._item_tokens

    def score(
        self, query: torch.Tensor, instructions: Sequence[str], candidates: torch.Tensor
    ) -> torch.Tensor:
        """Logits (B, N) from the mean log-probability of each candidate's tokens."""
        candidates = candidates.to(self.device)
        log_likelihood = self.mean_log_probs(instructions, candidates)
        return self.scale * log_likelihood + self.head_scores(query, instructions, candidates)

    def mean_log_probs(
        self, instructions: Sequence[str], candidates: torch.Tensor, shared_prefix: bool = True
    ) -> torch.Tensor:
        """Mean log-probability (B, N) of each candidate's tokens after its prompt.

        The shared-prefix path runs each prompt once for all its candidates; the naive
        one (`shared_prefix=False`) runs every pair in full and is kept to check it
        (`decoder_scoring.py`).
        """
        keep = self.max_length - self.max_length // 2
        prompts = self.tokenizer([self.query_text(text) for text in instructions])["input_ids"]
        items = self.item_tokens()
        continuations = [[items[item] for item in row] for row in candidates.tolist()]
        mean_log_probs = shared_prefix_mean_log_probs if shared_prefix else naive_mean_log_probs
        with self.encoder_context():
            return mean_log_probs(
                self.encoder, [ids[-keep:] for ids in prompts], continuations, self.batch_size
            )


def _common_prefix(first: list[int], second: list[int]) -> int:
    """Length of the longest common prefix of two token-id lists."""
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return length

"""The causal-LM scorer: how likely a decoder finds each item as the answer to a request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from transformers import PreTrainedModel

from ifr_sim.core.scorer.base import Scorer

CUE = "Recommended item:"
PROMPT = "User request: {instruction}\n" + CUE


class CausalLMScorer(Scorer):
    """score = scale · mean log p(item tokens | prompt) + head(query, item features).

    The prompt is `PROMPT` filled with the instruction; the item's text follows it after a
    space. Averaging over the item's tokens (length normalisation) keeps long titles from
    losing to short ones. Each (prompt, item) pair is one right-padded row with an
    attention mask, so causal attention never sees the padding and a pair's score does not
    depend on its batch. Item tokens are found once per item by tokenizing
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
        rows, width = candidates.shape
        keep = self.max_length - self.max_length // 2
        prompts = self.tokenizer([self.query_text(text) for text in instructions])["input_ids"]
        items = self.item_tokens()
        pairs = [
            (prompts[row][-keep:], items[item])
            for row, row_items in enumerate(candidates.tolist())
            for item in row_items
        ]
        log_likelihood = torch.cat(
            [
                self._mean_log_prob(pairs[start : start + self.batch_size])
                for start in range(0, len(pairs), self.batch_size)
            ]
        ).view(rows, width)
        return self.scale * log_likelihood + self.head_scores(query, instructions, candidates)

    def _mean_log_prob(self, pairs: list[tuple[list[int], list[int]]]) -> torch.Tensor:
        """Mean log-probability (P,) of each pair's second part given its first."""
        width = max(len(prompt) + len(item) for prompt, item in pairs)
        ids = torch.full((len(pairs), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        is_item = torch.zeros_like(ids, dtype=torch.bool)
        for row, (prompt, item) in enumerate(pairs):
            end = len(prompt) + len(item)
            ids[row, :end] = torch.tensor(prompt + item)
            mask[row, :end] = 1
            is_item[row, len(prompt) : end] = True
        ids, mask, is_item = ids.to(self.device), mask.to(self.device), is_item.to(self.device)
        inputs = {"input_ids": ids, "attention_mask": mask}
        logits = self.run_encoder(inputs, use_cache=False).logits
        # Position t predicts token t + 1: score the logits just before each item token.
        predicted = is_item[:, 1:]
        log_probs = torch.log_softmax(logits[:, :-1][predicted].float(), dim=-1)
        token_log_probs = log_probs.gather(-1, ids[:, 1:][predicted].unsqueeze(-1)).squeeze(-1)
        row_of_token = predicted.nonzero()[:, 0]
        totals = torch.zeros(len(pairs), device=self.device).index_add(
            0, row_of_token, token_log_probs
        )
        return totals / predicted.sum(-1)


def _common_prefix(first: list[int], second: list[int]) -> int:
    """Length of the longest common prefix of two token-id lists."""
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return length

"""How likely a decoder finds each candidate's tokens after a prompt: naive or shared-prefix.

Both functions return, for B prompts and N candidate continuations each, the mean
log-probability (B, N) of each continuation's tokens given its prompt (length-normalised,
so long titles do not lose to short ones). They differ only in cost:

- `naive_mean_log_probs` runs every (prompt, continuation) pair as its own right-padded
  row: the prompt is recomputed for every candidate, and the model's LM head and a
  log-softmax run over the whole vocabulary at every position. With a 30-token prompt,
  10-token items and N = 100 that is 4,000 tokens per ranking. It is the plain reading of
  the definition, kept to check the fast path against.
- `shared_prefix_mean_log_probs` runs each prompt once and keeps its keys and values (a
  `DynamicCache`); every candidate then attends to its prompt's cache and to its own
  earlier tokens only, at the positions it would have in the naive row. 30 + 1,000 tokens
  for the example. The LM head and the log-softmax run only where an item token is
  predicted: the prompt's last position (once per prompt, shared by its candidates) and
  each item token but the last.

The two agree within float rounding (a test checks it on a random Llama in float32).
Gradients flow through both (LoRA on the decoder's projections trains through the shared
prompt). Attention is whatever the model was built with; transformers picks SDPA.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import torch
from torch import nn
from transformers import DynamicCache, PreTrainedModel

from ifr_sim.core.scorer.lora import without_adapters

Tokens = Sequence[int]


def naive_tokens(prompts: Sequence[Tokens], continuations: Sequence[Sequence[Tokens]]) -> int:
    """Tokens the naive path runs: every pair's prompt and continuation."""
    return sum(
        len(prompt) * len(row) + sum(len(item) for item in row)
        for prompt, row in zip(prompts, continuations, strict=True)
    )


def shared_tokens(prompts: Sequence[Tokens], continuations: Sequence[Sequence[Tokens]]) -> int:
    """Tokens the shared-prefix path runs: each prompt once, then every continuation."""
    return sum(len(prompt) for prompt in prompts) + sum(
        len(item) for row in continuations for item in row
    )


def naive_mean_log_probs(
    model: nn.Module,
    prompts: Sequence[Tokens],
    continuations: Sequence[Sequence[Tokens]],
    batch_size: int,
) -> torch.Tensor:
    """Mean log-probability (B, N) of each continuation, one full row per pair.

    Args:
        model: a causal LM (`*ForCausalLM`, possibly with LoRA adapters).
        prompts: B prompts' token ids.
        continuations: for each prompt, N non-empty token-id lists.
        batch_size: pairs per forward pass.
    """
    pairs = [
        (prompt, item) for prompt, row in zip(prompts, continuations, strict=True) for item in row
    ]
    means = [
        _naive_batch(model, pairs[start : start + batch_size])
        for start in range(0, len(pairs), batch_size)
    ]
    return torch.cat(means).view(len(prompts), -1)


def _naive_batch(model: nn.Module, pairs: list[tuple[Tokens, Tokens]]) -> torch.Tensor:
    device = _device(model)
    width = max(len(prompt) + len(item) for prompt, item in pairs)
    ids = torch.zeros((len(pairs), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    is_item = torch.zeros_like(ids, dtype=torch.bool)
    for row, (prompt, item) in enumerate(pairs):
        end = len(prompt) + len(item)
        ids[row, :end] = torch.tensor([*prompt, *item])
        mask[row, :end] = 1
        is_item[row, len(prompt) : end] = True
    ids, mask, is_item = ids.to(device), mask.to(device), is_item.to(device)
    logits = model(input_ids=ids, attention_mask=mask, use_cache=False).logits
    # Position t predicts token t + 1: score the logits just before each item token.
    predicted = is_item[:, 1:]
    log_probs = torch.log_softmax(logits[:, :-1][predicted].float(), dim=-1)
    token_log_probs = log_probs.gather(-1, ids[:, 1:][predicted].unsqueeze(-1)).squeeze(-1)
    totals = torch.zeros(len(pairs), device=device).index_add(
        0, predicted.nonzero()[:, 0], token_log_probs
    )
    return totals / predicted.sum(-1)


def shared_prefix_mean_log_probs(
    model: nn.Module,
    prompts: Sequence[Tokens],
    continuations: Sequence[Sequence[Tokens]],
    batch_size: int,
) -> torch.Tensor:
    """Mean log-probability (B, N) of each continuation, each prompt run once.

    Args: as for `naive_mean_log_probs`; `batch_size` counts continuations per pass.
    """
    backbone, head = decoder_parts(model)
    device = head.weight.device
    lengths = torch.tensor([len(prompt) for prompt in prompts], device=device)
    prompt_ids = _right_padded(prompts, device)
    prompt_mask = (torch.arange(prompt_ids.shape[1], device=device) < lengths[:, None]).long()
    cache = DynamicCache()
    hidden = backbone(
        input_ids=prompt_ids,
        attention_mask=prompt_mask,
        use_cache=True,
        **_cache_kwarg(backbone, cache),
    ).last_hidden_state
    last = hidden[torch.arange(len(prompts), device=device), lengths - 1]
    first_log_probs = torch.log_softmax(head(last).float(), dim=-1)  # (B, V): first item token
    layers = [(keys, values) for keys, values, *_ in cache]  # per layer, (B, heads, P, d)
    owners = [row for row, items in enumerate(continuations) for _ in items]
    items = [item for row in continuations for item in row]
    means = []
    for start in range(0, len(items), batch_size):
        rows = torch.tensor(owners[start : start + batch_size], device=device)
        chunk = items[start : start + batch_size]
        item_ids = _right_padded(chunk, device)
        item_lengths = torch.tensor([len(item) for item in chunk], device=device)
        steps = torch.arange(item_ids.shape[1], device=device)
        item_mask = (steps < item_lengths[:, None]).long()
        rows_cache = DynamicCache([(keys[rows], values[rows]) for keys, values in layers])
        hidden = backbone(
            input_ids=item_ids,
            attention_mask=torch.cat([prompt_mask[rows], item_mask], dim=1),
            position_ids=lengths[rows, None] + steps,
            use_cache=True,
            **_cache_kwarg(backbone, rows_cache),
        ).last_hidden_state
        predicts = item_mask[:, 1:].bool()  # position j predicts item token j + 1
        log_probs = torch.log_softmax(head(hidden[:, :-1][predicts]).float(), dim=-1)
        later = log_probs.gather(-1, item_ids[:, 1:][predicts].unsqueeze(-1)).squeeze(-1)
        first = first_log_probs[rows, item_ids[:, 0]]
        totals = first.index_add(0, predicts.nonzero()[:, 0], later)
        means.append(totals / item_lengths)
    return torch.cat(means).view(len(prompts), -1)


def decoder_parts(model: nn.Module) -> tuple[nn.Module, nn.Linear]:
    """The decoder stack (hidden states out) and the LM head of a causal LM.

    LoRA adapters sit inside the decoder's own projections, so the stack runs with them.
    """
    causal_lm = without_adapters(model)
    if not isinstance(causal_lm, PreTrainedModel):
        raise TypeError(f"expected a transformers causal LM, got {type(causal_lm).__name__}")
    head = causal_lm.get_output_embeddings()
    if not isinstance(head, nn.Linear):
        raise TypeError(f"{type(causal_lm).__name__} has no linear LM head to score with")
    return causal_lm.base_model, head


def _cache_kwarg(backbone: nn.Module, cache: DynamicCache) -> dict[str, DynamicCache]:
    """The cache argument under the name this transformers version uses."""
    parameters = inspect.signature(backbone.forward).parameters
    return {"cache" if "cache" in parameters else "past_key_values": cache}


def _right_padded(rows: Sequence[Tokens], device: torch.device) -> torch.Tensor:
    """(len(rows), longest) token ids, zero after each row's end (masked by the caller)."""
    ids = torch.zeros((len(rows), max(len(row) for row in rows)), dtype=torch.long)
    for index, row in enumerate(rows):
        ids[index, : len(row)] = torch.tensor(row)
    return ids.to(device)


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device

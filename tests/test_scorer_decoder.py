"""Shared-prefix decoder scoring: the same scores as the naive path, for far fewer tokens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer import CausalLMScorer, ScorerConfig, make_scorer
from ifr_sim.core.scorer.decoder_scoring import (
    naive_mean_log_probs,
    naive_tokens,
    shared_prefix_mean_log_probs,
    shared_tokens,
)
from ifr_sim.core.scorer.lora import add_lora

pytest_plugins = ("scorer_fixtures",)
ConfigFor = Callable[..., ScorerConfig]


def random_llama(seed: int = 0) -> LlamaForCausalLM:
    """A float32 Llama with grouped-query attention, SDPA and random weights, in eval mode."""
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=97, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, intermediate_size=64, max_position_embeddings=128,
        initializer_range=0.2,  # peaked distributions: a wrong position shows
    )
    config._attn_implementation = "sdpa"
    return LlamaForCausalLM(config).eval()


def random_rows(
    generator: torch.Generator, rows: int, width: int, low: int, high: int
) -> list[list[int]]:
    lengths = torch.randint(low, high + 1, (rows,), generator=generator).tolist()
    return [torch.randint(0, 97, (n,), generator=generator).tolist() for n in lengths]


@pytest.mark.parametrize("batch_size", [1, 5, 64])
def test_shared_prefix_scores_equal_the_naive_scores(batch_size: int) -> None:
    model = random_llama()
    generator = torch.Generator().manual_seed(1)
    prompts = random_rows(generator, 3, 0, 2, 9)  # prompts of different lengths: padding
    continuations = [random_rows(generator, 7, 0, 1, 5) for _ in prompts]  # one-token items too
    with torch.no_grad():
        naive = naive_mean_log_probs(model, prompts, continuations, batch_size)
        shared = shared_prefix_mean_log_probs(model, prompts, continuations, batch_size)
    assert shared.shape == naive.shape == (3, 7)
    torch.testing.assert_close(shared, naive, atol=1e-5, rtol=1e-5)


def test_shared_prefix_gradients_equal_the_naive_gradients() -> None:
    model = add_lora(random_llama(), rank=4, alpha=8.0)
    for name, parameter in model.named_parameters():
        if "lora_B" in name:  # away from zero, so the adapters change the scores
            torch.nn.init.normal_(parameter, std=0.1)
    generator = torch.Generator().manual_seed(2)
    prompts = random_rows(generator, 2, 0, 3, 8)
    continuations = [random_rows(generator, 4, 0, 1, 4) for _ in prompts]
    gradients = []
    for score in (naive_mean_log_probs, shared_prefix_mean_log_probs):
        model.zero_grad()
        score(model, prompts, continuations, 3).sum().backward()
        gradients.append([p.grad.clone() for p in model.parameters() if p.grad is not None])
    assert gradients[0]
    for naive, shared in zip(*gradients, strict=True):
        torch.testing.assert_close(shared, naive, atol=1e-5, rtol=1e-4)


def test_a_hundred_candidates_take_about_a_quarter_of_the_tokens() -> None:
    prompts = [[1] * 30]
    continuations = [[[2] * 10] * 100]
    assert naive_tokens(prompts, continuations) == 100 * (30 + 10)
    assert shared_tokens(prompts, continuations) == 30 + 100 * 10  # 3.9x fewer


def test_the_causal_lm_scorer_ranks_with_the_shared_prefix(
    config_for: ConfigFor, tiny_causal_dir: Path, tiny_catalog: Catalog
) -> None:
    scorer = make_scorer(config_for(tiny_causal_dir, backend="causal-lm"), tiny_catalog)
    assert isinstance(scorer, CausalLMScorer)
    candidates = torch.tensor([[0, 11, 4, 7], [3, 2, 1, 0]])
    instructions = ["a scary film", "something funny for the whole family tonight"]
    with torch.no_grad():
        shared = scorer.mean_log_probs(instructions, candidates)
        naive = scorer.mean_log_probs(instructions, candidates, shared_prefix=False)
        scores = scorer(instructions, candidates)
    torch.testing.assert_close(shared, naive, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(scores, shared)  # scale 1, head 0

"""Trainable modes and cache invalidation: what an optimizer step may and may not change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import torch

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer import Scorer, ScorerConfig, make_scorer
from ifr_sim.core.scorer.layout import padded_width

pytest_plugins = ("scorer_fixtures",)
ConfigFor = Callable[..., ScorerConfig]


def snapshot(scorer: Scorer) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in scorer.named_parameters()}


def changed(scorer: Scorer, before: dict[str, torch.Tensor]) -> set[str]:
    return {name for name, p in scorer.named_parameters() if not torch.equal(p, before[name])}


def step(scorer: Scorer) -> None:
    """One Adam step on a listwise loss that prefers item 1 for a horror request."""
    optimizer = torch.optim.Adam(scorer.trainable_parameters(), lr=1e-2)
    scores = scorer(["a scary film", "ghosts"], torch.tensor([[1, 0, 3], [1, 5, 9]]))
    loss = -torch.log_softmax(scores, dim=-1)[:, 0].mean()
    loss.backward()
    optimizer.step()


def count_encoder_calls(scorer: Scorer) -> list[int]:
    calls: list[int] = []
    scorer.encoder.register_forward_hook(lambda *_: calls.append(1))
    return calls


def test_head_mode_trains_only_the_heads(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    scorer = make_scorer(config_for(tiny_bert_dir, trainable="head"), tiny_catalog)
    assert not any(p.requires_grad for p in scorer.encoder.parameters())
    assert scorer.encoder_parameters() == []
    assert len(scorer.head_parameters()) == len(scorer.trainable_parameters()) > 0
    before = snapshot(scorer)
    step(scorer)
    moved = changed(scorer, before)
    assert {"log_scale", "head.out.weight", "head.out.bias"} <= moved
    assert not any(name.startswith("encoder.") for name in moved)


def test_lora_mode_trains_adapters_and_keeps_base_weights(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    scorer = make_scorer(config_for(tiny_bert_dir, trainable="lora", lora_rank=4), tiny_catalog)
    lora = {name for name, _ in scorer.named_parameters() if "lora_" in name}
    trainable_encoder = {id(p) for p in scorer.encoder_parameters()}
    assert lora
    assert trainable_encoder == {id(p) for n, p in scorer.named_parameters() if n in lora}
    assert any(".query.lora_A" in name for name in lora)  # peft's BERT targets: query, value
    assert any(".value.lora_A" in name for name in lora)
    before = snapshot(scorer)
    step(scorer)
    moved = changed(scorer, before)
    assert any("lora_B" in name for name in moved)
    assert not {name for name in moved if name.startswith("encoder.")} - lora


def test_lora_targets_decoder_attention_projections(
    config_for: ConfigFor, tiny_causal_dir: Path, tiny_catalog: Catalog
) -> None:
    config = config_for(tiny_causal_dir, backend="causal-lm", trainable="lora")
    scorer = make_scorer(config, tiny_catalog)
    names = {name for name, p in scorer.named_parameters() if p.requires_grad}
    assert any("q_proj.lora_A" in name for name in names)
    assert any("v_proj.lora_A" in name for name in names)
    step(scorer)  # the log-likelihood path is differentiable end to end


def test_item_cache_is_reused_until_an_optimizer_step(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    scorer = make_scorer(config_for(tiny_bert_dir, trainable="full", batch_size=5), tiny_catalog)
    widths = Counter(
        padded_width(len(ids)) for ids in scorer.tokenizer(list(tiny_catalog.texts))["input_ids"]
    )
    passes = sum(-(-count // 5) for count in widths.values())  # texts of one width, 5 a pass
    calls = count_encoder_calls(scorer)
    first = scorer.item_embeddings()
    assert len(calls) == passes
    assert scorer.item_embeddings() is first
    assert len(calls) == passes
    step(scorer)
    calls.clear()
    refreshed = scorer.item_embeddings()
    assert len(calls) == passes
    assert not torch.allclose(refreshed, first)
    with torch.no_grad():
        torch.testing.assert_close(refreshed, scorer.embed_texts(tiny_catalog.texts))


def test_instruction_cache_only_when_no_encoder_gradient_is_wanted(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    frozen = make_scorer(config_for(tiny_bert_dir, trainable="head"), tiny_catalog)
    calls = count_encoder_calls(frozen)
    first = frozen.encode_query(["ghosts", "comedy"])  # one token each: one forward pass
    assert len(calls) == 1
    again = frozen.encode_query(["comedy", "ghosts", "ghosts"])
    assert len(calls) == 1
    torch.testing.assert_close(again, first[[1, 0, 0]])

    full = make_scorer(config_for(tiny_bert_dir, trainable="full"), tiny_catalog)
    calls = count_encoder_calls(full)
    full.encode_query(["ghosts"])
    full.encode_query(["ghosts"])
    assert len(calls) == 2  # gradient wanted: never served from the cache
    with torch.no_grad():
        full.encode_query(["ghosts"])
        full.encode_query(["ghosts"])
    assert len(calls) == 3


def test_caches_filled_in_inference_mode_still_train(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    scorer = make_scorer(config_for(tiny_bert_dir, trainable="head"), tiny_catalog)
    with torch.inference_mode():
        scorer(["a scary film", "ghosts"], torch.tensor([[1, 0, 3], [1, 5, 9]]))
    assert not scorer.item_embeddings().is_inference()
    step(scorer)  # reads the cached items and queries in grad mode


def test_query_lora_adapts_instructions_and_never_re_encodes_items(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    config = config_for(tiny_bert_dir, trainable="query-lora", lora_rank=4)
    scorer = make_scorer(config, tiny_catalog)
    frozen = make_scorer(config_for(tiny_bert_dir), tiny_catalog)
    items = scorer.item_embeddings()
    assert torch.equal(items, frozen.item_embeddings())  # encoded without the adapters
    with torch.no_grad():
        before = scorer.encode_query(["ghosts"])
    step(scorer)
    calls = count_encoder_calls(scorer)
    assert scorer.item_embeddings() is items and calls == []  # still valid after the step
    with torch.no_grad():
        after = scorer.encode_query(["ghosts"])
    assert len(calls) == 1 and not torch.allclose(after, before)  # instructions re-encoded

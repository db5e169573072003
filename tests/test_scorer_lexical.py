"""The instruction's hashed word and word-pair features that the scorer's head reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer import ScorerConfig, make_scorer
from ifr_sim.core.scorer.lexical import HashedNgramBag, hashed_ngrams

pytest_plugins = ("scorer_fixtures",)
ConfigFor = Callable[..., ScorerConfig]


def test_hashed_ngrams_are_tokens_then_adjacent_pairs_in_range() -> None:
    buckets = hashed_ngrams([7, 9, 7], 1000)
    assert len(buckets) == 3 + 2
    assert buckets[0] == buckets[2]  # the same token, the same bucket
    assert buckets[3] != buckets[4]  # (7, 9) and (9, 7) are different pairs
    assert all(0 <= b < 1000 for b in buckets)
    assert hashed_ngrams([7, 9, 7], 1000) == buckets  # no salt: the same in every process
    assert hashed_ngrams([], 1000) == []


def test_word_order_changes_the_features_through_pairs(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    """Same words, different pairs: 'war, no drama' is not 'drama, no war'."""
    tokenizer = make_scorer(config_for(tiny_bert_dir), tiny_catalog).tokenizer
    bag = HashedNgramBag(tokenizer, buckets=4096, dim=8, max_length=64)
    with torch.no_grad():
        war, drama, again = bag(["war, no drama", "drama, no war", "war, no drama"])
        empty = bag([""])[0]
    assert not torch.allclose(war, drama)
    torch.testing.assert_close(war, again)
    torch.testing.assert_close(empty, torch.zeros(8))


def test_lexical_features_reach_the_logits_only_once_the_head_learns(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    """An untrained head outputs 0 whatever the words; a trained one separates them."""
    scorer = make_scorer(config_for(tiny_bert_dir), tiny_catalog)
    assert scorer.lexical is not None
    candidates = torch.tensor([[0, 1, 2, 3]])
    query = scorer.encode_query(["x"])  # one query vector: only the words differ below
    with torch.no_grad():
        first = scorer.head_scores(query, ["war, no drama"], candidates)
        second = scorer.head_scores(query, ["drama, no war"], candidates)
    torch.testing.assert_close(first, torch.zeros_like(first))
    torch.testing.assert_close(second, torch.zeros_like(second))

    optimizer = torch.optim.Adam(scorer.head_parameters(), lr=0.05)
    target = torch.tensor([[1.0, -1.0, 0.0, 0.0]])
    for _ in range(50):
        loss = ((scorer.head_scores(query, ["war, no drama"], candidates) - target) ** 2).sum()
        loss += (scorer.head_scores(query, ["drama, no war"], candidates) + target).pow(2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        first = scorer.head_scores(query, ["war, no drama"], candidates)
        second = scorer.head_scores(query, ["drama, no war"], candidates)
    assert first[0, 0] > first[0, 1] and second[0, 1] > second[0, 0]


def test_lexical_features_can_be_turned_off(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    scorer = make_scorer(config_for(tiny_bert_dir, lexical_buckets=0), tiny_catalog)
    assert scorer.lexical is None and scorer.head.lexical_in is None
    assert not any("lexical" in name for name, _ in scorer.named_parameters())

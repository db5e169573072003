"""The disk cache of item embeddings: reused across scorers, never for changed weights."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ifr_sim.core.scorer import make_scorer
from ifr_sim.core.scorer.embedding_store import CACHE_ENV

pytest_plugins = ("scorer_fixtures",)


def count_encodings(scorer, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = scorer.embed_texts

    def counting(texts):
        calls.append(len(texts))
        return original(texts)

    monkeypatch.setattr(scorer, "embed_texts", counting)
    return calls


def test_second_scorer_reads_the_first_ones_embeddings(
    tiny_bert_dir: Path, tiny_catalog, config_for, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    first = make_scorer(config_for(tiny_bert_dir), tiny_catalog)
    computed = first.item_embeddings()
    assert len(list((tmp_path / "item-embeddings").iterdir())) == 1
    second = make_scorer(config_for(tiny_bert_dir), tiny_catalog)
    calls = count_encodings(second, monkeypatch)
    assert torch.allclose(second.item_embeddings(), computed)
    assert calls == []


def test_changed_weights_never_use_or_fill_the_cache(
    tiny_bert_dir: Path, tiny_catalog, config_for, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    scorer = make_scorer(config_for(tiny_bert_dir, trainable="full"), tiny_catalog)
    pristine = scorer.item_embeddings().clone()
    with torch.no_grad():
        next(scorer.encoder.parameters()).add_(0.5)
    calls = count_encodings(scorer, monkeypatch)
    changed = scorer.item_embeddings()
    assert calls and not torch.allclose(changed, pristine)
    assert len(list((tmp_path / "item-embeddings").iterdir())) == 1  # only the pristine one


def test_a_corrupt_cache_entry_is_recomputed(
    tiny_bert_dir: Path, tiny_catalog, config_for, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    make_scorer(config_for(tiny_bert_dir), tiny_catalog).item_embeddings()
    (entry,) = (tmp_path / "item-embeddings").iterdir()
    entry.write_bytes(b"not a tensor file")
    again = make_scorer(config_for(tiny_bert_dir), tiny_catalog)
    assert again.item_embeddings().shape[0] == len(tiny_catalog)

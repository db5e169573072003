"""The precision and thread policy: bf16 where it pays, float32 heads, one CPU thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer import ScorerConfig, make_scorer
from ifr_sim.core.scorer.embedding_store import CACHE_ENV
from ifr_sim.core.scorer.precision import BF16_MIN_WIDTH, uses_bf16

pytest_plugins = ("scorer_fixtures",)
ConfigFor = Callable[..., ScorerConfig]
CUDA, CPU = torch.device("cuda"), torch.device("cpu")


@pytest.fixture
def restore_threads() -> Iterator[None]:
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_auto_picks_bf16_on_cuda_for_all_but_tiny_models() -> None:
    assert uses_bf16("auto", CUDA, 384)
    assert not uses_bf16("auto", CUDA, BF16_MIN_WIDTH - 1)
    assert uses_bf16("bf16", CPU, 32) and not uses_bf16("fp32", CUDA, 4096)


def test_a_frozen_bf16_encoder_is_stored_in_bf16_and_scores_like_float32(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    bf16 = make_scorer(config_for(tiny_bert_dir, precision="bf16"), tiny_catalog)
    fp32 = make_scorer(config_for(tiny_bert_dir, precision="fp32"), tiny_catalog)
    assert {p.dtype for p in bf16.encoder.parameters()} == {torch.bfloat16}
    assert {p.dtype for p in bf16.head.parameters()} == {torch.float32}
    with torch.no_grad():
        low, high = bf16.item_embeddings(), fp32.item_embeddings()
        scores = bf16(["ghosts"], torch.tensor([[0, 1, 2]]))
    assert low.dtype == scores.dtype == torch.float32
    assert (low * high).sum(-1).min() > 0.99  # cosine to the float32 embedding


def test_a_trainable_bf16_encoder_keeps_float32_weights_and_trains(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    config = config_for(tiny_bert_dir, precision="bf16", trainable="full")
    scorer = make_scorer(config, tiny_catalog)
    assert {p.dtype for p in scorer.encoder.parameters()} == {torch.float32}
    scores = scorer(["a scary film"], torch.tensor([[1, 0, 3]]))
    (-torch.log_softmax(scores, dim=-1)[0, 0]).backward()
    grads = [p.grad for p in scorer.encoder_parameters() if p.grad is not None]
    assert grads and {grad.dtype for grad in grads} == {torch.float32}


def test_the_disk_cache_keeps_bf16_and_float32_embeddings_apart(
    config_for: ConfigFor,
    tiny_bert_dir: Path,
    tiny_catalog: Catalog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    fp32 = make_scorer(config_for(tiny_bert_dir, precision="fp32"), tiny_catalog).item_embeddings()
    bf16 = make_scorer(config_for(tiny_bert_dir, precision="bf16"), tiny_catalog).item_embeddings()
    assert len(list((tmp_path / "item-embeddings").iterdir())) == 2
    assert not torch.equal(fp32, bf16)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_cpu_scorer_sets_the_configured_torch_threads(
    config_for: ConfigFor,
    tiny_bert_dir: Path,
    tiny_catalog: Catalog,
    restore_threads: None,
    threads: int,
) -> None:
    torch.set_num_threads(3)
    make_scorer(config_for(tiny_bert_dir, cpu_threads=threads), tiny_catalog)
    assert torch.get_num_threads() == threads
    make_scorer(config_for(tiny_bert_dir, cpu_threads=0), tiny_catalog)  # 0: left alone
    assert torch.get_num_threads() == threads

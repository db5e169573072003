"""Same inputs, same numbers to the last bit, whatever the caches held or the batch was.

An embedding that depends on its batch makes a run's results depend on its cache: a disk
cache filled by a process with another batch size, or an instruction cache emptied by a
resume, would change the last bits, and training amplifies them. These tests compare
with `torch.equal`, not a tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer import ScorerConfig, make_scorer
from ifr_sim.core.scorer.embedding_store import CACHE_ENV
from ifr_sim.core.scorer.layout import padded_width, passes

pytest_plugins = ("scorer_fixtures",)
ConfigFor = Callable[..., ScorerConfig]
REQUESTS = ["a scary film", "ghosts", "something funny for the kids", "a war movie, no drama"]


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_item_embeddings_are_bit_identical_however_they_are_batched(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog, precision: str
) -> None:
    texts = list(tiny_catalog.texts)
    fives = make_scorer(config_for(tiny_bert_dir, batch_size=5, precision=precision), tiny_catalog)
    sixty_four = make_scorer(
        config_for(tiny_bert_dir, batch_size=64, precision=precision), tiny_catalog
    )
    with torch.no_grad():
        catalog = fives.item_embeddings()
        one_by_one = torch.cat([fives.embed_texts([text]) for text in texts])
        reversed_order = sixty_four.embed_texts(texts[::-1]).flip(0)
        odd_ones = fives.embed_texts(texts[1::2])
    assert torch.equal(catalog, one_by_one)
    assert torch.equal(catalog, sixty_four.item_embeddings())
    assert torch.equal(catalog, reversed_order)
    assert torch.equal(catalog[1::2], odd_ones)


def test_a_disk_cache_filled_with_another_batch_size_equals_a_fresh_encoding(
    config_for: ConfigFor,
    tiny_bert_dir: Path,
    tiny_catalog: Catalog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    make_scorer(config_for(tiny_bert_dir, batch_size=64), tiny_catalog).item_embeddings()
    from_disk = make_scorer(config_for(tiny_bert_dir, batch_size=3), tiny_catalog)
    monkeypatch.setenv(CACHE_ENV, "off")
    fresh = make_scorer(config_for(tiny_bert_dir, batch_size=3), tiny_catalog)
    assert torch.equal(from_disk.item_embeddings(), fresh.item_embeddings())


@pytest.mark.parametrize(
    ("backend", "fixture"), [("bi-encoder", "tiny_bert_dir"), ("causal-lm", "tiny_causal_dir")]
)
def test_scores_do_not_depend_on_what_the_caches_hold(
    request: pytest.FixtureRequest,
    config_for: ConfigFor,
    tiny_catalog: Catalog,
    backend: str,
    fixture: str,
) -> None:
    config = config_for(request.getfixturevalue(fixture), backend=backend)
    warm, cold = make_scorer(config, tiny_catalog), make_scorer(config, tiny_catalog)
    torch.nn.init.normal_(warm.head.out.weight, generator=torch.Generator().manual_seed(0))
    cold.load_state_dict(warm.state_dict())
    candidates = torch.tensor([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
    with torch.no_grad():
        warm(REQUESTS, torch.arange(48).remainder(12).view(4, 12))  # fills every cache
        warm_scores = warm(REQUESTS[1:3], candidates)  # served from the caches
        cold_scores = cold(REQUESTS[1:3], candidates)  # computed from nothing, as a pair
    assert torch.equal(warm_scores, cold_scores)


def test_a_texts_padding_depends_on_its_own_length_only() -> None:
    assert [padded_width(n) for n in (1, 7, 8, 9, 15, 16)] == [8, 8, 16, 16, 16, 24]
    assert padded_width(510, limit=512) == 512 and padded_width(512, limit=512) == 512
    # a text at the limit is not padded, so it never shares a pass with padded ones
    assert passes([510, 512, 3, 511], batch_size=8, limit=512) == [(512, [0, 3]), (512, [1]),
                                                                  (8, [2])]
    assert passes([3, 4, 5], batch_size=2) == [(8, [0, 1]), (8, [2])]

"""The plain Python API: ranked recommendations for an instruction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ifr_sim.agents.recommender import Recommender
from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer import ScorerConfig, make_scorer

pytest_plugins = ("scorer_fixtures",)
ConfigFor = Callable[..., ScorerConfig]


@pytest.fixture
def recommender(config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog) -> Recommender:
    return Recommender(make_scorer(config_for(tiny_bert_dir), tiny_catalog))


def test_recommend_returns_k_items_best_first(recommender: Recommender) -> None:
    picks = recommender.recommend("a scary film", k=5, history=["0", "3"])
    assert [r.rank for r in picks] == [1, 2, 3, 4, 5]
    scores = [r.score for r in picks]
    assert scores == sorted(scores, reverse=True)
    assert len({r.item.id for r in picks}) == 5
    assert all(r.item == recommender.catalog.item(int(r.item.id)) for r in picks)


def test_recommend_ranks_only_the_given_candidates(recommender: Recommender) -> None:
    picks = recommender.recommend("a scary film", k=10, candidates=["2", "7", "4"])
    assert sorted(r.item.id for r in picks) == ["2", "4", "7"]


def test_recommend_rejects_k_below_one(recommender: Recommender) -> None:
    with pytest.raises(ValueError, match="at least one"):
        recommender.recommend("a scary film", k=0)


@pytest.mark.slow
def test_minilm_ranks_horror_above_children_animation(tiny_catalog: Catalog) -> None:
    recommender = Recommender.zero_shot(tiny_catalog, ScorerConfig(device="cpu"))
    picks = recommender.recommend("a scary horror film", k=len(tiny_catalog))
    ranks = {r.item.title: r.rank for r in picks}
    assert ranks["The Shining"] < ranks["Toy Story"]
    assert ranks["Halloween"] < ranks["The Lion King"]
    assert min(ranks[title] for title in ("The Shining", "Alien", "Halloween")) == 1

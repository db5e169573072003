"""What the scorer's head reads about items: the range thermometer and the named item."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer import ScorerConfig, make_scorer
from ifr_sim.core.scorer.heads import MAX_RANGE_EDGES, item_features, range_edges
from ifr_sim.core.scorer.reference import ReferenceFeatures

pytest_plugins = ("scorer_fixtures",)
ConfigFor = Callable[..., ScorerConfig]


def with_years(catalog: Catalog, years: list[float]) -> Catalog:
    return dataclasses.replace(
        catalog, attributes={"year": np.array(years, dtype=np.float64)}, range_attribute="year"
    )


def test_an_interval_of_the_range_is_the_difference_of_two_thermometer_columns(
    tiny_catalog: Catalog,
) -> None:
    years = [1955, 1962, 1969, 1975, 1980, 1984, 1989, 1990, 1994, 1998, float("nan"), 1980]
    catalog = with_years(tiny_catalog, years)
    features = item_features(catalog).numpy()
    edges = range_edges(np.array([y for y in years if np.isfinite(y)]))
    code = features[:, -len(edges) :] * len(edges)  # undo the 1/E scaling
    in_the_80s = code[:, list(edges).index(1980)] - code[:, list(edges).index(1990)]
    expected = [1980 <= y <= 1989 for y in years]  # NaN: unknown, in no interval
    np.testing.assert_array_equal(in_the_80s, np.array(expected, dtype=np.float32))
    assert features.shape[1] == len(catalog.category_names) + 4 + len(edges)
    assert np.all(features[10, -len(edges) :] == 0)  # unknown year: no column set


def test_range_edges_are_the_distinct_values_or_quantiles() -> None:
    assert range_edges(np.array([3.0, 1.0, 2.0, 2.0])).tolist() == [2.0, 3.0]
    prices = np.random.default_rng(0).lognormal(3.0, 1.0, 5000)
    edges = range_edges(prices)
    assert len(edges) == MAX_RANGE_EDGES and np.all(np.diff(edges) > 0)


def test_catalogs_without_a_range_attribute_get_no_thermometer(tiny_catalog: Catalog) -> None:
    assert item_features(tiny_catalog).shape[1] == len(tiny_catalog.category_names) + 4


def test_reference_features_point_at_the_item_the_instruction_resembles() -> None:
    torch.manual_seed(0)
    embeddings = F.normalize(torch.randn(6, 8), dim=-1)
    features = torch.tensor(
        [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    )
    reference = ReferenceFeatures(embeddings, features)
    embedded: list[list[str]] = []

    def embed(texts: list[str]) -> torch.Tensor:
        embedded.append(texts)
        return embeddings[[2 if text == "like item 2" else 4 for text in texts]]

    candidates = torch.tensor([[0, 2, 3, 5], [0, 2, 3, 5], [1, 4, 4, 2]])
    texts = ["like item 2", "like item 2", "like item 4"]
    out = reference(texts, candidates, embed)
    assert out.shape == (3, 4, ReferenceFeatures.size(2))
    near = {"atol": 0.02, "rtol": 0.0}
    torch.testing.assert_close(out[0, :, :2], features[candidates[0]] * features[2], **near)
    torch.testing.assert_close(
        out[0, :, 2:4], (features[candidates[0]] - features[2]).abs(), **near
    )
    torch.testing.assert_close(out[0, :, 4], embeddings[candidates[0]] @ embeddings[2], **near)
    torch.testing.assert_close(out[0, :, 5], torch.tensor([0.0, 1.0, 0.0, 0.0]), **near)
    torch.testing.assert_close(out[1], out[0])
    torch.testing.assert_close(out[2, :, 5], torch.tensor([0.0, 1.0, 1.0, 0.0]), **near)
    torch.testing.assert_close(reference(texts, candidates, embed), out)
    assert embedded == [["like item 2", "like item 4"]]  # each text once, then cached


def test_the_head_learns_to_prefer_items_sharing_a_category_with_the_named_one(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    """One rule for every named item, which only the reference features can express."""
    scorer = make_scorer(config_for(tiny_bert_dir, lexical_buckets=0), tiny_catalog)
    texts = list(tiny_catalog.texts)
    candidates = torch.arange(len(texts)).repeat(len(texts), 1)
    categories = torch.as_tensor(tiny_catalog.categories, dtype=torch.float32)
    shares = ((categories @ categories.T) > 0).float() - torch.eye(len(texts))
    with torch.no_grad():
        query = scorer.encode_query(texts)  # item i's own text names item i
        untrained = scorer.head_scores(query, texts, candidates)
    torch.testing.assert_close(untrained, torch.zeros_like(untrained))

    optimizer = torch.optim.Adam(scorer.head_parameters(), lr=0.02)
    for _ in range(150):
        logits = scorer.head_scores(query, texts, candidates)
        loss = F.binary_cross_entropy_with_logits(logits, shares.clamp(min=0))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        logits = scorer.head_scores(query, texts, candidates)
    wanted, unwanted = logits[shares > 0], logits[shares == 0]
    assert wanted.mean() > unwanted.mean() + 1.0


def test_reference_features_can_be_turned_off(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    scorer = make_scorer(config_for(tiny_bert_dir, reference_features=False), tiny_catalog)
    assert not scorer.reference_features and scorer.head.relation_in is None
    assert not any("relation" in name for name, _ in scorer.named_parameters())


def test_features_cached_in_inference_mode_serve_a_training_step(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    scorer = make_scorer(config_for(tiny_bert_dir), tiny_catalog)
    texts, candidates = ["like Toy Story", "like Alien"], torch.tensor([[0, 1, 2], [3, 4, 5]])
    with torch.inference_mode():
        scorer(texts, candidates)
    scorer(texts, candidates).sum().backward()
    assert scorer.head.relation_in is not None and scorer.head.relation_in.weight.grad is not None

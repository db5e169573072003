"""The scorer's number features: what spans an instruction's numbers name, and what the
head can learn from them that it cannot learn from words alone."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer import Scorer, ScorerConfig, make_scorer
from ifr_sim.core.scorer.numbers import SIZE, NumberFeatures

pytest_plugins = ("scorer_fixtures",)
ConfigFor = Callable[..., ScorerConfig]
YEARS = [1955, 1962, 1969, 1975, 1980, 1984, 1989, 1990, 1994, 1998, float("nan"), 1986]


def with_range(catalog: Catalog, name: str, values: list[float]) -> Catalog:
    return dataclasses.replace(
        catalog, attributes={name: np.array(values, dtype=np.float64)}, range_attribute=name
    )


@pytest.fixture()
def films(tiny_catalog: Catalog) -> Catalog:
    return with_range(tiny_catalog, "year", YEARS)


@pytest.mark.parametrize(
    ("instruction", "spans"),
    [
        ("comedy 90s", [(1990, 1999)]),
        ("something from the 1980s-ish", [(1980, 1989)]),
        ("acton adventure, the 80's", [(1980, 1989)]),
        ("60s/70s horror", [(1960, 1969), (1970, 1979)]),
        ("comedy from the Eighties", [(1980, 1989)]),
        ("pre-1970 classics", [(1970, 1970)]),
        ("made in 1997 or 1998", [(1997, 1997), (1998, 1998)]),
        ("at least 4.5 stars, top 10", []),  # not years: outside the catalog's range
        ("un film des années 70", []),  # a bare 70 is no year
        ("drama", []),
    ],
)
def test_numbers_are_read_as_spans_of_the_range_attribute(
    films: Catalog, instruction: str, spans: list[tuple[float, float]]
) -> None:
    assert NumberFeatures(films).spans(instruction) == spans


def test_a_two_digit_decade_takes_the_century_of_the_catalog(tiny_catalog: Catalog) -> None:
    old = NumberFeatures(with_range(tiny_catalog, "year", list(np.linspace(1920, 1960, 12))))
    new = NumberFeatures(with_range(tiny_catalog, "year", list(np.linspace(2001, 2030, 12))))
    assert old.spans("the 20s") == [(1920, 1929)]
    assert new.spans("the 20s") == [(2020, 2029)]


def test_prices_with_thousands_and_currency(tiny_catalog: Catalog) -> None:
    shop = NumberFeatures(with_range(tiny_catalog, "price", list(np.linspace(5, 1800, 12))))
    assert shop.spans("a laptop under $1,000") == [(1000, 1000)]
    assert shop.spans("between $49.99 and $120") == [(49.99, 49.99), (120, 120)]
    assert shop.spans("rated 9000 times") == []


def test_each_candidate_stands_inside_below_or_above_the_spans(films: Catalog) -> None:
    numbers = NumberFeatures(films)
    candidates = torch.arange(len(YEARS))[None].repeat(2, 1)
    out = numbers(["something from the 60s or the 80s", "a drama"], candidates)
    assert out.shape == (2, len(YEARS), SIZE)
    year = np.array(YEARS)
    known = np.isfinite(year)
    inside = ((year >= 1960) & (year <= 1969)) | ((year >= 1980) & (year <= 1989))
    np.testing.assert_array_equal(out[0, :, 0].numpy(), inside)
    np.testing.assert_array_equal(out[0, :, 1].numpy(), known & (year >= 1960) & (year <= 1989))
    np.testing.assert_array_equal(out[0, :, 2].numpy(), year < 1960)
    np.testing.assert_array_equal(out[0, :, 3].numpy(), year > 1989)
    spread = 1998 - 1955
    assert out[0, 0, 4].item() == pytest.approx(5 / (0.25 * spread))  # 1955: 5 years early
    assert out[0, 9, 4].item() == pytest.approx(9 / (0.25 * spread))  # 1998: 9 years late
    far = numbers(["from 1990 on"], candidates[:1])
    assert far[0, 0, 4].item() == 1.0  # 35 years early: capped at a quarter of the spread
    np.testing.assert_array_equal(out[:, :, 5].numpy(), np.tile(known, (2, 1)))
    assert out[0, :, 6].eq(1).all() and out[1, :, 6].eq(0).all()
    assert out[1, :, [0, 1, 2, 3, 4]].eq(0).all()  # no number: nothing to stand against
    assert out[0, 10, [0, 1, 2, 3, 4]].eq(0).all()  # unknown year: nowhere


def test_catalogs_without_numbers_get_no_number_features(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    assert not NumberFeatures.applies(tiny_catalog)
    with pytest.raises(ValueError, match="no numeric range attribute"):
        NumberFeatures(tiny_catalog)
    assert make_scorer(config_for(tiny_bert_dir), tiny_catalog).numbers is None


def _decade_precision(scorer: Scorer, decade: int) -> float:
    """Share of the top two for "from the {decade}s" that were made in that decade."""
    text = [f"a film from the {decade % 100}s"]
    candidates = torch.arange(len(YEARS))[None]
    with torch.no_grad():
        logits = scorer.head_scores(scorer.encode_query(text), text, candidates)
    top = logits[0].topk(2).indices.numpy()
    year = np.array(YEARS)[top]
    return float(np.mean((year >= decade) & (year <= decade + 9)))


@pytest.mark.parametrize("number_features", [True, False])
def test_a_decade_never_trained_on_is_found_through_the_numbers(
    config_for: ConfigFor, tiny_bert_dir: Path, films: Catalog, number_features: bool
) -> None:
    """Trained to rank "from the 60s" and "from the 90s" by decade, the head ranks the
    80s right only when it reads the numbers: from words, 80s is a decade it never saw."""
    torch.manual_seed(0)
    config = config_for(tiny_bert_dir, lexical_buckets=0, reference_features=False,
                        number_features=number_features)
    scorer = make_scorer(config, films)
    year = torch.tensor(YEARS)
    candidates = torch.arange(len(YEARS))[None].repeat(2, 1)
    texts = ["a film from the 60s", "a film from the 90s"]
    wanted = torch.stack([(year >= d) & (year <= d + 9) for d in (1960, 1990)]).float()
    query = scorer.encode_query(texts).detach()
    optimizer = torch.optim.Adam(scorer.head_parameters(), lr=0.02)
    for _ in range(150):
        loss = F.binary_cross_entropy_with_logits(
            scorer.head_scores(query, texts, candidates), wanted
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert _decade_precision(scorer, 1960) == 1.0
    assert (_decade_precision(scorer, 1980) == 1.0) is number_features

"""The time split of real ratings, and a world built before it that never reads past it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ifr_sim.agents.experiments.fidelity.real import load_real
from ifr_sim.core.catalog import CatalogError, Ratings, load_movielens
from ifr_sim.core.catalog.holdout import time_split
from ifr_sim.core.catalog.movielens import INTER_FILE, ITEM_FILE, _recbole_data_dir
from ifr_sim.core.config import with_overrides
from ifr_sim.envs.config import UserConfig, WorldConfig
from ifr_sim.envs.taste import fit_ratings
from ifr_sim.envs.users import build_population
from ifr_sim.envs.world import build_world


def _toy() -> Ratings:
    # Rater 0: times 5, 1, 3, 2, 4 (rows 0-4); round(0.2 x 5) = 1 held out: row 0.
    # Rater 1: two ratings (rows 5, 6, times 9 and 8); round(0.4) = 0, at least 1: row 5.
    # Rater 2: one rating (row 7): held out, nothing earlier.
    # Rater 3: five ratings in the same second (rows 8-12): the last in the table, 12.
    return Ratings(
        user=np.array([0, 0, 0, 0, 0, 1, 1, 2, 3, 3, 3, 3, 3]),
        item=np.arange(13),
        rating=np.array([5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 4, 3, 2], np.float32),
        num_users=4,
        timestamp=np.array([5, 1, 3, 2, 4, 9, 8, 7, 6, 6, 6, 6, 6], np.float64),
    )


def test_each_raters_last_fifth_by_time_is_held_out() -> None:
    split = time_split(_toy())
    assert split.heldout.item.tolist() == [0, 5, 7, 12]
    assert split.earlier.item.tolist() == [1, 2, 3, 4, 6, 8, 9, 10, 11]
    assert split.earlier.num_users == split.heldout.num_users == 4
    assert split.heldout.rating.tolist() == [5, 1, 3, 2]
    assert split.earlier.timestamp is not None and split.earlier.timestamp[0] == 1


def test_movielens_held_out_part_is_a_fifth_of_every_rater() -> None:
    ratings = load_movielens().ratings
    assert ratings is not None and ratings.timestamp is not None
    split = time_split(ratings)
    assert len(split.heldout.user) == 20_000 and len(split.earlier.user) == 80_000
    counts = np.bincount(ratings.user)
    held = np.bincount(split.heldout.user, minlength=ratings.num_users)
    assert (held == np.maximum(1, np.round(0.2 * counts))).all()
    # Nothing held out is older than what the same rater kept.
    last_kept = np.full(ratings.num_users, -np.inf)
    np.maximum.at(last_kept, split.earlier.user, split.earlier.timestamp)
    assert (split.heldout.timestamp >= last_kept[split.heldout.user]).all()


def test_ratings_without_times_cannot_be_split_by_time() -> None:
    toy = _toy()
    untimed = Ratings(toy.user, toy.item, toy.rating, toy.num_users)
    with pytest.raises(ValueError, match="no timestamps"):
        time_split(untimed)
    with pytest.raises(ValueError, match="use a share in"):
        time_split(toy, share=1.0)


def _with_rating(ratings: Ratings, row: int, value: float) -> Ratings:
    changed = ratings.rating.copy()
    changed[row] = value
    return Ratings(ratings.user, ratings.item, changed, ratings.num_users, ratings.timestamp)


def test_a_held_out_rating_cannot_change_the_fitted_factors() -> None:
    ratings = load_movielens().ratings
    assert ratings is not None
    held_row = int(np.flatnonzero(_held_out_rows(ratings))[0])
    kept_row = int(np.flatnonzero(~_held_out_rows(ratings))[0])

    def factors(table: Ratings) -> np.ndarray:
        fit = fit_ratings(time_split(table).earlier, 1682, iterations=2)
        return np.concatenate([fit.user.ravel(), fit.item.ravel(), fit.user_bias])

    original = factors(ratings)
    flipped = 1.0 if ratings.rating[held_row] > 3 else 5.0
    assert np.array_equal(factors(_with_rating(ratings, held_row, flipped)), original)
    # ...whereas an earlier rating does (so the comparison above can fail).
    flipped = 1.0 if ratings.rating[kept_row] > 3 else 5.0
    assert not np.array_equal(factors(_with_rating(ratings, kept_row, flipped)), original)


def _held_out_rows(ratings: Ratings) -> np.ndarray:
    """Row mask of the held-out part (rows are unique (rater, item) pairs)."""
    split = time_split(ratings)
    held = set(zip(split.heldout.user.tolist(), split.heldout.item.tolist(), strict=True))
    return np.array([(u, i) in held for u, i in zip(ratings.user.tolist(),
                                                    ratings.item.tolist(), strict=True)])


def test_a_world_built_before_the_holdout_never_reads_it(tmp_path: Path) -> None:
    """Rewrite held-out ratings (their values, and which item some of them rate) in a
    copy of the MovieLens files: nothing the world is built from (catalog columns and
    texts, tastes, familiarity, warm histories) changes."""
    source = _recbole_data_dir()
    shutil.copy(source / ITEM_FILE, tmp_path / ITEM_FILE)
    lines = (source / INTER_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    ratings = load_movielens().ratings
    assert ratings is not None
    held = np.flatnonzero(_held_out_rows(ratings))
    for row in held[:50]:  # line row + 2: a header line, then one line per rating row
        fields = lines[row + 1].split("\t")
        fields[2] = "1" if float(fields[2]) > 3 else "5"
        lines[row + 1] = "\t".join(fields)
    for row in held[50:100]:  # who rated what: the familiarity fit reads only that
        fields = lines[row + 1].split("\t")
        fields[1] = "1682"
        lines[row + 1] = "\t".join(fields)
    (tmp_path / INTER_FILE).write_text("".join(lines), encoding="utf-8")

    before = [load_movielens(directory, "before_holdout") for directory in (source, tmp_path)]
    assert np.array_equal(before[0].quality, before[1].quality)
    assert np.array_equal(before[0].popularity, before[1].popularity)
    assert before[0].texts == before[1].texts
    assert np.array_equal(before[0].ratings.rating, before[1].ratings.rating)
    populations = [build_population(catalog, UserConfig()) for catalog in before]
    for name in ("taste", "item_factors", "liked", "affinity"):
        assert np.array_equal(getattr(populations[0], name), getattr(populations[1], name))
    for name in ("user", "item", "bias", "mean", "scale"):
        assert np.array_equal(getattr(populations[0].familiarity, name),
                              getattr(populations[1].familiarity, name))
    # Built from all ratings, the same change shows (so the checks above can fail).
    every = [load_movielens(directory) for directory in (source, tmp_path)]
    assert not np.array_equal(every[0].quality, every[1].quality)


def test_only_catalogs_with_ratings_can_hold_some_out() -> None:
    world = build_world(with_overrides(WorldConfig(), {"catalog.ratings": "before_holdout"}))
    assert world.catalog.ratings is not None and len(world.catalog.ratings.user) == 80_000
    synthetic = with_overrides(WorldConfig(), {"catalog.source": "synthetic",
                                               "catalog.size": 200,
                                               "catalog.ratings": "before_holdout"})
    with pytest.raises(CatalogError, match="no real ratings to hold out"):
        build_world(synthetic)


def test_the_benchmark_refuses_a_world_that_saw_the_held_out_ratings() -> None:
    with pytest.raises(ValueError, match=r"catalog\.ratings='before_holdout'"):
        load_real(build_world(WorldConfig()), reg=10.0, seed=0)

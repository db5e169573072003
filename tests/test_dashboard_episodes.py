"""The episode inspector's data: what `simulate` records per turn, and the turn tables."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

from ifr_sim.agents.baselines.simple import OracleAgent
from ifr_sim.agents.evaluation.simulation import episode_record, run_episodes
from ifr_sim.agents.registry import make_agent
from ifr_sim.core.catalog import Catalog, CatalogError
from ifr_sim.core.config import with_overrides
from ifr_sim.dashboards import episodes
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.registration import ENV_ID

WORLD = {"num_candidates": 20, "slate_size": 4, "catalog.source": "synthetic",
         "catalog.size": 300, "intent_bank_size": 64}


@pytest.fixture(scope="module")
def env() -> gym.Env:
    return gym.make(ENV_ID, config=with_overrides(WorldConfig(), WORLD))


def test_every_turn_records_the_ground_truth_of_its_slate(env: gym.Env) -> None:
    agent = make_agent("popularity", env.unwrapped.world)  # type: ignore[attr-defined]
    records = [episode_record(e) for e in run_episodes(agent, env.unwrapped.config, 5, seed=3)]
    turns = [turn for record in records for turn in record["turns"]]
    assert len(turns) > 5
    for turn in turns:
        relevance = np.array(turn["relevance"])
        oracle = np.array(turn["oracle_relevance"])
        shown = np.array(turn["slate"]) != ""
        assert len(relevance) == len(turn["satisfies"]) == len(turn["oracle_slate"]) == 4
        assert np.all(relevance[np.array(turn["clicks"])] > 0)  # a click needs attraction
        assert np.all(relevance[~shown] == 0) and not any(np.array(turn["satisfies"])[~shown])
        assert np.all(np.diff(oracle) <= 0)  # the oracle's slate is best first
        assert relevance.max() <= oracle[0]  # and no shown item beats its first item
        assert len(set(turn["oracle_slate"])) == 4
    json.dumps(records)  # plain data, as the run store and the JSONL file take it


def test_the_oracle_agent_shows_exactly_the_recorded_oracle_slate(env: gym.Env) -> None:
    (record,) = [episode_record(e)
                 for e in run_episodes(OracleAgent(), env.unwrapped.config, 1, seed=0)]
    for turn in record["turns"]:
        assert turn["slate"] == turn["oracle_slate"]
        assert turn["relevance"] == pytest.approx(turn["oracle_relevance"])


@pytest.fixture(scope="module")
def catalog(env: gym.Env) -> Catalog:
    return env.unwrapped.world.catalog  # type: ignore[attr-defined]


def test_turn_tables_name_the_items_and_mark_clicks(catalog: Catalog) -> None:
    a, b, c = (str(item_id) for item_id in catalog.ids[:3])
    turn = {"instruction": "a phone", "slate": [a, "", b], "clicks": [False, False, True],
            "reward": 1.0, "relevance": [0.1, 0.0, 0.6], "satisfies": [False, False, True],
            "oracle_slate": [c, b, a], "oracle_relevance": [0.7, 0.6, 0.1]}
    slate = episodes.slate_table(turn, catalog)
    assert list(slate.columns) == list(episodes.SLATE_COLUMNS)
    assert slate["title"].tolist() == [catalog.titles[0], episodes.EMPTY_SLOT, catalog.titles[1]]
    assert slate["clicked"].tolist() == [False, False, True]
    assert slate["attractiveness"].tolist() == [0.1, 0.0, 0.6]
    oracle = episodes.oracle_table(turn, catalog)
    assert oracle["title"].tolist() == [catalog.titles[2], catalog.titles[1], catalog.titles[0]]
    assert oracle["in the slate"].tolist() == [False, True, True]
    # without a catalog (a catalog file since moved) the ids stay, the titles are blank
    assert episodes.slate_table(turn, None)["title"].tolist() == ["", episodes.EMPTY_SLOT, ""]


def test_records_without_ground_truth_still_show(catalog: Catalog) -> None:
    old = {"instruction": "a phone", "slate": [str(catalog.ids[0])], "clicks": [True],
           "reward": 1.0}
    slate = episodes.slate_table(old, catalog)
    assert slate["attractiveness"].isna().all() and slate["clicked"].tolist() == [True]
    assert episodes.oracle_table(old, catalog).empty
    summary = episodes.episode_summary([{"episode": 4, "profile": 9, "turns": [old, old],
                                         "reward": 2.0}])
    assert summary.values.tolist() == [[4, 9, 2, 2, 2.0]]


def test_the_run_catalog_is_the_one_its_world_names(catalog: Catalog) -> None:
    loaded = episodes.run_catalog({"source": "synthetic", "size": 300})
    assert loaded.titles == catalog.titles
    with pytest.raises(CatalogError, match="no such file"):
        episodes.run_catalog({"source": "/no/such/catalog.csv"})

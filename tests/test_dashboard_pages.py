"""Every dashboard page under Streamlit's AppTest, against a store made by real commands.

The store (tests/dashboard_fixtures.py) holds two tiny PPO runs of one config (seeds 0
and 1), evaluate runs of two baselines and the oracle on the same world, and a simulate
run. Making it takes a few tens of seconds, hence `slow`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ifr_sim.agents import playground
from ifr_sim.agents.evaluation.online import ranking_metric_names
from ifr_sim.agents.recommender import Recommender
from ifr_sim.core.run_store import RunStore
from ifr_sim.dashboards import data, references
from ifr_sim.envs.world import build_world

if TYPE_CHECKING:  # a plugin module must not be imported (pytest could not rewrite it)
    from dashboard_fixtures import DashboardWorkspace

pytest_plugins = ("scorer_fixtures", "dashboard_fixtures")
pytestmark = pytest.mark.slow

APP = Path(data.__file__).with_name("app.py")
TIMEOUT_S = 60.0
SLATE_SIZE = 4  # the workspace's world (dashboard_fixtures.WORLD): ranking metrics at @4
CHARTS = len(data.REWARD_KEYS) + len(ranking_metric_names(SLATE_SIZE)) + len(data.DIAGNOSTIC_KEYS)
NDCG = f"eval/ndcg@{SLATE_SIZE}"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, dashboard_workspace: DashboardWorkspace) -> AppTest:
    monkeypatch.setenv(data.RUNS_ENV, str(dashboard_workspace.path))
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).run()


def _texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


# Curves


def test_curves_of_a_training_run_with_every_chart(
    app: AppTest, dashboard_workspace: DashboardWorkspace,
) -> None:
    assert not app.exception
    newest = dashboard_workspace.training[-1]
    assert app.sidebar.multiselect[0].value == [newest]
    assert [header.value for header in app.subheader] == [*data.SECTIONS, "Last values"]
    assert len(app.get("vega_lite_chart")) == CHARTS
    assert len(app.get("download_button")) == CHARTS
    assert "best baseline" in _texts(app.caption)
    assert not app.error and not app.warning


def test_seeds_are_one_band_with_the_reference_lines(
    app: AppTest, dashboard_workspace: DashboardWorkspace,
) -> None:
    app.sidebar.multiselect[0].set_value(list(dashboard_workspace.training)).run()
    assert not app.exception
    assert len(app.get("vega_lite_chart")) == CHARTS
    app.sidebar.checkbox[0].uncheck().run()
    assert not app.exception

    store = RunStore(dashboard_workspace.path)
    runs = [store.run(run_id) for run_id in dashboard_workspace.training]
    frame = data.section_frame(store, runs, data.sections(runs)["Ranking"])
    ndcg = frame[frame["key"] == NDCG]
    measured = ndcg[ndcg["line"] == "run"]
    assert set(measured["run"]) == {f"{runs[0].id} (seeds 0, 1)"}
    assert (measured["seeds"] == 2).all()
    per_seed = pd.DataFrame(
        [(step, value) for run in runs for step, _, value in store.metrics(run.id,
                                                                           [NDCG])],
        columns=["step", "value"]).groupby("step")["value"]
    np.testing.assert_allclose(measured["value"], per_seed.mean())
    np.testing.assert_allclose(measured["low"], per_seed.min())
    np.testing.assert_allclose(measured["high"], per_seed.max())

    # the levels are those of the evaluate runs recorded on the same world
    def level(agent: str) -> float:
        ((_, _, value),) = store.metrics(dashboard_workspace.evaluations[agent],
                                         [NDCG])
        return value

    lines = ndcg.groupby("line")
    assert lines.get_group(references.ORACLE)["value"].tolist() == [level("oracle")] * 2
    baselines = set(dashboard_workspace.evaluations) - {"oracle"}
    best = max(baselines, key=level)
    baseline = lines.get_group(references.BEST_BASELINE)
    assert set(baseline["run"]) == {f"best baseline ({best})"}
    assert baseline["value"].tolist() == [level(best)] * 2
    assert baseline["step"].tolist() == [measured["step"].min(), measured["step"].max()]
    zero_shot = lines.get_group(references.ZERO_SHOT)["value"]
    assert (zero_shot == measured.sort_values("step")["value"].iloc[0]).all()


def test_the_preset_filter_separates_training_from_the_world_runs(
    app: AppTest, dashboard_workspace: DashboardWorkspace,
) -> None:
    preset = dashboard_workspace.preset
    assert app.sidebar.selectbox[1].options == ["any", "synthetic-shop", preset]
    app.sidebar.selectbox[1].set_value(preset).run()
    assert set(app.sidebar.multiselect[0].options) == set(dashboard_workspace.training)
    app.sidebar.selectbox[1].set_value("synthetic-shop").run()
    assert set(app.sidebar.multiselect[0].options) == {
        *dashboard_workspace.evaluations.values(), dashboard_workspace.simulation}
    app.sidebar.multiselect[0].set_value([dashboard_workspace.simulation]).run()
    assert not app.exception  # a simulate run has rollout values only: no eval charts
    assert "no data for the selected runs" in _texts(app.caption)


# Playground


def test_playground_ranks_for_a_typed_instruction(
    app: AppTest, dashboard_workspace: DashboardWorkspace,
) -> None:
    app.switch_page("playground_page.py").run()
    assert not app.exception
    newest = dashboard_workspace.training[-1]
    assert app.sidebar.selectbox[0].value == newest
    assert app.sidebar.selectbox[0].options == [playground.ZERO_SHOT,
                                                *reversed(dashboard_workspace.training)]
    slate, oracle = app.table  # the oracle's is in a collapsed expander
    assert len(slate.value) == len(oracle.value) == 4  # the world's slate size
    assert "held-out split" in _texts(app.caption)

    app.text_input[0].set_value("a cheap phone with good reviews").run()
    assert not app.exception
    slate = app.table[0].value
    store = RunStore(dashboard_workspace.path)
    run = store.run(newest)
    world = build_world(playground.world_config(run))
    user = playground.held_out_user(world, 0)
    expected = playground.recommend(Recommender.from_checkpoint(str(run.checkpoint)), world,
                                    user, "a cheap phone with good reviews")
    assert slate["id"].tolist() == [item.id for item in expected]
    np.testing.assert_allclose(slate["P(click)"],
                               [round(item.click_probability, 3) for item in expected])
    assert app.metric[0].value == f"{playground.expected_clicks(expected):.3f}"


def test_playground_compares_two_scorers_and_shows_the_oracle(app: AppTest) -> None:
    app.switch_page("playground_page.py").run()
    app.sidebar.selectbox[1].set_value(playground.ZERO_SHOT).run()
    app.sidebar.number_input[0].set_value(3).run()
    assert not app.exception
    headers = [header.value for header in app.subheader]
    assert headers[0].startswith("checkpoint of") and headers[1].startswith("zero-shot")
    assert len(app.table) == 3  # both slates and the oracle's
    assert len(app.metric) == 3
    oracle_clicks = float(app.metric[2].value)
    assert all(float(metric.value) <= oracle_clicks for metric in app.metric[:2])


# Episodes


def test_episode_inspector_steps_through_a_recorded_session(
    app: AppTest, dashboard_workspace: DashboardWorkspace,
) -> None:
    app.switch_page("episodes_page.py").run()
    assert not app.exception
    episodes = RunStore(dashboard_workspace.path).episodes(dashboard_workspace.simulation)
    assert app.sidebar.selectbox[0].value == dashboard_workspace.simulation
    assert len(app.sidebar.selectbox[1].options) == len(episodes)
    longest = max(range(len(episodes)), key=lambda i: len(episodes[i]["turns"]))
    app.sidebar.selectbox[1].set_value(longest).run()
    turns = episodes[longest]["turns"]
    assert len(turns) >= 2
    app.slider[0].set_value(2).run()
    assert not app.exception
    turn = turns[1]
    assert turn["instruction"] in _texts(app.markdown)
    slate, oracle = app.table
    assert slate.value["id"].tolist() == turn["slate"]
    assert slate.value["clicked"].tolist() == turn["clicks"]
    assert all(title for title in slate.value["title"])  # titles from the run's catalog
    assert oracle.value["id"].tolist() == turn["oracle_slate"]


def test_episodes_page_without_a_simulate_run_says_how_to_record_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    RunStore(tmp_path).start_run("train", {}, seed=0)
    monkeypatch.setenv(data.RUNS_ENV, str(tmp_path))
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).run()
    app.switch_page("episodes_page.py").run()
    assert not app.exception
    assert "ifr-sim simulate" in _texts(app.info)
    app.switch_page("playground_page.py").run()
    assert not app.exception
    assert "No training run with a checkpoint" in _texts(app.info)

"""The dashboard's Fidelity page under Streamlit's AppTest, on runs of the real command."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ifr_sim.apps.cli import main
from ifr_sim.core.run_store import RunStore
from ifr_sim.dashboards import data, fidelity

pytestmark = pytest.mark.slow

APP = Path(data.__file__).with_name("app.py")
TIMEOUT_S = 60.0
TINY = ["--raters", "20", "--sessions", "10", "--sweep-taste", "0.25,1", "--sweep-quality", "",
        "--sweep-familiarity", ""]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A MovieLens fidelity run, then a synthetic-shop one (the newest)."""
    path = tmp_path_factory.mktemp("fidelity-runs")
    assert main(["bench", "fidelity", *TINY, "--runs", str(path)]) == 0
    assert main(["bench", "fidelity", "--preset", "synthetic-shop", "--set",
                 "catalog.size=300", "--num-candidates", "20", *TINY, "--runs",
                 str(path)]) == 0
    return path


def _page(monkeypatch: pytest.MonkeyPatch, workspace: Path) -> AppTest:
    monkeypatch.setenv(data.RUNS_ENV, str(workspace))
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).run()
    app.switch_page("fidelity_page.py").run()
    assert not app.exception
    return app


def _texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def test_simulated_against_real_with_every_chart(
    monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    app = _page(monkeypatch, workspace)
    movielens, _ = RunStore(workspace).runs(kind="fidelity")[::-1]
    app.sidebar.selectbox[0].set_value(movielens.id).run()
    assert not app.exception and not app.error
    assert [header.value for header in app.subheader] == [
        "Rating error on held-out ratings", "Preference alignment", "Intent genres",
        "Popularity of what is clicked", "Genre shares", "Attractiveness weights"]
    # Ratings, alignment, deciles, genres, and one sweep chart per swept weight (one).
    assert len(app.get("vega_lite_chart")) == 5
    result = fidelity.fidelity_result(RunStore(workspace), movielens.id)
    assert result is not None
    frame = fidelity.alignment_frame(result)
    assert set(frame["protocol"]) == {"1:1", "1:3", "1:9", "liked_vs_disliked"}
    assert set(frame["scorer"]) == {"simulated users", "reference: random",
                                    "reference: popularity", "reference: biased_mf"}
    deciles = fidelity.decile_frame(result)
    assert set(deciles["source"]) == {fidelity.REAL, "simulated users, random policy",
                                      "simulated users, popularity policy"}
    sweep = fidelity.sweep_frame(result)
    assert sorted(set(sweep["value"])) == [0.25, 1.0]
    app.selectbox[1].set_value("instruction_click_share").run()  # the sweep's figure
    assert not app.exception


def test_a_catalog_without_ratings_shows_the_simulated_side_only(
    monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    app = _page(monkeypatch, workspace)  # the newest run, the synthetic shop, is picked
    assert "nothing to validate" in _texts(app.info)
    assert [header.value for header in app.subheader] == [
        "Popularity of what is clicked", "Genre shares", "Attractiveness weights"]
    assert not app.exception and not app.error


def test_without_a_fidelity_run_the_page_says_how_to_record_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    RunStore(tmp_path).start_run("train", {}, seed=0)
    app = _page(monkeypatch, tmp_path)
    assert "ifr-sim bench fidelity" in _texts(app.info)

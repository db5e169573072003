"""The dashboard in a real browser: `streamlit run` on 127.0.0.1, driven by Playwright.

Uses Debian's Chromium at /usr/bin/chromium (`make test` installs it when missing; no
browser is ever downloaded) on the store of tests/dashboard_fixtures.py. Checks that the
reward and ranking charts render and that the playground returns a ranked list for a
typed instruction; screenshots of both pages are saved in `test-artifacts/`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ifr_sim.agents import playground
from ifr_sim.agents.recommender import Recommender
from ifr_sim.apps.cli import dashboard_argv
from ifr_sim.core.run_store import RunStore
from ifr_sim.core.scorer.embedding_store import CACHE_ENV
from ifr_sim.dashboards.data import RUNS_ENV, sections
from ifr_sim.envs.world import build_world

if TYPE_CHECKING:  # a plugin module must not be imported (pytest could not rewrite it)
    from dashboard_fixtures import DashboardWorkspace

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # the skip below says how to install it
    sync_playwright = None

pytest_plugins = ("scorer_fixtures", "dashboard_fixtures")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
START_TIMEOUT_S = 60.0
PAGE_TIMEOUT_MS = 60_000
INSTRUCTION = "a cheap phone with good reviews"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sync_playwright is None,
                       reason="playwright is not installed: `.venv/bin/pip install playwright` "
                              "(no `playwright install`: the test uses /usr/bin/chromium)"),
    pytest.mark.skipif(not CHROMIUM.is_file(),
                       reason=f"no {CHROMIUM}: `apt-get install -y --no-install-recommends "
                              "chromium` (make test does it)"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Poll Streamlit's health endpoint until it answers `ok`; fail with the server's log."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"streamlit did not answer at {url} in {START_TIMEOUT_S:g} s:\n{log.read_text()}")


@pytest.fixture
def dashboard_url(
    dashboard_workspace: DashboardWorkspace, tmp_path: Path
) -> Iterator[str]:
    """`streamlit run` of the dashboard on a free port of 127.0.0.1, stopped afterwards."""
    port = _free_port()
    log = tmp_path / "streamlit.log"
    environment = {**os.environ, RUNS_ENV: str(dashboard_workspace.path), CACHE_ENV: "off"}
    with log.open("wb") as output:
        server = subprocess.Popen(dashboard_argv("127.0.0.1", port), env=environment,
                                  stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_dashboard_renders_charts_and_ranks_in_the_playground(
    dashboard_url: str, dashboard_workspace: DashboardWorkspace,
) -> None:
    assert sync_playwright is not None
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                         headless=True)
        try:
            # tall enough for the whole Curves page: Streamlit scrolls inside its own
            # container, so a full-page screenshot only holds what the viewport shows
            page = browser.new_page(viewport={"width": 1400, "height": 3200})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            expect.set_options(timeout=PAGE_TIMEOUT_MS)  # the first run imports torch
            _check_curves(page, dashboard_url, dashboard_workspace)
            _check_playground(page, dashboard_url, dashboard_workspace)
        finally:
            browser.close()


def _check_curves(page: Page, url: str, workspace: DashboardWorkspace) -> None:
    """The reward and ranking charts are drawn (Vega renders each into a canvas)."""
    newest = RunStore(workspace.path).run(workspace.training[-1])  # the page's default
    layout = sections([newest])  # its ranking cut-offs follow the run's slate size
    page.goto(url)
    for section in ("Reward", "Ranking"):
        expect(page.get_by_role("heading", name=section)).to_be_visible()
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    expect(charts).to_have_count(sum(len(keys) for keys in layout.values()))
    for number in range(len(layout["Reward"]) + len(layout["Ranking"])):
        drawn = charts.nth(number).locator("canvas, svg").first
        drawn.scroll_into_view_if_needed()
        expect(drawn).to_be_visible()
        box = drawn.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
    page.screenshot(path=ARTIFACTS / "dashboard-curves.png", full_page=True)


def _check_playground(page: Page, url: str, workspace: DashboardWorkspace) -> None:
    """Typing an instruction shows the checkpoint's ranking of the user's candidates."""
    page.goto(f"{url}/playground")
    box = page.get_by_label("Instruction")
    box.fill(INSTRUCTION)
    box.press("Enter")

    run = RunStore(workspace.path).run(workspace.training[-1])  # the default choice
    world = build_world(playground.world_config(run))
    expected = playground.recommend(Recommender.from_checkpoint(str(run.checkpoint)), world,
                                    playground.held_out_user(world, 0), INSTRUCTION)
    slate = page.locator('[data-testid="stTable"]').first
    for item in expected:  # rows appear once the server has ranked for the typed words
        expect(slate.locator("tbody tr").nth(item.position - 1)).to_contain_text(item.id)
    expect(slate.locator("tbody tr")).to_have_count(len(expected))
    assert slate.locator("thead").inner_text().split()[:2] == ["position", "title"]
    page.screenshot(path=ARTIFACTS / "dashboard-playground.png", full_page=True)

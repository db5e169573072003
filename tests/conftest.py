"""Test-wide settings."""

from __future__ import annotations

import pytest

from ifr_sim.core.scorer.embedding_store import CACHE_ENV


@pytest.fixture(autouse=True)
def no_embedding_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests count encoder calls and compare runs: keep the user's disk cache out of them.

    Tests of the cache itself set the variable to a temporary directory.
    """
    monkeypatch.setenv(CACHE_ENV, "off")


@pytest.fixture(autouse=True)
def isolated_run_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Commands run without `--runs` record into a temporary workspace, not ./runs."""
    monkeypatch.setenv("IFR_SIM_RUNS", str(tmp_path_factory.mktemp("runs")))

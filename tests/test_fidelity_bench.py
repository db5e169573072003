"""The fidelity benchmark in Python: any user model scored the same way, one seed one result."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ifr_sim.agents.experiments.fidelity.bench import run_fidelity
from ifr_sim.agents.experiments.fidelity.config import FidelityConfig
from ifr_sim.core.catalog import Catalog
from ifr_sim.core.catalog.holdout import time_split
from ifr_sim.core.config import with_overrides
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.registry import USER_MODELS
from ifr_sim.envs.session_state import Sessions, UserState
from ifr_sim.envs.user_model import Response, UserModel, register_user_model
from ifr_sim.envs.users import UserPopulation
from ifr_sim.envs.world import load_catalog

pytestmark = pytest.mark.slow
PROTOCOLS = ("1:1", "1:3", "1:9", "liked_vs_disliked")
TINY = FidelityConfig(raters=25, sessions=12, sweep_taste=(), sweep_quality=(),
                      sweep_familiarity=())


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """A user model that knows the held-out ratings, for one test."""
    monkeypatch.setattr(USER_MODELS, "_entries", dict(USER_MODELS._entries))
    register_user_model("test-foresighted", Foresighted)


class Foresighted(UserModel[UserState]):
    """Finds an item attractive exactly when its rater rated it in the held-out part, the
    more so the higher the rating; leaves after one turn."""

    def __init__(self, config: WorldConfig, catalog: Catalog, population: UserPopulation):
        full = load_catalog(with_overrides(config, {"catalog.ratings": "all"}).catalog)
        assert full.ratings is not None
        held = time_split(full.ratings).heldout
        self.rating = np.zeros((held.num_users, len(full)), np.float32)
        self.rating[held.user, held.item] = held.rating

    def initial_state(self, profile: np.ndarray, rng: np.random.Generator) -> UserState:
        return UserState(patience=np.ones(len(profile)))

    def attractiveness(self, state: UserState, session: Sessions) -> np.ndarray:
        rating = self.rating[session.profile[:, None], session.candidates]
        return np.where(rating > 0, 0.5 + rating / 10, 0.01).astype(np.float32)

    def transition(self, state: UserState, session: Sessions, response: Response) -> None:
        state.patience -= 1

    def leaves(self, state: UserState, session: Sessions, response: Response) -> np.ndarray:
        return state.patience <= 0

    def refines(self, state: UserState, session: Sessions, response: Response,
                leaving: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(len(leaving), bool)


def test_a_custom_user_model_is_probed_through_the_interface(registered: None) -> None:
    config = with_overrides(WorldConfig(), {"users.model": "test-foresighted"})
    result = run_fidelity(config, TINY)
    assert result["user_model"] == "test-foresighted"
    for protocol in PROTOCOLS:
        figures = result["alignment"][protocol]
        assert figures["accuracy"] == figures["auc"] == 1.0, protocol
    # The logistic users are no such oracle.
    logistic = run_fidelity(WorldConfig(), TINY)["alignment"]["1:1"]
    assert logistic["accuracy"] < 0.8


def _figures(result: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in result.items() if key != "seconds"}


def test_one_seed_gives_one_result() -> None:
    assert _figures(run_fidelity(WorldConfig(), TINY)) == _figures(
        run_fidelity(WorldConfig(), TINY))

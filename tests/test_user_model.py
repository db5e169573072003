"""The world's parts by name: user models, click models, catalogs, languages, candidates.

Each part is registered under a name and named in the config; these tests register fakes
(RecSim's trick: a user model that forces a click) and drive them through `gym.make`, as
a user of the library would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import ifr_sim
from ifr_sim.core.catalog import Catalog, make_synthetic_catalog
from ifr_sim.core.config import ConfigError, with_overrides
from ifr_sim.core.instructions import InstructionLanguage
from ifr_sim.envs.candidates import CandidateGenerator, register_candidate_generator
from ifr_sim.envs.catalogs import register_catalog
from ifr_sim.envs.click_models import ClickModel, register_click_model
from ifr_sim.envs.config import CatalogConfig, Split, WorldConfig, preset_config
from ifr_sim.envs.languages import register_language, templates
from ifr_sim.envs.logistic_users import LogisticUserModel, LogisticUserState
from ifr_sim.envs.registry import (
    CANDIDATE_GENERATORS,
    CATALOGS,
    CLICK_MODELS,
    LANGUAGES,
    USER_MODELS,
)
from ifr_sim.envs.session_state import Sessions, UserState
from ifr_sim.envs.user_model import Response, UserModel, register_user_model
from ifr_sim.envs.users import UserPopulation

ENV_ID = ifr_sim.ENV_ID
N, K = 20, 4
TINY = {"catalog.source": "synthetic", "catalog.size": 200, "num_candidates": N,
        "slate_size": K, "intent_bank_size": 64}


def world(**overrides: Any) -> WorldConfig:
    return with_overrides(preset_config("synthetic-shop"), {**TINY, **overrides})


@dataclass
class CountdownState(UserState):
    """Users who stay a fixed number of turns."""


class Smitten(UserModel[CountdownState]):
    """Finds every candidate irresistible, never refines, leaves after three turns."""

    def __init__(self, config: WorldConfig, catalog: Catalog, population: UserPopulation) -> None:
        self.num_candidates = config.num_candidates

    def initial_state(self, profile: np.ndarray, rng: np.random.Generator) -> CountdownState:
        return CountdownState(patience=np.full(len(profile), 3.0))

    def attractiveness(self, state: CountdownState, session: Sessions) -> np.ndarray:
        return np.ones((len(state.patience), self.num_candidates), np.float32)

    def transition(self, state: CountdownState, session: Sessions, response: Response) -> None:
        state.patience -= 1.0

    def leaves(self, state: CountdownState, session: Sessions, response: Response) -> np.ndarray:
        return state.patience <= 0

    def refines(self, state: CountdownState, session: Sessions, response: Response,
                leaving: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(len(leaving), bool)


class OnlyMatches(LogisticUserModel):
    """The default users, who find nothing attractive that breaks a hard constraint."""

    def attractiveness(self, state: LogisticUserState, session: Sessions) -> np.ndarray:
        return super().attractiveness(state, session) * session.hard


class WrongShape(Smitten):
    def attractiveness(self, state: CountdownState, session: Sessions) -> np.ndarray:
        return np.ones((len(state.patience), 3), np.float32)


class TopOnly(ClickModel):
    """Clicks the first position whenever it is attractive at all."""

    def _click_probabilities(self, a: np.ndarray) -> np.ndarray:
        return np.where(np.arange(a.shape[1]) == 0, (a > 0).astype(float), 0.0)

    def _sample(self, a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self._click_probabilities(a) > 0


class FirstItems(CandidateGenerator):
    """The catalog's first N items, in order (a retrieval stage that ignores the intent)."""

    def __init__(self, catalog: Catalog, config: WorldConfig) -> None:
        self.items = np.arange(config.num_candidates)

    def sample(self, rng: np.random.Generator, pools: np.ndarray,
               pool_counts: np.ndarray) -> np.ndarray:
        return np.tile(self.items, (len(pools), 1))


LANGUAGE_CALLS: list[tuple[str, Split, float]] = []


def recorded_templates(catalog: Catalog, split: Split, specificity: float) -> InstructionLanguage:
    LANGUAGE_CALLS.append((catalog.name, split, specificity))
    return templates(catalog, split, specificity)


def tiny_shop(config: CatalogConfig) -> Catalog:
    return make_synthetic_catalog(150, config.seed)


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fakes, registered for one test: other test modules see only the built-ins."""
    for registry in (CATALOGS, LANGUAGES, CANDIDATE_GENERATORS, USER_MODELS, CLICK_MODELS):
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))
    register_user_model("test-smitten", Smitten)
    register_user_model("test-only-matches", OnlyMatches)
    register_user_model("test-wrong-shape", WrongShape)
    register_click_model("test-top-only", lambda config: TopOnly())
    register_candidate_generator("test-first-items", FirstItems)
    register_language("test-recorded", recorded_templates)
    register_catalog("test-tiny-shop", tiny_shop)


def test_a_registered_user_model_plays_the_sessions() -> None:
    """Smitten users with the cascade click the top item every turn, for three turns."""
    env = gym.make(ENV_ID, config=world(**{"users.model": "test-smitten",
                                          "clicks.model": "cascade"}))
    _, info = env.reset(seed=0)
    assert (info["relevance"] == 1.0).all()
    rewards, terminated = [], False
    while not terminated:
        _, reward, terminated, _, info = env.step(np.arange(K))
        assert info["clicks"].tolist() == [True, False, False, False]
        rewards.append(reward)
    assert rewards == [1.0, 1.0, 1.0]


def test_a_subclass_of_the_default_model_keeps_its_dynamics_but_what_it_overrides() -> None:
    base = gym.make(ENV_ID, config=world())
    picky = gym.make(ENV_ID, config=world(**{"users.model": "test-only-matches"}))
    _, expected = base.reset(seed=1)
    _, info = picky.reset(seed=1)
    np.testing.assert_array_equal(info["relevance"], expected["relevance"] * expected["satisfies"])
    for _ in range(5):
        _, _, terminated, _, info = picky.step(info["oracle_slate"])
        assert (info["relevance"][~info["satisfies"]] == 0).all()
        if terminated:
            break


def test_every_part_is_picked_by_name() -> None:
    """A registered catalog, language, candidate generator and click model all serve."""
    LANGUAGE_CALLS.clear()
    env = gym.make(ENV_ID, config=world(**{
        "catalog.source": "test-tiny-shop", "language": "test-recorded", "split": "heldout",
        "candidates.generator": "test-first-items", "clicks.model": "test-top-only",
    })).unwrapped
    assert len(env.world.catalog) == 150  # type: ignore[attr-defined]
    assert LANGUAGE_CALLS == [("synthetic-shop", "heldout", 0.5)]
    obs, info = env.reset(seed=2)
    assert obs["candidates"].tolist() == list(range(N))
    _, _, _, _, step = env.step(np.arange(K))
    # The top-only model clicks the first slot iff its item is attractive at all.
    assert step["clicks"].tolist() == [bool(info["relevance"][0] > 0), False, False, False]


@pytest.mark.parametrize(
    ("key", "register_with"),
    [
        ("users.model", "register_user_model"),
        ("clicks.model", "register_click_model"),
        ("candidates.generator", "register_candidate_generator"),
        ("language", "register_language"),
    ],
)
def test_an_unknown_name_lists_the_known_ones_and_how_to_add_one(
    key: str, register_with: str
) -> None:
    with pytest.raises(ConfigError, match=rf"{key}='nobody' is invalid: choose one of \[.*"
                                          rf"'test-.*\] or add your own .* with {register_with}"):
        world(**{key: "nobody"})


def test_an_unknown_catalog_name_is_neither_registered_nor_a_file() -> None:
    with pytest.raises(ConfigError, match=r"catalog.source='shop' is invalid: name a registered "
                                          r"catalog \(movielens, synthetic, .*test-tiny-shop"):
        CatalogConfig(source="shop")


def test_a_name_means_one_part() -> None:
    with pytest.raises(ValueError, match="user model 'logistic' is already registered"):
        register_user_model("logistic", Smitten)
    with pytest.raises(ValueError, match="needs a non-empty name"):
        register_click_model(" ", lambda config: TopOnly())
    assert USER_MODELS.names()[0] == "logistic"


def test_a_user_model_of_the_wrong_shape_is_named_in_the_error() -> None:
    env = gym.make(ENV_ID, config=world(**{"users.model": "test-wrong-shape"}))
    with pytest.raises(ValueError, match=r"WrongShape.attractiveness returned shape \(32, 3\); "
                                         r"return one value in \[0, 1\] per user and candidate"):
        env.reset(seed=0)


def test_the_config_records_the_default_parts() -> None:
    config = WorldConfig()
    assert (config.users.model, config.clicks.model, config.candidates.generator,
            config.language, config.catalog.source) == (
        "logistic", "dcm", "mixed", "templates", "movielens")

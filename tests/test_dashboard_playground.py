"""The playground's logic: held-out users, a scorer's slate and the simulated response.

A tiny random BERT (tests/scorer_fixtures.py) scores a 300-item synthetic shop, so the
real loading, scoring and click-model code runs in seconds.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from ifr_sim.agents import playground
from ifr_sim.agents.recommender import Recommender
from ifr_sim.core.config import to_dict, with_overrides
from ifr_sim.core.run_store import RunStore
from ifr_sim.core.scorer import ScorerConfig
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.registration import ENV_ID
from ifr_sim.envs.world import World, build_world

pytest_plugins = ("scorer_fixtures",)

WORLD = {"num_candidates": 20, "slate_size": 4, "catalog.source": "synthetic",
         "catalog.size": 300, "intent_bank_size": 64}


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(with_overrides(WorldConfig(), WORLD))


@pytest.fixture(scope="module")
def recommender(world: World, tiny_bert_dir: Path) -> Recommender:
    return Recommender.zero_shot(world.catalog, ScorerConfig(model_path=str(tiny_bert_dir)))


def test_a_user_number_is_the_held_out_session_of_that_seed(world: World) -> None:
    user = playground.held_out_user(world, 5)  # the world's own split is train
    env = gym.make(ENV_ID, config=with_overrides(world.config, {"split": "heldout"}))
    obs, info = env.reset(seed=5)
    assert user.instruction == info["instruction"]
    assert user.candidates == tuple(str(world.catalog.ids[i]) for i in obs["candidates"])
    np.testing.assert_allclose(user.relevance, info["relevance"])
    assert user.profile in world.users.profiles("heldout")
    again = playground.held_out_user(world, 5)
    assert (again.instruction, again.candidates) == (user.instruction, user.candidates)
    np.testing.assert_array_equal(again.relevance, user.relevance)
    assert playground.held_out_user(world, 6).candidates != user.candidates
    with pytest.raises(ValueError, match="user number -1"):
        playground.held_out_user(world, -1)


def test_the_slate_is_the_scorers_top_k_with_the_click_models_response(
    world: World, recommender: Recommender,
) -> None:
    user = playground.held_out_user(world, 0)
    slate = playground.recommend(recommender, world, user, user.instruction)
    assert [item.position for item in slate] == [1, 2, 3, 4]
    ids = [item.id for item in slate]
    assert len(set(ids)) == 4 and set(ids) <= set(user.candidates)
    scores = [item.score for item in slate]
    assert scores == sorted(scores, reverse=True)
    expected = recommender.recommend(user.instruction, k=4, candidates=user.candidates,
                                     history=user.history)
    assert ids == [r.item.id for r in expected]
    attractiveness = np.array([item.attractiveness for item in slate])
    positions = [user.candidates.index(item_id) for item_id in ids]
    np.testing.assert_allclose(attractiveness, user.relevance[positions])
    # DCM (the default): P(click 1) = a1, P(click 2) = (1 - a1 (1 - λ)) a2, λ = 0.5
    a1, a2 = attractiveness[:2]
    assert slate[0].click_probability == pytest.approx(a1)
    assert slate[1].click_probability == pytest.approx((1 - a1 * 0.5) * a2)
    assert [item.title for item in slate] == [world.catalog.item(int(i)).title
                                              for i in world.catalog.index_of(ids)]
    # no slate of K candidates earns more expected clicks than the K most attractive
    oracle = playground.oracle_slate(world, user)
    assert playground.expected_clicks(slate) <= playground.expected_clicks(oracle)
    assert [item.attractiveness for item in oracle] == sorted(user.relevance, reverse=True)[:4]


def test_a_typed_instruction_changes_the_scores_not_the_users_wants(
    world: World, recommender: Recommender,
) -> None:
    user = playground.held_out_user(world, 0)
    own = playground.recommend(recommender, world, user, user.instruction)
    other = playground.recommend(recommender, world, user, "a cheap smartwatch")
    assert [item.score for item in own] != [item.score for item in other]
    for item in own + other:  # attractiveness is the user's, whatever the words
        assert item.attractiveness == pytest.approx(
            user.relevance[user.candidates.index(item.id)])
    with pytest.raises(ValueError, match="instruction is empty"):
        playground.recommend(recommender, world, user, "  ")


def test_slate_frame_has_one_row_per_position(world: World, recommender: Recommender) -> None:
    user = playground.held_out_user(world, 1)
    frame = playground.slate_frame(playground.oracle_slate(world, user))
    assert list(frame.columns) == list(playground.SLATE_COLUMNS)
    assert frame["position"].tolist() == [1, 2, 3, 4]
    assert frame["score"].isna().all()  # the oracle has no scorer


def _train_run(store: RunStore, tmp_path: Path, name: str, world: dict, exists: bool) -> str:
    checkpoint = tmp_path / name
    if exists:
        checkpoint.mkdir()
    run_id = store.start_run("train", {"world": world, "scorer": {}}, seed=0)
    store.finish_run(run_id, checkpoint=checkpoint)
    return run_id


def test_choices_are_runs_with_a_checkpoint_and_one_world(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    world = to_dict(with_overrides(WorldConfig(), WORLD))
    other = {**world, "num_candidates": 30}
    old = _train_run(store, tmp_path, "old", world, exists=True)
    _train_run(store, tmp_path, "gone", world, exists=False)  # deleted since
    odd = _train_run(store, tmp_path, "odd", other, exists=True)
    store.start_run("train", {"world": world}, seed=1)  # running, no checkpoint yet
    runs = playground.checkpoint_runs(store)
    assert [run.id for run in runs] == [odd, old]
    assert playground.base_run(runs, [playground.ZERO_SHOT]).id == odd  # the newest
    assert playground.base_run(runs, [playground.ZERO_SHOT, old]).id == old
    with pytest.raises(ValueError, match="different worlds"):
        playground.base_run(runs, [old, odd])
    assert playground.world_config(runs[1]).split == "heldout"
    assert playground.scorer_config(runs[1]) == ScorerConfig()
    with pytest.raises(ValueError, match="no training run with a checkpoint"):
        playground.base_run([], [playground.ZERO_SHOT])

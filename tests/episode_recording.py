"""Rollouts of the environments, recorded to prove that a refactor keeps every episode.

`record_rollouts()` plays a fixed mix of worlds, seeds and slates through the public
Gymnasium API (`gym.make`, `gym.make_vec`) and returns every observation, reward, end flag
and ground-truth info as flat named arrays. `tests/fixtures/episodes.npz` holds what it
returned for the current env id; `test_episode_fixtures.py`
asserts that it still returns exactly that. Regenerate (only for a deliberate change of
the dynamics, with a version bump of the env id) with
`python tests/episode_recording.py tests/fixtures/episodes.npz`.
"""

from __future__ import annotations

import sys
from typing import Any

import gymnasium as gym
import numpy as np

import ifr_sim  # noqa: F401  (registers the env)
from ifr_sim.envs.registration import ENV_ID

SINGLE_RUNS: dict[str, tuple[dict[str, Any], tuple[int, ...], int]] = {
    "movielens": ({}, (0, 1, 2), 3),
    "shop_pbm": ({"catalog": "synthetic", "catalog_size": 400, "click_model": "pbm",
                  "num_candidates": 30, "slate_size": 5}, (3, 4), 3),
    "movielens_mnl_heldout": ({"click_model": "mnl", "split": "heldout"}, (5,), 2),
}
"""name: (make keywords, reset seeds, episodes per seed) of single-env runs."""

VECTOR_RUN: dict[str, Any] = {"num_envs": 12, "steps": 25, "seed": 7, "max_episode_steps": 6}

STEP_INFO_KEYS = ("clicks", "position_rewards", "slate_items", "refined", "total_clicks")
INFO_KEYS = ("relevance", "satisfies", "oracle_slate", "profile")


def _slate(rng: np.random.Generator, oracle: np.ndarray, num_candidates: int) -> np.ndarray:
    """Mostly the oracle's slate (so users click, drift and stay), else random ones,
    some with a repeated index (an empty slot)."""
    draw = rng.random()
    if draw < 0.5:
        return oracle.astype(np.int64)
    slate = rng.choice(num_candidates, len(oracle), replace=False)
    if draw > 0.85:
        slate[-1] = slate[0]
    return slate


def _add(record: dict[str, list[Any]], prefix: str, values: dict[str, Any]) -> None:
    for key, value in values.items():
        record.setdefault(f"{prefix}/{key}", []).append(np.asarray(value))


def _single(name: str, kwargs: dict[str, Any], seeds: tuple[int, ...], episodes: int,
            record: dict[str, list[Any]]) -> None:
    env = gym.make(ENV_ID, **kwargs)
    n = env.unwrapped.config.num_candidates  # type: ignore[attr-defined]
    for seed in seeds:
        rng = np.random.default_rng(seed + 1000)
        for episode in range(episodes):
            obs, info = env.reset(seed=seed if episode == 0 else None)
            _add(record, name, {**{f"obs_{k}": v for k, v in obs.items()},
                                **{f"info_{k}": info[k] for k in INFO_KEYS},
                                "info_intent": str(info["intent"]), "kind": "reset"})
            done = False
            while not done:
                action = _slate(rng, info["oracle_slate"], n)
                obs, reward, terminated, truncated, info = env.step(action)
                done = terminated or truncated
                _add(record, name, {
                    **{f"obs_{k}": v for k, v in obs.items()},
                    **{f"info_{k}": info[k] for k in INFO_KEYS + STEP_INFO_KEYS},
                    "info_intent": str(info["intent"]), "reward": reward,
                    "terminated": terminated, "truncated": truncated, "kind": "step",
                })


def _vector(record: dict[str, list[Any]]) -> None:
    run = VECTOR_RUN
    env = gym.make_vec(ENV_ID, num_envs=run["num_envs"], vectorization_mode="vector_entry_point",
                       max_episode_steps=run["max_episode_steps"])
    n = env.unwrapped.config.num_candidates  # type: ignore[attr-defined]
    rng = np.random.default_rng(run["seed"] + 1000)
    obs, info = env.reset(seed=run["seed"])
    _add(record, "vector", {**{f"obs_{k}": v for k, v in obs.items()},
                            **{f"info_{k}": info[k] for k in (*INFO_KEYS, "intent_id")}})
    for _ in range(run["steps"]):
        actions = np.stack([_slate(rng, row, n) for row in info["oracle_slate"]])
        obs, reward, terminated, truncated, info = env.step(actions)
        final = np.array([-1 if o is None else int(o["turn"][0]) for o in info.get(
            "final_obs", np.full(run["num_envs"], None, object))])
        _add(record, "vector", {
            **{f"obs_{k}": v for k, v in obs.items()},
            **{f"info_{k}": info[k] for k in (*INFO_KEYS, "intent_id", *STEP_INFO_KEYS)},
            "reward": reward, "terminated": terminated, "truncated": truncated,
            "final_turn": final,
        })


def record_rollouts() -> dict[str, np.ndarray]:
    """Every recorded quantity, stacked over steps, by `run/quantity` name."""
    record: dict[str, list[Any]] = {}
    for name, (kwargs, seeds, episodes) in SINGLE_RUNS.items():
        _single(name, kwargs, seeds, episodes, record)
    _vector(record)
    return {key: np.stack(values) for key, values in record.items()}


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as out:
        np.savez_compressed(out, allow_pickle=False, **record_rollouts())

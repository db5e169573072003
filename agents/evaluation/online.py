"""Online evaluation: run an agent on fresh simulated sessions and report ranking metrics.

Each of the `episodes` users plays exactly one session in the native vector env (all in
parallel), so every episode counts once, whatever its length: counting the sessions that
happen to end in a fixed window would favour short ones. Ranking metrics are computed
every turn against the ground truth the env puts in `info` (the relevance of every
candidate *before* the user responds), averaged over the session's turns, then over
episodes with a 95% confidence interval.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ifr_sim.agents.base import Agent
from ifr_sim.core.metrics import (
    hit_rate_at_k,
    intra_list_diversity,
    mean_ci95,
    ndcg_at_k,
    precision_at_k,
    reciprocal_rank,
)
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.registration import MAX_EPISODE_STEPS
from ifr_sim.envs.vector_env import InstructionRecVectorEnv

METRICS = (
    "reward",
    "ctr",
    "session_length",
    "ndcg@5",
    "ndcg@10",
    "hr@10",
    "mrr",
    "intent_precision@10",
    "coverage",
    "diversity",
    "oracle_share",
)
"""The keys of an evaluation result; each also has a `<key>_ci95` companion."""

TURN_METRICS = ("ndcg@5", "ndcg@10", "hr@10", "mrr", "intent_precision@10", "diversity")


class _Tally:
    """Per-episode accumulators for B sessions."""

    def __init__(self, batch: int) -> None:
        self.reward, self.clicks, self.shown, self.turns = np.zeros((4, batch))
        self.turn_sums = {name: np.zeros(batch) for name in TURN_METRICS}
        self.turn_counts = {name: np.zeros(batch) for name in TURN_METRICS}

    def add_turn(self, name: str, values: np.ndarray, active: np.ndarray) -> None:
        ok = active & ~np.isnan(values)
        self.turn_sums[name][ok] += values[ok]
        self.turn_counts[name][ok] += 1

    def per_episode(self, name: str) -> np.ndarray:
        counts = self.turn_counts[name]
        return self.turn_sums[name][counts > 0] / counts[counts > 0]


def evaluate(
    agent: Agent,
    config: WorldConfig,
    episodes: int,
    seed: int = 0,
    oracle_reward: float | None = None,
) -> dict[str, Any]:
    """Run `episodes` sessions of `agent` and summarise them (keys in `METRICS`).

    Args:
        agent: any agent; one with a `learn(observation, slates, clicks)` method is
            updated after every turn (online learners such as the bandit).
        config: the world; its `split` picks train or held-out users and templates.
        episodes: number of sessions (one per simulated user).
        seed: seeds the users, their clicks and the agent's own randomness.
        oracle_reward: the oracle's mean episode reward on the same seed, for
            `oracle_share`; None leaves `oracle_share` out (NaN).
    """
    if episodes < 1:
        raise ValueError(f"episodes={episodes} is invalid: use at least 1")
    env = InstructionRecVectorEnv(
        num_envs=episodes, config=config, max_episode_steps=MAX_EPISODE_STEPS
    )
    catalog = env.world.catalog
    rng = np.random.default_rng([seed, 1])
    tally = _Tally(episodes)
    active = np.ones(episodes, dtype=bool)
    recommended = np.zeros(len(catalog), dtype=bool)
    obs, info = env.reset(seed=seed)
    while active.any():
        slates = np.asarray(agent.act(obs, info, rng), dtype=np.int64)
        _score_turn(tally, slates, info, obs, catalog.categories, active)
        items = np.take_along_axis(obs["candidates"], slates, axis=1)
        recommended[items[active]] = True
        next_obs, reward, terminated, truncated, next_info = env.step(slates)
        learn = getattr(agent, "learn", None)
        if learn is not None:
            learn(obs, slates, next_info["clicks"])
        shown = next_info["slate_items"] >= 0
        tally.reward[active] += reward[active]
        tally.clicks[active] += next_info["clicks"][active].sum(axis=1)
        tally.shown[active] += shown[active].sum(axis=1)
        tally.turns[active] += 1
        active &= ~(terminated | truncated)
        obs, info = next_obs, next_info
    return _summary(tally, recommended.mean(), oracle_reward)


def _score_turn(
    tally: _Tally,
    slates: np.ndarray,
    info: dict[str, Any],
    obs: dict[str, np.ndarray],
    categories: np.ndarray,
    active: np.ndarray,
) -> None:
    relevance, satisfies = info["relevance"], info["satisfies"]
    items = np.take_along_axis(obs["candidates"], slates, axis=1)
    values = {
        "ndcg@5": ndcg_at_k(slates, relevance, 5),
        "ndcg@10": ndcg_at_k(slates, relevance, 10),
        "hr@10": hit_rate_at_k(slates, relevance, 10),
        "mrr": reciprocal_rank(slates, relevance),
        "intent_precision@10": precision_at_k(slates, satisfies, 10),
        "diversity": intra_list_diversity(items, categories),
    }
    for name, value in values.items():
        tally.add_turn(name, value, active)


def _summary(tally: _Tally, coverage: float, oracle_reward: float | None) -> dict[str, Any]:
    per_episode = {
        "reward": tally.reward,
        "ctr": tally.clicks / np.maximum(tally.shown, 1),
        "session_length": tally.turns,
        **{name: tally.per_episode(name) for name in TURN_METRICS},
    }
    result: dict[str, Any] = {}
    for name, values in per_episode.items():
        result[name], result[f"{name}_ci95"] = mean_ci95(values)
    # Coverage is one figure for the whole run (distinct items recommended / catalog
    # size); it has no per-episode spread, so its interval is undefined.
    result["coverage"], result["coverage_ci95"] = float(coverage), float("nan")
    if oracle_reward:
        result["oracle_share"] = result["reward"] / oracle_reward
        result["oracle_share_ci95"] = result["reward_ci95"] / oracle_reward
    else:
        result["oracle_share"] = result["oracle_share_ci95"] = float("nan")
    return result

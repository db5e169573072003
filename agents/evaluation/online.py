"""Online evaluation: run an agent on fresh simulated sessions and report ranking metrics.

Sessions are played by the one runner (`runner.py`: one session per user, all in
parallel). Ranking metrics are computed every turn against the ground truth the env puts
in `info` (the relevance of every candidate *before* the user responds), averaged over the
session's turns, then over episodes with a 95% confidence interval.

Cut-offs follow the slate: a metric `@k` is reported at the slate size K and at each of its
fixed cut-offs (`CUTOFFS`) shorter than K, so slates of 10 give `ndcg@5`, `ndcg@10`,
`hr@10` and `intent_precision@10`, and slates of 5 give `ndcg@5`, `hr@5` and
`intent_precision@5` (never an `@10` of five items). `metric_names` lists a world's keys;
`headline_metrics` picks what summaries print.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ifr_sim.agents.base import Agent
from ifr_sim.agents.evaluation.runner import PlayedTurn, SessionRunner
from ifr_sim.core.metrics import (
    cutoffs,
    hit_rate_at_k,
    intra_list_diversity,
    mean_ci95,
    ndcg_at_k,
    precision_at_k,
    reciprocal_rank,
)
from ifr_sim.envs.config import WorldConfig

CUTOFFS = {"ndcg": (5, 10), "hr": (10,), "intent_precision": (10,)}
"""Fixed cut-offs of each `@k` metric, reported where the slate is longer (and at K)."""


def ranking_metric_names(slate_size: int) -> tuple[str, ...]:
    """The ranking metrics of slates of K: each `@k` metric at its cut-offs, and MRR."""
    def at(name: str) -> list[str]:
        return [f"{name}@{k}" for k in cutoffs(slate_size, CUTOFFS[name])]

    return (*at("ndcg"), *at("hr"), "mrr", *at("intent_precision"))


def metric_names(slate_size: int) -> tuple[str, ...]:
    """The keys of an evaluation result for slates of K; each has a `<key>_ci95` companion."""
    return ("reward", "ctr", "session_length", *ranking_metric_names(slate_size), "coverage",
            "diversity", "oracle_share")


def headline_metrics(result: Mapping[str, Any]) -> tuple[str, ...]:
    """What summaries print of a result: reward, CTR, and NDCG and intent precision at the
    full slate (the largest cut-off the result has, since every slate size is one)."""
    def full(metric: str) -> str:
        return max((key for key in result if key.startswith(f"{metric}@")
                    and not key.endswith("_ci95")), key=lambda key: int(key.split("@")[1]))

    return ("reward", "ctr", full("ndcg"), full("intent_precision"))


METRICS = metric_names(WorldConfig().slate_size)
"""The keys of an evaluation result in a world with the default slate size."""


class _Tally:
    """Per-episode accumulators for B sessions."""

    def __init__(self, batch: int, catalog_size: int, slate_size: int) -> None:
        self.reward, self.clicks, self.shown, self.turns = np.zeros((4, batch))
        self.names = (*ranking_metric_names(slate_size), "diversity")  # scored per turn
        self.turn_sums = {name: np.zeros(batch) for name in self.names}
        self.turn_counts = {name: np.zeros(batch) for name in self.names}
        self.recommended = np.zeros(catalog_size, dtype=bool)

    def add(self, turn: PlayedTurn, categories: np.ndarray) -> None:
        active, after = turn.active, turn.after
        items = turn.items
        for name, values in _turn_values(turn, items, categories).items():
            ok = active & ~np.isnan(values)
            self.turn_sums[name][ok] += values[ok]
            self.turn_counts[name][ok] += 1
        self.recommended[items[active]] = True
        shown = after["slate_items"] >= 0
        self.reward[active] += turn.reward[active]
        self.clicks[active] += after["clicks"][active].sum(axis=1)
        self.shown[active] += shown[active].sum(axis=1)
        self.turns[active] += 1

    def per_episode(self, name: str) -> np.ndarray:
        counts = self.turn_counts[name]
        return self.turn_sums[name][counts > 0] / counts[counts > 0]


def evaluate(
    agent: Agent,
    config: WorldConfig,
    episodes: int,
    seed: int,
    oracle_reward: float | None = None,
) -> dict[str, Any]:
    """Run `episodes` sessions of `agent` and summarise them (keys: `metric_names`).

    Args:
        agent: any agent; its `learn` is called after every turn (online learners such
            as the bandit update).
        config: the world; its `split` picks train or held-out users and templates.
        episodes: number of sessions (one per simulated user).
        seed: seeds the users, their clicks and the agent's own randomness.
        oracle_reward: the oracle's mean episode reward on the same seed, for
            `oracle_share`; None leaves `oracle_share` out (NaN).
    """
    runner = SessionRunner(config, episodes)
    catalog = runner.world.catalog
    tally = _Tally(episodes, len(catalog), config.slate_size)
    for turn in runner.play(agent, seed):
        tally.add(turn, catalog.categories)
    return _summary(tally, oracle_reward)


def _turn_values(
    turn: PlayedTurn, items: np.ndarray, categories: np.ndarray
) -> dict[str, np.ndarray]:
    slates, relevance, satisfies = turn.slates, turn.before["relevance"], turn.before["satisfies"]
    at_k = {"ndcg": lambda k: ndcg_at_k(slates, relevance, k),
            "hr": lambda k: hit_rate_at_k(slates, relevance, k),
            "intent_precision": lambda k: precision_at_k(slates, satisfies, k)}
    values = {f"{name}@{k}": metric(k) for name, metric in at_k.items()
              for k in cutoffs(slates.shape[1], CUTOFFS[name])}
    values["mrr"] = reciprocal_rank(slates, relevance)
    values["diversity"] = intra_list_diversity(items, categories)
    return values


def _summary(tally: _Tally, oracle_reward: float | None) -> dict[str, Any]:
    per_episode = {
        "reward": tally.reward,
        "ctr": tally.clicks / np.maximum(tally.shown, 1),
        "session_length": tally.turns,
        **{name: tally.per_episode(name) for name in tally.names},
    }
    result: dict[str, Any] = {}
    for name, values in per_episode.items():
        result[name], result[f"{name}_ci95"] = mean_ci95(values)
    # Coverage is one figure for the whole run (distinct items recommended / catalog
    # size); it has no per-episode spread, so its interval is undefined.
    result["coverage"], result["coverage_ci95"] = float(tally.recommended.mean()), float("nan")
    if oracle_reward:
        result["oracle_share"] = result["reward"] / oracle_reward
        result["oracle_share_ci95"] = result["reward_ci95"] / oracle_reward
    else:
        result["oracle_share"] = result["oracle_share_ci95"] = float("nan")
    return result

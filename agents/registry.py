"""Agents by name, as `ifr-sim simulate --policy NAME` and `evaluate --agent NAME` take them."""

from __future__ import annotations

from collections.abc import Callable

from ifr_sim.agents.base import Agent
from ifr_sim.agents.baselines.bandit import LinUCBAgent
from ifr_sim.agents.baselines.bm25 import BM25Agent
from ifr_sim.agents.baselines.simple import OracleAgent, PopularityAgent, RandomAgent
from ifr_sim.envs.world import World


def _zero_shot(world: World) -> Agent:
    """The default LLM scorer without fine-tuning (imported lazily: transformers is slow)."""
    from ifr_sim.agents.policy.scorer_agent import ScorerAgent
    from ifr_sim.core.scorer import ScorerConfig, make_scorer

    return ScorerAgent(make_scorer(ScorerConfig(), world.catalog), world.config.slate_size)


AGENTS: dict[str, Callable[[World], Agent]] = {
    "random": lambda world: RandomAgent(world.config.slate_size),
    "popularity": lambda world: PopularityAgent(world.catalog, world.config.slate_size),
    "bm25": lambda world: BM25Agent(world.catalog, world.config.slate_size),
    "linucb": lambda world: LinUCBAgent(world.catalog, world.config.slate_size),
    "zero-shot": _zero_shot,
    "oracle": lambda world: OracleAgent(),
}
"""Every agent `simulate`, `evaluate` and `demo` accept, in the order tables list them."""


def make_agent(name: str, world: World) -> Agent:
    """The agent called `name`, set up for `world`."""
    if name not in AGENTS:
        raise ValueError(f"unknown agent {name!r}; choose one of {sorted(AGENTS)}")
    return AGENTS[name](world)

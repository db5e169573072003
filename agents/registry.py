"""Agents by name, as `ifr-sim simulate --policy NAME` and `evaluate --agent NAME` take them."""

from __future__ import annotations

from collections.abc import Callable

from ifr_sim.agents.base import Agent
from ifr_sim.agents.baselines import OracleAgent, PopularityAgent, RandomAgent
from ifr_sim.envs.world import World

AGENTS: dict[str, Callable[[World], Agent]] = {
    "random": lambda world: RandomAgent(world.config.slate_size),
    "popularity": lambda world: PopularityAgent(world.catalog, world.config.slate_size),
    "oracle": lambda world: OracleAgent(),
}


def make_agent(name: str, world: World) -> Agent:
    """The agent called `name`, set up for `world`."""
    if name not in AGENTS:
        raise ValueError(f"unknown agent {name!r}; choose one of {sorted(AGENTS)}")
    return AGENTS[name](world)

"""Agents by name, as `ifr-sim simulate --policy NAME` and `evaluate --agent NAME` take them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ifr_sim.agents.base import Agent
from ifr_sim.agents.baselines.bandit import LinUCBAgent
from ifr_sim.agents.baselines.bm25 import BM25Agent
from ifr_sim.agents.baselines.simple import OracleAgent, PopularityAgent, RandomAgent
from ifr_sim.envs.world import World

if TYPE_CHECKING:
    from ifr_sim.core.scorer import ScorerConfig


def _zero_shot(world: World, scorer: ScorerConfig | None) -> Agent:
    """The LLM scorer without fine-tuning (imported lazily: transformers is slow)."""
    from ifr_sim.agents.policy.scorer_agent import ScorerAgent
    from ifr_sim.core.scorer import ScorerConfig, make_scorer

    return ScorerAgent(make_scorer(scorer or ScorerConfig(), world.catalog),
                       world.config.slate_size)


def _plain_minilm(world: World) -> Agent:
    """The bare encoder's cosine over plain item texts (imported lazily, as above)."""
    from ifr_sim.agents.baselines.plain_minilm import PlainMiniLMAgent

    return PlainMiniLMAgent(world.catalog, world.config.slate_size)


AGENTS: dict[str, Callable[[World, ScorerConfig | None], Agent]] = {
    "random": lambda world, _: RandomAgent(world.config.slate_size),
    "popularity": lambda world, _: PopularityAgent(world.catalog, world.config.slate_size),
    "bm25": lambda world, _: BM25Agent(world.catalog, world.config.slate_size),
    "linucb": lambda world, _: LinUCBAgent(world.catalog, world.config.slate_size),
    "plain-minilm": lambda world, _: _plain_minilm(world),
    "zero-shot": _zero_shot,
    "oracle": lambda world, _: OracleAgent(),
}
"""Every agent `simulate`, `evaluate` and `demo` accept, in the order tables list them."""

SCORING_AGENTS = ("zero-shot",)
"""The agents that rank with a language-model scorer, so take a `ScorerConfig`."""


def make_agent(name: str, world: World, scorer: ScorerConfig | None = None) -> Agent:
    """The agent called `name`, set up for `world`.

    Args:
        name: a key of `AGENTS`.
        world: the world it acts in.
        scorer: the scorer of a scoring agent (`SCORING_AGENTS`); None: the default one.

    Raises:
        ValueError: an unknown name, or a scorer for an agent that has none.
    """
    check_agent(name, scorer is not None)
    return AGENTS[name](world, scorer)


def check_agent(name: str, with_scorer: bool = False) -> None:
    """Refuse an unknown agent name, or scorer settings for an agent that has no scorer,
    before a world is built for it.

    Raises:
        ValueError: what is wrong and the names to choose from.
    """
    if name not in AGENTS:
        raise ValueError(f"unknown agent {name!r}; choose one of {sorted(AGENTS)}")
    if with_scorer and name not in SCORING_AGENTS:
        raise ValueError(
            f"agent {name!r} has no language-model scorer, so scorer.* settings do not apply "
            f"to it; they configure {', '.join(SCORING_AGENTS)} (or a --checkpoint)"
        )

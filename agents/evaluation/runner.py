"""The one loop that plays an agent through simulated sessions, for every command.

`ifr-sim simulate` (which records each turn), `ifr-sim evaluate`, the trainer's held-out
evaluations and `ifr-sim bench learn` all play sessions here, so a seed means the same
users, instructions and clicks in each of them: `simulate` and `evaluate` of one agent on
one world and seed report the same reward.

Each of the `episodes` users plays exactly one session in the native vector env, all in
parallel, so every episode counts once whatever its length (counting the sessions that
happen to end in a fixed window would favour short ones). The env restarts a user whose
session ended; the agent still acts for that user (a batch has one size), but the turns of
restarted sessions are marked inactive and count for nothing. Every agent's `learn` is
called after every turn (online learners such as the bandit update; the others ignore it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ifr_sim.agents.base import Agent, Observation
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.registration import MAX_EPISODE_STEPS
from ifr_sim.envs.vector_env import InstructionRecVectorEnv
from ifr_sim.envs.world import World


@dataclass(frozen=True)
class PlayedTurn:
    """One turn of every user, as the agent saw it and as the users answered.

    Attributes:
        observation: what the agent saw (arrays with users on axis 0).
        before: the env's `info` the agent acted on: the ground truth of this turn
            (`relevance`, `satisfies`, `oracle_slate`, `profile`).
        slates: (B, K) candidate positions the agent chose.
        reward: (B,) the turn's reward.
        after: the step's `info`: `clicks`, `slate_items` (-1 for an empty slot), ...
        active: (B,) users still in their one session (the others' turns do not count).
        ended: (B,) active users whose session ended with this turn.
    """

    observation: Observation
    before: dict[str, Any]
    slates: np.ndarray
    reward: np.ndarray
    after: dict[str, Any]
    active: np.ndarray
    ended: np.ndarray

    @property
    def items(self) -> np.ndarray:
        """(B, K) catalog indices of the slates' items (repeats included)."""
        return np.take_along_axis(self.observation["candidates"], self.slates, axis=1)


class SessionRunner:
    """`episodes` users of one world, each playing one session when `play` is called.

    Args:
        config: the world; its `split` picks train or held-out users and templates.
        episodes: number of sessions (one per simulated user).
    """

    def __init__(self, config: WorldConfig, episodes: int) -> None:
        if episodes < 1:
            raise ValueError(f"episodes={episodes} is invalid: use at least 1")
        self.episodes = episodes
        self.env = InstructionRecVectorEnv(
            num_envs=episodes, config=config, max_episode_steps=MAX_EPISODE_STEPS
        )

    @property
    def world(self) -> World:
        return self.env.world

    def play(self, agent: Agent, seed: int) -> Iterator[PlayedTurn]:
        """Every turn until all sessions have ended; `seed` seeds the users, their clicks
        and the agent's own randomness."""
        rng = np.random.default_rng([seed, 1])
        active = np.ones(self.episodes, dtype=bool)
        obs, info = self.env.reset(seed=seed)
        while active.any():
            slates = np.asarray(agent.act(obs, info, rng), dtype=np.int64)
            next_obs, reward, terminated, truncated, next_info = self.env.step(slates)
            agent.learn(obs, slates, next_info["clicks"])
            ended = active & (terminated | truncated)
            yield PlayedTurn(obs, info, slates, reward, next_info, active.copy(), ended)
            active &= ~ended
            obs, info = next_obs, next_info

"""Recording every turn of simulated sessions (`ifr-sim simulate`), and summarising them.

The sessions are played by the one runner (`runner.py`) that evaluations use too, so for
one agent, world and seed the recorded episodes hold exactly the sessions `evaluate`
scores: the same users, instructions, slates and clicks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ifr_sim.agents.base import Agent
from ifr_sim.agents.evaluation.runner import PlayedTurn, SessionRunner
from ifr_sim.agents.ranking import instructions_of
from ifr_sim.core.atomic_io import write_text_atomically
from ifr_sim.core.metrics import mean_ci95
from ifr_sim.envs.config import WorldConfig


@dataclass
class Turn:
    """One turn as a person would read it (external item ids, "" for an empty slot).

    Next to what the agent showed and what the user clicked, the simulator's ground truth
    at that turn, so a recorded session can be inspected afterwards: each shown item's
    attractiveness (`relevance`, 0 for an empty slot) and hard-constraint match
    (`satisfies`), and the oracle's slate with its attractiveness.
    """

    instruction: str
    slate: list[str]
    clicks: list[bool]
    reward: float
    relevance: list[float]
    satisfies: list[bool]
    oracle_slate: list[str]
    oracle_relevance: list[float]


@dataclass
class Episode:
    """One session: who, what they asked, and every turn."""

    episode: int
    profile: int
    turns: list[Turn] = field(default_factory=list)

    @property
    def reward(self) -> float:
        return sum(t.reward for t in self.turns)

    @property
    def clicks(self) -> int:
        return sum(sum(t.clicks) for t in self.turns)

    @property
    def shown(self) -> int:
        return sum(sum(item != "" for item in t.slate) for t in self.turns)


def run_episodes(agent: Agent, config: WorldConfig, episodes: int, seed: int) -> list[Episode]:
    """Play `episodes` sessions of `agent` in the world of `config` and record every turn.

    `seed` seeds the users, their clicks and the agent, as in `evaluate`.
    """
    runner = SessionRunner(config, episodes)
    ids = runner.world.catalog.ids
    records: list[Episode] = []
    for turn in runner.play(agent, seed):
        if not records:
            records = [Episode(episode=i, profile=int(p))
                       for i, p in enumerate(turn.before["profile"])]
        for row, played in _turns(turn, ids):
            records[row].turns.append(played)
    return records


def _turns(turn: PlayedTurn, ids: np.ndarray) -> Iterable[tuple[int, Turn]]:
    """Each active user's turn, in item ids."""
    before, after = turn.before, turn.after
    rows = np.flatnonzero(turn.active)
    slates = turn.slates[rows]
    shown = after["slate_items"][rows] >= 0
    relevance = np.take_along_axis(before["relevance"][rows], slates, axis=1)
    satisfies = np.take_along_axis(before["satisfies"][rows], slates, axis=1)
    oracle = before["oracle_slate"][rows]
    oracle_items = np.take_along_axis(turn.observation["candidates"][rows], oracle, axis=1)
    oracle_relevance = np.take_along_axis(before["relevance"][rows], oracle, axis=1)
    instructions = instructions_of({"instruction": turn.observation["instruction"][rows]})
    for j, row in enumerate(rows.tolist()):
        yield row, Turn(
            instruction=instructions[j],
            slate=[str(ids[i]) if i >= 0 else "" for i in after["slate_items"][row]],
            clicks=[bool(c) for c in after["clicks"][row]],
            reward=float(turn.reward[row]),
            relevance=np.where(shown[j], relevance[j], 0.0).astype(float).tolist(),
            satisfies=(shown[j] & satisfies[j]).tolist(),
            oracle_slate=[str(ids[i]) for i in oracle_items[j]],
            oracle_relevance=oracle_relevance[j].astype(float).tolist(),
        )


def summarise(episodes: Iterable[Episode]) -> dict[str, tuple[float, float]]:
    """Mean and 95% CI of reward per episode, CTR and session length."""
    episodes = list(episodes)
    ctr = [e.clicks / max(e.shown, 1) for e in episodes]
    return {
        "reward": mean_ci95([e.reward for e in episodes]),
        "ctr": mean_ci95(ctr),
        "session_length": mean_ci95([len(e.turns) for e in episodes]),
    }


def episode_record(episode: Episode) -> dict[str, Any]:
    """The plain-data form of an episode, with its total reward (a line of the JSONL file)."""
    data: dict[str, Any] = asdict(episode)
    data["reward"] = episode.reward
    return data


def write_episodes(episodes: Iterable[Episode], path: Path) -> None:
    """Write one JSON object per episode, atomically (a crash never leaves half a file)."""
    lines = [json.dumps(episode_record(episode)) + "\n" for episode in episodes]
    write_text_atomically(path, "".join(lines))

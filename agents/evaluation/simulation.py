"""Running episodes of the environment with an agent, and summarising them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ifr_sim.agents.base import Agent
from ifr_sim.core.atomic_io import write_text_atomically
from ifr_sim.core.metrics import mean_ci95


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


def run_episodes(env: gym.Env, agent: Agent, episodes: int, seed: int) -> list[Episode]:
    """Play `episodes` sessions; the env is seeded once, the agent from the same seed."""
    rng = np.random.default_rng([seed, 1])
    catalog_ids = env.unwrapped.world.catalog.ids  # type: ignore[attr-defined]
    records = []
    obs, info = env.reset(seed=seed)
    for number in range(episodes):
        if number:
            obs, info = env.reset()
        record = Episode(episode=number, profile=int(info["profile"]))
        done = False
        while not done:
            before, candidates = info, obs["candidates"]
            batch_obs = {key: value[None] for key, value in obs.items()}
            batch_info = {"oracle_slate": info["oracle_slate"][None]}
            slate = agent.act(batch_obs, batch_info, rng)[0]
            obs, reward, terminated, truncated, info = env.step(slate)
            learn = getattr(agent, "learn", None)
            if learn is not None:  # online learners (the bandit) update from every turn
                learn(batch_obs, slate[None], info["clicks"][None])
            shown = info["slate_items"] >= 0
            oracle = before["oracle_slate"]
            record.turns.append(
                Turn(
                    instruction=before["instruction"],
                    slate=[str(catalog_ids[i]) if i >= 0 else "" for i in info["slate_items"]],
                    clicks=[bool(c) for c in info["clicks"]],
                    reward=float(reward),
                    relevance=np.where(shown, before["relevance"][slate], 0.0).tolist(),
                    satisfies=(shown & before["satisfies"][slate]).tolist(),
                    oracle_slate=[str(catalog_ids[i]) for i in candidates[oracle]],
                    oracle_relevance=before["relevance"][oracle].astype(float).tolist(),
                )
            )
            done = terminated or truncated
        records.append(record)
    return records


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

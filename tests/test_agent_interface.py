"""`learn` is part of the `Agent` interface: a no-op by default, called after every turn."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import numpy as np

from ifr_sim.agents.base import Agent, Observation
from ifr_sim.agents.evaluation.online import evaluate
from ifr_sim.core.config import with_overrides
from ifr_sim.envs.config import preset_config

ROOT = Path(__file__).resolve().parent.parent
TINY_WORLD = with_overrides(preset_config("synthetic-shop"), {
    "catalog.size": 200, "num_candidates": 20, "slate_size": 4, "intent_bank_size": 64,
})


class FirstK(Agent):
    """Recommends the first K candidates; learns nothing."""

    def act(
        self, observation: Observation, info: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        return np.tile(np.arange(4), (len(observation["candidates"]), 1))


class CountingAgent(FirstK):
    """Records what `learn` was told."""

    def __init__(self) -> None:
        self.turns: list[tuple[np.ndarray, np.ndarray]] = []

    def learn(self, observation: Observation, slates: np.ndarray, clicks: np.ndarray) -> None:
        self.turns.append((slates, clicks))


def test_an_agent_that_does_not_learn_inherits_a_learn_that_does_nothing() -> None:
    agent = FirstK()
    observation = {"candidates": np.zeros((2, 20), np.int64)}
    slates = agent.act(observation, {}, np.random.default_rng(0))
    agent.learn(observation, slates, np.zeros((2, 4), bool))  # nothing to override
    assert vars(agent) == {}


def test_evaluate_calls_learn_after_every_turn_with_the_turns_clicks() -> None:
    agent = CountingAgent()
    result = evaluate(agent, TINY_WORLD, episodes=3, seed=0)
    assert len(agent.turns) >= result["session_length"]  # the longest session's turns
    for slates, clicks in agent.turns:
        assert slates.shape == clicks.shape == (3, 4) and clicks.dtype == bool
    # Every click of the three sessions was reported to `learn` (the rest are of users
    # restarted after their one session ended, whose turns do not count).
    assert sum(int(clicks.sum()) for _, clicks in agent.turns) >= result["reward"] * 3


def test_no_module_probes_an_agent_for_learn() -> None:
    """`getattr(agent, "learn", None)` would hide a misspelt override; the interface has it."""
    probes = []
    for folder in ("ifr_sim", "envs", "agents", "dashboards"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id in ("getattr", "hasattr") and len(node.args) >= 2
                        and isinstance(node.args[1], ast.Constant)
                        and node.args[1].value == "learn"):
                    probes.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert probes == []

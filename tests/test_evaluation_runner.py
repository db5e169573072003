"""One runner plays every session: simulate, evaluate, the trainer and bench learn agree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ifr_sim.agents.evaluation.online import evaluate
from ifr_sim.agents.evaluation.runner import SessionRunner
from ifr_sim.agents.evaluation.simulation import run_episodes, summarise
from ifr_sim.agents.registry import make_agent
from ifr_sim.core.config import with_overrides
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.world import build_world

ROOT = Path(__file__).resolve().parents[1]
WORLD = {"catalog.source": "synthetic", "catalog.size": 300, "num_candidates": 20,
         "slate_size": 4, "intent_bank_size": 64, "split": "heldout"}
FLAGS = ["--catalog", "synthetic", "--set", "catalog.size=300", "--num-candidates", "20",
         "--slate-size", "4", "--set", "intent_bank_size=64", "--split", "heldout"]


@pytest.fixture(scope="module")
def world() -> WorldConfig:
    return with_overrides(WorldConfig(), WORLD)


@pytest.mark.parametrize("name", ["random", "linucb"])  # linucb learns after every turn
def test_simulated_episodes_are_the_evaluated_sessions(world: WorldConfig, name: str) -> None:
    built = build_world(world)
    episodes = run_episodes(make_agent(name, built), world, 12, seed=5)
    result = evaluate(make_agent(name, built), world, 12, seed=5)
    summary = summarise(episodes)
    for metric in ("reward", "ctr", "session_length"):
        assert summary[metric][0] == pytest.approx(result[metric], abs=1e-12)
    assert [episode.episode for episode in episodes] == list(range(12))


def test_every_session_plays_once_and_restarted_ones_do_not_count(world: WorldConfig) -> None:
    runner = SessionRunner(world, 6)
    turns = list(runner.play(make_agent("popularity", runner.world), seed=1))
    ended = np.sum([turn.ended for turn in turns], axis=0)
    assert ended.tolist() == [1] * 6  # each user's one session ends exactly once
    for turn in turns:
        assert not (turn.ended & ~turn.active).any()
    assert not turns[-1].active[~turns[-1].ended].any()  # the last turn ends the last session


def test_the_runner_is_the_only_place_that_steps_an_env() -> None:
    offenders = []
    for folder in ("agents", "ifr_sim/apps", "dashboards"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if "env.step(" in text or "gym.make(" in text or "InstructionRecVectorEnv(" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == ["agents/evaluation/runner.py"]


def test_simulate_and_evaluate_commands_report_the_same_sessions(tmp_path: Path) -> None:
    episodes, result = tmp_path / "episodes.jsonl", tmp_path / "result.json"
    common = ["--episodes", "10", "--seed", "2", "--runs", str(tmp_path / "runs"), *FLAGS]
    _cli("simulate", "--policy", "random", "--output", str(episodes), *common)
    _cli("evaluate", "--agent", "random", "--json", str(result), *common)
    rewards = [json.loads(line)["reward"] for line in episodes.read_text().splitlines()]
    assert len(rewards) == 10
    assert np.mean(rewards) == pytest.approx(json.loads(result.read_text())["reward"])


def _cli(*argv: str) -> str:
    done = subprocess.run([sys.executable, "-m", "ifr_sim.apps.cli", *argv],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout

"""A run store made by real commands on a tiny world, for the dashboard's page tests.

One session-scoped workspace: two tiny PPO runs of one config with seeds 0 and 1 (a seed
band), `ifr-sim evaluate` runs of popularity, BM25 and the oracle on the same world (the
reference lines), and an `ifr-sim simulate` run (the episode inspector). The world is a
300-item synthetic shop with 20 candidates and slates of 4, and the scorer the tiny BERT
of `scorer_fixtures`, so the whole store is made in well under a minute on 2 CPU cores.
Test modules load it with `pytest_plugins = ("scorer_fixtures", "dashboard_fixtures")`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.agents.training.trainer import train
from ifr_sim.apps.cli import main
from ifr_sim.core.config import to_dict, with_overrides
from ifr_sim.core.run_store import RunStore
from ifr_sim.core.scorer.embedding_store import CACHE_ENV
from ifr_sim.envs.config import WorldConfig

WORLD = {"num_candidates": 20, "slate_size": 4, "catalog.source": "synthetic",
         "catalog.size": 300, "intent_bank_size": 64}
WORLD_FLAGS = ["--preset", "synthetic-shop", "--num-candidates", "20", "--slate-size", "4",
               "--set", "catalog.size=300", "--set", "intent_bank_size=64"]
"""The same world as `WORLD`, as the command line builds it (so evaluate runs match it)."""
BASELINES = ("popularity", "bm25")
SEEDS = (0, 1)
TRAIN_STEPS = 64
PRESET = "tiny"


@dataclass(frozen=True)
class DashboardWorkspace:
    """The workspace and the ids of what was recorded in it."""

    path: Path
    training: tuple[str, ...]  # by seed
    evaluations: dict[str, str]  # agent -> run id
    simulation: str
    config: TrainConfig  # the training config of seed 0
    preset: str  # what the training runs record as their preset


@pytest.fixture(scope="session")
def dashboard_workspace(
    tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> DashboardWorkspace:
    path = tmp_path_factory.mktemp("dashboard-runs")
    store = RunStore(path)
    config = with_overrides(
        TrainConfig(world=with_overrides(WorldConfig(), WORLD)),
        {"scorer.model_path": str(tiny_bert_dir), "ppo.n_envs": 4, "ppo.n_steps": 8,
         "ppo.batch_size": 16, "ppo.n_epochs": 2, "total_steps": TRAIN_STEPS,
         "eval_every": TRAIN_STEPS // 2, "eval_episodes": 8},
    )
    runs = ["--runs", str(path)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, "off")  # the session fixture runs before the autouse one
        evaluations = {}
        for agent in (*BASELINES, "oracle"):
            assert main(["evaluate", "--agent", agent, "--episodes", "8", *WORLD_FLAGS,
                         *runs]) == 0
            evaluations[agent] = store.runs(kind="evaluate")[0].id
        assert main(["simulate", "--policy", "popularity", "--episodes", "3", *WORLD_FLAGS,
                     "--output", str(path / "episodes.jsonl"), *runs]) == 0
        simulation = store.runs(kind="simulate")[0].id
        training = []
        for seed in SEEDS:
            seeded = with_overrides(config, {"seed": seed})
            with store.recording("train", {"preset": PRESET, **to_dict(seeded)},
                                 seed) as run_id:
                train(seeded, path / f"train-{seed}", store=store, run_id=run_id)
            training.append(run_id)
    return DashboardWorkspace(path, tuple(training), evaluations, simulation, config, PRESET)

"""Shared set-up of the tests that train: one torch thread and a tiny training config.

Test modules load these with `pytest_plugins = ("scorer_fixtures", "training_fixtures")`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.core.config import with_overrides


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """The tiny models gain nothing from torch's thread pool, and on a busy machine its
    threads mostly wait for each other (5x slower, measured on 2 shared cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_training(tiny_bert_dir: Path) -> TrainConfig:
    """A 200-item synthetic world, 20 candidates, slates of 4, a tiny BERT, 16-step rollouts."""
    return with_overrides(TrainConfig(), {
        "world.catalog.source": "synthetic", "world.catalog.size": 200,
        "world.num_candidates": 20, "world.slate_size": 4,
        "scorer.model_path": str(tiny_bert_dir), "ppo.n_envs": 4, "ppo.n_steps": 4,
        "ppo.batch_size": 16, "ppo.n_epochs": 1, "total_steps": 64, "eval_episodes": 4,
    })

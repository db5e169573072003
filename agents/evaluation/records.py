"""How an evaluation is recorded in the run store, the same way wherever it runs.

`ifr-sim evaluate`, `ifr-sim demo` and `ifr-sim bench learn` all record an agent's
evaluation as an `evaluate` run with this config and result, which is what the dashboard
matches on (same world) to draw the best-baseline and oracle levels beside training curves.
"""

from __future__ import annotations

from typing import Any

from ifr_sim.agents.evaluation.online import metric_names
from ifr_sim.core.config import to_dict
from ifr_sim.core.run_store import RunStore
from ifr_sim.envs.config import WorldConfig


def evaluation_run_config(
    world: WorldConfig, agent: str, episodes: int, checkpoint: str | None = None
) -> dict[str, Any]:
    """The config an `evaluate` run is recorded with."""
    return {"world": to_dict(world), "agent": agent, "episodes": episodes,
            "checkpoint": checkpoint}


def log_evaluation_result(
    store: RunStore, run_id: str, world: WorldConfig, agent: str, result: dict[str, Any],
    episodes: int, seed: int,
) -> dict[str, Any]:
    """Record `result` (with its agent, split, episodes and seed) at step 0; returns it."""
    recorded = {**result, "agent": agent, "split": world.split, "episodes": episodes,
                "seed": seed}
    store.log_result(run_id, 0, recorded, metric_names(world.slate_size))
    return recorded


def record_evaluation(
    store: RunStore, world: WorldConfig, agent: str, result: dict[str, Any], episodes: int,
    seed: int,
) -> str:
    """One finished `evaluate` run for a result computed elsewhere; returns its id."""
    with store.recording("evaluate", evaluation_run_config(world, agent, episodes),
                         seed) as run_id:
        log_evaluation_result(store, run_id, world, agent, result, episodes, seed)
    return run_id

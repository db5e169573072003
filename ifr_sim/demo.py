"""`ifr-sim demo`: the main job, every agent evaluated on held-out users and templates."""

from __future__ import annotations

from typing import Any

from ifr_sim.agents.registry import AGENTS, make_agent
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.world import build_world
from ifr_sim.evaluation import METRICS, evaluate
from ifr_sim.results import print_results


def run_demo(config: WorldConfig, episodes: int, seed: int) -> dict[str, dict[str, Any]]:
    """Evaluate every registered agent on the same sessions and print a comparison table."""
    world = build_world(config)
    oracle = evaluate(make_agent("oracle", world), config, episodes, seed)
    results: dict[str, dict[str, Any]] = {}
    for name in AGENTS:
        if name == "oracle":
            results[name] = {**oracle, "oracle_share": 1.0, "oracle_share_ci95": 0.0}
        else:
            print(f"evaluating {name} ...", flush=True)
            results[name] = evaluate(make_agent(name, world), config, episodes, seed,
                                     oracle["reward"])
    print(f"\n{episodes} held-out sessions per agent (seed {seed}), mean ± 95% CI:")
    print_results(results, METRICS)
    return results

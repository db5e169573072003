"""`ifr-sim demo`: the main job, on the embedded defaults.

1. Every baseline agent on the same held-out sessions, one comparison table.
2. A short PPO run of the scorer (the default training preset), evaluated before and after
   on those sessions, and where its curves are.

With a run store, each agent's evaluation is an `evaluate` run (as `ifr-sim evaluate
--agent NAME` records it) and the training a `train` run, so the dashboard draws the
training curves with the best-baseline and oracle levels of the same world.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ifr_sim.agents.evaluation.online import evaluate, metric_names, ranking_metric_names
from ifr_sim.agents.evaluation.records import record_evaluation
from ifr_sim.agents.registry import AGENTS, make_agent
from ifr_sim.agents.training.train_config import DEFAULT_TRAIN_PRESET, train_preset
from ifr_sim.agents.training.trainer import train
from ifr_sim.core.config import to_dict, with_overrides
from ifr_sim.core.results import print_results
from ifr_sim.core.run_store import RunStore
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.world import build_world


def run_demo(
    config: WorldConfig,
    episodes: int,
    seed: int,
    train_steps: int,
    run_dir: Path,
    store: RunStore | None = None,
) -> dict[str, dict[str, Any]]:
    """Evaluate every agent, then train PPO for `train_steps` and compare before/after.

    With a `store`, every evaluation and the training run are recorded there (so the
    dashboard shows them).
    """
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
        if store is not None:
            record_evaluation(store, config, name, results[name], episodes, seed)
    print(f"\n{episodes} held-out sessions per agent (seed {seed}), mean ± 95% CI:")
    print_results(results, metric_names(config.slate_size))
    if train_steps > 0:
        results["ppo"] = _train_and_compare(config, episodes, seed, train_steps, run_dir, store)
    return results


def _train_and_compare(
    config: WorldConfig,
    episodes: int,
    seed: int,
    steps: int,
    run_dir: Path,
    store: RunStore | None,
) -> dict[str, Any]:
    world = dataclasses.replace(config, split="train")  # evaluated on the held-out split
    training = with_overrides(
        dataclasses.replace(train_preset(DEFAULT_TRAIN_PRESET), world=world, seed=seed),
        {"total_steps": steps, "eval_every": steps, "eval_episodes": episodes},
    )
    print(f"\ntraining the scorer with PPO for {steps:,} steps ({DEFAULT_TRAIN_PRESET} preset) ...",
          flush=True)
    if store is None:
        summary = train(training, run_dir)
    else:
        with store.recording("train", {"preset": DEFAULT_TRAIN_PRESET, **to_dict(training)},
                             seed) as run_id:
            summary = train(training, run_dir, store=store, run_id=run_id)
        print(f"run {run_id} recorded in {store.path} (see it with `ifr-sim dashboard`)")
    before, after = summary["history"][0], summary["final"]
    print(f"\nPPO before/after on the same held-out sessions ({summary['steps']:,} steps, "
          f"{summary['seconds']:.0f} s):")
    print_results({"zero-shot policy": before, "after PPO": after},
                  ("reward", "ctr", *ranking_metric_names(config.slate_size)))
    print(f"curves: {run_dir / 'progress.csv'}; checkpoint: {summary['checkpoint']}")
    return after

"""How the fidelity figures move with the world's attractiveness weights.

One weight changes at a time (the others keep the world's values); every setting answers
the same sample (`ProbeSample`) as the same simulated users (one seed), and plays the
same sessions under the random policy, so the rows differ by the weight alone. Taste
fidelity (rating error, alignment) sits next to instruction following (the share of
clicks on items that meet the instruction), the trade-off the weights decide.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ifr_sim.agents.experiments.fidelity.behaviour import behaviour_figures, play
from ifr_sim.agents.experiments.fidelity.config import SWEPT_WEIGHTS, FidelityConfig
from ifr_sim.agents.experiments.fidelity.preference import user_model_figures
from ifr_sim.agents.experiments.fidelity.sample import ProbeSample
from ifr_sim.core.config import leaf_values, with_overrides
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.world import build_world

SWEPT_BEHAVIOUR = ("instruction_click_share", "ctr", "gini", "popularity_js", "genre_js")
"""The random policy's figures each sweep row keeps."""


def sweep_settings(bench: FidelityConfig) -> Iterator[tuple[str, float]]:
    """(key, value) of every setting of the sweep, in order."""
    for weight in SWEPT_WEIGHTS:
        for value in getattr(bench, f"sweep_{weight}"):
            yield f"attractiveness.{weight}", value


def sweep(config: WorldConfig, bench: FidelityConfig, sample: ProbeSample | None,
          real_items: np.ndarray | None) -> list[dict[str, Any]]:
    """One row per setting: the key, its value, whether it is the world's own, and the
    figures (those that need real ratings only where `sample` is given)."""
    own = leaf_values(config)
    rows = []
    for key, value in sweep_settings(bench):
        setting = with_overrides(config, {key: value})
        row: dict[str, Any] = {"key": key, "value": value, "current": own[key] == value}
        if sample is not None:
            figures = user_model_figures(build_world(setting), sample, bench.reference_reg,
                                         bench.seed)
            for name in ("rating_rmse", "rating_mae"):
                row[name], row[f"{name}_ci95"] = figures[name], figures[f"{name}_ci95"]
            for protocol, metrics in figures["alignment"].items():
                for metric in ("accuracy", "auc"):
                    if metric in metrics:
                        row[f"{protocol}_{metric}"] = metrics[metric]
                        row[f"{protocol}_{metric}_ci95"] = metrics[f"{metric}_ci95"]
        clicks = play(setting, "random", bench.sessions, bench.seed)
        behaviour = behaviour_figures(clicks, build_world(setting).catalog, real_items,
                                      np.random.default_rng([bench.seed, 4]))
        for name in SWEPT_BEHAVIOUR:
            if name in behaviour:
                row[name] = behaviour[name]
                if f"{name}_ci95" in behaviour:
                    row[f"{name}_ci95"] = behaviour[f"{name}_ci95"]
        rows.append(row)
    return rows

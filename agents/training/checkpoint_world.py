"""A checkpoint carries its world: what a user may change when evaluating it, and what not.

A policy reads the catalog, the N candidates, the K-item slate, the H-item history and the
instruction bytes of the world it was trained in. A different value of any of those
(`FIXED`) would hand it other items at the indices it learned, or observations of
another shape, so it is an error that names each difference. The rest of the world (the
split, the users, their clicks, the reward) may differ: evaluating a policy on other users
is an experiment, so those differences are honoured and reported, never silent.

Likewise the scorer: only how it runs (`RUNTIME_SCORER_KEYS`) may change, never what it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ifr_sim.agents.policy.scorer_policy import ScorerPolicy
from ifr_sim.agents.training.checkpoint import (
    Checkpoint,
    build_policy,
    load_weights,
    relink_catalog,
)
from ifr_sim.core.config import ConfigError, leaf_values, with_overrides
from ifr_sim.envs.config import WorldConfig

FIXED = ("catalog", "num_candidates", "slate_size", "history_length", "instruction_bytes")
"""World keys (and sections) a policy depends on: they must be the checkpoint's."""

RUNTIME_SCORER_KEYS = ("device", "batch_size")
"""Scorer keys that change how the scorer runs, not what it computes."""


@dataclass(frozen=True)
class CheckpointInWorld:
    """A checkpoint's policy, loaded for the world it is evaluated in."""

    policy: ScorerPolicy
    world: WorldConfig
    directory: Path
    """The checkpoint directory read."""
    changed: dict[str, tuple[Any, Any]]
    """World keys that differ from the training world: key -> (trained, now)."""


def load_in_world(
    checkpoint: Checkpoint, world: WorldConfig, scorer_overrides: Sequence[str] = ()
) -> CheckpointInWorld:
    """The checkpoint's policy for `world`, checked against the world it was trained in.

    Args:
        checkpoint: as `read_checkpoint` returns it.
        world: the world asked for; its catalog file may be the trained one's new place
            (verified by content, see `relink_catalog`).
        scorer_overrides: `scorer.KEY=VALUE` strings; only `RUNTIME_SCORER_KEYS` may
            differ from the checkpoint's.

    Raises:
        ConfigError: `world` differs from the training world in a `FIXED` key, or the
            overrides change what the scorer is; the message names every difference.
        CheckpointError: the catalog file is missing or not the one trained on.
    """
    checkpoint = relink_catalog(checkpoint, world.catalog.source)
    trained = checkpoint.config
    changed = differences(trained.world, world)
    fixed = {key: values for key, values in changed.items()
             if key.split(".")[0] in FIXED}
    if fixed:
        raise ConfigError(
            f"{checkpoint.directory} carries the world it was trained in, and the options "
            f"contradict it: {_listed(fixed)}; drop those options (a policy reads only "
            "the catalog, candidate count, slate size, history length and instruction "
            "length it was trained with)"
        )
    scorer = with_overrides(trained, scorer_overrides).scorer
    fixed = {key: values for key, values in differences(trained.scorer, scorer).items()
             if key not in RUNTIME_SCORER_KEYS}
    if fixed:
        raise ConfigError(
            f"{checkpoint.directory} carries its scorer, and the options contradict it: "
            f"{_listed(fixed, 'scorer.')}; with a checkpoint only "
            f"{', '.join('scorer.' + key for key in RUNTIME_SCORER_KEYS)} may be set"
        )
    policy = build_policy(dataclasses.replace(trained, scorer=scorer))
    load_weights(policy, checkpoint.weights, checkpoint.directory)
    return CheckpointInWorld(policy, world, checkpoint.directory, changed)


def differences(trained: Any, now: Any) -> dict[str, tuple[Any, Any]]:
    """Dotted keys whose values differ between two configs of one type: (trained, now)."""
    before, after = leaf_values(trained), leaf_values(now)
    return {key: (value, after[key]) for key, value in before.items() if after[key] != value}


def _listed(changed: Mapping[str, tuple[Any, Any]], prefix: str = "") -> str:
    return ", ".join(f"{prefix}{key}={now!r} (the checkpoint's: {trained!r})"
                     for key, (trained, now) in changed.items())

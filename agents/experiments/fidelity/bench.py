"""The fidelity benchmark in one call: `run_fidelity(world_config, FidelityConfig())`.

Builds the world from the earlier part of the ratings, draws the sample, probes the
user model, fits and scores the references, plays the policies, runs the sweep, and
returns one JSON-ready dict (keys in docs/fidelity.md). A catalog without ratings (the
synthetic shop) has nothing to validate against: only the simulated side of the
aggregate behaviour and the sweep's behaviour figures are reported.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from ifr_sim.agents.experiments.fidelity.behaviour import (
    POLICIES,
    behaviour_figures,
    intent_genre_figures,
    play,
)
from ifr_sim.agents.experiments.fidelity.config import FidelityConfig
from ifr_sim.agents.experiments.fidelity.preference import (
    reference_figures,
    user_model_figures,
)
from ifr_sim.agents.experiments.fidelity.real import RealRatings, load_real
from ifr_sim.agents.experiments.fidelity.sample import LIKED, ProbeSample, draw_sample
from ifr_sim.agents.experiments.fidelity.sweep import sweep
from ifr_sim.core.catalog.holdout import HOLDOUT_SHARE
from ifr_sim.core.config import to_dict, with_overrides
from ifr_sim.core.fidelity.distributions import category_shares, favourite_categories
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.world import build_world, load_catalog

PROBE = ("no instruction: each simulated user judges the items as the candidates of a "
         "cold first turn whose intent asks for nothing (every item matches it fully)")
"""The instruction setting of the preference probe, as the report states it."""
FAVOURITE_GENRES = 3
"""A rater's favourite held-out genres: the top 3 among the items they rated 4-5."""


def has_ratings(config: WorldConfig) -> bool:
    """Whether the world's catalog has real ratings to measure its users against."""
    full = dataclasses.replace(config.catalog, ratings="all")
    return load_catalog(full).ratings is not None


def fidelity_world(config: WorldConfig) -> WorldConfig:
    """`config` built from the earlier part of the ratings, where its catalog has them."""
    if not has_ratings(config):
        return config
    return with_overrides(config, {"catalog.ratings": "before_holdout"})


def run_fidelity(config: WorldConfig, bench: FidelityConfig) -> dict[str, Any]:
    """Every fidelity figure of the world of `config` (see the module docstring)."""
    started = time.perf_counter()
    config = fidelity_world(config)
    world = build_world(config)
    rated = world.catalog.ratings is not None
    result: dict[str, Any] = {"catalog": world.catalog.name, "real_data": rated,
                              "world": to_dict(config), "bench": to_dict(bench),
                              "user_model": config.users.model}
    rng = np.random.default_rng([bench.seed, 1])
    sample: ProbeSample | None = None
    real_items = None
    if rated:
        real = load_real(world, bench.reference_reg, bench.seed)
        raters = world.users.profiles(config.split)
        sample = draw_sample(real, raters, bench, rng)
        heldout = real.split.heldout
        real_items = heldout.item[np.isin(heldout.user, raters)]
        result.update(_split_summary(real, sample, config))
        result["probe"] = PROBE
        result.update(user_model_figures(world, sample, bench.reference_reg, bench.seed))
        result.update(reference_figures(real, sample, bench.seed))
    result["behaviour"] = {}
    for policy in POLICIES:
        clicks = play(config, policy, bench.sessions, bench.seed)
        result["behaviour"][policy] = behaviour_figures(clicks, world.catalog, real_items, rng)
        if rated and policy == "random":
            result["intent_genres"] = _intent_genres(real, world.catalog.categories, clicks,
                                                     rng)
    result["sweep"] = sweep(config, bench, sample, real_items)
    result["seconds"] = time.perf_counter() - started
    return result


def _intent_genres(real: RealRatings, categories: np.ndarray, clicks: Any,
                   rng: np.random.Generator) -> dict[str, Any]:
    heldout = real.split.heldout
    liked = heldout.rating >= LIKED
    favourites = favourite_categories(heldout.user[liked], heldout.item[liked], categories,
                                      heldout.num_users, FAVOURITE_GENRES)
    shares = category_shares(real.split.earlier.item, categories)
    return intent_genre_figures(clicks, favourites, shares, rng)


def _split_summary(real: RealRatings, sample: ProbeSample,
                   config: WorldConfig) -> dict[str, Any]:
    split = real.split
    return {"split": {"holdout_share": HOLDOUT_SHARE, "raters": split.earlier.num_users,
                      "earlier_ratings": len(split.earlier.user),
                      "heldout_ratings": len(split.heldout.user),
                      "world_split": config.split},
            "sample": {"raters": len(sample.raters),
                       "heldout_ratings": len(sample.heldout.user)}}

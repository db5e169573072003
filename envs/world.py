"""The world: catalog, users, instruction language, intent bank, candidates and clicks.

`build_world` composes the swappable parts from a `WorldConfig` (RecSim's factory). The
expensive, episode-independent assets (loading the catalog, fitting tastes, sampling the
intent bank) are cached per process, so making many environments of one world is cheap;
everything in a `World` is read-only, which makes sharing it safe.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from ifr_sim.core.catalog import (
    Catalog,
    CatalogError,
    load_catalog_file,
    load_movielens,
    make_synthetic_catalog,
)
from ifr_sim.core.instructions import InstructionLanguage
from ifr_sim.envs.candidates import CandidateGenerator
from ifr_sim.envs.click_models import ClickModel, make_click_model
from ifr_sim.envs.config import CatalogConfig, ClickConfig, Split, UserConfig, WorldConfig
from ifr_sim.envs.intent_bank import IntentBank, build_intent_bank
from ifr_sim.envs.users import UserPopulation, build_population


@dataclass(frozen=True)
class World:
    """Everything a session needs that does not change during an episode."""

    config: WorldConfig
    catalog: Catalog
    users: UserPopulation
    language: InstructionLanguage
    bank: IntentBank
    candidates: CandidateGenerator
    clicks: ClickModel


MIN_ITEMS = 10
"""Fewest items that satisfy any instruction, hence fewest items a catalog may have."""


def build_world(config: WorldConfig) -> World:
    """Compose a `World` from its config (cached assets are shared between worlds).

    Raises:
        CatalogError: the catalog cannot be loaded or has fewer than `MIN_ITEMS` items.
        ConfigError: the catalog has fewer items than `num_candidates`.
    """
    catalog = load_catalog(config.catalog)
    if len(catalog) < MIN_ITEMS:
        raise CatalogError(
            f"{config.catalog.source}: the catalog has {len(catalog)} items; a world needs at "
            f"least {MIN_ITEMS}, so that every instruction has {MIN_ITEMS} matching items"
        )
    # Checked before the slow parts (taste fit, intent bank) that follow.
    candidates = CandidateGenerator(catalog, config.num_candidates, config.candidates)
    return World(
        config=config,
        catalog=catalog,
        users=_population(
            config.catalog,
            UserConfig(taste_dim=config.users.taste_dim, heldout_share=config.users.heldout_share),
        ),
        language=_language(config.catalog, config.split, config.specificity),
        bank=_bank(config.catalog, config.split, config.specificity, config.intent_bank_size,
                   config.instruction_bytes),
        candidates=candidates,
        clicks=click_model_from_config(config.clicks),
    )


def click_model_from_config(config: ClickConfig) -> ClickModel:
    """The click model a `ClickConfig` names, with its parameters."""
    params = {
        "cascade": {},
        "pbm": {"eta": config.pbm_eta},
        "dcm": {"continuation": config.dcm_continuation},
        "mnl": {"no_click_weight": config.mnl_no_click_weight},
    }[config.model]
    return make_click_model(config.model, **params)


@functools.lru_cache(maxsize=4)
def load_catalog(config: CatalogConfig) -> Catalog:
    """The catalog a `CatalogConfig` names (cached: catalogs are immutable)."""
    if config.source == "movielens":
        return load_movielens()
    if config.source == "synthetic":
        return make_synthetic_catalog(config.size, config.seed)
    return load_catalog_file(Path(config.source), domain=config.domain)


@functools.lru_cache(maxsize=4)
def _population(catalog: CatalogConfig, users: UserConfig) -> UserPopulation:
    """Keyed only on what the fit depends on, so dynamics knobs reuse the fit."""
    return build_population(load_catalog(catalog), users)


@functools.lru_cache(maxsize=8)
def _language(catalog: CatalogConfig, split: Split, specificity: float) -> InstructionLanguage:
    return InstructionLanguage(load_catalog(catalog), split=split, specificity=specificity,
                               min_matching_items=MIN_ITEMS)


@functools.lru_cache(maxsize=8)
def _bank(
    catalog: CatalogConfig, split: Split, specificity: float, size: int, max_bytes: int
) -> IntentBank:
    language = _language(catalog, split, specificity)
    return build_intent_bank(load_catalog(catalog), language, size, max_bytes)

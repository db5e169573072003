"""The world: catalog, users, instruction language, intent bank, candidates and clicks.

`build_world` composes the swappable parts from a `WorldConfig` (RecSim's factory): the
config names the catalog, the instruction language, the candidate generator, the user
model and the click model, and each part's registry (`ifr_sim.envs.registry`) builds the
part of that name. The expensive, episode-independent assets (loading the catalog,
fitting tastes, sampling the intent bank) are cached per process, so making many
environments of one world is cheap; everything in a `World` is read-only, which makes
sharing it safe.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ifr_sim.core.catalog import Catalog, CatalogError, load_catalog_file
from ifr_sim.core.instructions import InstructionLanguage
from ifr_sim.envs.candidates import CandidateGenerator, candidate_generator_factory
from ifr_sim.envs.catalogs import catalog_factory
from ifr_sim.envs.click_models import ClickModel, click_model_from_config
from ifr_sim.envs.config import CatalogConfig, Split, UserConfig, WorldConfig
from ifr_sim.envs.intent_bank import IntentBank, build_intent_bank
from ifr_sim.envs.languages import MIN_ITEMS, language_factory
from ifr_sim.envs.registry import CATALOGS
from ifr_sim.envs.user_model import UserModel, user_model_factory
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
    user_model: UserModel[Any]
    clicks: ClickModel


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
    candidates = candidate_generator_factory(config.candidates.generator)(catalog, config)
    users = _population(
        config.catalog,
        UserConfig(taste_dim=config.users.taste_dim, heldout_share=config.users.heldout_share),
    )
    return World(
        config=config,
        catalog=catalog,
        users=users,
        language=_language(config.catalog, config.language, config.split, config.specificity),
        bank=_bank(config.catalog, config.language, config.split, config.specificity,
                   config.intent_bank_size, config.instruction_bytes),
        candidates=candidates,
        user_model=user_model_factory(config.users.model)(config, catalog, users),
        clicks=click_model_from_config(config.clicks),
    )


@functools.lru_cache(maxsize=4)
def load_catalog(config: CatalogConfig) -> Catalog:
    """The catalog a `CatalogConfig` names: a registered one, or a file (cached: catalogs
    are immutable, and a registered name keeps meaning one catalog).

    Raises:
        CatalogError: `catalog.ratings='before_holdout'` for a catalog without ratings.
    """
    if config.source in CATALOGS:
        catalog = catalog_factory(config.source)(config)
    else:
        catalog = load_catalog_file(Path(config.source), domain=config.domain)
    if config.ratings != "all" and catalog.ratings is None:
        raise CatalogError(
            f"catalog.ratings={config.ratings!r}: the catalog {catalog.name!r} has no real "
            "ratings to hold out; use catalog.ratings='all' (its users are generated)"
        )
    return catalog


@functools.lru_cache(maxsize=4)
def _population(catalog: CatalogConfig, users: UserConfig) -> UserPopulation:
    """Keyed only on what the fit depends on, so dynamics knobs reuse the fit."""
    return build_population(load_catalog(catalog), users)


@functools.lru_cache(maxsize=8)
def _language(
    catalog: CatalogConfig, name: str, split: Split, specificity: float
) -> InstructionLanguage:
    return language_factory(name)(load_catalog(catalog), split, specificity)


@functools.lru_cache(maxsize=8)
def _bank(
    catalog: CatalogConfig, language: str, split: Split, specificity: float, size: int,
    max_bytes: int,
) -> IntentBank:
    said = _language(catalog, language, split, specificity)
    return build_intent_bank(load_catalog(catalog), said, size, max_bytes)

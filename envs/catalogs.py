"""Catalogs by name: the built-in ones, and `register_catalog` for your own.

`catalog.source` names a registered catalog or a catalog file's path. A registered
catalog is built by its factory from the `CatalogConfig` (so it may read `size`, `seed`
and `domain`); worlds cache it by that config, so a factory must return the same catalog
for the same config.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from ifr_sim.core.catalog import Catalog, load_movielens, make_synthetic_catalog
from ifr_sim.envs.config import CatalogConfig
from ifr_sim.envs.registry import CATALOGS

CatalogFactory = Callable[[CatalogConfig], Catalog]


def movielens(config: CatalogConfig) -> Catalog:
    """MovieLens-100k (its size is fixed: `size` and `seed` do not apply), from all its
    ratings or the earlier part of each rater's (`ratings`)."""
    return load_movielens(ratings=config.ratings)


def synthetic(config: CatalogConfig) -> Catalog:
    """The generated shop catalog of `size` items from `seed`."""
    return make_synthetic_catalog(config.size, config.seed)


def register_catalog(name: str, factory: CatalogFactory) -> None:
    """Let configs name a catalog: `catalog.source = name` builds `factory(config.catalog)`.

    Raises:
        ValueError: the name is empty or taken.
    """
    CATALOGS.register(name, factory)


def catalog_factory(name: str) -> CatalogFactory:
    """The factory registered under `name` (a `ConfigError` lists the known ones)."""
    return cast(CatalogFactory, CATALOGS.factory(name))

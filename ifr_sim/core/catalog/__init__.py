"""Item catalogs: MovieLens-100k, a synthetic shop of any size, or a user's own file."""

from ifr_sim.core.catalog.catalog import Catalog, CatalogError, Domain, Item, Ratings
from ifr_sim.core.catalog.files import load_catalog_file
from ifr_sim.core.catalog.movielens import load_movielens
from ifr_sim.core.catalog.synthetic import make_synthetic_catalog

__all__ = [
    "Catalog",
    "CatalogError",
    "Domain",
    "Item",
    "Ratings",
    "load_catalog_file",
    "load_movielens",
    "make_synthetic_catalog",
]

"""Tiny hand-made catalogs for the instruction-language tests.

Small enough that expected matches can be checked by eye: the comments give each item's
year, categories, quality and popularity.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ifr_sim.core.catalog.catalog import Catalog

MOVIE_GENRES = ("comedy", "animation", "horror", "drama", "romance", "children's")
COMEDY, ANIMATION, HORROR, DRAMA, ROMANCE, CHILDREN = range(len(MOVIE_GENRES))

# title, year, genres, quality, popularity
_MOVIES = (
    ("Toy Story", 1995, (ANIMATION, CHILDREN, COMEDY), 0.85, 0.95),  # 0
    ("Clerks", 1994, (COMEDY,), 0.70, 0.50),  # 1
    ("Groundhog Day", 1993, (COMEDY, ROMANCE), 0.80, 0.80),  # 2
    ("Scream", 1996, (HORROR,), 0.60, 0.60),  # 3
    ("The Shining", 1980, (HORROR, DRAMA), 0.85, 0.85),  # 4
    ("Airplane!", 1980, (COMEDY,), 0.75, 0.70),  # 5
    ("Annie Hall", 1977, (COMEDY, ROMANCE), 0.80, 0.30),  # 6: hidden gem
    ("Halloween", 1978, (HORROR,), 0.65, 0.40),  # 7
    ("Casablanca", 1942, (DRAMA, ROMANCE), 0.90, 0.90),  # 8
    ("Some Like It Hot", 1959, (COMEDY, ROMANCE), 0.85, 0.20),  # 9: hidden gem
    ("Up", 2009, (ANIMATION, CHILDREN, DRAMA), 0.85, 0.90),  # 10
    ("Get Out", 2017, (HORROR,), 0.80, 0.70),  # 11
    ("Lady Bird", 2017, (COMEDY, DRAMA), 0.75, 0.30),  # 12: hidden gem
    ("Paddington 2", 2018, (CHILDREN, COMEDY), 0.90, 0.25),  # 13: hidden gem
    ("Night of the Living Dead", 1968, (HORROR,), 0.50, 0.20),  # 14: obscure, not good
    ("Lost Reel", np.nan, (DRAMA,), 0.40, 0.05),  # 15: unknown year
    ("Shrek", 2001, (ANIMATION, COMEDY, CHILDREN), 0.75, 0.95),  # 16
    ("Hereditary", 2018, (HORROR, DRAMA), 0.70, 0.35),  # 17: hidden gem
    ("Heat", 1995, (DRAMA,), 0.80, 0.75),  # 18
    ("Clueless", 1995, (COMEDY, ROMANCE), 0.70, 0.65),  # 19
)
TOY_STORY, CLERKS, GROUNDHOG_DAY, SCREAM, SHINING = 0, 1, 2, 3, 4
ANNIE_HALL, CASABLANCA, SOME_LIKE_IT_HOT, UP, LOST_REEL, SHREK, HEAT, CLUELESS = (
    6, 8, 9, 10, 15, 16, 18, 19
)

SHOP_CATEGORIES = ("phones", "laptops", "headphones", "kitchen")
PHONES, LAPTOPS, HEADPHONES, KITCHEN = range(len(SHOP_CATEGORIES))

# title, price, category, quality, popularity
_PRODUCTS = (
    ("Aurora Phone S", 199.0, PHONES, 0.60, 0.70),
    ("Aurora Phone X", 449.0, PHONES, 0.80, 0.90),
    ("Nimbus Phone Pro", 899.0, PHONES, 0.85, 0.80),
    ("Kestrel Phone Ultra", 1199.0, PHONES, 0.70, 0.30),
    ("Vertex Laptop Lite", 349.0, LAPTOPS, 0.55, 0.40),
    ("Vertex Laptop", 799.0, LAPTOPS, 0.75, 0.85),
    ("Quanta Laptop Pro", 1299.0, LAPTOPS, 0.90, 0.60),
    ("Halcyon Laptop Max", 2199.0, LAPTOPS, 0.80, 0.20),
    ("Sonara Buds", 29.0, HEADPHONES, 0.50, 0.95),
    ("Lumen Headphones", 79.0, HEADPHONES, 0.70, 0.60),
    ("Echofield Headphones Plus", 149.0, HEADPHONES, 0.85, 0.30),
    ("Sonara Studio", 349.0, HEADPHONES, 0.90, 0.75),
    ("Whisk Blender", 19.0, KITCHEN, 0.45, 0.50),
    ("Toastr Two", 59.0, KITCHEN, 0.65, 0.80),
    ("Brewmaster Espresso", 129.0, KITCHEN, 0.80, 0.25),
    ("Slicewell Knife Set", 89.0, KITCHEN, 0.75, 0.45),
)


@cache
def movie_catalog() -> Catalog:
    """20 movies over six genres, 1942-2018 (one with an unknown year)."""
    categories = np.zeros((len(_MOVIES), len(MOVIE_GENRES)), dtype=bool)
    for row, (_, _, genres, _, _) in enumerate(_MOVIES):
        categories[row, list(genres)] = True
    titles = tuple(m[0] for m in _MOVIES)
    return Catalog(
        name="tiny-movies",
        domain="movies",
        ids=np.array([str(i + 1) for i in range(len(_MOVIES))]),
        titles=titles,
        texts=titles,
        category_names=MOVIE_GENRES,
        categories=categories,
        quality=np.array([m[3] for m in _MOVIES], dtype=np.float32),
        popularity=np.array([m[4] for m in _MOVIES], dtype=np.float32),
        attributes={"year": np.array([m[1] for m in _MOVIES], dtype=np.float64)},
        range_attribute="year",
    )


@cache
def shop_catalog() -> Catalog:
    """16 products in four categories, $19 to $2,199."""
    categories = np.zeros((len(_PRODUCTS), len(SHOP_CATEGORIES)), dtype=bool)
    categories[np.arange(len(_PRODUCTS)), [p[2] for p in _PRODUCTS]] = True
    titles = tuple(p[0] for p in _PRODUCTS)
    return Catalog(
        name="tiny-shop",
        domain="shop",
        ids=np.array([f"sku-{i}" for i in range(len(_PRODUCTS))]),
        titles=titles,
        texts=titles,
        category_names=SHOP_CATEGORIES,
        categories=categories,
        quality=np.array([p[3] for p in _PRODUCTS], dtype=np.float32),
        popularity=np.array([p[4] for p in _PRODUCTS], dtype=np.float32),
        attributes={"price": np.array([p[1] for p in _PRODUCTS], dtype=np.float64)},
        range_attribute="price",
    )

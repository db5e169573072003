"""What the episode inspector shows of a recorded session, as pandas DataFrames.

Episodes are the records `ifr-sim simulate` stores
(`ifr_sim.agents.evaluation.simulation.episode_record`):
per turn the instruction, the slate (external ids, "" for an empty slot), the clicks and
the reward, and the simulator's ground truth at that turn: each shown item's
attractiveness (`relevance`) and intent match (`satisfies`), and the oracle's slate with
its attractiveness. Records written before the ground truth was recorded lack those
fields; their columns are then empty rather than an error.

Titles come from the run's catalog when it can be loaded (`titles`), else stay blank.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ifr_sim.core.catalog import Catalog
from ifr_sim.core.config import from_dict
from ifr_sim.envs.config import CatalogConfig
from ifr_sim.envs.world import load_catalog

EMPTY_SLOT = "(empty slot)"
SUMMARY_COLUMNS = ("episode", "profile", "turns", "clicks", "reward")
SLATE_COLUMNS = ("position", "title", "id", "clicked", "attractiveness", "matches intent")
ORACLE_COLUMNS = ("position", "title", "id", "attractiveness", "in the slate")


def episode_summary(episodes: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per episode: its number, profile, turns, clicks and reward."""
    rows = [
        (e["episode"], e.get("profile"), len(e["turns"]),
         sum(sum(turn["clicks"]) for turn in e["turns"]), e.get("reward"))
        for e in episodes
    ]
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def run_catalog(catalog: Mapping[str, Any]) -> Catalog:
    """The catalog a run's world config names (`config["world"]["catalog"]`).

    Raises what loading raises (a `CatalogError`, an `OSError`) if it is gone.
    """
    return load_catalog(from_dict(CatalogConfig, catalog))


def titles(catalog: Catalog | None, ids: Sequence[str]) -> list[str]:
    """Display titles of external ids: the catalog's, `EMPTY_SLOT` for "", else blank."""
    return [EMPTY_SLOT if item_id == "" else _title(catalog, item_id) for item_id in ids]


def slate_table(turn: Mapping[str, Any], catalog: Catalog | None) -> pd.DataFrame:
    """The slate of a turn, position 1 first: title, id, clicked, attractiveness, match."""
    slate = list(turn["slate"])
    size = len(slate)
    return pd.DataFrame({
        "position": range(1, size + 1),
        "title": titles(catalog, slate),
        "id": slate,
        "clicked": list(turn["clicks"]),
        "attractiveness": _column(turn, "relevance", size),
        "matches intent": _column(turn, "satisfies", size),
    }, columns=list(SLATE_COLUMNS))


def oracle_table(turn: Mapping[str, Any], catalog: Catalog | None) -> pd.DataFrame:
    """The oracle's slate of a turn (empty for older records), and which the agent showed."""
    oracle = list(turn.get("oracle_slate", []))
    shown = set(turn["slate"])
    return pd.DataFrame({
        "position": range(1, len(oracle) + 1),
        "title": titles(catalog, oracle),
        "id": oracle,
        "attractiveness": _column(turn, "oracle_relevance", len(oracle)),
        "in the slate": [item in shown for item in oracle],
    }, columns=list(ORACLE_COLUMNS))


def _column(turn: Mapping[str, Any], name: str, size: int) -> list[Any]:
    values = turn.get(name)
    return list(values) if values is not None else [None] * size


def _title(catalog: Catalog | None, item_id: str) -> str:
    """The item's title; blank without a catalog or for an id it lacks (an edited file)."""
    if catalog is None:
        return ""
    try:
        return catalog.titles[int(catalog.index_of([item_id])[0])]
    except KeyError:
        return ""

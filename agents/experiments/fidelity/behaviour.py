"""Aggregate behaviour: what simulated users click under a policy, against what real
raters rated in the held-out part.

Sessions are played by the one session runner every evaluation uses, with the random and
the popularity policies. From the clicks:

- **Popularity.** The Gini coefficient of clicks over items, against that of as many
  held-out ratings drawn at random (a Gini depends on how many events it counts), and
  the Jensen-Shannon divergence between the shares of clicks and of held-out ratings in
  the catalog's popularity deciles (by earlier ratings).
- **Genres.** Genre shares of clicks against those of held-out ratings, and their
  Jensen-Shannon divergence.
- **Instruction following.** The share of clicked items that satisfy the instruction's
  hard constraints (the world's intent).
- **Intent genres.** Whether the genres a session's intent asks for are among the
  rater's favourite held-out genres, against a genre drawn uniformly and one drawn by
  the genres' share of earlier ratings (`intent_genre_figures`).

95% CIs come from resampling sessions (and held-out ratings): `BOOTSTRAP` draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ifr_sim.agents.evaluation.runner import SessionRunner
from ifr_sim.agents.registry import make_agent
from ifr_sim.core.catalog import Catalog
from ifr_sim.core.fidelity.distributions import (
    category_shares,
    decile_shares,
    gini,
    js_divergence,
    popularity_deciles,
)
from ifr_sim.core.metrics import mean_ci95
from ifr_sim.envs.config import WorldConfig

BOOTSTRAP = 200
"""Resamples behind the CIs of the aggregate figures."""
POLICIES = ("random", "popularity")


@dataclass(frozen=True)
class Clicks:
    """Every click of `sessions` simulated sessions under one policy.

    Attributes:
        items: (M,) clicked items.
        session: (M,) the session of each click.
        satisfies: (M,) the clicked item met the intent's hard constraints then.
        profiles: (S,) the profile (real rater) of each session.
        wanted: (S, C) the categories the session's first intent asks for.
        shown: items shown in all.
    """

    items: np.ndarray
    session: np.ndarray
    satisfies: np.ndarray
    profiles: np.ndarray
    wanted: np.ndarray
    shown: int


def play(config: WorldConfig, policy: str, sessions: int, seed: int) -> Clicks:
    """Play `sessions` sessions of `policy` in the world of `config` and keep the clicks."""
    runner = SessionRunner(config, sessions)
    agent = make_agent(policy, runner.world)
    items, session, satisfies = [], [], []
    profiles = wanted = None
    shown = 0
    for turn in runner.play(agent, seed):
        if profiles is None:
            profiles = turn.before["profile"].copy()
            wanted = runner.world.bank.batch.include[turn.before["intent_id"]]
        rows = np.flatnonzero(turn.active)
        slate_items = turn.after["slate_items"][rows]
        clicked = turn.after["clicks"][rows] & (slate_items >= 0)
        met = np.take_along_axis(turn.before["satisfies"][rows], turn.slates[rows], axis=1)
        where = np.nonzero(clicked)
        items.append(slate_items[where])
        session.append(rows[where[0]])
        satisfies.append(met[where])
        shown += int((slate_items >= 0).sum())
    assert profiles is not None and wanted is not None
    return Clicks(items=np.concatenate(items), session=np.concatenate(session),
                  satisfies=np.concatenate(satisfies), profiles=profiles, wanted=wanted,
                  shown=shown)


def behaviour_figures(clicks: Clicks, catalog: Catalog, real_items: np.ndarray | None,
                      rng: np.random.Generator) -> dict[str, Any]:
    """The aggregate figures of `clicks`; against `real_items` (held-out ratings' items
    of the same raters) where there are real ratings, else the simulated side alone."""
    deciles = popularity_deciles(catalog.popularity)
    figures: dict[str, Any] = {
        "sessions": len(clicks.profiles), "clicks": len(clicks.items),
        "ctr": len(clicks.items) / max(clicks.shown, 1),
        "popularity_deciles": {"simulated": decile_shares(clicks.items, deciles).tolist()},
        "genre_shares": {"genres": list(catalog.category_names),
                         "simulated": category_shares(clicks.items,
                                                      catalog.categories).tolist()},
    }
    real_deciles = real_genres = None
    if real_items is not None:
        real_deciles = decile_shares(real_items, deciles)
        real_genres = category_shares(real_items, catalog.categories)
        figures["popularity_deciles"]["real"] = real_deciles.tolist()
        figures["genre_shares"]["real"] = real_genres.tolist()

    def statistics(picks: np.ndarray, real: np.ndarray | None) -> dict[str, float]:
        """The figures of the clicks `picks`; `real`: as many held-out ratings' items."""
        items = clicks.items[picks]
        if not len(items):  # a resample of sessions without a click
            names = ("gini", "instruction_click_share") + (
                ("real_gini", "popularity_js", "genre_js") if real is not None else ())
            return dict.fromkeys(names, float("nan"))
        values = {"gini": gini(np.bincount(items, minlength=len(catalog))),
                  "instruction_click_share": float(clicks.satisfies[picks].mean())}
        if real is not None and real_deciles is not None and real_genres is not None:
            values["real_gini"] = gini(np.bincount(real, minlength=len(catalog)))
            values["popularity_js"] = js_divergence(decile_shares(items, deciles),
                                                    real_deciles)
            values["genre_js"] = js_divergence(category_shares(items, catalog.categories),
                                               real_genres)
        return values

    if not len(clicks.items):
        return figures
    size = len(clicks.items)
    draws = [statistics(_resampled_clicks(clicks, rng), _some(real_items, size, rng))
             for _ in range(BOOTSTRAP)]
    point = statistics(np.arange(size), _some(real_items, size, rng))
    for name, value in point.items():
        values = np.array([draw[name] for draw in draws])
        figures[name] = float(np.nanmean(values)) if name == "real_gini" else value
        figures[f"{name}_ci95"] = _half_width(values)
    return figures


def _resampled_clicks(clicks: Clicks, rng: np.random.Generator) -> np.ndarray:
    """Indices of the clicks of sessions drawn with replacement (a bootstrap sample)."""
    sessions = len(clicks.profiles)
    order = np.argsort(clicks.session, kind="stable")
    counts = np.bincount(clicks.session, minlength=sessions)
    starts = np.cumsum(counts) - counts
    chosen = rng.integers(0, sessions, sessions)
    lengths = counts[chosen]
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return order[np.repeat(starts[chosen], lengths) + offsets]


def _some(items: np.ndarray | None, size: int, rng: np.random.Generator) -> np.ndarray | None:
    """`size` of `items` drawn without replacement (all if fewer): real ratings counted
    as many times as there are clicks, so that both Ginis count as many events."""
    if items is None:
        return None
    return rng.choice(items, min(size, len(items)), replace=False)


def intent_genre_figures(clicks: Clicks, favourites: np.ndarray, shares: np.ndarray,
                         rng: np.random.Generator) -> dict[str, Any]:
    """How often a session's intent asks for a genre among its rater's favourites.

    `favourites` (raters, C) marks each rater's favourite held-out genres; `shares` (C,)
    the genres' share of earlier ratings. Sessions whose intent asks for no genre, or
    whose rater has no favourites, are left out. The references draw as many genres as
    the intent asks for (distinct), uniformly or by `shares`, for the same sessions.
    """
    counted = clicks.wanted.any(axis=1) & favourites[clicks.profiles].any(axis=1)
    wanted, mine = clicks.wanted[counted], favourites[clicks.profiles[counted]]
    if not len(wanted):
        return {"sessions": 0}
    hits = (wanted & mine).any(axis=1).astype(np.float64)
    figures: dict[str, Any] = {"sessions": len(wanted)}
    figures["hit_rate"], figures["hit_rate_ci95"] = mean_ci95(hits)
    uniform = np.where(shares > 0, 1.0, 0.0)
    for name, weights in (("random_genre", uniform), ("rating_share_genre", shares)):
        drawn = _draw_genres(wanted.sum(axis=1), weights, rng)
        figures[name], figures[f"{name}_ci95"] = mean_ci95((drawn & mine).any(axis=1))
    return figures


def _draw_genres(counts: np.ndarray, weights: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """(S, C) `counts[s]` distinct genres per row, drawn in proportion to `weights`
    (Gumbel top-k: the k largest of log weight + Gumbel noise)."""
    with np.errstate(divide="ignore"):
        keys = np.log(weights)[None, :] + rng.gumbel(size=(len(counts), len(weights)))
    rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
    return rank < counts[:, None]


def _half_width(values: np.ndarray) -> float:
    """Half the width of the central 95% of bootstrap `values`."""
    finite = values[~np.isnan(values)]
    if not len(finite):
        return float("nan")
    low, high = np.percentile(finite, [2.5, 97.5])
    return float((high - low) / 2)

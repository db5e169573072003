"""What the Fidelity page shows, as pandas DataFrames read from a fidelity run's result.

Pure functions, no Streamlit: the page (`fidelity_page.py`) lays these frames out, and
the tests check them without a browser. Every frame with a mean has its 95% CI as `low`
and `high`.

Example:
    >>> result = {"rating_rmse": 1.1, "rating_rmse_ci95": 0.1, "rating_mae": 0.9,
    ...           "rating_mae_ci95": 0.1, "rating_rmse_global_map": 1.2,
    ...           "rating_rmse_global_map_ci95": 0.1, "rating_mae_global_map": 1.0,
    ...           "rating_mae_global_map_ci95": 0.1,
    ...           "rating_rmse_references": {"biased_mf": 1.0},
    ...           "rating_rmse_references_ci95": {"biased_mf": 0.05},
    ...           "rating_mae_references": {"biased_mf": 0.8},
    ...           "rating_mae_references_ci95": {"biased_mf": 0.05}}
    >>> rating_frame(result)[["metric", "mean"]].values.tolist()
    [['rmse', 1.1], ['mae', 0.9], ['rmse', 1.2], ['mae', 1.0], ['rmse', 1.0], ['mae', 0.8]]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ifr_sim.core.run_store import RunStore

SIMULATED = "simulated users"
REAL = "real raters (held out)"
SWEEP_FIGURES = ("rating_rmse", "1:1_accuracy", "1:1_auc", "liked_vs_disliked_accuracy",
                 "liked_vs_disliked_auc", "instruction_click_share", "ctr", "gini",
                 "popularity_js", "genre_js")
"""The sweep's figures, in the order the page offers them (those present)."""


def fidelity_result(store: RunStore, run_id: str) -> dict[str, Any] | None:
    """The result a fidelity run recorded (its last evaluation), or None if none yet."""
    evaluations = store.evaluations(run_id)
    return evaluations[-1][1] if evaluations else None


def _bounds(mean: float, half: float | None) -> tuple[float, float]:
    half = 0.0 if half is None else half
    return mean - half, mean + half


def rating_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """`predictor, metric, mean, low, high`: RMSE and MAE of the simulated users (both
    rating maps) and of each reference."""
    rows = []
    for label, suffix in ((f"{SIMULATED} (rater's level)", ""),
                          (f"{SIMULATED} (one line for all)", "_global_map")):
        for metric in ("rmse", "mae"):
            mean, half = (result[f"rating_{metric}{suffix}{ci}"] for ci in ("", "_ci95"))
            rows.append((label, metric, mean, *_bounds(mean, half)))
    for name in result["rating_rmse_references"]:
        for metric in ("rmse", "mae"):
            mean = result[f"rating_{metric}_references"][name]
            half = result[f"rating_{metric}_references_ci95"][name]
            rows.append((f"reference: {name}", metric, mean, *_bounds(mean, half)))
    return pd.DataFrame(rows, columns=["predictor", "metric", "mean", "low", "high"])


def alignment_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """`protocol, scorer, metric, mean, low, high, users` for the simulated users and
    every reference."""
    scorers = {SIMULATED: result["alignment"],
               **{f"reference: {name}": figures
                  for name, figures in result["alignment_references"].items()}}
    rows = []
    for scorer, protocols in scorers.items():
        for protocol, figures in protocols.items():
            for metric in ("accuracy", "precision", "recall", "f1", "auc"):
                if figures.get(metric) is not None:
                    rows.append((protocol, scorer, metric, figures[metric],
                                 *_bounds(figures[metric], figures.get(f"{metric}_ci95")),
                                 figures["users"]))
    return pd.DataFrame(rows, columns=["protocol", "scorer", "metric", "mean", "low", "high",
                                       "users"])


def decile_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """`decile, source, share`: the popularity curve of clicks under each policy and, where
    there are real ratings, of the held-out ratings (decile 1 = least popular)."""
    rows = []
    behaviour = result["behaviour"]
    for policy, figures in behaviour.items():
        for decile, share in enumerate(figures["popularity_deciles"]["simulated"], start=1):
            rows.append((decile, f"{SIMULATED}, {policy} policy", share))
    first = next(iter(behaviour.values()))
    for decile, share in enumerate(first["popularity_deciles"].get("real", []), start=1):
        rows.append((decile, REAL, share))
    return pd.DataFrame(rows, columns=["decile", "source", "share"])


def genre_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """`genre, source, share`: genre shares of clicks per policy and of held-out ratings."""
    rows = []
    behaviour = result["behaviour"]
    for policy, figures in behaviour.items():
        shares = figures["genre_shares"]
        rows += [(genre, f"{SIMULATED}, {policy} policy", share)
                 for genre, share in zip(shares["genres"], shares["simulated"], strict=True)]
    shares = next(iter(behaviour.values()))["genre_shares"]
    rows += [(genre, REAL, share)
             for genre, share in zip(shares["genres"], shares.get("real", []), strict=False)]
    return pd.DataFrame(rows, columns=["genre", "source", "share"])


def behaviour_table(result: Mapping[str, Any]) -> pd.DataFrame:
    """One row per policy: its scalar aggregate figures (and their CIs)."""
    return pd.DataFrame([
        {"policy": policy, **{key: value for key, value in figures.items()
                              if not isinstance(value, Mapping)}}
        for policy, figures in result["behaviour"].items()])


def sweep_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """`key, value, current, figure, mean, low, high`: every figure of every setting."""
    rows = []
    for row in result["sweep"]:
        for figure in SWEEP_FIGURES:
            if row.get(figure) is not None:
                rows.append((row["key"], row["value"], row["current"], figure, row[figure],
                             *_bounds(row[figure], row.get(f"{figure}_ci95"))))
    return pd.DataFrame(rows, columns=["key", "value", "current", "figure", "mean", "low",
                                       "high"])

"""`ifr-sim bench fidelity`: run the fidelity benchmark, record it, print and save it."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ifr_sim.agents.experiments.fidelity.behaviour import POLICIES
from ifr_sim.agents.experiments.fidelity.bench import fidelity_world, run_fidelity
from ifr_sim.agents.experiments.fidelity.config import SWEPT_WEIGHTS, FidelityConfig
from ifr_sim.apps.cli import world_config
from ifr_sim.core.atomic_io import write_text_atomically
from ifr_sim.core.config import ConfigError, to_dict, with_overrides
from ifr_sim.core.fidelity.choices import CHOICE_METRICS
from ifr_sim.core.plain_json import plain
from ifr_sim.core.run_store import RunStore

BEHAVIOUR = ("clicks", "ctr", "instruction_click_share", "gini", "real_gini",
             "popularity_js", "genre_js")
"""The aggregate figures the report prints per policy (the JSON has them all)."""


def run_fidelity_command(args: argparse.Namespace) -> int:
    """Measure the world of the command's options; record the run; print; write --json."""
    config = world_config(args)
    bench = with_overrides(FidelityConfig(), _bench_values(args))
    store = RunStore(args.runs)
    run_config = {"world": to_dict(fidelity_world(config)), "fidelity": to_dict(bench)}
    with store.recording("fidelity", run_config, bench.seed) as run_id:
        result = run_fidelity(config, bench)
        store.log_evaluation(run_id, 0, json_ready(result))
        store.log_metrics(run_id, 0, headline_metrics(result))
    print("\n".join(report_lines(result)))
    print(f"run {run_id} recorded in {store.path}")
    if args.json:
        write_text_atomically(args.json, json.dumps(json_ready(result), indent=2) + "\n")
        print(f"results written to {args.json}")
    return 0


def _bench_values(args: argparse.Namespace) -> dict[str, Any]:
    """The `FidelityConfig` keys the flags set (unset flags keep the config's defaults)."""
    values: dict[str, Any] = {"raters": args.raters, "sessions": args.sessions,
                              "seed": args.seed}
    for weight in SWEPT_WEIGHTS:
        text = getattr(args, f"sweep_{weight}")
        if text is not None:
            values[f"sweep_{weight}"] = _numbers(text, f"--sweep-{weight}")
    return {key: value for key, value in values.items() if value is not None}


def _numbers(text: str, flag: str) -> tuple[float, ...]:
    """"0.1,0.5" as (0.1, 0.5); "" as ()."""
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{flag} {text!r} is invalid: give numbers separated by commas, "
                          "e.g. 0.25,0.5,1 (or '' for no sweep of that weight)") from None


def json_ready(value: Any) -> Any:
    """`value` with numpy values as plain numbers and NaN as None, at any depth."""
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if hasattr(value, "tolist") or isinstance(value, Path):
        return json_ready(plain(value))
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def headline_metrics(result: Mapping[str, Any]) -> dict[str, float]:
    """The `fidelity/…` metrics a run records next to its full result."""
    metrics: dict[str, float] = {}
    if result["real_data"]:
        metrics["fidelity/rating_rmse"] = result["rating_rmse"]
        metrics["fidelity/rating_mae"] = result["rating_mae"]
        for name, value in result["rating_rmse_references"].items():
            metrics[f"fidelity/rating_rmse/{name}"] = value
        for protocol, figures in result["alignment"].items():
            for metric in ("accuracy", "auc"):
                if metric in figures:
                    metrics[f"fidelity/alignment/{protocol}/{metric}"] = figures[metric]
        if "hit_rate" in result["intent_genres"]:
            metrics["fidelity/intent_genre_hit_rate"] = result["intent_genres"]["hit_rate"]
    for policy, figures in result["behaviour"].items():
        for name in BEHAVIOUR:
            if name in figures:
                metrics[f"fidelity/{policy}/{name}"] = float(figures[name])
    return metrics


def report_lines(result: Mapping[str, Any]) -> list[str]:
    """The figures as a person reads them: each next to its references."""
    lines = [f"fidelity of the {result['user_model']!r} users of {result['catalog']}"]
    if not result["real_data"]:
        lines.append("this catalog has no real ratings: nothing to validate against; the "
                     "simulated side of the aggregate behaviour only")
    else:
        sample, split = result["sample"], result["split"]
        lines += [f"{sample['raters']} raters of the {split['world_split']!r} split, "
                  f"{sample['heldout_ratings']} held-out ratings (each rater's last "
                  f"{split['holdout_share']:.0%} by time); probe: {result['probe']}", "",
                  f"{'rating error on held-out ratings':<42}{'RMSE':>18}{'MAE':>18}"]
        rows = [("simulated users (rater's level)", result["rating_rmse"],
                 result["rating_rmse_ci95"], result["rating_mae"], result["rating_mae_ci95"]),
                ("simulated users (one line for all)", result["rating_rmse_global_map"],
                 result["rating_rmse_global_map_ci95"], result["rating_mae_global_map"],
                 result["rating_mae_global_map_ci95"])]
        for name, rmse in result["rating_rmse_references"].items():
            rows.append((f"reference: {name}", rmse,
                         result["rating_rmse_references_ci95"][name],
                         result["rating_mae_references"][name],
                         result["rating_mae_references_ci95"][name]))
        lines += [f"  {name:<40}{_cell(a, b):>18}{_cell(c, d):>18}" for name, a, b, c, d in rows]
        lines += ["", f"{'preference alignment':<44}" + "".join(f"{m:>16}" for m in
                                                               CHOICE_METRICS)]
        scorers = {"simulated users": result["alignment"], **{
            f"reference: {name}": figures
            for name, figures in result["alignment_references"].items()}}
        for protocol in result["alignment"]:
            for name, figures in scorers.items():
                cells = figures[protocol]
                lines.append(f"  {protocol + ' ' + name:<42}" + "".join(
                    f"{_cell(cells[m], cells[m + '_ci95']) if m in cells else '-':>16}"
                    for m in CHOICE_METRICS))
    lines += ["", f"{'behaviour':<26}" + "".join(f"{p:>18}" for p in POLICIES)]
    behaviour = result["behaviour"]
    for name in BEHAVIOUR:
        if not any(name in behaviour[p] for p in POLICIES):
            continue  # a figure against real ratings, on a catalog without them
        cells = [_cell(behaviour[p][name], behaviour[p].get(f"{name}_ci95"))
                 if name in behaviour[p] else "-" for p in POLICIES]
        lines.append(f"  {name:<24}" + "".join(f"{cell:>18}" for cell in cells))
    genres = result.get("intent_genres", {})
    if "hit_rate" in genres:
        hit, uniform, share = (_cell(genres[name], genres[f"{name}_ci95"]) for name in
                               ("hit_rate", "random_genre", "rating_share_genre"))
        lines += ["", f"intent genres among the rater's favourite held-out genres "
                  f"({genres['sessions']} sessions): {hit}; a random genre {uniform}; a "
                  f"genre by rating share {share}"]
    if result["sweep"]:
        lines += ["", "sweep (one weight at a time; * the world's value)"]
        columns = [c for c in ("rating_rmse", "1:1_accuracy", "1:1_auc",
                               "liked_vs_disliked_auc", "instruction_click_share", "ctr",
                               "popularity_js") if c in result["sweep"][0]]
        lines.append(f"  {'setting':<34}" + "".join(f"{c:>24}" for c in columns))
        for row in result["sweep"]:
            label = f"{row['key']}={row['value']:g}{' *' if row['current'] else ''}"
            lines.append(f"  {label:<34}" + "".join(
                f"{_cell(row[c], row.get(c + '_ci95')):>24}" for c in columns))
    lines.append(f"\n{result['seconds']:.0f} s")
    return lines


def _cell(mean: float, half: float | None) -> str:
    if isinstance(mean, int):
        return str(mean)
    if half is None or (isinstance(half, float) and math.isnan(half)):
        return f"{mean:.3f}"
    return f"{mean:.3f} ± {half:.3f}"

"""`ifr-sim bench learn`: does PPO actually learn? Learning curves against reference lines.

For each seed, train with a preset for a wall-clock budget, evaluating on held-out users
and templates along the way; alongside, evaluate the zero-shot scorer, every non-oracle
baseline and the oracle on the same held-out sessions. The headline figure is the share
of the zero-shot → oracle gap that PPO closes, `(ppo − zero_shot) / (oracle − zero_shot)`,
for CTR and for NDCG and intent precision at the full slate (`@K`: every line is
measured on the same held-out sessions with the same cut-off, so the oracle's NDCG is 1).

Given a hand-written instruction set, each seed also reports transfer to people's words:
NDCG@10 and precision@10 of the zero-shot and the trained policy on that set, next to
plain MiniLM cosine computed in the same run (`transfer.py`).

Same seeds, same figures: every seed's run is a function of its config, so two runs of
one command agree to the last bit. The one exception is the wall-clock limit: a seed it
stops before `total_steps` ends wherever the machine's speed put it, so the report names
every such seed and its last step (`time_limited` in `learning.json`, absent when none)
rather than let its figures pass for the step budget's.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from ifr_sim.agents.evaluation.online import evaluate, headline_metrics
from ifr_sim.agents.evaluation.records import record_evaluation
from ifr_sim.agents.experiments.transfer import (
    TRANSFER_AGENTS,
    read_human_set,
    transfer_lines,
    transfer_metrics,
)
from ifr_sim.agents.registry import AGENTS, make_agent
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.agents.training.trainer import train
from ifr_sim.core.config import to_dict
from ifr_sim.core.run_store import RunStore
from ifr_sim.envs.world import build_world


class WallClockLimit(BaseCallback):
    """Stops training once `seconds` have passed (SB3 stops when a callback returns False).

    Where it stops depends on the machine's speed, not on the seed: `stopped` tells the
    benchmark that the run's figures are not reproducible.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self._start = 0.0
        self.stopped = False
        """The limit ended training (before `total_steps`)."""

    def _on_training_start(self) -> None:
        self._start = time.perf_counter()

    def _on_step(self) -> bool:
        self.stopped = time.perf_counter() - self._start >= self.seconds
        return not self.stopped


def reference_lines(config: TrainConfig, zero_shot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every baseline evaluated on the held-out sessions the curves use.

    The zero-shot line is the policy's own evaluation before its first update (the same
    scorer, untrained), so the gap is measured on one model.
    """
    heldout = dataclasses.replace(config.world, split="heldout")
    world = build_world(heldout)
    lines = {
        name: evaluate(make_agent(name, world), heldout, config.eval_episodes, config.seed)
        for name in AGENTS
        if name != "zero-shot"
    }
    return {**lines, "zero-shot": zero_shot}


def gap_closed(ppo: float, zero_shot: float, oracle: float) -> float:
    """Share of the zero-shot → oracle gap closed (1 = as good as the oracle)."""
    return (ppo - zero_shot) / (oracle - zero_shot) if oracle != zero_shot else float("nan")


def run_learning_benchmark(
    config: TrainConfig,
    seeds: list[int],
    minutes: float | None,
    out_dir: Path,
    store: RunStore | None = None,
    instructions: Path | None = None,
) -> dict[str, Any]:
    """Train once per seed for `total_steps`, print the curves and the gap closed.

    `minutes` caps each seed's training time (None: no cap); a seed the cap stops early is
    reported as `time_limited`, since its figures then depend on the machine's speed.

    With a `store`, every seed's training is recorded there as its own run, and every
    baseline's evaluation as an `evaluate` run (the dashboard's reference levels). With
    `instructions`, a hand-written instruction file, each seed's transfer lines are
    measured on it (and recorded in the store).

    Raises:
        InstructionFileError: `instructions` is missing or malformed (before training).
    """
    human = read_human_set(instructions, config.world) if instructions is not None else None
    runs: list[dict[str, Any]] = []
    for seed in seeds:
        seeded = dataclasses.replace(config, seed=seed)
        run_dir = out_dir / f"seed{seed}"
        limit = WallClockLimit(minutes * 60) if minutes is not None else None
        summary, run_id = _train_seed(seeded, run_dir, limit, store)
        lines = reference_lines(seeded, summary["history"][0])
        if store is not None:
            _record_references(store, seeded, lines)
        time_limited = limit is not None and limit.stopped
        run: dict[str, Any] = {"seed": seed, "summary": summary, "references": lines,
                               "time_limited": time_limited}
        _print_run(seed, summary, lines, curve_metrics(summary["final"]))
        if time_limited:
            print(f"warning: the {minutes:g}-minute limit stopped seed {seed} at step "
                  f"{summary['steps']:,} of {seeded.total_steps:,}; its figures depend on "
                  "this machine's speed and will differ between runs (raise --minutes, or "
                  "lower total_steps with --set, for reproducible figures)")
        if instructions is not None and human is not None:
            run["transfer"] = transfer_lines(seeded, run_dir, instructions, human, store, run_id)
            _print_transfer(instructions, run["transfer"])
        runs.append(run)
    report = _report(runs, curve_metrics(runs[0]["summary"]["final"]))
    (out_dir / "learning.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    return report


def _train_seed(
    config: TrainConfig, run_dir: Path, limit: WallClockLimit | None, store: RunStore | None
) -> tuple[dict[str, Any], str | None]:
    """The training summary and the run's id in `store` (None without a store)."""
    callbacks: list[BaseCallback] = [limit] if limit is not None else []
    if store is None:
        return train(config, run_dir, callbacks=callbacks), None
    with store.recording("train", to_dict(config), config.seed) as run_id:
        return train(config, run_dir, callbacks=callbacks, store=store, run_id=run_id), run_id


def _record_references(
    store: RunStore, config: TrainConfig, lines: dict[str, dict[str, Any]]
) -> None:
    """Each baseline's evaluation as an `evaluate` run, for the dashboard's levels."""
    heldout = dataclasses.replace(config.world, split="heldout")
    for name, result in lines.items():
        if name != "zero-shot":  # that one is the training run's own first evaluation
            record_evaluation(store, heldout, name, result, config.eval_episodes, config.seed)


def curve_metrics(result: dict[str, Any]) -> tuple[str, ...]:
    """The metrics of the curves and of the gap: CTR, NDCG and intent precision at K."""
    return headline_metrics(result)[1:]


def _best_baseline(lines: dict[str, dict[str, Any]], metric: str) -> tuple[str, float]:
    candidates = {n: r[metric] for n, r in lines.items() if n not in ("oracle", "zero-shot")}
    name = max(candidates, key=candidates.__getitem__)
    return name, candidates[name]


def _print_run(
    seed: int, summary: dict[str, Any], lines: dict[str, dict[str, Any]], metrics: Sequence[str]
) -> None:
    print(f"\nseed {seed}: {summary['steps']:,} steps in {summary['seconds'] / 60:.1f} min "
          f"({summary['steps_per_second']:.0f} steps/s; rollouts "
          f"{summary['rollout_steps_per_second']:.0f} steps/s, updates "
          f"{summary['update_steps_per_second']:.0f} steps/s)")
    print(f"{'steps':>8}" + "".join(f"{m:>22}" for m in metrics))
    for point in summary["history"]:
        print(f"{point['step']:>8}" + "".join(f"{point[m]:>22.4f}" for m in metrics))
    for name in ("zero-shot", "oracle"):
        print(f"{name:>8}" + "".join(f"{lines[name][m]:>22.4f}" for m in metrics))
    for metric in metrics:
        best, value = _best_baseline(lines, metric)
        print(f"best baseline on {metric}: {best} {value:.4f}")


def _print_transfer(path: Path, lines: dict[str, dict[str, Any]]) -> None:
    metrics = transfer_metrics(lines["trained"])
    print(f"transfer to {path} (mean ± 95% CI over its lines):")
    print(f"{'':>14}" + "".join(f"{m:>22}" for m in metrics))
    for name in TRANSFER_AGENTS:
        print(f"{name:>14}" + "".join(
            f"{lines[name][m]:>13.4f} ± {lines[name][m + '_ci95']:.4f}" for m in metrics))


def _report(runs: list[dict[str, Any]], metrics: Sequence[str]) -> dict[str, Any]:
    report: dict[str, Any] = {"seeds": [r["seed"] for r in runs]}
    limited = {str(r["seed"]): r["summary"]["steps"] for r in runs if r["time_limited"]}
    if limited:  # seed -> the step it stopped at: these figures are not reproducible
        report["time_limited"] = limited
    for metric in metrics:
        closed = [
            gap_closed(
                r["summary"]["final"][metric],
                r["references"]["zero-shot"][metric],
                r["references"]["oracle"][metric],
            )
            for r in runs
        ]
        ahead = [
            r["summary"]["final"][metric] > _best_baseline(r["references"], metric)[1]
            for r in runs
        ]
        report[metric] = {"gap_closed": closed, "mean_gap_closed": float(np.mean(closed)),
                          "ahead_of_best_baseline": ahead}
        print(f"{metric}: gap closed {np.mean(closed):.3f} (per seed "
              f"{', '.join(f'{c:.3f}' for c in closed)}); ahead of best baseline: {ahead}")
    if "transfer" in runs[0]:
        report["transfer"] = _transfer_report([r["transfer"] for r in runs])
    return report


def _transfer_report(per_seed: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Per agent and metric: each seed's mean and CI on the hand-written set, and their
    mean over seeds."""
    report: dict[str, Any] = {}
    for name in TRANSFER_AGENTS:
        report[name] = {}
        for metric in transfer_metrics(per_seed[0][name]):
            values = [lines[name][metric] for lines in per_seed]
            report[name][metric] = {
                "per_seed": values,
                "ci95_per_seed": [lines[name][f"{metric}_ci95"] for lines in per_seed],
                "mean": float(np.mean(values)),
            }
            print(f"transfer {name} {metric}: {np.mean(values):.3f} (per seed "
                  f"{', '.join(f'{v:.3f}' for v in values)})")
    return report

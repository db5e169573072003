"""Wall time of a 4-trial sweep on Ray Tune against the same 4 trainings one after another.

Usage: python scripts/bench_sweep.py [--preset quick] [--total-steps 2048] [--trials 4]
       [--max-concurrent 2] [--out runs/bench-sweep]

The trials are one config with seeds 0..T-1, so they are the same size. The sequential
baseline trains them in this process, once with torch's default threads (one per core)
and once with one thread, as a sweep's trials have; the sweep runs them with `ifr-sim
sweep`'s code, `--max-concurrent` at a time, on a local Ray started for it. The catalog's
embeddings are cached on disk first, so no side pays that. Prints the wall times and the
ratios; the sweep records its runs in a workspace under `--out`, the baseline only
trains (as a sweep's trials do, which report to the driver instead).
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

import torch

from ifr_sim.agents.experiments.sweep import RayOptions, run_sweep
from ifr_sim.agents.experiments.sweep_spec import Trial, parse_sweep
from ifr_sim.agents.experiments.sweep_tune import usable_cores
from ifr_sim.agents.training.train_config import DEFAULT_TRAIN_PRESET
from ifr_sim.agents.training.trainer import train
from ifr_sim.core.scorer import make_scorer
from ifr_sim.envs.world import load_catalog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default=DEFAULT_TRAIN_PRESET)
    parser.add_argument("--total-steps", type=int, default=2048)
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--max-concurrent", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("runs/bench-sweep"))
    args = parser.parse_args()
    spec = parse_sweep({
        "name": "bench", "preset": args.preset, "total_steps": args.total_steps,
        "seeds": list(range(args.trials)), "set": {"eval_every": args.total_steps},
    })
    trials = spec.trials()
    config = trials[0].config
    make_scorer(config.scorer, load_catalog(config.world.catalog))  # fills the disk cache
    shutil.rmtree(args.out, ignore_errors=True)

    default_threads = torch.get_num_threads()
    sequential = {threads: _sequential(trials, args.out / f"sequential-{threads}", threads)
                  for threads in (default_threads, 1)}
    torch.set_num_threads(default_threads)

    start = time.perf_counter()
    _, outcomes = run_sweep(spec, args.out / "ray", RayOptions(max_concurrent=args.max_concurrent),
                            echo=lambda line: None)
    swept = time.perf_counter() - start
    failed = [outcome for outcome in outcomes if outcome.status != "finished"]
    if failed:
        raise SystemExit(f"{len(failed)} sweep trials did not finish: {failed[0].error}")

    print(f"{args.trials} trials of {args.preset} x {args.total_steps:,} steps, "
          f"{usable_cores()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    for threads, seconds in sequential.items():
        print(f"sequential, in-process, {threads} torch thread(s): {seconds:8.1f} s")
    print(f"Ray Tune sweep, {args.max_concurrent} concurrent, 1 thread each: {swept:8.1f} s "
          "(Ray start and worker imports included)")
    for threads, seconds in sequential.items():
        print(f"sweep / sequential ({threads} thread(s)): {swept / seconds:.2f}")


def _sequential(trials: list[Trial], out: Path, threads: int) -> float:
    """Seconds to train `trials` one after another in this process on `threads` threads."""
    torch.set_num_threads(threads)
    start = time.perf_counter()
    for trial in trials:
        train(trial.config, out / trial.key)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()

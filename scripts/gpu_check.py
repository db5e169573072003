"""Train the `gpu` preset for a fixed number of steps and print the figures to record.

Usage: python scripts/gpu_check.py [--steps 20000] [--run-dir runs/gpu-check]
Prints the device, steps/s, peak GPU memory and held-out NDCG@K before and after. Runs
on a CPU too (with a tiny --steps) so that the script itself is tested where no GPU is.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from ifr_sim.agents.evaluation.online import headline_metrics
from ifr_sim.agents.training.train_config import train_preset
from ifr_sim.agents.training.trainer import train
from ifr_sim.core.config import with_overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--run-dir", type=Path, default=Path("runs/gpu-check"))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    config = with_overrides(
        train_preset("gpu"),
        {"total_steps": args.steps, "eval_every": args.steps, "eval_episodes": args.episodes},
    )
    config = with_overrides(config, args.set)
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    summary = train(config, args.run_dir)
    wall = time.perf_counter() - start
    before, after = summary["history"][0], summary["final"]
    print(f"device: {torch.cuda.get_device_name(0) if cuda else 'cpu'}")
    print(f"trainable: {config.scorer.trainable}; model: {config.scorer.model_path or 'MiniLM'}")
    print(f"steps: {summary['steps']:,} in {summary['seconds']:.0f} s of training "
          f"({summary['steps_per_second']:.1f} steps/s); {wall:.0f} s with evaluations")
    peak = f"{torch.cuda.max_memory_allocated() / 2**30:.2f} GiB" if cuda else "n/a (cpu)"
    print(f"peak GPU memory: {peak}")
    ndcg = headline_metrics(after)[2]  # NDCG at the full slate, ndcg@K
    print(f"held-out {ndcg}: {before[ndcg]:.4f} before -> {after[ndcg]:.4f} after")
    print(f"held-out CTR:     {before['ctr']:.4f} before -> {after['ctr']:.4f} after")


if __name__ == "__main__":
    main()

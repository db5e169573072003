"""The prepared GPU check: the `gpu` preset with the bi-encoder and with a decoder, and the
decoder's scoring cost; figures printed and written to one JSON file.

Usage: python scripts/gpu_check.py [--steps 10240] [--episodes 300]
           [--arch qwen2.5-0.5b --decoder-steps 1024] [--json FILE] [--set KEY=VALUE ...]

1. Trains the `gpu` preset (LoRA on the bundled MiniLM bi-encoder) for `--steps`:
   steps/s, peak GPU memory, held-out reward, CTR, NDCG and intent precision before and
   after.
2. With `--arch`, trains the same preset with backend "causal-lm" on a decoder of that
   architecture with RANDOM weights and a small tokenizer trained on the catalog, for
   `--decoder-steps`: steps/s and peak memory (its learning figures mean nothing).
3. With `--arch`, `ifr-sim bench scorer --arch` at the decoder's full depth: tokens,
   candidates/s and peak memory, naive against shared-prefix, at N = 20, 100, 500.

`--set` applies to both trainings. It runs on a CPU too, with tiny sizes
(`--arch tiny-llama`), so that the script is rehearsed where no GPU is.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from ifr_sim.agents.evaluation.online import headline_metrics
from ifr_sim.agents.training.train_config import TrainConfig, train_preset
from ifr_sim.agents.training.trainer import train
from ifr_sim.apps.decoder_benchmark import run_decoder_benchmark
from ifr_sim.core.config import with_overrides
from ifr_sim.core.scorer.architectures import save_random_decoder
from ifr_sim.envs.world import load_catalog

DECODER_PAIRS_PER_PASS = 1024
"""scorer.batch_size of the decoder training on a GPU: (prompt, item) pairs per pass."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_240, help="bi-encoder training steps")
    parser.add_argument("--episodes", type=int, default=300, help="held-out sessions")
    parser.add_argument("--run-dir", type=Path, default=Path("runs/gpu-check"))
    parser.add_argument("--arch", help="decoder architecture for parts 2 and 3 (none: skip)")
    parser.add_argument("--decoder-steps", type=int, default=1_024)
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    cuda = torch.cuda.is_available()
    print(f"device: {torch.cuda.get_device_name(0) if cuda else 'cpu'}")
    base = with_overrides(train_preset("gpu"), args.set)
    report: dict[str, Any] = {"device": torch.cuda.get_device_name(0) if cuda else "cpu"}
    report["bi_encoder"] = _train("bi-encoder (MiniLM unless --set)", base, args.steps,
                                  args.episodes, args.run_dir / "bi-encoder")
    if args.arch:
        with tempfile.TemporaryDirectory() as scratch:
            catalog = load_catalog(base.world.catalog)
            model_dir = save_random_decoder(args.arch, Path(scratch), catalog.texts)
            decoder = with_overrides(base, {
                "scorer.backend": "causal-lm", "scorer.model_path": str(model_dir),
                **({"scorer.batch_size": DECODER_PAIRS_PER_PASS} if cuda else {})})
            report["decoder"] = _train(f"{args.arch} decoder, RANDOM weights", decoder,
                                       args.decoder_steps, args.episodes, args.run_dir / "decoder")
        report["decoder_scoring"] = run_decoder_benchmark(
            args.arch, layers=None if cuda else 2, seconds=3.0 if cuda else 0.1)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")


def _train(
    label: str, config: TrainConfig, steps: int, episodes: int, run_dir: Path
) -> dict[str, Any]:
    """Train `config` for `steps`, print and return its figures."""
    config = with_overrides(config, {"total_steps": steps, "eval_every": steps,
                                     "eval_episodes": episodes})
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    summary = train(config, run_dir)
    wall = time.perf_counter() - start
    before, after = summary["history"][0], summary["final"]
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
    print(f"== {label}; trainable: {config.scorer.trainable}")
    print(f"steps: {summary['steps']:,} in {summary['seconds']:.0f} s of training "
          f"({summary['steps_per_second']:.1f} steps/s); {wall:.0f} s with evaluations")
    print(f"peak GPU memory: {'n/a (cpu)' if peak is None else f'{peak:.2f} GiB'}")
    figures = {name: (before[name], after[name]) for name in headline_metrics(after)}
    for name, (first, last) in figures.items():
        print(f"held-out {name}: {first:.4f} before -> {last:.4f} after")
    return {"steps": summary["steps"], "steps_per_second": summary["steps_per_second"],
            "rollout_steps_per_second": summary["rollout_steps_per_second"],
            "update_steps_per_second": summary["update_steps_per_second"],
            "seconds_with_evaluations": wall, "peak_gpu_gib": peak,
            "held_out": {name: {"before": first, "after": last}
                         for name, (first, last) in figures.items()}}


if __name__ == "__main__":
    main()

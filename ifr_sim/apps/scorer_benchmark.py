"""`ifr-sim bench scorer`: how fast the default scorer ranks and encodes, on this machine.

With `--arch NAME` it measures a decoder of that architecture instead, naive against
shared-prefix scoring, with random weights (`decoder_benchmark.py`).

Figures, not assertions. Without `--arch`, three measurements, side by side in one run:
1. candidates scored per second by the bi-encoder with cached item embeddings
   (256 users x 100 candidates per call, queries already encoded);
2. instructions encoded per second by the scorer against a bare `transformers` forward
   pass of the same model on the same batches (tokenize, forward, mean-pool, normalise),
   run alternately so that both see the same machine load: the scorer's overhead;
3. (instruction, item) pairs per second of the cross-encoder.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch
from torch.nn import functional as F

from ifr_sim.core.catalog import load_movielens
from ifr_sim.core.scorer import ScorerConfig, make_scorer
from ifr_sim.core.scorer.pooling import masked_mean

USERS, CANDIDATES = 256, 100


def _rate(work: Callable[[], object], units: int, seconds: float) -> float:
    """Units per second of `work`, repeated for about `seconds` after one warm-up call."""
    work()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or calls == 0:
        work()
        calls += 1
    return calls * units / (time.perf_counter() - start)


def _paired_rates(
    first: Callable[[], object], second: Callable[[], object], units: int, seconds: float
) -> tuple[float, float]:
    """Units per second of two jobs run alternately, so that both see the same load."""
    first()
    second()
    spent = [0.0, 0.0]
    calls = 0
    while sum(spent) < seconds or calls == 0:
        for index, work in enumerate((first, second)):
            start = time.perf_counter()
            work()
            spent[index] += time.perf_counter() - start
        calls += 1
    return calls * units / spent[0], calls * units / spent[1]


def _instructions(count: int) -> list[str]:
    """Distinct, realistic instructions (so that no cache can answer them)."""
    from ifr_sim.core.instructions import InstructionLanguage
    from ifr_sim.envs.config import CatalogConfig
    from ifr_sim.envs.world import load_catalog

    catalog = load_catalog(CatalogConfig())
    language = InstructionLanguage(catalog, split="all")
    rng = np.random.default_rng(0)
    texts: dict[str, None] = {}
    while len(texts) < count:
        intent = language.sample_intent(rng, np.ones(catalog.num_categories))
        texts[f"{language.render(intent, rng)} ({len(texts)})"] = None
    return list(texts)


def run_scorer_benchmark(seconds: float = 3.0) -> dict[str, float]:
    """Print and return the scorer's throughput figures."""
    torch.manual_seed(0)
    catalog = load_movielens()
    scorer = make_scorer(ScorerConfig(batch_size=USERS), catalog)
    texts = _instructions(USERS * 4)
    batches = [texts[i : i + USERS] for i in range(0, len(texts), USERS)]
    results: dict[str, float] = {}
    with torch.no_grad():
        scorer.item_embeddings()
        queries = scorer.encode_query(batches[0])
        candidates = torch.randint(0, len(catalog), (USERS, CANDIDATES))
        results["bi-encoder candidates scored/s (cached items)"] = _rate(
            lambda: scorer.score(queries, batches[0], candidates), USERS * CANDIDATES, seconds
        )
        model, tokenizer = scorer.encoder, scorer.tokenizer
        turn = iter(range(10**9))

        def ours() -> None:
            scorer.embed_texts(batches[next(turn) % len(batches)])

        def bare() -> None:
            batch = tokenizer(batches[next(turn) % len(batches)], padding=True, truncation=True,
                              max_length=scorer.max_length, return_tensors="pt")
            hidden = model(**batch).last_hidden_state
            F.normalize(masked_mean(hidden, batch["attention_mask"]), dim=-1)

        (
            results["scorer instruction encodings/s"],
            results["bare transformers encodings/s"],
        ) = _paired_rates(ours, bare, USERS, 2 * seconds)
        cross = make_scorer(ScorerConfig(backend="cross-encoder"), catalog)
        few = torch.randint(0, len(catalog), (8, CANDIDATES))
        results["cross-encoder pairs/s"] = _rate(
            lambda: cross(batches[0][:8], few), 8 * CANDIDATES, seconds
        )
    ratio = results["scorer instruction encodings/s"] / results["bare transformers encodings/s"]
    results["scorer / bare encoding ratio"] = ratio
    print(f"{'measurement':<50}{'figure':>14}")
    for name, value in results.items():
        print(f"{name:<50}{value:>14,.2f}" if "ratio" in name else f"{name:<50}{value:>14,.0f}")
    return results


def run_scorer_command(args: argparse.Namespace) -> int:
    """`ifr-sim bench scorer [--seconds S] [--arch NAME [--layers L] [--candidates N,...]
    [--device D] [--json FILE]]`; unset options take the benchmark's defaults.

    Raises:
        ValueError: an option is malformed (the message says how to fix it).
    """
    if args.arch is None:
        run_scorer_benchmark(seconds=args.seconds)
        return 0
    from ifr_sim.apps.decoder_benchmark import CANDIDATES, run_decoder_benchmark

    candidates = CANDIDATES if args.candidates is None else _counts(args.candidates)
    run_decoder_benchmark(args.arch, args.layers, candidates, args.seconds, args.device,
                          args.json)
    return 0


def _counts(text: str) -> list[int]:
    """Candidate counts from "20,100,500"."""
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise ValueError(f"--candidates {text!r} is invalid: give whole numbers of at least 1 "
                         "separated by commas, e.g. --candidates 20,100,500")
    return counts

"""`ifr-sim bench scorer --arch NAME`: the cost of ranking with a decoder, naive against
shared-prefix, on the dimensions of a real model with RANDOM weights.

One ranking is one prompt (`PROMPT_TOKENS` tokens, like a filled-in request prompt) and
N candidate items (`ITEM_TOKENS` tokens each), scored by the mean log-probability of the
item's tokens (`ifr_sim.core.scorer.decoder_scoring`). For N in `CANDIDATES` it reports
the tokens the decoder runs per ranking, candidates scored per second and the peak memory
of each path, and the time of one LoRA training step (forward and backward through the
shared-prefix path, then an AdamW step on the adapters). The weights are random
(`architectures.py`): the figures measure cost, never quality. Token ids are random too,
so no tokenizer is needed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import torch

from ifr_sim.core.config import from_dict
from ifr_sim.core.scorer.architectures import random_decoder
from ifr_sim.core.scorer.base import resolve_device
from ifr_sim.core.scorer.config import ScorerConfig
from ifr_sim.core.scorer.decoder_scoring import (
    naive_mean_log_probs,
    naive_tokens,
    shared_prefix_mean_log_probs,
    shared_tokens,
)
from ifr_sim.core.scorer.lora import add_lora
from ifr_sim.core.scorer.precision import autocast, set_cpu_threads, uses_bf16

PROMPT_TOKENS, ITEM_TOKENS = 30, 10
CANDIDATES = (20, 100, 500)
CPU_LAYERS = 2
"""Decoder layers on a CPU unless `--layers` says otherwise (a whole 1B model per
measurement would take minutes there); the output and the JSON say how many ran."""
Scoring = Callable[..., torch.Tensor]


def run_decoder_benchmark(
    arch: str,
    layers: int | None = None,
    candidates: Sequence[int] = CANDIDATES,
    seconds: float = 3.0,
    device: str | None = None,
    json_path: Path | None = None,
) -> dict[str, Any]:
    """Measure, print and return (and write to `json_path`) the figures for `arch`.

    `device` is a `ScorerConfig.device` value (unset: the scorer's default); batch size,
    LoRA shape, precision and CPU threads are the scorer's defaults too.

    Raises:
        ValueError: `arch` or `layers` is invalid (see `architectures.py`).
        ConfigError: `device` is invalid.
    """
    config = ScorerConfig() if device is None else from_dict(ScorerConfig, {"device": device})
    where = resolve_device(config.device)
    if where.type == "cpu":
        set_cpu_threads(config.cpu_threads)
        layers = CPU_LAYERS if layers is None else layers
    model = random_decoder(arch, layers)
    torch.nn.Module.to(model, where)
    bf16 = uses_bf16(config.precision, where, model.config.hidden_size)
    depth = model.config.num_hidden_layers
    print(f"{arch}: RANDOM weights (cost only), {depth} layers, {where}, "
          f"{'bf16' if bf16 else 'fp32'}; prompt {PROMPT_TOKENS} tokens, items {ITEM_TOKENS}")
    generator = torch.Generator().manual_seed(0)
    vocab = model.config.vocab_size
    prompts = [torch.randint(0, vocab, (PROMPT_TOKENS,), generator=generator).tolist()]
    rankings = [
        [[torch.randint(0, vocab, (ITEM_TOKENS,), generator=generator).tolist()
          for _ in range(n)]]
        for n in candidates
    ]
    results: list[dict[str, Any]] = []
    with autocast(where, bf16):
        if bf16:
            torch.nn.Module.to(model, torch.bfloat16)  # frozen for scoring, as the scorer stores it
        for n, continuations in zip(candidates, rankings, strict=True):
            row: dict[str, Any] = {"n": n}
            for name, scoring, tokens in (("naive", naive_mean_log_probs, naive_tokens),
                                          ("shared", shared_prefix_mean_log_probs, shared_tokens)):
                work = partial(scoring, model, prompts, continuations, config.batch_size)
                with torch.no_grad():
                    per_call, peak = _measure(work, where, seconds)
                row[f"{name}_tokens"] = tokens(prompts, continuations)
                row[f"{name}_candidates_per_s"] = n / per_call
                row[f"{name}_peak_mib"] = peak
            results.append(row)
        adapted = add_lora(model, config.lora_rank, config.lora_alpha)
        optimizer = torch.optim.AdamW([p for p in adapted.parameters() if p.requires_grad])
        for row, continuations in zip(results, rankings, strict=True):
            step = partial(_lora_step, adapted, optimizer, prompts, continuations,
                           config.batch_size)
            row["lora_step_s"], _ = _measure(step, where, seconds)
    report = {"arch": arch, "random_weights": True, "layers": depth, "device": str(where),
              "precision": "bf16" if bf16 else "fp32", "prompt_tokens": PROMPT_TOKENS,
              "item_tokens": ITEM_TOKENS, "results": results}
    _print(results)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def _lora_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    prompts: list[list[int]],
    continuations: list[list[list[int]]],
    batch_size: int,
) -> None:
    """One listwise step: raise the first candidate's share of the softmax over all."""
    optimizer.zero_grad()
    scores = shared_prefix_mean_log_probs(model, prompts, continuations, batch_size)
    (-torch.log_softmax(scores.float(), dim=-1)[:, 0].mean()).backward()
    optimizer.step()


def _measure(work: Callable[[], object], device: torch.device, seconds: float) -> tuple[
    float, float | None
]:
    """Seconds per call and the peak memory (MiB above the start) of the first call.

    The first call is the measurement when it alone takes `seconds` or more; otherwise it
    warms up, and the mean of calls repeated for `seconds` is. On a CPU the seconds are
    the process's CPU time (run with one torch thread): what other processes take of a
    shared machine does not count.
    """
    clock = time.perf_counter if device.type == "cuda" else time.process_time
    with _peak_memory(device) as peak:
        start = clock()
        work()
        _synchronize(device)
        first = clock() - start
    if first >= seconds:
        return first, peak()
    calls, start = 0, clock()
    while clock() - start < seconds or calls == 0:
        work()
        _synchronize(device)
        calls += 1
    return (clock() - start) / calls, peak()


@contextmanager
def _peak_memory(device: torch.device) -> Iterator[Callable[[], float | None]]:
    """Yields a function giving the peak memory in MiB above the level at entry: GPU
    memory allocated by torch on CUDA; on a CPU, resident memory of the process with
    glibc returning freed blocks (None where the system cannot do that or reset its
    high-water mark)."""
    result: list[float] = []
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        yield lambda: result[0]
        result.append((torch.cuda.max_memory_allocated(device) - base) / 2**20)
        return
    libc = _glibc()
    try:
        if libc is None:
            raise OSError("not glibc: freed memory may stay resident")
        libc.malloc_trim(0)  # resident memory := live memory
        Path("/proc/self/clear_refs").write_text("5")  # high-water mark := current RSS
    except OSError:
        yield lambda: None
        return
    base = _status_kib("VmRSS")
    yield lambda: result[0]
    result.append(max(_status_kib("VmHWM") - base, 0) / 1024)


def _glibc() -> ctypes.CDLL | None:
    """glibc, set to return every tensor-sized block to the system when freed (a fixed
    128 KiB mmap threshold), so that resident memory tracks live memory; None elsewhere."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD; also stops its dynamic growth
        libc.malloc_trim  # noqa: B018  # raises AttributeError outside glibc
    except (OSError, AttributeError, TypeError):
        return None
    return libc


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(f"/proc/self/status has no {field}")


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _print(results: list[dict[str, Any]]) -> None:
    header = ("N", "tokens naive", "tokens shared", "cand/s naive", "cand/s shared",
              "speed-up", "MiB naive", "MiB shared", "LoRA step s")
    print("".join(f"{name:>14}" for name in header))
    for row in results:
        speed_up = row["shared_candidates_per_s"] / row["naive_candidates_per_s"]
        cells = (row["n"], row["naive_tokens"], row["shared_tokens"],
                 row["naive_candidates_per_s"], row["shared_candidates_per_s"], speed_up,
                 row["naive_peak_mib"], row["shared_peak_mib"], row["lora_step_s"])
        print("".join(_cell(value) for value in cells))


def _cell(value: float | int | None) -> str:
    if value is None:
        return f"{'n/a':>14}"
    if isinstance(value, int):
        return f"{value:>14,}"
    return f"{value:>14,.2f}" if value < 100 else f"{value:>14,.0f}"

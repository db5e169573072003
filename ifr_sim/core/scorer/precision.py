"""The scorer's precision and thread policy: when the encoder runs in bf16, and how many
threads torch uses on a CPU.

bf16. A bf16 matrix product runs natively on CUDA GPUs and on CPUs with AVX512-BF16 or
AMX, where MiniLM encodes 1.3-1.6x faster than in float32 (cosine to the float32
embedding above 0.9999). On other CPUs bf16 is emulated and slower, and for tiny models
(width below `BF16_MIN_WIDTH`) the casts cost more than the products save. A frozen
encoder is stored in bf16 (nothing trains it); a trainable one keeps float32 weights
and runs under bf16 autocast. The heads always stay float32.

Threads. A scorer's forward passes are small (tens of short texts), and torch's intra-op
threads synchronise at every operation: on a machine whose cores other work also uses,
two threads were 2-15x slower than one for MiniLM batches (and 3-57x in training). So a
CPU scorer sets one thread unless told otherwise (`ScorerConfig.cpu_threads`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch

from ifr_sim.core.scorer.config import Precision

BF16_MIN_WIDTH = 256
"""Hidden size from which `precision="auto"` picks bf16 (MiniLM's is 384)."""


def native_bf16(device: torch.device) -> bool:
    """Whether `device` multiplies bf16 matrices in hardware."""
    if device.type == "cuda":
        return True
    cpu = torch.cpu
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(cpu, probe, lambda: False)() for probe in probes)


def uses_bf16(precision: Precision, device: torch.device, width: int) -> bool:
    """Whether an encoder of hidden size `width` on `device` runs in bf16."""
    if precision == "auto":
        return native_bf16(device) and width >= BF16_MIN_WIDTH
    return precision == "bf16"


def autocast(device: torch.device, bf16: bool) -> AbstractContextManager[Any]:
    """bf16 autocast on `device` when `bf16`, else nothing."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()


def set_cpu_threads(threads: int) -> None:
    """Give torch `threads` intra-op threads for the whole process (0: leave its default)."""
    if threads and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)

"""A disk cache of item embeddings made by a model as loaded (before any training).

Encoding the MovieLens catalog with MiniLM takes 10-20 s on two CPU cores, and every
process that scores (a demo, an evaluation, a training run, the dashboard) would pay it
again. The embeddings of a pristine model depend only on the model's files, the item
texts and the tokenizer limit, so they are stored once under a key made of those, in
`$IFR_SIM_CACHE_DIR` (default `~/.cache/ifr-sim`; `off` disables the cache). Embeddings
of a model whose weights changed are never stored or read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ifr_sim.core.atomic_io import write_atomically

CACHE_ENV = "IFR_SIM_CACHE_DIR"
LAYOUT = "own-length-padding-8"
"""How the stored embeddings were computed (`Scorer.embed_texts`); part of the key, so a
file from another layout, whose last bits differ, is never read."""


def cache_dir() -> Path | None:
    """Where cached embeddings live: `$IFR_SIM_CACHE_DIR`, else `~/.cache/ifr-sim`; None
    when the variable is `off`."""
    value = os.environ.get(CACHE_ENV, str(Path.home() / ".cache" / "ifr-sim"))
    return None if value == "off" else Path(value)


def embedding_file(
    model_dir: Path, kind: str, texts: Sequence[str], max_length: int, precision: str
) -> Path | None:
    """The cache file for `texts` embedded by the model in `model_dir` (as shipped), in
    `precision` ("bf16" or "fp32": their embeddings differ)."""
    root = cache_dir()
    if root is None:
        return None
    digest = hashlib.sha256()
    for path in sorted(model_dir.iterdir()):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    digest.update(f"{model_dir.resolve()}\n{kind}\n{max_length}\n{LAYOUT}\n{precision}\n".encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\x00")
    return root / "item-embeddings" / f"{digest.hexdigest()[:32]}.safetensors"


def load_embeddings(path: Path) -> torch.Tensor | None:
    """The cached tensor, or None when absent or unreadable (it is then recomputed)."""
    if not path.is_file():
        return None
    try:
        return load_file(path)["embeddings"]
    except Exception:  # a corrupt cache entry only costs a recomputation
        return None


def save_embeddings(path: Path, embeddings: torch.Tensor) -> None:
    """Store `embeddings` atomically; a read-only cache directory is not an error."""
    tensor = embeddings.detach().float().cpu().contiguous()
    try:
        write_atomically(path, lambda temp: save_file({"embeddings": tensor}, temp))
    except OSError:
        return

"""Hand-made observations and catalogs for the agent tests.

Test modules load these with `pytest_plugins = ("agent_fixtures",)` and import nothing
from here (an imported module could not be assertion-rewritten as a plugin).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

from ifr_sim.agents.base import Observation
from ifr_sim.core.catalog.catalog import Catalog

INSTRUCTION_BYTES = 64


def _observation(
    instructions: Sequence[str],
    candidates: np.ndarray,
    shown: np.ndarray | None = None,
    history: np.ndarray | None = None,
) -> Observation:
    candidates = np.asarray(candidates, dtype=np.int64)
    text = np.zeros((len(instructions), INSTRUCTION_BYTES), np.uint8)
    for row, instruction in enumerate(instructions):
        data = instruction.encode("utf-8")
        text[row, : len(data)] = np.frombuffer(data, np.uint8)
    return {
        "instruction": text,
        "candidates": candidates,
        "history": np.full((len(candidates), 3), -1) if history is None else history,
        "shown": np.zeros_like(candidates, np.int8) if shown is None else shown,
        "turn": np.zeros((len(candidates), 1), np.int64),
    }


def _catalog(
    texts: Sequence[str], categories: np.ndarray, quality: np.ndarray, popularity: np.ndarray
) -> Catalog:
    return Catalog(
        name="toy",
        domain="generic",
        ids=np.array([str(i) for i in range(len(texts))]),
        titles=tuple(texts),
        texts=tuple(texts),
        category_names=tuple(f"c{j}" for j in range(categories.shape[1])),
        categories=categories.astype(bool),
        quality=quality.astype(np.float32),
        popularity=popularity.astype(np.float32),
    )


@pytest.fixture(scope="session")
def observe() -> Callable[..., Observation]:
    """`observe(instructions, candidates (B, N), shown=None, history=None)`: a batch observation."""
    return _observation


@pytest.fixture(scope="session")
def toy_catalog() -> Callable[..., Catalog]:
    """`toy_catalog(texts, categories (n, C), quality (n,), popularity (n,))`: a Catalog."""
    return _catalog

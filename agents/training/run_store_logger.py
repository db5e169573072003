"""An SB3 logger output that writes every numeric value of each `dump` to the run store."""

from __future__ import annotations

import numbers
from typing import Any

from stable_baselines3.common.logger import KVWriter, filter_excluded_keys

from ifr_sim.core.run_store import RunStore

FORMAT = "run_store"
"""The name `logger.record(key, value, exclude=...)` uses to keep a value out of the store."""


class RunStoreOutput(KVWriter):
    """Logs `rollout/…`, `train/…`, `eval/…` and `time/…` values at the step SB3 dumps at.

    Non-numeric values (text, images, figures) are left to the other outputs.
    """

    def __init__(self, store: RunStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id

    def write(
        self, key_values: dict[str, Any], key_excluded: dict[str, tuple[str, ...]], step: int = 0
    ) -> None:
        kept = filter_excluded_keys(key_values, key_excluded, FORMAT)
        numeric = {
            key: float(value)
            for key, value in kept.items()
            if isinstance(value, numbers.Real) and not isinstance(value, bool)
        }
        self.store.log_metrics(self.run_id, step, numeric)

    def close(self) -> None:
        """Nothing to close: the store opens a connection per call."""

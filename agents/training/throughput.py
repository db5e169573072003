"""Training throughput, rollout and update apart: where a PPO run spends its time.

SB3 logs one `time/fps` for everything together. Collecting a rollout (env steps plus the
scorer's forward passes) and updating on it (PPO's `n_epochs` of backward passes, and the
auxiliary click loss) scale differently with the model and the hardware, so this callback
times the two phases separately and logs environment steps per second of each:

- `time/rollout_steps_per_s`: steps collected / seconds from rollout start to rollout end;
- `time/update_steps_per_s`: the same steps / seconds from that rollout's end to the next
  rollout's start, less the time spent there on held-out evaluation and checkpoints
  (bookkeeping, not training).

It must be the last callback, so that a rollout starts after everything else's
rollout-start work.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from stable_baselines3.common.callbacks import BaseCallback


class ThroughputCallback(BaseCallback):
    """Times rollouts and updates.

    Args:
        bookkeeping_seconds: a running total of seconds spent between an update and the
            next rollout on work that is not training (evaluation, checkpoints).
    """

    def __init__(self, bookkeeping_seconds: Callable[[], float] = lambda: 0.0) -> None:
        super().__init__()
        self.bookkeeping_seconds = bookkeeping_seconds
        self.rollout_seconds = 0.0
        self.update_seconds = 0.0
        self.steps = 0
        self._rollout_start = 0.0
        self._steps_at_start = 0
        self._last_rollout_steps = 0
        self._update_start: float | None = None
        self._bookkeeping_at_update_start = 0.0

    def _on_rollout_start(self) -> None:
        self._finish_update()
        self._rollout_start = time.perf_counter()
        self._steps_at_start = self.num_timesteps

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        now = time.perf_counter()
        seconds = max(now - self._rollout_start, 1e-9)
        self._last_rollout_steps = self.num_timesteps - self._steps_at_start
        self.rollout_seconds += seconds
        self.steps += self._last_rollout_steps
        self.logger.record("time/rollout_steps_per_s", self._last_rollout_steps / seconds)
        self._update_start = now
        self._bookkeeping_at_update_start = self.bookkeeping_seconds()

    def _on_training_end(self) -> None:
        self._finish_update()  # the last update ran after the last rollout

    def _finish_update(self) -> None:
        if self._update_start is None:
            return
        bookkeeping = self.bookkeeping_seconds() - self._bookkeeping_at_update_start
        seconds = max(time.perf_counter() - self._update_start - bookkeeping, 1e-9)
        self._update_start = None
        self.update_seconds += seconds
        self.logger.record("time/update_steps_per_s", self._last_rollout_steps / seconds)

    def summary(self) -> dict[str, float]:
        """Steps per second of all rollouts and of all updates so far."""
        return {
            "rollout_steps_per_second": self.steps / max(self.rollout_seconds, 1e-9),
            "update_steps_per_second": self.steps / max(self.update_seconds, 1e-9),
        }

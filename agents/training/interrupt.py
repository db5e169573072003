"""Ctrl-C (or SIGTERM) during training: finish the current update, save a checkpoint, stop.

A `KeyboardInterrupt` raised at an arbitrary line would leave a half-collected rollout
that no checkpoint can describe. So while training runs, the first SIGINT only asks it
to stop, and so does SIGTERM (what `kill` and job schedulers send before killing
outright): the trainer saves a checkpoint at the next rollout start (where the policy
and optimizer are between updates) and returns. A second SIGINT raises `KeyboardInterrupt`
at once, for a user who cannot wait; the last checkpoint saved before it is still there.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType


@dataclass
class StopRequest:
    """Set by the first Ctrl-C; the trainer polls it at every rollout start."""

    requested: bool = False


@contextmanager
def stop_on_interrupt() -> Iterator[StopRequest]:
    """Within the block, SIGINT and SIGTERM set the yielded request instead of stopping.

    Signal handlers can only be installed from the main thread; elsewhere (a training run
    in a worker thread) SIGINT keeps its usual meaning and the request stays unset.
    """
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if request.requested:
            raise KeyboardInterrupt
        request.requested = True
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        print(
            f"\n{name}: stopping after the current update to save a checkpoint "
            "(Ctrl-C again stops at once, losing the steps since the last checkpoint)",
            file=sys.stderr,
            flush=True,
        )

    previous = {number: signal.signal(number, handler)
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield request
    finally:
        for number, earlier in previous.items():
            signal.signal(number, earlier)

"""Ctrl-C during training: finish the current update, save a checkpoint, then stop.

A `KeyboardInterrupt` raised at an arbitrary line would leave a half-collected rollout
that no checkpoint can describe. So while training runs, the first SIGINT only asks it
to stop: the trainer saves a checkpoint at the next rollout start (where the policy and
optimizer are between updates) and returns. A second SIGINT raises `KeyboardInterrupt`
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
    """Within the block, SIGINT sets the yielded request instead of interrupting.

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
        print(
            "\nCtrl-C: stopping after the current update to save a checkpoint "
            "(Ctrl-C again stops at once, losing the steps since the last checkpoint)",
            file=sys.stderr,
            flush=True,
        )

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield request
    finally:
        signal.signal(signal.SIGINT, previous)

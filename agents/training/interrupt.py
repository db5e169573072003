"""Ctrl-C (or SIGTERM) during training: stop within seconds, keeping a consistent checkpoint.

A `KeyboardInterrupt` raised at an arbitrary line would leave a half-done update that no
checkpoint can describe. So while training runs, the first SIGINT only asks it to stop,
and so does SIGTERM (what `kill` and job schedulers send before killing outright). Where
the trainer stops depends on what it is doing:

- in a rollout, at the next environment step: the rollout is dropped, and the checkpoint
  is of the step it started at (the policy and optimizer have not changed since);
- in an evaluation, at once (the signal raises `StopNow` inside `StopRequest.abortable`):
  the checkpoint is of the step before the evaluation, which a resumed run makes again;
- in an update, when the update ends (weights half-way through an update belong to no
  step), then as at the start of a rollout.

A second SIGINT raises `KeyboardInterrupt` at once, for a user who cannot wait; the last
checkpoint saved before it is still there.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType


class StopNow(KeyboardInterrupt):
    """A stop signal arrived inside `StopRequest.abortable()`: drop the work in flight."""


@dataclass
class StopRequest:
    """Set by the first Ctrl-C or SIGTERM; the trainer checks it at every step."""

    requested: bool = False
    abortable_now: bool = field(default=False, repr=False)
    """Inside `abortable()`: a stop signal raises `StopNow` instead of only asking."""

    @contextmanager
    def abortable(self) -> Iterator[None]:
        """Within the block, a stop raises `StopNow` at once (on entry too, if one is
        pending): for work whose result a stop may throw away, such as an evaluation."""
        if self.requested:
            raise StopNow
        self.abortable_now = True
        try:
            yield
        finally:
            self.abortable_now = False


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
            f"\n{name}: stopping to save a checkpoint (at once in a rollout or an "
            "evaluation, after the update in progress otherwise; Ctrl-C again stops at "
            "once, losing the steps since the last checkpoint)",
            file=sys.stderr,
            flush=True,
        )
        if request.abortable_now:
            raise StopNow

    with _handling((signal.SIGINT, signal.SIGTERM), handler):
        yield request


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises `KeyboardInterrupt` as Ctrl-C does.

    Its default action kills the process on the spot, so a run still loading its model
    would stay `running` in the run store; as an interrupt, it ends as `failed` with
    what is left to resume. (Main thread only, like every signal handler.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    with _handling((signal.SIGTERM,), handler):
        yield


@contextmanager
def _handling(
    numbers: tuple[signal.Signals, ...], handler: Callable[[int, FrameType | None], None]
) -> Iterator[None]:
    """Install `handler` for the signals `numbers` for the block, then restore the old ones."""
    previous = {number: signal.signal(number, handler) for number in numbers}
    try:
        yield
    finally:
        for number, earlier in previous.items():
            signal.signal(number, earlier)

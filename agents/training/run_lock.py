"""One training process per run directory at a time.

Two processes training into one run directory (a `--resume` started twice, or a new run
started over a running one) would interleave their checkpoints and curves. The trainer
holds an exclusive `flock` on `RUN_DIR/.lock` while it runs; the kernel releases it when
the process ends in any way, SIGKILL included, so a killed run never leaves a stale lock.
(Windows has no `flock`; there the directory is not locked.)
Within one thread the lock nests: the `ifr-sim train` layer takes it before it reads the
checkpoint and touches the run store, and the trainer it calls takes it again.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

if sys.platform != "win32":
    import fcntl

LOCK_FILE = ".lock"
_held: set[tuple[int, Path]] = set()
"""(thread id, run directory) of the locks this process holds."""


class RunDirectoryBusyError(ValueError):
    """Another process is training in the run directory (`pid`: its process id, if known)."""

    def __init__(self, message: str, pid: str) -> None:
        super().__init__(message)
        self.pid = pid


@contextmanager
def locked_run_directory(run_dir: Path) -> Iterator[None]:
    """Hold the run directory's lock for the block (creating the directory if needed).

    Raises:
        RunDirectoryBusyError: another live process holds it; the message names its pid.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    key = (threading.get_ident(), run_dir.resolve())
    if key in _held or sys.platform == "win32":
        yield
        return
    with open(run_dir / LOCK_FILE, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RunDirectoryBusyError(
                f"{run_dir} is in use by another training process (pid {holder}); wait for "
                "it to end, or stop it (Ctrl-C saves a checkpoint), or pick another --run-dir",
                holder,
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        _held.add(key)
        try:
            yield
        finally:
            _held.discard(key)
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def idle_run_directory(run_dir: Path) -> Iterator[None]:
    """Hold the lock of `run_dir` for the block if the directory exists, so that no
    training runs in it meanwhile (one that no longer exists holds no training).

    Raises:
        RunDirectoryBusyError: a live process is training there.
    """
    if not run_dir.is_dir():
        yield
        return
    with locked_run_directory(run_dir):
        yield

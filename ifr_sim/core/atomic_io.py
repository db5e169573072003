"""Writing files so that a crash never leaves half of one: temp file, then rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write(temp_path)` next to `path`, then rename the result over `path`.

    The rename is atomic on POSIX filesystems, so readers see the old file or the new one,
    never a mix; on failure the temporary file is removed and `path` is untouched. The
    data is flushed to disk before the rename, so not even a power cut leaves the new
    name pointing at missing data.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temp))
        fsync_file(Path(temp))
        os.replace(temp, path)
        fsync_directory(path.parent)
    finally:
        if os.path.exists(temp):
            os.remove(temp)


def write_text_atomically(path: Path, text: str) -> None:
    """`path.write_text(text)` (UTF-8), atomically."""
    write_atomically(path, lambda temp: temp.write_text(text, encoding="utf-8"))


def fsync_file(path: Path) -> None:
    """Flush a written file's data to the disk."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_directory(directory: Path) -> None:
    """Make the renames and new entries in `directory` durable.

    POSIX only; where a directory cannot be opened or synced (Windows, some network
    filesystems) this does nothing, and renames are as durable as the filesystem makes them.
    """
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)

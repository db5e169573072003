"""Where a catalog file lives and what it holds: absolute paths and content digests.

A run records its catalog file by absolute path, so a checkpoint or a run record works
from any working directory; a checkpoint also records the file's SHA-256, so a catalog
that has moved can be found again (and one whose content changed is refused) by what it
holds rather than by its name.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from pathlib import Path

from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.registry import CATALOGS


def is_catalog_file(source: str) -> bool:
    """Whether `catalog.source` names a file (not a registered catalog)."""
    return source not in CATALOGS


def resolved_source(source: str) -> str:
    """`source` as an absolute path if it names a file; catalog names unchanged."""
    return str(Path(source).expanduser().resolve()) if is_catalog_file(source) else source


def with_resolved_catalog(world: WorldConfig) -> WorldConfig:
    """`world` with its catalog file's path made absolute (from the working directory)."""
    source = resolved_source(world.catalog.source)
    if source == world.catalog.source:
        return world
    return dataclasses.replace(world, catalog=dataclasses.replace(world.catalog, source=source))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def catalog_sha256(source: str) -> str:
    """SHA-256 of the catalog file `source` (cached while its size and mtime stay the same).

    Raises:
        FileNotFoundError: `source` does not exist.
    """
    path = Path(resolved_source(source))
    stat = path.stat()
    return _cached_sha256(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _cached_sha256(path: str, size: int, mtime_ns: int) -> str:
    """Keyed on size and mtime too, so a rewritten file is hashed again."""
    return file_sha256(Path(path))

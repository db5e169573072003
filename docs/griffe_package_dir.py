"""Griffe extension: find the packages that pyproject.toml's package-dir maps elsewhere.

`ifr_sim.envs`, `ifr_sim.agents` and `ifr_sim.dashboards` live in the top-level folders
`envs/`, `agents/` and `dashboards/` and are installed under `ifr_sim` by setuptools'
`[tool.setuptools.package-dir]` table. Griffe finds a package's submodules by walking its
folder, so without this extension the API reference would not see them. The extension reads
the same table, loads each mapped folder and hangs it under its parent package: one mapping
serves both the install and the docs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import griffe

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def package_dirs(pyproject: Path = PYPROJECT) -> dict[str, Path]:
    """The package-dir table: dotted package name -> its folder, outermost first."""
    table = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    mapping = table.get("tool", {}).get("setuptools", {}).get("package-dir", {})
    return {name: pyproject.parent / mapping[name] for name in sorted(mapping)}


class PackageDirs(griffe.Extension):
    """Attach every package-dir folder to the package it is installed under."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        """Load the folders mapped below `pkg` and make them its submodules."""
        for name, folder in package_dirs().items():
            top, _, below = name.partition(".")
            if top != pkg.name or not below:
                continue
            if not (folder / "__init__.py").is_file():
                raise FileNotFoundError(
                    f"pyproject.toml maps {name} to {folder}, which has no __init__.py; "
                    "fix [tool.setuptools.package-dir]"
                )
            module = loader.load(folder, try_relative_path=True)
            if not isinstance(module, griffe.Module):
                raise TypeError(f"{folder} did not load as a module")
            # Loaded by path, it is a top-level module of its folder's name: move it.
            loader.modules_collection.del_member(module.name)
            parent_path, _, child = below.rpartition(".")
            parent = pkg.get_member(parent_path) if parent_path else pkg
            parent.set_member(child, module)

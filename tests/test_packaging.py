"""What pyproject.toml promises: Python 3.10 works, and every imported package is declared."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import sys
import types
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("ifr_sim", "envs", "agents", "dashboards")


def _load_config_module(name: str) -> types.ModuleType:
    """A fresh copy of ifr_sim/core/config.py under another name (the real one is untouched)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "ifr_sim" / "core" / "config.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_config_files_are_read_with_tomli_where_tomllib_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Python 3.10 has no tomllib; `tomli` is the same parser under another name. The stand-in
    # is a copy of tomllib's API, so the test sees which module was chosen.
    stand_in = types.ModuleType("tomli")
    stand_in.loads = tomllib.loads  # type: ignore[attr-defined]
    stand_in.TOMLDecodeError = tomllib.TOMLDecodeError  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tomllib", None)  # `import tomllib` now fails
    monkeypatch.setitem(sys.modules, "tomli", stand_in)
    config = _load_config_module("config_on_python_310")
    assert config.tomllib is stand_in
    path = tmp_path / "world.toml"
    path.write_text("slate_size = 5\n[clicks]\nmodel = 'pbm'\n")
    assert config.read_config_file(path) == {"slate_size": 5, "clicks": {"model": "pbm"}}
    path.write_text("slate_size = = 5\n")
    with pytest.raises(config.ConfigError, match="is not valid"):
        config.read_config_file(path)


def test_tomli_is_declared_for_python_before_3_11() -> None:
    requirements = _project()["dependencies"]
    (tomli,) = [r for r in requirements if _name(r) == "tomli"]
    assert "python_version < '3.11'" in tomli.replace('"', "'")


def test_every_third_party_import_is_a_declared_dependency() -> None:
    project = _project()
    declared = {_name(r) for r in project["dependencies"]}
    for group in project["optional-dependencies"].values():
        declared |= {_name(r) for r in group}
    distributions = importlib.metadata.packages_distributions()
    missing = {}
    for module, where in sorted(_imported_modules().items()):
        names = {_normalise(d) for d in distributions.get(module, [])}
        if not names:
            missing[module] = f"{where} (not installed)"
        elif not names & declared:
            missing[module] = f"{where} (distribution {sorted(names)})"
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9_.-]+", requirement)
    assert match, requirement
    return _normalise(match.group(0))


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_modules() -> dict[str, str]:
    """Top-level third-party module → one file importing it, over the package's sources."""
    found: dict[str, str] = {}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in ("ifr_sim", "tomli"):
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found

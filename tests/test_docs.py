"""The README stays a short front door whose example runs, and the docs site builds with
an API reference of every layer, including the packages that live in top-level folders."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_README_LINES = 250
DOCS_EXTRA = "needs the docs extra: pip install -e '.[docs]'"


def _python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL)


def _gym_example() -> str:
    blocks = [b for b in _python_blocks(README.read_text(encoding="utf-8")) if "gym.make(" in b]
    assert blocks, "README.md has no ```python block with a gym.make example"
    return blocks[0]


def _slug(heading: str) -> str:
    """The anchor Python-Markdown's toc (and so mkdocs) gives a heading."""
    text = re.sub(r"[^\w\s-]", "", heading).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def test_readme_is_at_most_250_lines() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, (
        f"README.md has {len(lines)} lines; keep it at most {MAX_README_LINES} and move the "
        "detail to a page of docs/"
    )


def test_readme_gym_make_loop_is_short_and_runs_as_pasted(tmp_path: Path) -> None:
    code = _gym_example()
    assert len(code.strip().splitlines()) <= 16, "the README's gym.make loop should stay short"
    # Run it as a newcomer would: pasted into a fresh interpreter, outside the repository.
    # An episode is one session, at most 20 turns (the registration's TimeLimit).
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("user: "), out
    assert "last slate:" in out, out  # env.render() of the last turn
    assert re.search(r"^clicks: \d+\.\d+ \| the oracle would have shown \[", out, re.M), out


def test_readme_links_point_at_files_and_headings_that_exist() -> None:
    text = README.read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        path, _, anchor = target.partition("#")
        file = ROOT / path
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor:
            headings = re.findall(r"^#+ (.+)$", file.read_text(encoding="utf-8"), flags=re.M)
            if anchor not in {_slug(h) for h in headings}:
                broken.append(f"{target}: no heading with that anchor")
    assert not broken, broken


def _package_dir_extension() -> type:
    spec = importlib.util.spec_from_file_location(
        "griffe_package_dir", ROOT / "docs" / "griffe_package_dir.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PackageDirs


def test_api_reference_finds_the_packages_pyproject_maps_to_top_level_folders() -> None:
    griffe = pytest.importorskip("griffe", reason=DOCS_EXTRA)
    loader = griffe.GriffeLoader(extensions=griffe.load_extensions(_package_dir_extension()))
    package = loader.load("ifr_sim")
    for path, folder in [
        ("ifr_sim.envs.instruction_rec.InstructionRecEnv", "envs"),
        ("ifr_sim.agents.recommender.Recommender", "agents"),
        ("ifr_sim.agents.policy.slate_distribution", "agents"),
        ("ifr_sim.dashboards.app", "dashboards"),
    ]:
        obj = package.get_member(path.removeprefix("ifr_sim."))
        assert obj.path == path
        assert obj.docstring is not None, f"{path} has no docstring"
        assert Path(obj.filepath).is_relative_to(ROOT / folder)


@pytest.mark.slow
def test_docs_site_builds_strict_with_every_layer_in_the_api_reference(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason=DOCS_EXTRA)
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr
    for page, anchor in [
        ("core", "ifr_sim.core.catalog.catalog.Catalog"),
        ("envs", "ifr_sim.envs.instruction_rec.InstructionRecEnv"),
        ("agents", "ifr_sim.agents.recommender.Recommender"),
        ("dashboards", "ifr_sim.dashboards.app"),
        ("apps", "ifr_sim.apps.cli"),
    ]:
        html = (site / "api" / page / "index.html").read_text(encoding="utf-8")
        assert f'id="{anchor}"' in html, f"api/{page} does not document {anchor}"

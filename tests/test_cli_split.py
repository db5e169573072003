"""Which users and templates `evaluate` runs on: `--split`, `--set split=...`, or its default.

`evaluate` and `demo` default to the held-out split; `--split X`, `--set split=X` or a
`--config` file that sets `split` changes it, and the flag and the set together are refused
rather than one silently winning.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SHOP = ["--preset", "synthetic-shop", "--set", "catalog.size=200", "--num-candidates", "20",
        "--slate-size", "4", "--set", "intent_bank_size=16"]


def evaluate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`ifr-sim evaluate ARGS` in its own process, on a small shop, writing `result.json`."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "IFR_SIM_CACHE_DIR": "off"}
    return subprocess.run(
        [sys.executable, "-m", "ifr_sim.apps.cli", "evaluate", *SHOP, "--episodes", "2",
         "--runs", "ws", "--json", "result.json", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    ("args", "split"),
    [((), "heldout"), (("--split", "train"), "train"), (("--set", "split=all"), "all")],
)
def test_evaluate_runs_on_the_split_it_is_given_else_the_held_out_one(
    tmp_path: Path, args: tuple[str, ...], split: str
) -> None:
    result = evaluate(tmp_path, *args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((tmp_path / "result.json").read_text())["split"] == split


def test_split_given_by_flag_and_by_set_is_refused(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "--split", "train", "--set", "split=all")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == ("ifr-sim evaluate: error: --split train and --set split=all "
                             "both set split; give it once\n")
    assert not (tmp_path / "result.json").exists()


@pytest.mark.parametrize(("line", "split"), [('split = "train"', "train"), ("", "heldout")])
def test_a_config_file_that_sets_the_split_is_not_overridden_by_the_default(
    tmp_path: Path, line: str, split: str
) -> None:
    (tmp_path / "world.toml").write_text(
        f'preset = "synthetic-shop"\nintent_bank_size = 16\n{line}\n[catalog]\nsize = 200\n'
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "IFR_SIM_CACHE_DIR": "off"}
    result = subprocess.run(
        [sys.executable, "-m", "ifr_sim.apps.cli", "evaluate", "--config", "world.toml",
         "--num-candidates", "20", "--slate-size", "4", "--episodes", "2", "--runs", "ws",
         "--json", "result.json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((tmp_path / "result.json").read_text())["split"] == split

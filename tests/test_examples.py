"""The examples run as a user runs them: as scripts, in a fresh process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ("scorer_fixtures",)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.slow
def test_custom_user_model_simulates_evaluates_and_trains(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    """Budget shoppers click cheaper items than default users, and every step reports."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "custom_user_model.py"), "--episodes", "6",
         "--train-steps", "128", "--catalog-size", "200", "--model-path", str(tiny_bert_dir),
         "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    prices = [float(p.replace(",", "")) for p in re.findall(r"\$([\d,]+)", out)]
    assert len(prices) == 2 and prices[1] < prices[0], out  # default users, then shoppers
    for agent in ("random", "popularity", "bm25", "oracle"):
        assert re.search(rf"{agent} +reward \d+\.\d{{3}}  ctr \d\.\d{{3}}", out), out
    assert re.search(r"held-out reward \d+\.\d{3} before training, \d+\.\d{3} after 128 steps",
                     out), out
    assert (tmp_path / "run" / "progress.csv").is_file()

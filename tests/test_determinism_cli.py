"""Same seed, same numbers: `ifr-sim train` and `ifr-sim bench learn`, each run twice as
separate processes with different `PYTHONHASHSEED`s, agree to the last bit.

Two runs in one process share string hashing, caches and whatever global state a run
leaves behind; only separate processes show what differs between two invocations of a
command. Both runs go at once, so the test costs one run's time on two cores. The scorer
runs in bf16 (the precision a CPU with native bf16 picks for MiniLM) on a tiny BERT. What
may differ is wall-clock bookkeeping only: `time/…` columns, the sessions' `t` and the
run ids.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ifr_sim.apps.cli import main

pytest_plugins = ("scorer_fixtures",)
HASH_SEEDS = ("1", "2")


def tiny_world(model: Path) -> list[str]:
    """`--set` options: a 200-item shop, 4 users, 16-step rollouts, an evaluation mid-run."""
    values = {"world.catalog.source": "synthetic", "world.catalog.size": 200,
              "world.num_candidates": 20, "world.slate_size": 4, "scorer.model_path": model,
              "scorer.precision": "bf16", "ppo.n_envs": 4, "ppo.n_steps": 4,
              "ppo.batch_size": 8, "ppo.n_epochs": 2, "total_steps": 48, "eval_every": 32,
              "checkpoint_every": 16, "eval_episodes": 6}
    return [item for key, value in values.items() for item in ("--set", f"{key}={value}")]


def twice(tmp_path: Path, *args: str) -> list[Path]:
    """Run `ifr-sim ARGS --runs DIR/runs` in DIR = tmp_path/run1 and run2 at once."""
    folders = [tmp_path / f"run{index}" for index in (1, 2)]
    processes = []
    for folder, hash_seed in zip(folders, HASH_SEEDS, strict=True):
        folder.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "OMP_NUM_THREADS": "1",
               "IFR_SIM_CACHE_DIR": "off"}
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "ifr_sim.apps.cli", *args, "--runs", str(folder / "runs")],
            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ))
    for process in processes:
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, output[-3000:]
    return folders


def progress_without_clock(path: Path) -> list[dict[str, str]]:
    """progress.csv's rows, with the columns in file order, less the `time/…` ones."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [{key: value for key, value in row.items() if not key.startswith("time/")}
                for row in csv.DictReader(handle)]


def stored_metrics(workspace: Path) -> list[tuple[Any, ...]]:
    """Every value the run store holds, in insertion order, less the `time/…` ones."""
    with sqlite3.connect(workspace / "runs.sqlite") as db:
        return list(db.execute("SELECT step, key, value FROM metrics "
                               "WHERE key NOT LIKE 'time/%' ORDER BY rowid"))


def assert_same_training(first: Path, second: Path) -> None:
    """Same weights, optimizer state, evaluations and logged values, to the last bit."""
    for name in ("policy.safetensors", "optimizer.pt", "config.json"):
        assert (first / "checkpoint" / name).read_bytes() == \
            (second / "checkpoint" / name).read_bytes(), name
    states = [json.loads((run / "checkpoint" / "state.json").read_text(encoding="utf-8"))
              for run in (first, second)]
    assert states[0]["history"] == states[1]["history"]
    assert [e["r"] for e in states[0]["episodes"]] == [e["r"] for e in states[1]["episodes"]]
    assert (first / "progress.csv").read_text(encoding="utf-8").splitlines()[0] == \
        (second / "progress.csv").read_text(encoding="utf-8").splitlines()[0]  # column order
    assert progress_without_clock(first / "progress.csv") == \
        progress_without_clock(second / "progress.csv")


@pytest.mark.slow
def test_two_trainings_with_one_seed_are_bit_identical(tmp_path: Path, tiny_bert_dir: Path) -> None:
    runs = twice(tmp_path, "train", "--seed", "3", "--run-dir", "out", "--no-progress",
                 *tiny_world(tiny_bert_dir))

    assert_same_training(runs[0] / "out", runs[1] / "out")
    history = json.loads((runs[0] / "out" / "checkpoint" / "state.json").read_text())["history"]
    assert [point["step"] for point in history] == [0, 32, 48]
    assert history[0] != history[-1]  # it trained: the evaluations moved
    assert stored_metrics(runs[0] / "runs") == stored_metrics(runs[1] / "runs")


@pytest.mark.slow
def test_two_learning_benchmarks_with_one_seed_give_the_same_report(
    tmp_path: Path, tiny_bert_dir: Path
) -> None:
    # No --minutes: by default nothing but the preset's steps ends a seed's training.
    runs = twice(tmp_path, "bench", "learn", "--preset", "quick", "--seeds", "1",
                 "--out", "bench", "--instructions", "none", *tiny_world(tiny_bert_dir))

    reports = [(run / "bench" / "learning.json").read_text(encoding="utf-8") for run in runs]
    assert reports[0] == reports[1]
    assert "time_limited" not in json.loads(reports[0])
    assert_same_training(runs[0] / "bench" / "seed0", runs[1] / "bench" / "seed0")


def test_a_seed_the_time_limit_stops_is_named_in_the_report(
    tmp_path: Path, tiny_bert_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench"
    code = main(["bench", "learn", "--preset", "quick", "--seeds", "1", "--minutes", "1e-9",
                 "--out", str(out), "--runs", str(tmp_path / "runs"), "--instructions", "none",
                 *tiny_world(tiny_bert_dir)])

    assert code == 0
    report = json.loads((out / "learning.json").read_text(encoding="utf-8"))
    assert report["time_limited"] == {"0": 4}  # stopped at the first step of 4 users
    assert "stopped seed 0 at step 4 of 48" in capsys.readouterr().out

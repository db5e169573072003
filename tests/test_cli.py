"""Smoke tests of every `ifr-sim` entry point with tiny budgets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ifr_sim.agents.evaluation.online import METRICS
from ifr_sim.apps.cli import main


def test_simulate_prints_summary_and_writes_episodes(tmp_path: Path, capsys) -> None:
    out = tmp_path / "episodes.jsonl"
    assert main(["simulate", "--policy", "random", "--episodes", "5", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    for metric in ("reward", "ctr", "session_length"):
        assert metric in text
    lines = out.read_text().splitlines()
    assert len(lines) == 5
    episode = json.loads(lines[0])
    assert episode["turns"] and {"instruction", "slate", "clicks", "reward"} <= set(
        episode["turns"][0])


def test_simulate_is_deterministic_under_a_seed(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path in (a, b):
        main(["simulate", "--episodes", "4", "--seed", "3", "--output", str(path)])
    assert a.read_text() == b.read_text()


def test_evaluate_writes_the_documented_json_keys(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    code = main(["evaluate", "--agent", "popularity", "--episodes", "20", "--json", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    for key in METRICS:
        assert key in result and f"{key}_ci95" in result
    assert result["agent"] == "popularity" and result["split"] == "heldout"
    assert result["episodes"] == 20 and 0 < result["oracle_share"] < 1


def test_world_flags_and_overrides_reach_the_env(tmp_path: Path, capsys) -> None:
    out = tmp_path / "e.jsonl"
    code = main(["simulate", "--episodes", "2", "--catalog", "synthetic", "--num-candidates",
                 "30", "--slate-size", "3", "--set", "clicks.model=pbm", "--output", str(out)])
    assert code == 0
    episode = json.loads(out.read_text().splitlines()[0])
    assert len(episode["turns"][0]["slate"]) == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate", "--slate-size", "500"], "slate_size=500 is invalid"),
        (["simulate", "--set", "clicks.model=ubm"], "choose one of"),
        (["simulate", "--policy", "nope"], "unknown agent 'nope'"),
        (["simulate", "--episodes", "0"], "--episodes=0 is invalid"),
        (["evaluate", "--config", "missing.toml"], "does not exist"),
    ],
)
def test_bad_input_is_one_clear_line(argv: list[str], message: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bench_env_prints_figures(capsys) -> None:
    assert main(["bench", "env", "--seconds", "0.05"]) == 0
    assert "steps/s" in capsys.readouterr().out


@pytest.mark.slow
def test_bench_scorer_prints_figures(capsys) -> None:
    assert main(["bench", "scorer", "--seconds", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "candidates scored/s" in out and "scorer / bare encoding ratio" in out


@pytest.mark.slow
def test_demo_runs_baselines_and_a_short_training(tmp_path: Path, capsys) -> None:
    code = main(["demo", "--episodes", "16", "--train-steps", "64", "--run-dir",
                 str(tmp_path / "demo"), "--runs", str(tmp_path / "store")])
    assert code == 0
    out = capsys.readouterr().out
    for name in ("random", "popularity", "bm25", "linucb", "zero-shot", "oracle", "after PPO"):
        assert name in out
    assert (tmp_path / "demo" / "checkpoint" / "policy.safetensors").is_file()
    from ifr_sim.core.run_store import RunStore

    (run,) = RunStore(tmp_path / "store").runs(kind="train")
    assert run.status == "finished" and run.checkpoint

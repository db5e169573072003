"""Metrics are named and computed at cut-offs the slate has: never an `@10` of five items."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ifr_sim.agents.baselines.simple import RandomAgent
from ifr_sim.agents.evaluation.instruction_set import LabelledInstruction, evaluate_instructions
from ifr_sim.agents.evaluation.online import METRICS, headline_metrics, metric_names
from ifr_sim.core.metrics import cutoffs, hit_rate_at_k, ndcg_at_k, precision_at_k
from ifr_sim.core.run_store import RunStore
from ifr_sim.dashboards import data, references

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--catalog", "synthetic", "--set", "catalog.size=300", "--num-candidates", "20",
         "--set", "intent_bank_size=64", "--episodes", "12"]


def test_the_default_world_keeps_its_metric_names() -> None:
    assert METRICS == metric_names(10) == (
        "reward", "ctr", "session_length", "ndcg@5", "ndcg@10", "hr@10", "mrr",
        "intent_precision@10", "coverage", "diversity", "oracle_share")


@pytest.mark.parametrize(("slate_size", "ranking"), [
    (5, ["ndcg@5", "hr@5", "mrr", "intent_precision@5"]),
    (3, ["ndcg@3", "hr@3", "mrr", "intent_precision@3"]),
    (20, ["ndcg@5", "ndcg@10", "ndcg@20", "hr@10", "hr@20", "mrr", "intent_precision@10",
          "intent_precision@20"]),
])
def test_cut_offs_follow_the_slate_size(slate_size: int, ranking: list[str]) -> None:
    names = metric_names(slate_size)
    assert [n for n in names if "@" in n or n == "mrr"] == ranking
    assert headline_metrics({n: 0.0 for n in names}) == (
        "reward", "ctr", f"ndcg@{slate_size}", f"intent_precision@{slate_size}")
    assert cutoffs(slate_size, (5, 10))[-1] == slate_size


@pytest.mark.parametrize("metric", [ndcg_at_k, hit_rate_at_k, precision_at_k])
def test_a_cut_off_beyond_the_slate_is_refused(metric) -> None:
    slates = np.arange(5)[None]
    with pytest.raises(ValueError, match=r"cut-off @10 does not fit slates of 5 items"):
        metric(slates, np.ones((1, 20)), 10)


def test_the_oracle_scores_1_on_slates_of_five(tmp_path: Path) -> None:
    """The bug: slates of 5 were scored as `ndcg@10` and the oracle reported 0.75."""
    out = tmp_path / "oracle.json"
    done = subprocess.run(
        [sys.executable, "-m", "ifr_sim.apps.cli", "evaluate", "--agent", "oracle",
         "--slate-size", "5", "--json", str(out), "--runs", str(tmp_path), *SMALL],
        capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert not [key for key in result if "@10" in key]
    assert result["ndcg@5"] == pytest.approx(1.0) and result["hr@5"] == 1.0
    assert "ndcg@5" in done.stdout and "intent_precision@5" in done.stdout
    keys = {key for _, key, _ in RunStore(tmp_path).metrics(RunStore(tmp_path).runs()[0].id)}
    assert {"eval/ndcg@5", "eval/hr@5", "eval/intent_precision@5"} <= keys


def test_instruction_sets_are_scored_at_the_agents_slate() -> None:
    record = LabelledInstruction(1, "anything", np.array([3]), np.arange(12))
    result = evaluate_instructions(RandomAgent(5), [record], 64, 4, seed=0)
    assert {k for k in result if not k.endswith("_ci95")} == {"ndcg@5", "hr@5", "mrr",
                                                               "precision@5"}


def test_the_dashboard_draws_a_runs_cut_offs_with_their_reference_lines(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    world = {"slate_size": 5, "num_candidates": 20, "split": "heldout"}
    oracle = store.start_run("evaluate", {"world": world, "agent": "oracle",
                                          "checkpoint": None}, seed=0)
    store.log_result(oracle, 0, {"ndcg@5": 1.0}, ["ndcg@5"])
    store.finish_run(oracle)
    run_id = store.start_run("train", {"world": {**world, "split": "train"}}, 0)
    store.log_metrics(run_id, 64, {"eval/ndcg@5": 0.4, "eval/hr@5": 0.5})
    runs = [store.run(run_id)]
    keys = data.sections(runs)["Ranking"]
    assert keys == ("eval/ndcg@5", "eval/hr@5", "eval/mrr", "eval/intent_precision@5")
    frame = data.section_frame(store, runs, keys)
    assert frame[frame["line"] == references.ORACLE]["key"].tolist() == ["eval/ndcg@5"]
    assert data.sections([])["Ranking"] == data.RANKING_KEYS  # no runs: the default world

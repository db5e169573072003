"""`ifr-sim bench fidelity`: its JSON keys, its record in the run store, its messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ifr_sim.apps.cli import main
from ifr_sim.core.run_store import RunStore

pytestmark = pytest.mark.slow
PROTOCOLS = ("1:1", "1:3", "1:9", "liked_vs_disliked")
CHOICE = ("accuracy", "precision", "recall", "f1", "auc")


def test_the_command_writes_the_documented_json_keys(tmp_path: Path) -> None:
    out, runs = tmp_path / "fidelity.json", tmp_path / "runs"
    done = subprocess.run(
        [sys.executable, "-m", "ifr_sim.apps.cli", "bench", "fidelity", "--raters", "25",
         "--sessions", "12", "--sweep-taste", "0.25", "--sweep-quality", "",
         "--sweep-familiarity", "", "--json", str(out), "--runs", str(runs)],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["real_data"] is True and result["catalog"] == "movielens-100k"
    assert result["world"]["catalog"]["ratings"] == "before_holdout"
    assert {"rating_rmse", "rating_rmse_ci95", "rating_mae", "rating_mae_ci95"} <= set(result)
    references = result["rating_rmse_references"]
    assert set(references) == {"global_mean", "item_mean", "user_item_bias", "biased_mf"}
    assert all(1.0 > half > 0 for half in result["rating_rmse_references_ci95"].values())
    assert 0.5 < references["biased_mf"] < references["global_mean"] < 1.6
    for protocol in PROTOCOLS:
        figures = result["alignment"][protocol]
        for metric in CHOICE:
            assert 0.0 <= figures[metric] <= 1.0 and f"{metric}_ci95" in figures
        assert figures["users"] > 0
    assert set(result["alignment_references"]) == {"random", "popularity", "biased_mf"}
    for policy in ("random", "popularity"):
        behaviour = result["behaviour"][policy]
        assert len(behaviour["popularity_deciles"]["real"]) == 10
        assert sum(behaviour["genre_shares"]["simulated"]) == pytest.approx(1.0)
        assert {"gini", "real_gini", "popularity_js", "genre_js"} <= set(behaviour)
    assert "hit_rate" in result["intent_genres"]
    [row] = result["sweep"]
    assert (row["key"], row["value"], row["current"]) == ("attractiveness.taste", 0.25, False)
    assert "rating_rmse" in row and "1:1_accuracy" in row and "instruction_click_share" in row
    assert "biased_mf" in done.stdout and "preference alignment" in done.stdout

    [run] = RunStore(runs).runs(kind="fidelity")
    assert run.status == "finished" and run.config["fidelity"]["raters"] == 25
    [(_, recorded)] = RunStore(runs).evaluations(run.id)
    assert recorded["rating_rmse"] == result["rating_rmse"]
    keys = {key for _, key, _ in RunStore(runs).metrics(run.id)}
    assert {"fidelity/rating_rmse", "fidelity/alignment/1:1/accuracy"} <= keys


def test_the_synthetic_shop_has_nothing_to_validate_against(tmp_path: Path, capsys) -> None:
    out = tmp_path / "shop.json"
    code = main(["bench", "fidelity", "--preset", "synthetic-shop", "--set",
                 "catalog.size=300", "--num-candidates", "20", "--sessions", "10",
                 "--sweep-taste", "", "--sweep-quality", "1.0", "--sweep-familiarity", "",
                 "--json", str(out),
                 "--runs", str(tmp_path / "runs")])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["real_data"] is False
    assert "rating_rmse" not in result and "alignment" not in result
    assert set(result["behaviour"]["random"]["popularity_deciles"]) == {"simulated"}
    assert "real_gini" not in result["behaviour"]["random"]
    assert result["sweep"][0]["key"] == "attractiveness.quality"
    assert "nothing to validate against" in capsys.readouterr().out


def test_a_bad_sweep_list_says_how_to_write_one(tmp_path: Path, capsys) -> None:
    code = main(["bench", "fidelity", "--sweep-taste", "low,high", "--runs", str(tmp_path)])
    assert code == 2
    assert "give numbers separated by commas" in capsys.readouterr().err

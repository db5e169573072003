"""Transfer to hand-written instructions: `bench learn` scores the zero-shot policy, the
trained one and plain MiniLM on a hand-written set, records them, and the dashboard shows
them; `bench language` sets each language's diversity next to the hand-written sets'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ifr_sim.agents.experiments.transfer import TRANSFER_AGENTS
from ifr_sim.apps.cli import main
from ifr_sim.core.run_store import RunStore
from ifr_sim.dashboards import data
from ifr_sim.dashboards.transfer import transfer_table

pytest_plugins = ("scorer_fixtures",)
ROOT = Path(__file__).resolve().parents[1]
LINES = [
    {"id": "a", "instruction": "a phone", "constraints": {"include": ["phones"]}},
    {"id": "b", "instruction": "cheap headphones",
     "constraints": {"include": ["headphones"], "price": {"max": 150}}},
    {"id": "c", "instruction": "laptop, well reviewed",
     "constraints": {"include": ["laptops"], "min_quality": "high"}},
]


def _bench_learn(tmp_path: Path, model: Path, instructions: str) -> int:
    tiny = {"world.catalog.source": "synthetic", "world.catalog.size": 200,
            "world.num_candidates": 20, "world.slate_size": 4, "scorer.model_path": model,
            "ppo.n_envs": 4, "ppo.n_steps": 4, "ppo.batch_size": 16, "ppo.n_epochs": 1,
            "total_steps": 32, "eval_every": 10_000, "eval_episodes": 4}
    sets = [item for key, value in tiny.items() for item in ("--set", f"{key}={value}")]
    return main(["bench", "learn", "--preset", "quick", "--seeds", "1", "--minutes", "2",
                 "--out", str(tmp_path / "bench"), "--runs", str(tmp_path / "runs"),
                 "--instructions", instructions, *sets])


@pytest.mark.slow
def test_bench_learn_reports_transfer_and_the_dashboard_shows_it(
    tmp_path: Path, tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    file = tmp_path / "hand.jsonl"
    file.write_text("".join(json.dumps(line) + "\n" for line in LINES), encoding="utf-8")
    assert _bench_learn(tmp_path, tiny_bert_dir, str(file)) == 0

    report = json.loads((tmp_path / "bench" / "learning.json").read_text())
    assert set(report["transfer"]) == set(TRANSFER_AGENTS)
    for lines in report["transfer"].values():  # slates of 4: figures at @4, one seed
        assert set(lines) == {"ndcg@4", "precision@4"}
        assert len(lines["ndcg@4"]["per_seed"]) == len(lines["ndcg@4"]["ci95_per_seed"]) == 1
        assert 0.0 <= lines["precision@4"]["mean"] <= 1.0

    store = RunStore(tmp_path / "runs")
    (training,) = store.runs(kind="train")
    tagged = [run for run in store.runs(kind="evaluate")
              if run.config.get("train_run") == training.id]
    assert sorted(run.config["agent"] for run in tagged) == sorted(TRANSFER_AGENTS)
    assert {run.config["instructions"] for run in tagged} == {str(file.resolve())}
    assert [run.config["agent"] for run in tagged if run.config["checkpoint"]] == ["trained"]

    table = transfer_table(store, [training.id])
    assert table["agent"].tolist() == list(TRANSFER_AGENTS)
    trained = report["transfer"]["trained"]["ndcg@4"]["per_seed"][0]
    assert table.set_index("agent").loc["trained", "ndcg@4"] == pytest.approx(trained)

    monkeypatch.setenv(data.RUNS_ENV, str(tmp_path / "runs"))
    app = AppTest.from_file(str(Path(data.__file__).with_name("app.py")),
                            default_timeout=60).run()
    assert not app.exception
    assert app.sidebar.multiselect[0].value == [training.id]
    assert "Hand-written instructions" in [header.value for header in app.subheader]


def test_a_missing_instruction_file_stops_bench_learn_before_training(
    tmp_path: Path, tiny_bert_dir: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert _bench_learn(tmp_path, tiny_bert_dir, str(tmp_path / "missing.jsonl")) == 2
    assert "missing.jsonl does not exist" in capsys.readouterr().err
    assert RunStore(tmp_path / "runs").runs(kind="train") == []


def test_bench_language_sets_each_language_next_to_the_hand_written_sets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)  # the hand-written sets are read from the checkout
    out = tmp_path / "language.json"
    assert main(["bench", "language", "--json", str(out)]) == 0
    rows = {(row["world"], row["corpus"]): row for row in json.loads(out.read_text())["rows"]}
    for world in ("movielens", "synthetic-shop"):
        human = rows[world, "hand-written"]
        for corpus in ("templates (train)", "templates (heldout)", "rich (train)",
                       "rich (heldout)"):
            assert rows[world, corpus]["size"] == human["size"]
        # people vary their words more than either generator; the rich one more than
        # the templates (measured: docs/benchmarks.md)
        templates, rich = rows[world, "templates (train)"], rows[world, "rich (train)"]
        assert human["distinct_2"] > rich["distinct_2"] > templates["distinct_2"]
        assert human["self_bleu"] < rich["self_bleu"] < templates["self_bleu"]


def test_bench_learn_outside_a_checkout_says_where_the_set_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no data/instructions here
    assert main(["bench", "learn", "--runs", str(tmp_path / "runs")]) == 2
    error = capsys.readouterr().err
    assert "data/instructions/movielens-dev.jsonl, which is not here" in error
    assert "--instructions none" in error

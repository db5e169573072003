"""The dashboard's Curves page: its data functions, the page under AppTest, its command.

The workspace is written with `RunStore` directly (no training, so these tests take
seconds): a finished training run with rollout, train and eval metrics at several steps,
a running one with no evaluation yet, a failed one, and an evaluate run. The pages against
a store made by real commands are in `test_dashboard_pages.py`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ifr_sim.apps.cli import dashboard_argv, main
from ifr_sim.core.run_store import RunRecord, RunStore
from ifr_sim.dashboards import data, references, seeds

APP = Path(data.__file__).with_name("app.py")
STEPS = (2048, 4096, 6144, 8192)
TIMEOUT_S = 30.0


def _training_metrics(step: int) -> dict[str, float]:
    progress = step / STEPS[-1]
    return {
        "rollout/ep_rew_mean": 0.5 + progress, "time/fps": 200.0,
        "train/approx_kl": 0.01, "train/clip_fraction": 0.1, "train/entropy_loss": -5.0,
        "train/value_loss": 0.2, "train/kl_ref": 0.02, "train/explained_variance": progress,
    }


def _evaluation(step: int) -> dict[str, float]:
    progress = step / STEPS[-1]
    return {"reward": 1.0 + progress, "ctr": 0.06 + 0.01 * progress, "ndcg@5": 0.2,
            "ndcg@10": 0.22 + 0.03 * progress, "hr@10": 0.4, "mrr": 0.3,
            "intent_precision@10": 0.27 + 0.05 * progress}


@pytest.fixture
def workspace(tmp_path: Path) -> dict[str, str]:
    """Four runs, oldest first; returns their ids by role."""
    store = RunStore(tmp_path)
    finished = store.start_run("train", {"preset": "quick"}, seed=0)
    for step in STEPS:
        store.log_metrics(finished, step, _training_metrics(step))
        result = _evaluation(step)
        store.log_evaluation(finished, step, result)
        store.log_metrics(finished, step, {f"eval/{name}": value for name, value in result.items()})
    store.finish_run(finished, checkpoint=tmp_path / "checkpoint")
    failed = store.start_run("train", {"preset": "quick"}, seed=1)
    store.log_metrics(failed, STEPS[0], _training_metrics(STEPS[0]))
    store.finish_run(failed, "failed", error="RuntimeError: CUDA out of memory")
    evaluated = store.start_run("evaluate", {"agent": "popularity"}, seed=0)
    store.log_evaluation(evaluated, 0, _evaluation(0))
    store.log_metrics(evaluated, 0, {f"eval/{name}": value
                                     for name, value in _evaluation(0).items()})
    store.finish_run(evaluated)
    running = store.start_run("train", {"preset": "standard"}, seed=2)
    for step in STEPS[:2]:
        store.log_metrics(running, step, _training_metrics(step))
    return {"finished": finished, "failed": failed, "evaluate": evaluated, "running": running,
            "path": str(tmp_path)}


# data.py


def test_open_store_creates_nothing_in_an_empty_workspace(tmp_path: Path) -> None:
    assert data.open_store(tmp_path / "missing") is None
    assert not (tmp_path / "missing").exists()


def test_runs_table_is_newest_first_and_filters(workspace: dict[str, str]) -> None:
    store = RunStore(Path(workspace["path"]))
    runs = data.runs_table(store)
    assert list(runs.columns) == list(data.RUN_COLUMNS)
    assert len(runs) == 4
    assert dict(zip(runs["id"], runs["preset"], strict=True)) == {
        workspace["finished"]: "quick", workspace["failed"]: "quick",
        workspace["running"]: "standard", workspace["evaluate"]: data.CUSTOM_PRESET}
    assert set(data.runs_table(store, preset="quick")["id"]) == {
        workspace["finished"], workspace["failed"]}
    assert list(data.runs_table(store, kind="train", status="running", preset="standard")[
        "id"]) == [workspace["running"]]
    assert set(data.runs_table(store, kind="train")["id"]) == {
        workspace["finished"], workspace["failed"], workspace["running"]}
    failed = data.runs_table(store, status="failed")
    assert list(failed["id"]) == [workspace["failed"]]
    assert failed["error"].iloc[0] == "RuntimeError: CUDA out of memory"


def test_default_selection_is_the_newest_training_run(workspace: dict[str, str]) -> None:
    store = RunStore(Path(workspace["path"]))
    runs = data.runs_table(store)
    newest = runs.iloc[0]["id"]  # same-second starts: the store orders by insertion then
    assert data.default_selection(runs) == [newest]
    assert newest == workspace["running"]
    assert data.default_selection(data.runs_table(store, kind="evaluate")) == [
        workspace["evaluate"]]
    assert data.default_selection(runs.iloc[0:0]) == []


def test_metric_curves_are_tidy_rows_of_the_asked_runs_and_keys(
    workspace: dict[str, str],
) -> None:
    store = RunStore(Path(workspace["path"]))
    runs = [workspace["finished"], workspace["running"]]
    curves = data.metric_curves(store, runs, ["rollout/ep_rew_mean", "eval/ndcg@10"])
    assert list(curves.columns) == list(data.CURVE_COLUMNS)
    counts = curves.groupby(["run", "key"]).size().to_dict()
    assert counts == {(workspace["finished"], "rollout/ep_rew_mean"): 4,
                      (workspace["finished"], "eval/ndcg@10"): 4,
                      (workspace["running"], "rollout/ep_rew_mean"): 2}
    rewards = curves[(curves["run"] == workspace["finished"])
                     & (curves["key"] == "rollout/ep_rew_mean")]
    assert list(rewards["step"]) == list(STEPS)
    assert list(rewards["value"]) == [0.75, 1.0, 1.25, 1.5]  # 0.5 + step / 8192
    empty = data.metric_curves(store, [], ["eval/mrr"])
    assert empty.empty and list(empty.columns) == list(data.CURVE_COLUMNS)


def test_smooth_is_a_rolling_mean_per_run_and_key() -> None:
    curves = pd.DataFrame({
        "run": ["a", "a", "a", "b", "b"], "key": ["k"] * 5,
        "step": [1, 2, 3, 1, 2], "value": [0.0, 2.0, 4.0, 10.0, 20.0],
    })
    smoothed = data.smooth(curves, 2)
    # a: 0, (0+2)/2, (2+4)/2; b starts afresh: 10, (10+20)/2
    assert list(smoothed["value"]) == [0.0, 1.0, 3.0, 10.0, 15.0]
    assert data.smooth(curves, 1) is curves


def test_last_values_are_the_values_at_the_last_step(workspace: dict[str, str]) -> None:
    store = RunStore(Path(workspace["path"]))
    curves = data.metric_curves(store, [workspace["finished"], workspace["running"]],
                                ["rollout/ep_rew_mean", "eval/ctr"])
    last = data.last_values(curves)
    assert last.loc[workspace["finished"], "rollout/ep_rew_mean"] == 1.5
    assert last.loc[workspace["running"], "rollout/ep_rew_mean"] == 1.0  # 0.5 + 4096/8192
    assert last.loc[workspace["finished"], "eval/ctr"] == pytest.approx(0.07)
    assert pd.isna(last.loc[workspace["running"], "eval/ctr"])
    assert data.last_values(curves.iloc[0:0]).empty


def test_runs_without_metrics_or_evaluation(workspace: dict[str, str]) -> None:
    store = RunStore(Path(workspace["path"]))
    fresh = store.start_run("train", {}, seed=3)
    ids = [workspace["finished"], workspace["running"], workspace["evaluate"], fresh]
    assert data.runs_without_metrics(store, ids) == [fresh]
    assert data.runs_without_evaluation(store, ids) == [workspace["running"], fresh]


def test_workspace_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.RUNS_ENV, "/some/where")
    assert data.workspace() == Path("/some/where")
    monkeypatch.delenv(data.RUNS_ENV)
    assert data.workspace() == Path("runs")


# app.py


def _app(monkeypatch: pytest.MonkeyPatch, path: str) -> AppTest:
    monkeypatch.setenv(data.RUNS_ENV, path)
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    return app.run()


def _texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def test_empty_workspace_says_how_to_record_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    app = _app(monkeypatch, str(tmp_path / "nothing-here"))
    assert not app.exception
    assert "No runs yet" in _texts(app.info)
    assert "ifr-sim train" in _texts(app.info)
    assert not app.get("vega_lite_chart")


def test_default_page_charts_the_newest_training_run_live(
    monkeypatch: pytest.MonkeyPatch, workspace: dict[str, str],
) -> None:
    app = _app(monkeypatch, workspace["path"])
    assert not app.exception
    assert app.sidebar.multiselect[0].value == [workspace["running"]]
    assert [header.value for header in app.subheader] == [
        *data.SECTIONS, "Last values"]
    assert "no evaluation yet" in _texts(app.info)  # the running run has none
    assert "live" in _texts(app.caption)
    # the running run has rollout/ep_rew_mean and the 7 diagnostics, no eval curves
    assert len(app.get("vega_lite_chart")) == 8
    assert len(app.get("download_button")) == 8


def test_overlaid_runs_show_every_chart_and_the_failure(
    monkeypatch: pytest.MonkeyPatch, workspace: dict[str, str],
) -> None:
    app = _app(monkeypatch, workspace["path"])
    app.sidebar.multiselect[0].set_value(
        [workspace["finished"], workspace["failed"], workspace["evaluate"]]).run()
    assert not app.exception
    assert "CUDA out of memory" in _texts(app.error)
    charts = app.get("vega_lite_chart")
    assert len(charts) == sum(len(keys) for keys in data.SECTIONS.values())
    assert "live" not in _texts(app.caption)
    app.sidebar.slider[0].set_value(3).run()
    assert not app.exception


def test_filters_narrow_the_run_picker(
    monkeypatch: pytest.MonkeyPatch, workspace: dict[str, str],
) -> None:
    app = _app(monkeypatch, workspace["path"])
    assert [box.label for box in app.sidebar.selectbox] == ["Kind", "Preset", "Status"]
    assert app.sidebar.selectbox[1].options == ["any", data.CUSTOM_PRESET, "quick",
                                                "standard"]
    app.sidebar.selectbox[2].set_value("failed").run()
    assert not app.exception
    assert app.sidebar.multiselect[0].options == [workspace["failed"]]
    assert "CUDA out of memory" in _texts(app.error)
    app.sidebar.selectbox[2].set_value("any").run()
    app.sidebar.selectbox[1].set_value("quick").run()
    assert app.sidebar.multiselect[0].options == [workspace["failed"], workspace["finished"]]


def test_a_run_without_metrics_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    RunStore(tmp_path).start_run("train", {}, seed=0)
    app = _app(monkeypatch, str(tmp_path))
    assert not app.exception
    assert "no metrics yet" in _texts(app.warning)
    assert not app.get("vega_lite_chart")


# ifr-sim dashboard


def test_dashboard_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["dashboard", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for option in ("--runs", "--port", "--host"):
        assert option in text


def test_dashboard_argv_runs_the_app_with_streamlit() -> None:
    argv = dashboard_argv("0.0.0.0", 8600)
    assert argv[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert Path(argv[4]) == APP and APP.is_file()
    options = dict(zip(argv[5::2], argv[6::2], strict=True))
    assert options == {"--server.address": "0.0.0.0", "--server.port": "8600",
                       "--server.headless": "true", "--browser.gatherUsageStats": "false"}


def test_dashboard_starts_streamlit_on_the_workspace(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def call(argv: list[str], env: dict[str, str]) -> int:
        calls.append((argv, env))
        return 0

    monkeypatch.setattr("ifr_sim.apps.cli.subprocess.call", call)
    assert main(["dashboard", "--runs", str(tmp_path), "--port", "8700"]) == 0
    (argv, env), = calls
    assert argv == dashboard_argv("127.0.0.1", 8700)
    assert env[data.RUNS_ENV] == str(tmp_path.resolve())


def test_ranking_curves_get_a_zero_shot_line_at_the_first_evaluation() -> None:
    # run "a": eval/ndcg@10 0.20 at step 0 (the zero-shot policy), 0.25 at 100, 0.30 at 200
    curves = pd.DataFrame({
        "run": ["a"] * 3 + ["a"],
        "key": ["eval/ndcg@10"] * 3 + ["train/approx_kl"],
        "step": [0, 100, 200, 100],
        "value": [0.20, 0.25, 0.30, 0.01],
    })
    lines = references.with_zero_shot_lines(seeds.band_curves(curves, {}))
    zero_shot = lines[lines["run"] == "a (zero-shot)"]
    assert zero_shot["step"].tolist() == [0, 100, 200]
    assert zero_shot["value"].tolist() == [0.20, 0.20, 0.20]
    assert set(zero_shot["line"]) == {references.ZERO_SHOT}
    assert len(lines) == len(curves) + 3  # nothing added for train/ keys


# seed groups and bands


def _record(run_id: str, config: dict, seed: int | None, kind: str = "train") -> RunRecord:
    return RunRecord(id=run_id, kind=kind, status="finished", config=config, seed=seed,
                     started_at="", ended_at=None, error=None, checkpoint=None,
                     parent_id=None, sweep_id=None)


def test_runs_that_differ_only_in_the_seed_are_one_group() -> None:
    runs = [
        _record("r2", {"seed": 2, "ppo": {"kl_coef": 0.1}}, 2),
        _record("r0", {"seed": 0, "ppo": {"kl_coef": 0.1}}, 0),
        _record("other", {"seed": 0, "ppo": {"kl_coef": 0.2}}, 0),
        _record("eval", {"seed": 0, "ppo": {"kl_coef": 0.1}}, 0, kind="evaluate"),
    ]
    assert seeds.seed_groups(runs) == {
        "r0 (seeds 0, 2)": ["r2", "r0"], "other": ["other"], "eval": ["eval"]}
    assert seeds.seed_groups(runs, combine=False) == {
        run.id: [run.id] for run in runs}


def test_a_band_is_the_mean_min_and_max_over_seeds_at_each_step() -> None:
    # seeds a and b at steps 10 and 20; b has not reached step 30 yet; c is alone
    curves = pd.DataFrame({
        "run": ["a", "a", "a", "b", "b", "c"],
        "key": ["k"] * 6,
        "step": [10, 20, 30, 10, 20, 10],
        "value": [1.0, 2.0, 3.0, 3.0, 6.0, 5.0],
    })
    bands = seeds.band_curves(curves, {"a+b": ["a", "b"], "c": ["c"]})
    assert list(bands.columns) == list(seeds.CHART_COLUMNS)
    rows = bands.set_index(["run", "step"])
    assert rows.loc[("a+b", 10), ["value", "low", "high", "seeds"]].tolist() == [2, 1, 3, 2]
    assert rows.loc[("a+b", 20), ["value", "low", "high", "seeds"]].tolist() == [4, 2, 6, 2]
    assert rows.loc[("a+b", 30), ["value", "low", "high", "seeds"]].tolist() == [3, 3, 3, 1]
    assert rows.loc[("c", 10), ["value", "low", "high", "seeds"]].tolist() == [5, 5, 5, 1]
    assert set(bands["line"]) == {seeds.MEASURED}


def test_section_frame_draws_seeds_as_one_band(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    for seed, reward in ((0, 1.0), (1, 3.0)):
        run_id = store.start_run("train", {"seed": seed, "total_steps": 8}, seed)
        store.log_metrics(run_id, 8, {"rollout/ep_rew_mean": reward})
    runs = store.runs()
    frame = data.section_frame(store, runs, data.REWARD_KEYS)
    (row,) = frame.itertuples(index=False)
    assert (row.value, row.low, row.high, row.seeds) == (2.0, 1.0, 3.0, 2)
    assert row.run.endswith("(seeds 0, 1)")
    assert len(data.section_frame(store, runs, data.REWARD_KEYS, combine_seeds=False)) == 2


# best-baseline and oracle lines


WORLD = {"catalog": {"source": "movielens"}, "num_candidates": 100, "split": "heldout"}


def _evaluated(store: RunStore, agent: str, values: dict[str, float], **config: object) -> str:
    run_id = store.start_run("evaluate", {"world": WORLD, "agent": agent, "episodes": 8,
                                          "checkpoint": None, **config}, seed=0)
    store.log_result(run_id, 0, values, list(values))
    store.finish_run(run_id)
    return run_id


def test_reference_levels_are_the_oracle_and_the_best_baseline_per_metric(
    tmp_path: Path,
) -> None:
    store = RunStore(tmp_path)
    _evaluated(store, "oracle", {"ndcg@10": 0.9, "mrr": 0.95})
    _evaluated(store, "oracle", {"ndcg@10": 1.0, "mrr": 1.0})  # the newest oracle counts
    _evaluated(store, "popularity", {"ndcg@10": 0.20, "mrr": 0.50})
    _evaluated(store, "bm25", {"ndcg@10": 0.25, "mrr": 0.40})
    # none of these is a baseline of WORLD:
    _evaluated(store, "zero-shot", {"ndcg@10": 0.60, "mrr": 0.60})
    _evaluated(store, "ppo", {"ndcg@10": 0.70, "mrr": 0.70}, checkpoint="runs/x/checkpoint")
    _evaluated(store, "bm25", {"ndcg@10": 0.80, "mrr": 0.80}, instructions="labelled.jsonl")
    _evaluated(store, "linucb", {"ndcg@10": 0.90, "mrr": 0.90},
               world={**WORLD, "num_candidates": 50})
    failed = store.start_run("evaluate", {"world": WORLD, "agent": "random",
                                          "checkpoint": None}, seed=0)
    store.log_result(failed, 0, {"ndcg@10": 0.99, "mrr": 0.99}, ["ndcg@10", "mrr"])
    store.finish_run(failed, "failed", error="KeyboardInterrupt: ")

    levels = references.reference_levels(store, WORLD, ["eval/ndcg@10", "eval/mrr"])
    assert {(row.label, row.key): row.value for row in levels.itertuples()} == {
        ("oracle", "eval/ndcg@10"): 1.0, ("oracle", "eval/mrr"): 1.0,
        ("best baseline (bm25)", "eval/ndcg@10"): 0.25,
        ("best baseline (popularity)", "eval/mrr"): 0.50,
    }

    # a training run of the same world (its train split) gets them as flat lines over
    # the steps its curves span
    run_id = store.start_run("train", {"world": {**WORLD, "split": "train"}, "seed": 0}, 0)
    for step, value in ((0, 0.2), (500, 0.3), (1000, 0.35)):
        store.log_metrics(run_id, step, {"eval/ndcg@10": value})
    frame = data.section_frame(store, [store.run(run_id)], data.RANKING_KEYS)
    lines = frame[frame["line"] == references.BEST_BASELINE]
    assert lines[["run", "key", "step", "value"]].values.tolist() == [
        ["best baseline (bm25)", "eval/ndcg@10", 0, 0.25],
        ["best baseline (bm25)", "eval/ndcg@10", 1000, 0.25]]
    assert frame[frame["line"] == references.ORACLE]["value"].tolist() == [1.0, 1.0]
    assert frame[frame["line"] == references.ZERO_SHOT]["value"].tolist() == [0.2] * 3
    assert "eval/mrr" not in set(frame["key"])  # no curve of it, so no lines either


def test_runs_of_two_worlds_get_their_own_reference_lines(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    small = {**WORLD, "num_candidates": 50}
    _evaluated(store, "oracle", {"ndcg@10": 1.0})
    _evaluated(store, "oracle", {"ndcg@10": 0.8}, world=small)
    runs = []
    for world in (WORLD, small):
        run_id = store.start_run("train", {"world": world}, 0)
        store.log_metrics(run_id, 64, {"eval/ndcg@10": 0.3})
        runs.append(store.run(run_id))
    frame = data.section_frame(store, runs, data.RANKING_KEYS)
    oracles = frame[frame["line"] == references.ORACLE].set_index("run")["value"]
    assert oracles.to_dict() == {f"oracle · {runs[0].id}": 1.0, f"oracle · {runs[1].id}": 0.8}



def test_demo_records_every_agents_evaluation_for_the_reference_lines(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    from ifr_sim.apps import demo
    from ifr_sim.core.config import to_dict, with_overrides
    from ifr_sim.envs.config import WorldConfig

    # every agent but the MiniLM zero-shot scorer, which takes long to load on a CPU
    agents = {name: make for name, make in demo.AGENTS.items() if name != "zero-shot"}
    monkeypatch.setattr(demo, "AGENTS", agents)
    world = with_overrides(WorldConfig(split="heldout"), {
        "num_candidates": 20, "slate_size": 4, "catalog.source": "synthetic",
        "catalog.size": 300, "intent_bank_size": 64})
    recorded_world = json.loads(json.dumps(to_dict(world)))  # as the store gives it back
    store = RunStore(tmp_path)
    results = demo.run_demo(world, 8, 0, 0, tmp_path / "demo", store)
    runs = {run.config["agent"]: run for run in store.runs(kind="evaluate")}
    assert set(runs) == set(agents)
    for name, run in runs.items():
        assert run.status == "finished" and run.seed == 0
        assert run.config["world"] == recorded_world
        ((step, result),) = store.evaluations(run.id)
        assert step == 0 and result["agent"] == name and result["episodes"] == 8
        assert dict((key, value) for _, key, value in store.metrics(run.id, ["eval/mrr"])) == {
            "eval/mrr": results[name]["mrr"]}
    levels = references.reference_levels(store, recorded_world, ["eval/ndcg@4"])  # slates of 4
    baselines = [name for name in agents if name != "oracle"]
    best = max(baselines, key=lambda name: results[name]["ndcg@4"])
    assert dict(zip(levels["label"], levels["value"], strict=True)) == {
        "oracle": results["oracle"]["ndcg@4"],
        f"best baseline ({best})": results[best]["ndcg@4"]}

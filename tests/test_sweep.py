"""Sweeps: the sweep file, trial identity, settling trials, results, the page, a tiny Ray sweep.

Everything but the last test runs without Ray. The Ray test runs a real local sweep of
tiny trials (a randomly initialised BERT from tests/scorer_fixtures.py, a 200-item
synthetic catalog, 256 steps) in a short workspace, because Ray's socket paths must fit
in 107 bytes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ifr_sim.agents.experiments.sweep import (
    INTERRUPTED,
    NEVER_RAN,
    RAY_DIR_MAX,
    SweepError,
    check_ray_dir,
    finished_trial_keys,
    record_trial,
    run_sweep,
    settle_trial,
)
from ifr_sim.agents.experiments.sweep_results import (
    best_configuration,
    configuration_summary,
    summary_lines,
    sweep_ids,
    sweep_trials,
)
from ifr_sim.agents.experiments.sweep_spec import load_sweep, parse_sweep, trial_key
from ifr_sim.apps.cli import main
from ifr_sim.core.config import ConfigError, to_dict
from ifr_sim.core.run_store import RunStore
from ifr_sim.dashboards import data
from ifr_sim.dashboards.sweep_page import error_bars

pytest_plugins = ("scorer_fixtures",)

PAGE = "from ifr_sim.dashboards.sweep_page import sweep_page\nsweep_page()\n"
TIMEOUT_S = 30.0


def tiny_base(model_dir: Path | str) -> str:
    """The `[set]` table of a trial that trains in a few seconds on one CPU thread."""
    return f"""
[set]
eval_every = 128
eval_episodes = 8
scorer.model_path = "{model_dir}"
scorer.device = "cpu"
ppo.n_envs = 4
ppo.n_steps = 8
ppo.batch_size = 16
ppo.n_epochs = 2
world.num_candidates = 20
world.slate_size = 4
world.catalog.source = "synthetic"
world.catalog.size = 200
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# the sweep file


def test_a_grid_is_every_combination_times_every_seed(tmp_path: Path) -> None:
    path = write(tmp_path / "lr-kl.toml", """
preset = "quick"
total_steps = 512
seeds = [0, 1]
[set]
eval_every = 128
[grid]
ppo.learning_rate = [1e-3, 5e-3]
"ppo.kl_coef" = [0.0, 0.05]
""")
    spec = load_sweep(path)
    trials = spec.trials()
    assert spec.name == "lr-kl"  # the file's stem
    assert len(trials) == 8 and len({trial.key for trial in trials}) == 8
    first = trials[0]
    assert first.params == {"ppo.learning_rate": 1e-3, "ppo.kl_coef": 0.0} and first.seed == 0
    assert (first.config.total_steps, first.config.eval_every, first.config.seed) == (512, 128, 0)
    assert first.label == "ppo.kl_coef=0, ppo.learning_rate=0.001"
    assert {(t.config.ppo.learning_rate, t.config.ppo.kl_coef, t.seed) for t in trials} == {
        (lr, kl, seed) for lr in (1e-3, 5e-3) for kl in (0.0, 0.05) for seed in (0, 1)}
    # the same file resolves to the same trials: that is what a re-run skips by
    assert [t.key for t in load_sweep(path).trials()] == [t.key for t in trials]


def test_the_preset_can_be_searched_too() -> None:
    spec = parse_sweep({"grid": {"preset": ["quick", "standard"]}})
    assert [trial.config.ppo.n_envs for trial in spec.trials()] == [32, 64]


def test_a_random_search_is_drawn_from_its_sample_seed() -> None:
    def draw(sample_seed: int) -> list[dict[str, object]]:
        return parse_sweep({"random": {
            "num_samples": 6, "sample_seed": sample_seed,
            "ppo": {"learning_rate": {"loguniform": [1e-4, 1e-2]},
                    "kl_coef": {"uniform": [0.0, 0.1]},
                    "n_epochs": {"randint": [4, 11]}},
            "world": {"clicks": {"model": {"choice": ["cascade", "pbm"]}}},
        }}).configurations()

    configurations = draw(0)
    assert configurations == draw(0) and configurations != draw(1)
    assert len(configurations) == 6
    for params in configurations:
        assert 1e-4 <= params["ppo.learning_rate"] < 1e-2
        assert 0.0 <= params["ppo.kl_coef"] < 0.1
        assert params["ppo.n_epochs"] in range(4, 11)
        assert params["world.clicks.model"] in ("cascade", "pbm")


def test_the_example_sweep_file_is_valid() -> None:
    spec = load_sweep(Path(__file__).parents[1] / "examples" / "sweep.toml")
    assert len(spec.trials()) == 8 and spec.early_stopping is not None


@pytest.mark.parametrize(("text", "message"), [
    ("[grid]\nppo.kl_coeff = [0.1]", "unknown config key 'ppo.kl_coeff'; allowed keys here: "),
    ("[grid]\nppo.learning_rate = [-1.0]", "ppo.learning_rate=-1.0 is invalid: use > 0"),
    ("[grid]\nseed = [0, 1]", "list the seeds in the top-level `seeds = [0, 1]`"),
    ("[grid]\nppo.kl_coef = 0.1", "grid.ppo.kl_coef=0.1 is invalid: use a non-empty list"),
    ("[grid]\nppo.kl_coef = [0.1]\n[random]\nnum_samples = 2", "either [grid] or [random]"),
    ("[random]\nnum_samples = 2\nppo.kl_coef = {normal = [0, 1]}", "{loguniform = [low, high]}"),
    ("[random]\nppo.kl_coef = {uniform = [0, 1]}", "random.num_samples=None is invalid"),
    ("[random]\nnum_samples = 2\nppo.kl_coef = {loguniform = [0, 1]}", "use low > 0"),
    ("seeds = []", "seeds=[] is invalid: use a non-empty list of distinct whole numbers"),
    ("metric = 'eval/ndcg@11'", "metric='eval/ndcg@11' is invalid: use one of ['eval/reward'"),
    ("total_steps = 100\nlearning_rate = 0.1", "unknown key 'learning_rate'; allowed top-level"),
    ("name = 'a/b'", "name='a/b' is invalid"),
    ("[early_stopping]\nscheduler = 'hyperband'", "use one of ['asha', 'median']"),
])
def test_a_bad_sweep_file_is_one_clear_line(
    tmp_path: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError, match=r"sweep file .*bad\.toml: ") as error:
        load_sweep(path)
    assert message in str(error.value)
    assert main(["sweep", "--config", str(path), "--runs", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ifr-sim sweep: error: sweep file") and message in err
    assert err.count("\n") == 1


def test_a_trial_key_survives_the_run_store(tmp_path: Path) -> None:
    """The store's JSON copy of a config gives back the key of the config it came from."""
    spec = parse_sweep({"seeds": [3], "set": {"world": {"users": {"patience": [2.0, 6.0]}}}})
    (trial,) = spec.trials()
    store = RunStore(tmp_path)
    run_id = store.start_run("train", to_dict(trial.config), trial.seed, "s", None)
    assert trial_key(store.run(run_id).config) == trial.key
    assert finished_trial_keys(store, "s") == {}
    store.finish_run(run_id)
    assert finished_trial_keys(store, "s") == {trial.key: run_id}
    assert finished_trial_keys(store, "other") == {}


# settling trials after Tune


def test_settle_records_what_no_worker_could(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    sweep_run = store.start_run("sweep", {}, None, "s")
    stopped, crashed, done, dead, never, cut = parse_sweep(
        {"seeds": [0, 1, 2, 3, 4, 5]}).trials()

    def start(trial) -> str:
        return store.start_run("train", to_dict(trial.config), trial.seed, "s", sweep_run)

    for trial in (stopped, dead, cut):
        start(trial)  # still `running`: the worker never finished it
    store.finish_run(start(crashed), "failed", error="ModelLoadError: no model")
    store.finish_run(start(done))
    errors = {stopped.key: None, crashed.key: "ModelLoadError: no model", done.key: None,
              dead.key: "RayActorError: the actor died"}

    outcomes = {trial.seed: settle_trial(store, "s", sweep_run, trial, errors)
                for trial in (stopped, crashed, done, dead, never, cut)}
    assert {seed: (o.status, o.error) for seed, o in outcomes.items()} == {
        0: ("finished", None),  # ended by Tune without an error: stopped early
        1: ("failed", "ModelLoadError: no model"),  # recorded by its worker
        2: ("finished", None),
        3: ("failed", "RayActorError: the actor died"),
        4: ("failed", NEVER_RAN),  # a failed run is recorded for it
        5: ("failed", INTERRUPTED),
    }
    runs = store.runs(kind="train", parent_id=sweep_run)
    assert len(runs) == 6 and all(run.sweep_id == "s" for run in runs)
    assert not store.runs(kind="train", status="running")


def test_a_crashing_trial_is_recorded_failed_with_its_error(tmp_path: Path) -> None:
    text = tiny_base(tmp_path / "no-such-model")
    config = load_sweep(write(tmp_path / "crash.toml", text)).trials()[0].config
    store = RunStore(tmp_path)
    with pytest.raises(Exception, match="no-such-model"):
        record_trial(config, store, tmp_path / "run", "crash", "sweep-x")
    (run,) = store.runs(sweep_id="crash")
    assert (run.kind, run.status, run.parent_id) == ("train", "failed", "sweep-x")
    assert "ModelLoadError" in run.error and "no-such-model" in run.error


def test_a_ray_dir_too_long_for_unix_sockets_is_refused(tmp_path: Path) -> None:
    short = Path("/tmp/ifr-ray")
    assert check_ray_dir(short) == short
    deep = Path("/tmp/" + "d" * RAY_DIR_MAX)
    with pytest.raises(SweepError, match="--ray-dir of at most"):
        check_ray_dir(deep)
    spec = parse_sweep({"name": "s"})
    with pytest.raises(SweepError, match="Unix sockets"):
        run_sweep(spec, deep, echo=lambda line: None)
    assert not deep.exists()  # refused before anything was written


# the Tune side (Ray imported, nothing started)


def test_evaluations_are_reported_to_tune_and_rollouts_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sweep_tune = pytest.importorskip("ifr_sim.agents.experiments.sweep_tune")
    reports: list[dict[str, float]] = []
    monkeypatch.setattr(sweep_tune.tune, "report", reports.append)
    output = sweep_tune.TuneReportOutput()
    output.write({"rollout/ep_rew_mean": 1.0, "train/approx_kl": 0.01}, {}, step=64)
    output.write({"eval/ndcg@10": np.float64(0.25), "eval/ctr": 0.07, "eval/note": "text",
                  "time/env_steps": 128}, {}, step=128)
    assert reports == [{"eval/ndcg@10": 0.25, "eval/ctr": 0.07, "env_steps": 128}]


def test_early_stopping_picks_the_tune_scheduler() -> None:
    sweep_tune = pytest.importorskip("ifr_sim.agents.experiments.sweep_tune")
    base = {"total_steps": 8000, "set": {"eval_every": 2000}}
    spec = parse_sweep({**base, "early_stopping": {"scheduler": "asha"}})
    asha = sweep_tune.scheduler_for(spec, spec.trials())
    # rungs from the grace period (eval_every) up to total_steps, halving at each
    assert "Iter 8000.000: None | Iter 4000.000: None | Iter 2000.000: None" in (
        asha.debug_string())
    spec = parse_sweep({**base, "early_stopping": {"scheduler": "median", "grace_steps": 500}})
    assert "MedianStoppingRule" in sweep_tune.scheduler_for(spec, spec.trials()).debug_string()
    assert sweep_tune.scheduler_for(parse_sweep(base), []) is None


# results


@pytest.fixture
def results_store(tmp_path: Path) -> RunStore:
    """Sweep `s`: lr 0.001 (seeds 0, 1: 0.2, 0.3), lr 0.005 (0.4, and seed 1 stopped early
    at 0.05 after 128 of 256 steps), lr 0.01 (failed); and an unrelated sweep `t`."""
    store = RunStore(tmp_path)
    sweep_run = store.start_run("sweep", {"metric": "eval/ndcg@10", "mode": "max"}, None, "s")
    store.finish_run(sweep_run)
    store.finish_run(store.start_run("sweep", {}, None, "t"))
    base = {"total_steps": 256, "ppo": {"learning_rate": 0.001, "kl_coef": 0.02}}
    cases = [(0.001, 0, 0.2, 256, "finished"), (0.001, 1, 0.3, 256, "finished"),
             (0.005, 0, 0.4, 256, "finished"), (0.005, 1, 0.05, 128, "finished"),
             (0.01, 0, None, None, "failed")]
    for lr, seed, value, step, status in cases:
        config = {**base, "seed": seed, "ppo": {**base["ppo"], "learning_rate": lr}}
        run_id = store.start_run("train", config, seed, "s", sweep_run)
        if value is not None:
            store.log_metrics(run_id, 0, {"eval/ndcg@10": 0.15})
            store.log_metrics(run_id, step, {"eval/ndcg@10": value})
        store.finish_run(run_id, status, error="RuntimeError: boom" if status == "failed" else None)
    return store


def test_trials_are_one_row_each_labelled_by_what_varies(results_store: RunStore) -> None:
    trials = sweep_trials(results_store, "s")
    assert list(trials["configuration"]) == [
        "ppo.learning_rate=0.001", "ppo.learning_rate=0.001", "ppo.learning_rate=0.005",
        "ppo.learning_rate=0.005", "ppo.learning_rate=0.01"]
    assert list(trials["seed"]) == [0, 1, 0, 1, 0]
    assert list(trials["final"].fillna(-1)) == [0.2, 0.3, 0.4, 0.05, -1]
    assert list(trials["stopped_early"]) == [False, False, False, True, False]
    assert trials["error"].iloc[4] == "RuntimeError: boom"
    assert sweep_ids(results_store) == ["t", "s"]


def test_a_rerun_trial_is_represented_by_its_finished_run(results_store: RunStore) -> None:
    failed = sweep_trials(results_store, "s").iloc[4]
    config = results_store.run(failed["run"]).config
    again = results_store.start_run("train", config, 0, "s", None)
    results_store.log_metrics(again, 256, {"eval/ndcg@10": 0.5})
    results_store.finish_run(again)
    trials = sweep_trials(results_store, "s")
    assert len(trials) == 5 and trials.iloc[4]["run"] == again
    assert trials.iloc[4]["final"] == 0.5


def test_configurations_are_mean_and_ci_over_seeds_best_first(results_store: RunStore) -> None:
    summary = configuration_summary(sweep_trials(results_store, "s"))
    assert list(summary["configuration"]) == [
        "ppo.learning_rate=0.001", "ppo.learning_rate=0.005", "ppo.learning_rate=0.01"]
    first = summary.iloc[0]
    # mean of 0.2, 0.3 = 0.25; sample std 0.0707; 1.96 * 0.0707 / sqrt(2) = 0.098
    assert first["mean"] == pytest.approx(0.25) and first["ci95"] == pytest.approx(0.098, abs=1e-3)
    assert list(summary["seeds"]) == [2, 2, 0]
    assert list(summary["stopped_early"]) == [0, 1, 0] and list(summary["failed"]) == [0, 0, 1]
    best = best_configuration(summary)
    assert best is not None and best["configuration"] == "ppo.learning_rate=0.001"
    worst_first = configuration_summary(sweep_trials(results_store, "s"), mode="min")
    assert worst_first.iloc[0]["configuration"] == "ppo.learning_rate=0.005"
    lines = summary_lines(results_store, "s")
    assert lines[1].split() == ["ppo.learning_rate=0.001", "2", "0.2500", "±", "0.0980", "0",
                                "0"]
    assert lines[-1].startswith("best: ppo.learning_rate=0.001 (eval/ndcg@10 0.2500")
    assert error_bars(summary).round(3).to_dict("records")[0] == {
        "configuration": "ppo.learning_rate=0.001", "mean": 0.25, "low": 0.152, "high": 0.348}


# the page


def _page(monkeypatch: pytest.MonkeyPatch, workspace: Path | str) -> AppTest:
    monkeypatch.setenv(data.RUNS_ENV, str(workspace))
    return AppTest.from_string(PAGE, default_timeout=TIMEOUT_S).run()


def _texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def test_the_page_says_how_to_run_a_sweep(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    app = _page(monkeypatch, tmp_path / "empty")
    assert not app.exception
    assert "ifr-sim sweep --config SWEEP.toml" in _texts(app.info)


def test_the_page_shows_a_sweeps_trials_together(monkeypatch: pytest.MonkeyPatch,
                                                 results_store: RunStore) -> None:
    app = _page(monkeypatch, results_store.workspace)
    assert not app.exception
    assert app.sidebar.selectbox[0].options == ["t", "s"]
    app.sidebar.selectbox[0].set_value("s").run()
    assert not app.exception
    assert "Best configuration: **ppo.learning_rate=0.001**" in _texts(app.success)
    assert "0.2500 ± 0.0980 over 2 seed(s)" in _texts(app.success)
    assert "RuntimeError: boom" in _texts(app.error)
    assert [header.value for header in app.subheader] == ["Configurations", "Trials"]
    assert len(app.dataframe) == 2
    assert len(app.get("vega_lite_chart")) == 2  # the bars and the curves


# a real sweep on Ray


@pytest.fixture
def short_workspace() -> Iterator[Path]:
    """A workspace whose `ray/` folder keeps Ray's socket paths under 107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="ifr-sweep-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_a_tiny_ray_sweep_records_linked_runs_and_a_rerun_skips_them(
    tmp_path: Path, tiny_bert_dir: Path, short_workspace: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("ray.tune")
    second = shutil.copytree(tiny_bert_dir, tmp_path / "tiny-bert-b")
    missing = tmp_path / "no-such-model"
    head = 'name = "tiny"\npreset = "quick"\ntotal_steps = 256\nseeds = [0, 1]\n'
    head += tiny_base(tiny_bert_dir) + "[grid]\n"
    models = f'"{tiny_bert_dir}", "{second}"'
    sweep = write(tmp_path / "tiny.toml", head + f"scorer.model_path = [{models}]\n")
    with_crash = write(tmp_path / "tiny-crash.toml",
                       head + f'scorer.model_path = [{models}, "{missing}"]\n')
    argv = ["sweep", "--runs", str(short_workspace), "--max-concurrent", "2"]

    # 2 configurations x 2 seeds, and a third whose model does not exist
    assert main([*argv, "--config", str(with_crash)]) == 0
    out = capsys.readouterr().out
    assert "sweep tiny: 6 trials (3 configurations x 2 seeds); 0 already finished, 6 to run" in out
    store = RunStore(short_workspace)
    (sweep_run,) = store.runs(kind="sweep")
    assert sweep_run.status == "finished" and sweep_run.sweep_id == "tiny"
    finished = store.runs(kind="train", status="finished", sweep_id="tiny")
    failed = store.runs(kind="train", status="failed", sweep_id="tiny")
    assert len(finished) == 4 and len(failed) == 2
    assert all(run.parent_id == sweep_run.id for run in finished + failed)
    assert {run.seed for run in finished} == {0, 1}
    for run in failed:
        assert run.error.startswith("ModelLoadError: ") and str(missing) in run.error
    for run in finished:
        assert [step for step, _, _ in store.metrics(run.id, ["eval/ndcg@10"])][-1] >= 256
        assert run.checkpoint is not None and Path(run.checkpoint).is_dir()
    assert f"failed: scorer.model_path={missing} seed=0" in out
    assert "best: scorer.model_path=" in out
    assert (short_workspace / "ray").is_dir()  # Ray's temporary files stay in the workspace

    # the same sweep again: every trial already finished, so none runs (and Ray not started)
    assert main([*argv, "--config", str(sweep)]) == 0
    assert "4 already finished, 0 to run" in capsys.readouterr().out
    assert len(store.runs(kind="train", sweep_id="tiny")) == 6
    rerun = store.runs(kind="sweep")[0]
    assert {key: value for _, key, value in store.metrics(rerun.id)} == {
        "sweep/finished": 0.0, "sweep/failed": 0.0, "sweep/skipped": 4.0}

    app = _page(monkeypatch, short_workspace)
    assert not app.exception
    assert "Best configuration: **scorer.model_path=" in _texts(app.success)
    assert "over 2 seed(s)" in _texts(app.success)
    assert str(missing) in _texts(app.error)

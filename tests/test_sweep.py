"""Sweeps: the sweep file, trial identity, settling trials, results, the page, a tiny Ray sweep.

Everything but the last test runs without Ray. The Ray test runs a real local sweep of
tiny trials (a randomly initialised BERT from tests/scorer_fixtures.py, a 200-item
synthetic catalog, 256 steps) in a short workspace, because Ray's socket paths must fit
in 107 bytes.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from ifr_sim.agents.experiments.sweep import (
    RAY_DIR_MAX,
    RayOptions,
    SweepError,
    check_ray_dir,
    parse_resources,
    run_sweep,
    sweep_storage,
)
from ifr_sim.agents.experiments.sweep_record import (
    INTERRUPTED,
    NEVER_RAN,
    RETRIES_KEY,
    TrialCheckpoint,
    TrialCompleted,
    TrialFailed,
    TrialRecorder,
    TrialResult,
    TrialStarted,
    finished_trial_keys,
)
from ifr_sim.agents.experiments.sweep_results import (
    best_configuration,
    configuration_summary,
    summary_lines,
    sweep_ids,
    sweep_trials,
)
from ifr_sim.agents.experiments.sweep_spec import load_sweep, parse_sweep, trial_key
from ifr_sim.agents.training.checkpoint import read_checkpoint
from ifr_sim.apps.cli import main
from ifr_sim.core.config import ConfigError, to_dict
from ifr_sim.core.run_store import RunStore
from ifr_sim.dashboards import data
from ifr_sim.dashboards.sweep_page import error_bars

pytest_plugins = ("scorer_fixtures",)

PAGE = "from ifr_sim.dashboards.sweep_page import sweep_page\nsweep_page()\n"
TIMEOUT_S = 30.0


def tiny_base(model_dir: Path | str) -> str:
    """The `[set]` table of a trial that trains in a few seconds on one CPU thread.

    It evaluates every 64 steps, on 2 episodes: the tests count evaluations, not their figures.
    """
    return f"""
[set]
eval_every = 64
eval_episodes = 2
scorer.model_path = "{model_dir}"
scorer.device = "cpu"
ppo.n_envs = 4
ppo.n_steps = 8
ppo.batch_size = 16
ppo.n_epochs = 2
world.num_candidates = 20
world.slate_size = 10
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
    ("metric = 'eval/ndcg@10'\n[set]\nworld.slate_size = 4", "(with slates of 4)"),
    ("metric = 'ndcg@10'", "use a held-out evaluation metric, e.g. 'eval/ndcg@10'"),
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


# the driver's record of Tune's events


def test_the_recorder_writes_each_trial_as_tune_reports_it(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    sweep_run = store.start_run("sweep", {}, None, "s")
    done, stopped, crashed, dead, _never, cut = trials = parse_sweep(
        {"total_steps": 256, "seeds": [0, 1, 2, 3, 4, 5]}).trials()
    lines: list[str] = []
    recorder = TrialRecorder(store, "s", sweep_run, trials, "eval/ndcg@10", lines.append)
    evaluation = {"step": 0, "ndcg@10": 0.25, "ndcg@10_ci95": 0.01}
    for trial in (done, stopped, crashed, dead, cut):
        recorder.record(TrialStarted(trial.key))
        recorder.record(TrialResult(trial.key, 0, {"eval/ndcg@10": 0.25}, [evaluation]))
    recorder.record(TrialResult(done.key, 128, {"rollout/ep_rew_mean": 1.5}))
    recorder.record(TrialCheckpoint(done.key, "/storage/trial/checkpoint_000001"))
    recorder.record(TrialResult(done.key, 256, {"eval/ndcg@10": 0.5}))
    recorder.record(TrialCompleted(done.key))
    recorder.record(TrialCompleted(stopped.key))  # Tune ended it at step 0: stopped early
    recorder.record(TrialFailed(crashed.key, "ModelLoadError: no model"))
    recorder.record(TrialFailed(dead.key, "ActorDiedError: its node has died"))
    recorder.record(TrialStarted("not-a-trial-of-this-run"))  # ignored

    outcomes = {o.trial.seed: (o.status, o.error) for o in recorder.outcomes()}
    assert outcomes == {
        0: ("finished", None),
        1: ("finished", None),
        2: ("failed", "ModelLoadError: no model"),
        3: ("failed", "ActorDiedError: its node has died"),
        4: ("failed", NEVER_RAN),  # a failed run is recorded for it
        5: ("failed", INTERRUPTED),  # still running when Tune returned
    }
    runs = {run.seed: run for run in store.runs(kind="train", parent_id=sweep_run)}
    assert len(runs) == 6 and all(run.sweep_id == "s" for run in runs.values())
    assert not store.runs(kind="train", status="running")
    assert store.metrics(runs[0].id) == [(0, "eval/ndcg@10", 0.25), (256, "eval/ndcg@10", 0.5),
                                         (128, "rollout/ep_rew_mean", 1.5)]
    assert store.evaluations(runs[0].id) == [(0, {"ndcg@10": 0.25, "ndcg@10_ci95": 0.01})]
    assert runs[0].checkpoint == "/storage/trial/checkpoint_000001"
    assert lines[5:] == [
        "finished base config seed=0: eval/ndcg@10 0.5000 at step 256",
        "finished base config seed=1: eval/ndcg@10 0.2500 at step 0 (stopped early)",
        "failed   base config seed=2: ModelLoadError: no model",
        "failed   base config seed=3: ActorDiedError: its node has died",
    ]


def test_a_retried_trial_continues_its_run_from_the_checkpoint(tmp_path: Path) -> None:
    """What the failed attempt logged after its checkpoint is replaced by the retry's."""
    store = RunStore(tmp_path)
    sweep_run = store.start_run("sweep", {}, None, "s")
    (trial,) = trials = parse_sweep({"total_steps": 256}).trials()
    lines: list[str] = []
    recorder = TrialRecorder(store, "s", sweep_run, trials, "eval/ndcg@10", lines.append)
    recorder.record(TrialStarted(trial.key))
    for step, value in ((0, 0.1), (128, 0.2), (192, 0.3)):
        recorder.record(TrialResult(trial.key, step, {"eval/ndcg@10": value},
                                    [{"step": step, "ndcg@10": value}]))
        if step == 128:
            recorder.record(TrialCheckpoint(trial.key, "/storage/checkpoint_000001"))
    recorder.record(TrialFailed(trial.key, "ActorDiedError: its node has died", retrying=True))
    (run,) = store.runs(kind="train")
    assert (run.status, run.error) == ("failed", "ActorDiedError: its node has died")

    recorder.record(TrialStarted(trial.key, resumed_from=128))
    assert store.run(run.id).status == "running"
    recorder.record(TrialResult(trial.key, 192, {"eval/ndcg@10": 0.35}))
    recorder.record(TrialResult(trial.key, 256, {"eval/ndcg@10": 0.4}))
    recorder.record(TrialCompleted(trial.key))

    (outcome,) = recorder.outcomes()
    assert (outcome.run_id, outcome.status) == (run.id, "finished")
    assert store.metrics(run.id) == [(0, "eval/ndcg@10", 0.1), (128, "eval/ndcg@10", 0.2),
                                     (192, "eval/ndcg@10", 0.35), (256, "eval/ndcg@10", 0.4),
                                     (128, RETRIES_KEY, 1.0)]
    assert [step for step, _ in store.evaluations(run.id)] == [0, 128]
    assert lines[1:3] == [
        "failed   base config seed=0: ActorDiedError: its node has died; retrying",
        "resumed  base config seed=0 from step 128",
    ]


def test_a_rerun_continues_the_unfinished_run_of_a_restored_trial(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    (trial,) = trials = parse_sweep({"total_steps": 256}).trials()
    first = store.start_run("sweep", {}, None, "s")
    earlier = TrialRecorder(store, "s", first, trials, "eval/ndcg@10", lambda line: None)
    earlier.record(TrialStarted(trial.key))
    earlier.record(TrialResult(trial.key, 128, {"eval/ndcg@10": 0.2}))
    assert [o.error for o in earlier.outcomes()] == [INTERRUPTED]

    second = store.start_run("sweep", {}, None, "s")
    recorder = TrialRecorder(store, "s", second, trials, "eval/ndcg@10", lambda line: None)
    recorder.record(TrialStarted(trial.key, resumed_from=128))
    recorder.record(TrialResult(trial.key, 256, {"eval/ndcg@10": 0.4}))
    recorder.record(TrialCompleted(trial.key))
    (run,) = store.runs(kind="train")  # the same run, continued
    assert run.status == "finished" and run.parent_id == first
    assert [step for step, _, _ in store.metrics(run.id)] == [128, 256]


def test_a_trial_key_survives_the_run_store_and_finished_ones_are_skipped(
    tmp_path: Path,
) -> None:
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


@pytest.mark.parametrize(("text", "resources"), [
    ("cpu=1", {"cpu": 1.0}),
    ("slot=1", {"cpu": 1.0, "slot": 1.0}),  # one CPU unless told otherwise
    ("cpu=0.5, gpu=1,node:big=0.01", {"cpu": 0.5, "gpu": 1.0, "node:big": 0.01}),
])
def test_trial_resources_are_names_and_amounts(text: str, resources: dict[str, float]) -> None:
    assert parse_resources(text) == resources


@pytest.mark.parametrize("text", ["cpu", "cpu=-1", "cpu=one", "=1", "cpu=1,cpu=2", "cpu=nan"])
def test_bad_trial_resources_say_how_to_write_them(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SweepError, match="--trial-resources"):
        parse_resources(text)
    config = write(tmp_path / "s.toml", "total_steps = 8\n")
    argv = ["sweep", "--config", str(config), "--runs", str(tmp_path), "--trial-resources", text]
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("ifr-sim sweep: error: --trial-resources")
    assert not (tmp_path / "runs.sqlite").exists()  # refused before anything was recorded


def test_tune_storage_is_the_workspace_or_the_given_path_or_uri(tmp_path: Path) -> None:
    assert sweep_storage(None, tmp_path, "s") == str(tmp_path / "sweeps" / "s")
    assert sweep_storage("s3://bucket/ifr/", tmp_path, "s") == "s3://bucket/ifr/s"
    assert sweep_storage("shared", tmp_path, "s") == str(Path("shared").resolve() / "s")


def test_bad_counts_are_refused_before_anything_runs(tmp_path: Path) -> None:
    spec = parse_sweep({"name": "s"})
    with pytest.raises(SweepError, match="--max-failures=-1 is invalid: use 0 or more"):
        run_sweep(spec, tmp_path, RayOptions(max_failures=-1))
    with pytest.raises(SweepError, match="--max-concurrent=0 is invalid: use 1 or more"):
        run_sweep(spec, tmp_path, RayOptions(max_concurrent=0))
    assert not (tmp_path / "runs.sqlite").exists()


# the Tune side (Ray imported, nothing started)


@dataclass
class FakeTune:
    """Tune as a trial sees it: its trial folder, a checkpoint to resume, `tune.report`.

    Each reported checkpoint is copied to `storage`, as Tune persists it.
    """

    trial_dir: Path
    storage: Path
    restore: Path | None = None
    reports: list[dict[str, Any]] = field(default_factory=list)
    saved: int = 0

    def install(self, monkeypatch: pytest.MonkeyPatch, module: Any) -> None:
        context = SimpleNamespace(get_trial_dir=lambda: str(self.trial_dir))
        monkeypatch.setattr(module.tune, "get_context", lambda: context)
        monkeypatch.setattr(module.tune, "get_checkpoint", lambda: None if self.restore is None
                            else module.tune.Checkpoint.from_directory(str(self.restore)))
        monkeypatch.setattr(module.tune, "report", self.report)

    def report(self, metrics: dict[str, Any], *, checkpoint: Any = None) -> None:
        entry = dict(metrics)
        if checkpoint is not None:
            copy = self.storage / f"checkpoint_{self.saved:06d}"
            shutil.copytree(checkpoint.path, copy)
            self.saved += 1
            entry["checkpoint"] = copy
        self.reports.append(entry)


def test_a_trial_reports_each_boundary_once_and_a_retry_resumes_exactly(
    tmp_path: Path, tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tune hears each step once, with the checkpoint and evaluations saved there; a trial
    started again from a reported checkpoint reports only what comes after it, and the
    same final values as the trial that was never stopped."""
    sweep_trial = pytest.importorskip("ifr_sim.agents.experiments.sweep_trial")
    text = "total_steps = 96\n" + tiny_base(tiny_bert_dir)
    (trial,) = load_sweep(write(tmp_path / "t.toml", text)).trials()
    configs = {trial.key: to_dict(trial.config)}
    tune_config = {"trial": {"key": trial.key}}
    fake = FakeTune(tmp_path / "trial", tmp_path / "storage")
    fake.install(monkeypatch, sweep_trial)

    sweep_trial.run_trial(tune_config, configs)
    reports = fake.reports
    # rollouts of 4 users x 8 turns; evaluations at 0, 64 and the end (96)
    assert [report["env_steps"] for report in reports] == [0, 32, 64, 96]
    assert ["eval/ndcg@10" in report for report in reports] == [True, False, True, True]
    assert all(any(key.startswith("train/") for key in report) for report in reports[1:])
    assert [report.get("checkpoint") is not None for report in reports] == [True, False,
                                                                            True, True]
    for report in (reports[0], reports[2], reports[3]):
        (evaluation,) = json.loads(report["evaluations"])
        assert evaluation["step"] == report["env_steps"]
        assert evaluation["ndcg@10"] == report["eval/ndcg@10"]
        state = json.loads((report["checkpoint"] / "state.json").read_text())
        assert state["step"] == report["env_steps"]
    assert not (tmp_path / "trial" / "run" / "checkpoint").exists()  # the scratch copy

    # started again from the checkpoint reported at step 64
    fake.restore, fake.reports = reports[2]["checkpoint"], []
    sweep_trial.run_trial(tune_config, configs)
    (again,) = fake.reports
    assert again["env_steps"] == 96 and [e["step"] for e in json.loads(again["evaluations"])] == [
        96]
    def values(report: dict[str, Any]) -> dict[str, Any]:  # clocks and paths differ
        return {k: v for k, v in report.items() if k != "checkpoint" and not (
            k.startswith("time/") and k != "time/env_steps")}

    assert values(again) == values(reports[3])

    # a trial finished in an earlier run of the sweep ends at once
    fake.reports = []
    sweep_trial.run_trial({"trial": {"key": "finished-earlier"}}, configs)
    assert fake.reports == []


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
    head = 'name = "tiny"\npreset = "quick"\ntotal_steps = 128\nseeds = [0, 1]\n'
    head += tiny_base(tiny_bert_dir) + "[grid]\n"
    models = f'"{tiny_bert_dir}", "{second}"'
    sweep = write(tmp_path / "tiny.toml", head + f"scorer.model_path = [{models}]\n")
    with_crash = write(tmp_path / "tiny-crash.toml",
                       head + f'scorer.model_path = [{models}, "{missing}"]\n')
    argv = ["sweep", "--runs", str(short_workspace), "--max-concurrent", "2"]

    # 2 configurations x 2 seeds, and a third whose model does not exist (tried twice)
    assert main([*argv, "--config", str(with_crash), "--max-failures", "1"]) == 0
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
        assert store.metrics(run.id) == [(0, "sweep/retries", 1.0)]  # failed, retried, failed
    storage = short_workspace / "sweeps" / "tiny"
    for run in finished:
        curve = store.metrics(run.id, ["eval/ndcg@10"])
        assert [step for step, _, _ in curve] == [0, 64, 128]
        assert [step for step, _ in store.evaluations(run.id)] == [0, 64, 128]
        checkpoint = Path(run.checkpoint)  # the newest one, in Tune's storage
        assert checkpoint.is_relative_to(storage) and checkpoint.name.startswith("checkpoint_")
        assert read_checkpoint(checkpoint).state.finished  # a whole trainer checkpoint
    retried = f"failed   scorer.model_path={missing} seed=0: ModelLoadError: "
    assert out.count(retried) == 2 and f"{retried}" in out and "; retrying\n" in out
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

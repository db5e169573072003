"""The run store: API round trip, failed runs, concurrent readers, and what each command records."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from ifr_sim.agents.evaluation.online import METRICS
from ifr_sim.apps.cli import RUNS_ENV, main
from ifr_sim.core.run_store import RunStore, UnknownRunError

pytest_plugins = ("scorer_fixtures",)


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "ws")


def test_round_trip(store: RunStore) -> None:
    run_id = store.start_run("train", {"ppo": {"kl_coef": 0.1}}, seed=3)
    assert run_id.startswith("train-") and len(run_id.split("-")[-1]) == 6
    store.log_metrics(run_id, 0, {"rollout/reward": 1.0, "train/loss": 0.5})
    store.log_metrics(run_id, 8, {"rollout/reward": 2.0})
    store.log_episodes(run_id, [{"episode": 0, "turns": []}, {"episode": 1, "turns": [1]}])
    store.log_evaluation(run_id, 8, {"reward": 2.5, "reward_ci95": float("nan")})
    assert store.run(run_id).status == "running"
    store.finish_run(run_id, checkpoint=Path("runs/train/checkpoint"))

    run = store.run(run_id)
    assert (run.kind, run.status, run.seed, run.error) == ("train", "finished", 3, None)
    assert run.config == {"ppo": {"kl_coef": 0.1}} and run.ended_at is not None
    assert run.checkpoint == "runs/train/checkpoint"
    assert store.metrics(run_id) == [
        (0, "rollout/reward", 1.0), (8, "rollout/reward", 2.0), (0, "train/loss", 0.5)]
    assert store.metrics(run_id, keys=["train/loss"]) == [(0, "train/loss", 0.5)]
    assert [e["episode"] for e in store.episodes(run_id)] == [0, 1]
    [(step, result)] = store.evaluations(run_id)
    assert step == 8 and result["reward"] == 2.5
    assert [r.id for r in store.runs(kind="train", status="finished")] == [run_id]
    assert store.runs(kind="simulate") == [] and store.runs(status="running") == []


def test_a_second_store_on_the_same_workspace_sees_the_runs(store: RunStore) -> None:
    run_id = store.start_run("simulate", {}, seed=None)
    assert RunStore(store.workspace).run(run_id).seed is None
    assert store.path.name == "runs.sqlite"


def test_nan_values_are_skipped(store: RunStore) -> None:
    run_id = store.start_run("evaluate", {}, seed=0)
    store.log_metrics(run_id, 0, {"eval/coverage": 0.4, "eval/oracle_share": float("nan")})
    assert store.metrics(run_id) == [(0, "eval/coverage", 0.4)]


def test_a_failing_body_marks_the_run_failed_and_keeps_what_it_wrote(store: RunStore) -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        store.recording("train", {"total_steps": 8}, seed=1) as run_id,
    ):
        store.log_metrics(run_id, 4, {"train/loss": 0.25})
        raise RuntimeError("boom")
    run = store.run(run_id)
    assert run.status == "failed" and run.error == "RuntimeError: boom"
    assert run.ended_at is not None
    assert store.metrics(run_id) == [(4, "train/loss", 0.25)]


def test_delete_removes_the_run_and_everything_logged_for_it(store: RunStore) -> None:
    keep = store.start_run("simulate", {}, seed=0)
    gone = store.start_run("simulate", {}, seed=1)
    for run_id in (keep, gone):
        store.log_metrics(run_id, 0, {"rollout/reward": 1.0})
        store.log_episodes(run_id, [{"episode": 0}])
        store.log_evaluation(run_id, 0, {"reward": 1.0})
    store.delete_run(gone)
    assert [r.id for r in store.runs()] == [keep]
    assert store.metrics(gone) == [] and store.episodes(gone) == []
    assert store.evaluations(gone) == [] and len(store.metrics(keep)) == 1
    with pytest.raises(KeyError, match="ifr-sim runs list"):
        store.delete_run(gone)


def test_unknown_run_says_how_to_find_the_ids(store: RunStore) -> None:
    with pytest.raises(UnknownRunError) as caught:
        store.run("train-nope")
    assert str(caught.value).startswith("no run 'train-nope'")
    assert "`ifr-sim runs list --runs" in str(caught.value)
    with pytest.raises(ValueError, match="choose one of"):
        store.start_run("tune", {}, seed=0)


_WRITER = """
import sys, time
from pathlib import Path
from ifr_sim.core.run_store import RunStore

store = RunStore(Path(sys.argv[1]))
run_id = store.start_run("train", {}, seed=0)
print(run_id, flush=True)
step, end = 0, time.monotonic() + 1.5
while time.monotonic() < end:
    store.log_metrics(run_id, step, {"train/loss": 1 / (step + 1), "rollout/reward": step})
    step += 1
store.finish_run(run_id)
print(step, flush=True)
"""


def test_a_reader_in_this_process_follows_a_writer_process(store: RunStore) -> None:
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(store.workspace)],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    run_id = writer.stdout.readline().strip()
    counts, statuses = [], set()
    while writer.poll() is None:
        counts.append(len(store.metrics(run_id)))
        statuses.add(store.run(run_id).status)
        time.sleep(0.02)
    steps = int(writer.stdout.read().strip())
    assert writer.returncode == 0
    assert counts == sorted(counts) and len(set(counts)) > 3  # it grew while we read
    assert "running" in statuses and store.run(run_id).status == "finished"
    assert len(store.metrics(run_id)) == 2 * steps  # whole transactions only: no half steps
    assert all(count % 2 == 0 for count in counts)


def test_simulate_records_episodes_and_rollout_metrics(tmp_path: Path) -> None:
    runs = tmp_path / "ws"
    code = main(["simulate", "--episodes", "3", "--seed", "2", "--runs", str(runs),
                 "--output", str(tmp_path / "e.jsonl")])
    assert code == 0
    [run] = RunStore(runs).runs()
    assert (run.kind, run.status, run.seed) == ("simulate", "finished", 2)
    assert run.config["policy"] == "random" and "world" in run.config
    store = RunStore(runs)
    assert {key for _, key, _ in store.metrics(run.id)} == {
        "rollout/reward", "rollout/ctr", "rollout/session_length"}
    assert len(store.episodes(run.id)) == 3


def test_evaluate_records_the_result_and_eval_metrics(tmp_path: Path) -> None:
    runs = tmp_path / "ws"
    assert main(["evaluate", "--agent", "popularity", "--episodes", "10",
                 "--runs", str(runs)]) == 0
    store = RunStore(runs)
    [run] = store.runs(kind="evaluate")
    assert run.status == "finished" and run.config["agent"] == "popularity"
    keys = {key for step, key, _ in store.metrics(run.id) if step == 0}
    assert {"eval/reward", "eval/ctr", "eval/ndcg@10"} <= keys <= {f"eval/{m}" for m in METRICS}
    [(step, result)] = store.evaluations(run.id)
    assert step == 0 and result["agent"] == "popularity" and "ndcg@10_ci95" in result


def test_runs_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    runs = tmp_path / "ws"
    monkeypatch.setenv(RUNS_ENV, str(runs))  # the default of --runs
    store = RunStore(runs)
    with store.recording("train", {"total_steps": 8}, seed=0) as run_id:
        store.log_metrics(run_id, 4, {"train/loss": 0.5})
        store.log_metrics(run_id, 8, {"train/loss": 0.25})
    store.finish_run(run_id, checkpoint=tmp_path / "checkpoint")
    other = store.start_run("simulate", {}, seed=0)

    assert main(["runs", "list"]) == 0
    out = capsys.readouterr().out
    assert run_id in out and other in out
    assert main(["runs", "list", "--kind", "train", "--status", "finished"]) == 0
    out = capsys.readouterr().out
    assert run_id in out and other not in out

    assert main(["runs", "show", run_id]) == 0
    out = capsys.readouterr().out
    assert "finished" in out and '"total_steps": 8' in out
    assert "train/loss" in out and "0.25" in out and "(step 8)" in out

    assert main(["runs", "delete", run_id, "--runs", str(runs)]) == 0
    assert "checkpoint files are never deleted" in capsys.readouterr().out
    assert [r.id for r in store.runs()] == [other]
    assert main(["runs", "show", run_id]) == 2
    err = capsys.readouterr().err
    assert "no run" in err and "ifr-sim runs list" in err and "Traceback" not in err


def test_train_records_logger_values_evaluations_and_checkpoint(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    runs = tmp_path / "ws"
    overrides = {"scorer.model_path": tiny_bert_dir, "ppo.n_envs": 4, "ppo.n_steps": 8,
                 "ppo.batch_size": 16, "ppo.n_epochs": 1, "eval_every": 10_000,
                 "eval_episodes": 8, "world.num_candidates": 20, "world.slate_size": 4}
    sets = [arg for key, value in overrides.items() for arg in ("--set", f"{key}={value}")]
    code = main(["train", "--total-steps", "32", "--run-dir", str(tmp_path / "run"),
                 "--no-progress", "--runs", str(runs), *sets])
    assert code == 0
    store = RunStore(runs)
    [run] = store.runs(kind="train")
    assert run.status == "finished" and run.checkpoint == str(tmp_path / "run" / "checkpoint")
    assert run.config["total_steps"] == 32
    keys = {key for _, key, _ in store.metrics(run.id)}
    assert {"train/loss", "train/kl_ref", "eval/reward", "eval/ndcg@4"} <= keys  # slates of 4
    assert "time/total_timesteps" in keys and (tmp_path / "run" / "progress.csv").exists()
    # the first evaluation runs on the first env step (4 envs), the last after training
    assert [step for step, _ in store.evaluations(run.id)] == [0, 32]


def test_listing_a_missing_workspace_creates_nothing(tmp_path: Path, capsys) -> None:
    from ifr_sim.apps.cli import main

    missing = tmp_path / "nowhere"
    assert main(["runs", "list", "--runs", str(missing)]) == 0
    assert "no runs" in capsys.readouterr().out
    assert not missing.exists()

"""Resuming training: exact continuation, the run store and log outputs, the CLI's rules.

The end-to-end versions, with real processes killed by SIGKILL and stopped by SIGINT,
are in test_run_store_crash.py and marked slow; these run in one process.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import numpy as np
import pytest
from run_records import curves, progress
from stable_baselines3.common.callbacks import BaseCallback

from ifr_sim.agents.training.checkpoint import TrainingState, read_checkpoint, save_checkpoint
from ifr_sim.agents.training.interrupt import stop_on_interrupt
from ifr_sim.agents.training.log_outputs import TensorBoardOutput, progress_csv
from ifr_sim.agents.training.recorded_training import interruption, resume_recorded, train_recorded
from ifr_sim.agents.training.run_lock import RunDirectoryBusyError, locked_run_directory
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.agents.training.trainer import TrainingInterrupted, build_ppo, train
from ifr_sim.apps.cli import main
from ifr_sim.core.config import ConfigError, with_overrides
from ifr_sim.core.run_store import RunStore

pytest_plugins = ("scorer_fixtures", "training_fixtures")


@pytest.fixture(scope="module")
def config(tiny_training: TrainConfig) -> TrainConfig:
    """16 steps per rollout; checkpoints at 0, 32, 48 (evaluation), 64, 96 (the end)."""
    return with_overrides(
        tiny_training, {"total_steps": 96, "eval_every": 48, "checkpoint_every": 32})


class Crash(BaseCallback):
    """Dies like a killed process would, minus the cleanup: an exception mid-rollout."""

    def __init__(self, at_step: int) -> None:
        super().__init__()
        self.at_step = at_step

    def _on_step(self) -> bool:
        if self.num_timesteps >= self.at_step:
            raise RuntimeError("crash")
        return True


def test_a_crashed_run_resumes_to_exactly_the_uninterrupted_run(
    config: TrainConfig, tmp_path: Path
) -> None:
    store = RunStore(tmp_path / "ws")
    whole, whole_id = train_recorded(config, tmp_path / "whole", store)

    crashed_id = store.start_run("train", {}, config.seed)
    with pytest.raises(RuntimeError, match="crash"):
        train(config, tmp_path / "crashed", store=store, run_id=crashed_id,
              callbacks=[Crash(at_step=84)])
    assert read_checkpoint(tmp_path / "crashed" / "checkpoint").state.step == 64
    assert max(step for step, _, _ in store.metrics(crashed_id)) == 80  # logged past it
    resumed, resumed_id = resume_recorded(tmp_path / "crashed", store)

    assert resumed_id == crashed_id and resumed["resumed_from"] == 64
    assert store.run(crashed_id).status == "finished"
    np.testing.assert_equal(resumed["history"], whole["history"])  # NaN-aware
    assert [point["step"] for point in whole["history"]] == [0, 48, 96]
    for name in ("policy.safetensors", "optimizer.pt"):
        assert (tmp_path / "whole" / "checkpoint" / name).read_bytes() == (
            tmp_path / "crashed" / "checkpoint" / name).read_bytes()
    assert curves(store, crashed_id) == curves(store, whole_id)  # no duplicate, no gap
    np.testing.assert_equal(store.evaluations(crashed_id), store.evaluations(whole_id))
    assert progress(tmp_path / "crashed" / "progress.csv") == progress(
        tmp_path / "whole" / "progress.csv")


def test_resume_run_reopens_and_forgets_what_came_after_the_checkpoint(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run_id = store.start_run("train", {"total_steps": 10}, 0)
    for step in (0, 4, 8):
        store.log_metrics(run_id, step, {"rollout/ep_rew_mean": step / 10})
        store.log_evaluation(run_id, step, {"reward": step})
    store.finish_run(run_id, "failed", error="interrupted")
    store.resume_run(run_id, 4, {"total_steps": 20})
    run = store.run(run_id)
    assert (run.status, run.ended_at, run.error, run.config) == (
        "running", None, None, {"total_steps": 20})
    assert [step for step, _, _ in store.metrics(run_id)] == [0, 4]
    assert [step for step, _ in store.evaluations(run_id)] == [0, 4]
    with pytest.raises(KeyError, match="no run 'nope'"):
        store.resume_run("nope", 0)


def test_progress_csv_keeps_the_rows_up_to_the_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "progress.csv"
    first = progress_csv(path)
    for step in range(4):
        first.write({"a": step}, {"a": ("",)}, step)
    first.write({"a": 4, "b": 1.5}, {"a": ("",), "b": ("",)}, 4)  # a new column, rewritten
    first.close()
    again = progress_csv(path, keep_rows=2)
    again.write({"a": 9, "b": 2.5}, {"a": ("",), "b": ("",)}, 9)
    again.close()
    assert path.read_text().splitlines() == ["a,b", "0,", "1,", "9,2.5"]


def test_tensorboard_mirror_hides_steps_a_killed_run_wrote_past_its_checkpoint(
    tmp_path: Path,
) -> None:
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    killed = TensorBoardOutput(tmp_path, purge_step=0)
    for step in range(6):
        killed.write({"eval/ctr": float(step)}, {"eval/ctr": ("",)}, step)
    killed.close()
    resumed = TensorBoardOutput(tmp_path, purge_step=3)  # checkpoint at step 2
    for step in range(3, 5):
        resumed.write({"eval/ctr": 10.0 + step}, {"eval/ctr": ("",)}, step)
    resumed.close()
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    assert [(e.step, e.value) for e in events.Scalars("eval/ctr")] == [
        (0, 0.0), (1, 1.0), (2, 2.0), (3, 13.0), (4, 14.0)]


def test_tensorboard_without_the_package_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "torch.utils.tensorboard", None)
    with pytest.raises(ConfigError, match=r"needs the tensorboard package: pip install"):
        TensorBoardOutput(tmp_path / "tb" / "run", purge_step=0)


def test_training_mirrors_every_value_to_tensorboard(
    config: TrainConfig, tmp_path: Path
) -> None:
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    mirrored = with_overrides(config, {"total_steps": 32,
                                       "tensorboard_log": str(tmp_path / "tb")})
    train(mirrored, tmp_path / "run")
    events = EventAccumulator(str(tmp_path / "tb" / "run"))  # a run without id: RUN_DIR's name
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"rollout/ep_rew_mean", "train/approx_kl", "train/kl_ref", "eval/ndcg@4"} <= tags
    assert [e.step for e in events.Scalars("eval/ndcg@4")] == [0, 32]  # slates of 4


@pytest.mark.parametrize("flag", [["--preset", "standard"], ["--seed", "0"],
                                  ["--set", "ppo.kl_coef=0"], ["--run-dir", "x"]])
def test_resume_refuses_flags_that_would_change_the_run(
    flag: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--resume", str(tmp_path), *flag]) == 2
    err = capsys.readouterr().err
    assert f"drop {flag[0]}" in err and "only --total-steps may change" in err


def test_resume_without_a_checkpoint_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--resume", str(tmp_path), "--runs", str(tmp_path / "ws")]) == 2
    assert "nothing to resume" in capsys.readouterr().err


def unfinished(config: TrainConfig, run_dir: Path) -> None:
    """A checkpoint at step 32 of the config's run, as a killed process leaves it."""
    policy = build_ppo(config).policy
    state = TrainingState(
        step=32, updates=2, next_eval=48, next_checkpoint=64, finished=False, history=[],
        episodes=[], progress_rows=0, run_id=None, reference_sha256="",
        oracle_reward=None)
    save_checkpoint(run_dir / "checkpoint", config, policy, state)


def test_cli_guards_an_unfinished_run(
    config: TrainConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir, runs = tmp_path / "run", str(tmp_path / "ws")
    unfinished(config, run_dir)
    assert main(["train", "--run-dir", str(run_dir), "--runs", runs]) == 2
    err = capsys.readouterr().err
    assert "holds an unfinished run (checkpoint at step 32 of 96)" in err
    assert f"ifr-sim train --resume {run_dir}" in err
    assert main(["train", "--resume", str(run_dir / "checkpoint"), "--runs", runs]) == 2
    assert f"takes the run directory that holds it, {run_dir}" in capsys.readouterr().err
    assert main(["train", "--resume", str(run_dir), "--total-steps", "16", "--runs", runs]) == 2
    assert "below the 32 steps this run has trained" in capsys.readouterr().err


def test_a_second_process_cannot_train_in_a_locked_run_directory(tmp_path: Path) -> None:
    errors: list[Exception] = []

    def other() -> None:
        try:
            with locked_run_directory(tmp_path):
                pass
        except RunDirectoryBusyError as error:
            errors.append(error)

    with locked_run_directory(tmp_path), locked_run_directory(tmp_path):  # nests in a thread
        worker = threading.Thread(target=other)  # another open file: excluded like a process
        worker.start()
        worker.join()
    assert len(errors) == 1 and f"pid {os.getpid()}" in str(errors[0])
    with locked_run_directory(tmp_path):  # released
        pass


def test_first_ctrl_c_asks_to_stop_the_second_interrupts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = signal.getsignal(signal.SIGINT)
    with stop_on_interrupt() as stop:
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.requested
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert "Ctrl-C: stopping to save a checkpoint" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is before


def test_an_interruption_says_what_is_left_to_resume(config: TrainConfig, tmp_path: Path) -> None:
    assert interruption(KeyboardInterrupt(), tmp_path) == (
        "interrupted before the first checkpoint: nothing to resume, train again")
    unfinished(config, tmp_path)
    assert interruption(KeyboardInterrupt(), tmp_path) == (
        "interrupted before a checkpoint could be saved: resume from the last one with "
        f"`ifr-sim train --resume {tmp_path}`")
    assert interruption(TrainingInterrupted(1_024, tmp_path), tmp_path) == (
        f"interrupted at step 1,024, checkpoint saved: resume with "
        f"`ifr-sim train --resume {tmp_path}`")

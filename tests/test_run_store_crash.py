"""Real processes dying mid-run: the run store and training runs must survive them.

- A writer SIGKILLed inside a write transaction while another process reads: readers
  never see the uncommitted rows, and afterwards the store opens, holds every committed
  row and takes writes (SQLite's WAL rolls the dead transaction back).
- `ifr-sim train` SIGKILLed twice at different moments and resumed (the second time from
  a deliberately corrupted checkpoint, so from the previous one): the result equals an
  uninterrupted run with the same seed, bit for bit, because the trainer restarts all
  randomness at every checkpoint from (seed, step) (see `ifr_sim.agents.training.trainer`).
- `ifr-sim train` stopped with SIGINT (Ctrl-C) or SIGTERM: exit code 130 after saving a
  checkpoint, the run marked as interrupted with the command that resumes it.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest
from run_records import curves, progress

from ifr_sim.core.run_store import RunStore

pytest_plugins = ("scorer_fixtures",)

T = TypeVar("T")

WRITER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
db.execute("PRAGMA cache_size=-256")  # a small page cache: uncommitted pages spill to the WAL
db.execute("BEGIN IMMEDIATE")
rows = ((sys.argv[2], 100 + i, "rollout/ep_rew_mean", float(i)) for i in range(200_000))
db.executemany("INSERT INTO metrics (run_id, step, key, value) VALUES (?, ?, ?, ?)", rows)
print("inside the transaction", flush=True)
sys.stdin.read()  # hold it open until killed
"""


def test_a_writer_killed_mid_transaction_loses_only_its_transaction(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run_id = store.start_run("train", {"total_steps": 10}, 0)
    for step in range(10):
        store.log_metrics(run_id, step, {"rollout/ep_rew_mean": float(step)})
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(store.path), run_id],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "inside the transaction"
    assert (tmp_path / "runs.sqlite-wal").stat().st_size > 1_000_000  # dirty pages on disk

    seen: list[int] = []
    failures: list[BaseException] = []
    killed = threading.Event()

    def dashboard() -> None:  # reads all along, as the dashboard's live refresh does
        while not killed.is_set() or len(seen) < 20:
            try:
                seen.append(len(RunStore(tmp_path).metrics(run_id)))
            except BaseException as error:  # any failure fails the test
                failures.append(error)
                return

    reader = threading.Thread(target=dashboard)
    reader.start()
    time.sleep(0.2)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    killed.set()
    reader.join()

    assert not failures and seen and set(seen) == {10}
    after = RunStore(tmp_path)
    assert [step for step, _, _ in after.metrics(run_id)] == list(range(10))
    after.log_metrics(run_id, 10, {"rollout/ep_rew_mean": 10.0})  # the lock is free again
    after.finish_run(run_id)
    assert after.run(run_id).status == "finished" and len(after.metrics(run_id)) == 11
    with sqlite3.connect(after.path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def tiny_config(tiny_bert_dir: Path, path: Path) -> Path:
    """192 steps, 16 per rollout; checkpoints every 32, evaluations at 0, 96 and 192."""
    path.write_text(
        f'total_steps = 192\neval_every = 96\neval_episodes = 4\ncheckpoint_every = 32\n'
        f'seed = 3\n[scorer]\nmodel_path = "{tiny_bert_dir}"\n'
        f"[ppo]\nn_envs = 4\nn_steps = 4\nbatch_size = 16\nn_epochs = 1\n"
        f'[world]\nnum_candidates = 20\nslate_size = 4\n[world.catalog]\nsource = "synthetic"\n'
        f"size = 200\n"
    )
    return path


class Training:
    """`ifr-sim train ARGS` in its own process, its output in files."""

    def __init__(self, tmp_path: Path, name: str, *args: str) -> None:
        self.err_path = tmp_path / f"{name}.err"
        self._err: IO[str] = open(self.err_path, "w", encoding="utf-8")  # noqa: SIM115
        # One torch thread: the tiny model gains nothing from more, and every process of
        # the comparison must run the same arithmetic.
        env = {**os.environ, "OMP_NUM_THREADS": "1", "IFR_SIM_CACHE_DIR": "off"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ifr_sim.apps.cli", "train", "--no-progress", *args],
            stdout=subprocess.DEVNULL, stderr=self._err, env=env,
        )

    def wait_for(self, what: str, condition: Callable[[], T | None], timeout: float = 240) -> T:
        """Poll `condition` every 20 ms until it returns a value (not None)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value is not None:
                return value
            if self.process.poll() is not None:
                raise AssertionError(f"exited ({self.process.returncode}) before {what}:\n"
                                     f"{self.stderr()[-3000:]}")
            time.sleep(0.02)
        raise AssertionError(f"no {what} after {timeout} s:\n{self.stderr()[-3000:]}")

    def end(self, timeout: float = 240) -> int:
        code = self.process.wait(timeout)
        self._err.close()
        return code

    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8")


def checkpoint_state(run_dir: Path) -> dict[str, Any] | None:
    """The newest checkpoint's state.json, or None while there is none (or mid-rename)."""
    try:
        return json.loads((run_dir / "checkpoint" / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def logged_past(store: RunStore, state: dict[str, Any] | None) -> dict[str, Any] | None:
    """`state` once the store holds metrics of its run logged after its step."""
    if state is None or state["step"] < 64:
        return None
    steps = [step for step, _, _ in store.metrics(state["run_id"])]
    return state if steps and max(steps) > state["step"] else None


@pytest.mark.slow
def test_training_killed_twice_resumes_to_the_uninterrupted_result(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    config = str(tiny_config(tiny_bert_dir, tmp_path / "train.toml"))
    runs = str(tmp_path / "ws")
    store = RunStore(tmp_path / "ws")
    whole_dir, run_dir = tmp_path / "whole", tmp_path / "killed"
    mirror = importlib.util.find_spec("tensorboard") is not None  # an optional extra
    common = ["--config", config, "--runs", runs,
              *(["--tensorboard", str(tmp_path / "tb")] if mirror else [])]
    whole = Training(tmp_path, "whole", *common, "--run-dir", str(whole_dir))

    first = Training(tmp_path, "first", *common, "--run-dir", str(run_dir))
    at = first.wait_for("progress past a checkpoint",
                        lambda: logged_past(store, checkpoint_state(run_dir)))
    first.process.send_signal(signal.SIGKILL)  # mid-rollout, with steps logged past `at`
    assert first.end() == -signal.SIGKILL
    run_id = at["run_id"]
    assert store.run(run_id).status == "running"  # nobody could say otherwise

    resumed_at = checkpoint_state(run_dir)
    assert resumed_at is not None
    second = Training(tmp_path, "second", "--resume", str(run_dir), "--runs", runs)
    second.wait_for("a checkpoint of the resumed run", lambda: (
        state if (state := checkpoint_state(run_dir)) and state["step"] > resumed_at["step"]
        else None))
    second.process.send_signal(signal.SIGKILL)  # right after a checkpoint
    assert second.end() == -signal.SIGKILL

    optimizer = run_dir / "checkpoint" / "optimizer.pt"
    damaged = bytearray(optimizer.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    optimizer.write_bytes(bytes(damaged))
    third = Training(tmp_path, "third", "--resume", str(run_dir), "--runs", runs)
    assert third.end() == 0, third.stderr()[-3000:]
    assert "optimizer.pt is corrupt" in third.stderr()
    assert "using the previous checkpoint" in third.stderr()
    assert whole.end() == 0, whole.stderr()[-3000:]

    [whole_id] = [run.id for run in store.runs() if run.id != run_id]
    assert [store.run(i).status for i in (run_id, whole_id)] == ["finished", "finished"]
    rows = curves(store, run_id)
    assert len({(key, step) for step, key, _ in rows}) == len(rows)  # no duplicates
    assert rows == curves(store, whole_id)  # no gaps, and the same values
    evaluations = store.evaluations(run_id)
    assert [step for step, _ in evaluations] == [0, 96, 192]
    assert json.dumps(evaluations) == json.dumps(store.evaluations(whole_id))  # NaN-aware
    assert progress(run_dir / "progress.csv") == progress(whole_dir / "progress.csv")
    for name in ("policy.safetensors", "optimizer.pt"):
        assert (run_dir / "checkpoint" / name).read_bytes() == (
            whole_dir / "checkpoint" / name).read_bytes()

    if not mirror:
        return
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def scalars(folder: str) -> list[tuple[int, float]]:
        events = EventAccumulator(str(tmp_path / "tb" / folder))
        events.Reload()
        return [(e.step, e.value) for e in events.Scalars("train/approx_kl")]

    # one value per update, at the step it ran, none twice
    assert [step for step, _ in scalars(run_id)] == list(range(16, 193, 16))
    assert scalars(run_id) == scalars(whole_id)


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_ctrl_c_saves_a_checkpoint_and_the_run_resumes(
    tiny_bert_dir: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    config = str(tiny_config(tiny_bert_dir, tmp_path / "train.toml"))
    runs, run_dir = str(tmp_path / "ws"), tmp_path / "run"
    store = RunStore(tmp_path / "ws")
    first = Training(tmp_path, "first", "--config", config, "--runs", runs,
                     "--run-dir", str(run_dir))
    first.wait_for("a checkpoint after step 0", lambda: (
        state if (state := checkpoint_state(run_dir)) and state["step"] >= 32 else None))
    first.process.send_signal(stop)
    assert first.end(timeout=60) == 130
    saved = checkpoint_state(run_dir)
    assert saved is not None and not saved["finished"]
    message = (f"interrupted at step {saved['step']:,}, checkpoint saved: resume with "
               f"`ifr-sim train --resume {run_dir}`")
    assert f"ifr-sim train: {message}" in first.stderr()
    run = store.run(saved["run_id"])
    assert (run.status, run.error) == ("failed", message)

    second = Training(tmp_path, "second", "--resume", str(run_dir), "--runs", runs)
    assert second.end() == 0, second.stderr()[-3000:]
    assert store.run(run.id).status == "finished"
    with open(run_dir / "progress.csv", encoding="utf-8") as handle:
        steps = [int(row["time/total_timesteps"]) for row in csv.DictReader(handle)
                 if row["time/total_timesteps"]]
    assert steps == list(range(16, 193, 16))  # every rollout once, across the stop
    rows = curves(store, run.id)
    assert len({(key, step) for step, key, _ in rows}) == len(rows)
    assert [step for step, _ in store.evaluations(run.id)] == [0, 96, 192]

"""Stopping a slow `ifr-sim train` within seconds, and the record of a run that is live.

`ifr-sim train` runs in its own process with a deliberately slow policy (one second per
forward pass, from its first update on), so that a rollout or an evaluation takes far
longer than the time allowed to stop:

- SIGTERM in a rollout exits 130 within seconds with the checkpoint of the rollout's
  start; SIGTERM in an evaluation, with the checkpoint of the step before it, and the
  resumed run makes that evaluation and logs every step's values once.
- `ifr-sim runs delete` of that run, from another process, is refused while it trains;
  after it stopped, the record can be deleted, and each command that then cannot go on
  says which one can (`--resume ... --as-new-run`), which does.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import pytest

from ifr_sim.agents.training.interrupt import StopNow, stop_on_interrupt, terminate_as_interrupt
from ifr_sim.core.run_store import RunStore

pytest_plugins = ("scorer_fixtures",)

SLOW_TRAIN = '''
"""`ifr-sim train ARGS` whose policy takes a second per forward pass after the first
update: in rollouts (`rollout`) or in evaluations (`evaluation`)."""
import sys
import time

from stable_baselines3 import PPO

from ifr_sim.agents.policy.policy_agent import PolicyAgent
from ifr_sim.agents.policy.scorer_policy import ScorerPolicy
from ifr_sim.apps.cli import main

armed = False
update = PPO.train


def update_then_arm(self):
    global armed
    update(self)
    armed = True


def slow(method, what):
    def slowed(*args, **kwargs):
        if armed:
            print(f"slow {what} step", file=sys.stderr, flush=True)
            time.sleep(1.0)
        return method(*args, **kwargs)
    return slowed


PPO.train = update_then_arm
if sys.argv[1] == "rollout":
    ScorerPolicy.forward = slow(ScorerPolicy.forward, "rollout")
else:
    PolicyAgent.act = slow(PolicyAgent.act, "evaluation")
sys.exit(main(["train", "--no-progress", *sys.argv[2:]]))
'''

STOP_WITHIN_S = 10.0
"""The stopped rollout or evaluation would take 30 s or more to finish."""

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "IFR_SIM_CACHE_DIR": "off"}


def write_config(path: Path, model: Path, n_steps: int, **values: int) -> None:
    """A tiny training config: 2 users, a 200-item shop, the tiny model."""
    path.write_text(
        "".join(f"{key} = {value}\n" for key, value in values.items())
        + f'seed = 1\n[scorer]\nmodel_path = "{model}"\n[ppo]\nn_envs = 2\n'
        f"n_steps = {n_steps}\nbatch_size = 16\nn_epochs = 1\nclick_loss_epochs = 1\n"
        '[world]\nnum_candidates = 20\nslate_size = 4\n[world.catalog]\nsource = "synthetic"\n'
        "size = 200\n"
    )


class SlowTraining:
    """The slow `ifr-sim train` in its own process, its stderr in a file."""

    def __init__(self, tmp_path: Path, slow: str, *args: str) -> None:
        script = tmp_path / "slow_train.py"
        script.write_text(SLOW_TRAIN)
        self.err_path = tmp_path / f"{slow}.err"
        self._err: IO[str] = open(self.err_path, "w", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen([sys.executable, str(script), slow, *args], cwd=tmp_path,
                                        env=ENV, stdout=subprocess.DEVNULL, stderr=self._err)

    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8")

    def wait_for(self, text: str, count: int = 1, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while self.stderr().count(text) < count:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} (exit {self.process.returncode}):\n"
                                     f"{self.stderr()[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> tuple[int, float]:
        """SIGTERM; the exit status and the seconds it took to exit."""
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=120)
        self._err.close()
        return code, time.monotonic() - start


def ifr_sim(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ifr_sim.apps.cli", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=600)


def saved_state(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "checkpoint" / "state.json").read_text(encoding="utf-8"))


def values_in(progress: Path, key: str) -> int:
    """How many rows of progress.csv hold a value of `key`."""
    with open(progress, encoding="utf-8") as handle:
        return sum(bool(row.get(key)) for row in csv.DictReader(handle))


def test_a_stop_in_an_abortable_block_raises_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    with stop_on_interrupt() as stop:
        with pytest.raises(StopNow), stop.abortable():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(30)  # an evaluation that would go on
        assert stop.requested
        with pytest.raises(StopNow), stop.abortable():  # a stop already asked: at once
            pass
    assert "SIGTERM: stopping to save a checkpoint" in capsys.readouterr().err


def test_sigterm_before_training_starts_is_an_interrupt() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), terminate_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)  # loading a model
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.slow
def test_sigterm_in_a_slow_rollout_and_a_live_run_that_cannot_be_deleted(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    # 64 steps per rollout, no checkpoint or evaluation between the start and the end:
    # the second rollout (a minute, slowed) starts at step 64 with nothing saved there.
    write_config(tmp_path / "train.toml", tiny_bert_dir, n_steps=32, total_steps=128,
                 eval_every=1000, checkpoint_every=1000, eval_episodes=2)
    training = SlowTraining(tmp_path, "rollout", "--config", "train.toml", "--run-dir", "run",
                            "--runs", "ws")
    training.wait_for("slow rollout step", count=2)
    store = RunStore(tmp_path / "ws")
    [run] = store.runs()
    assert (run.status, run.directory) == ("running", str((tmp_path / "run").resolve()))

    refused = ifr_sim(tmp_path, "runs", "delete", run.id, "--runs", "ws")
    assert refused.returncode == 2, refused.stderr
    assert (f"run {run.id} is still training in {run.directory} (pid "
            f"{training.process.pid}); deleting its record would end it: stop it first"
            in refused.stderr)
    assert store.run(run.id).status == "running"  # still there, still training

    code, seconds = training.stop()
    assert code == 130, training.stderr()[-3000:]
    assert seconds < STOP_WITHIN_S, f"took {seconds:.1f} s to stop"
    state = saved_state(tmp_path / "run")
    assert (state["step"], state["finished"]) == (64, False)  # the rollout's start
    message = ("interrupted at step 64, checkpoint saved: resume with "
               "`ifr-sim train --resume run`")
    assert f"ifr-sim train: {message}" in training.stderr()
    assert (store.run(run.id).status, store.run(run.id).error) == ("failed", message)

    deleted = ifr_sim(tmp_path, "runs", "delete", run.id, "--runs", "ws")
    assert deleted.returncode == 0, deleted.stderr
    resumed = ifr_sim(tmp_path, "train", "--resume", "run", "--runs", "ws", "--no-progress")
    assert resumed.returncode == 2
    assert (f"run belongs to run {run.id}, which is not in ws/runs.sqlite (deleted from it, "
            "or recorded in another workspace): pass the --runs DIR it was recorded in, or "
            "add --as-new-run" in resumed.stderr)
    again = ifr_sim(tmp_path, "train", "--config", "train.toml", "--run-dir", "run",
                    "--runs", "ws", "--no-progress")
    assert again.returncode == 2
    assert ("run holds an unfinished run (checkpoint at step 64 of 128): continue it with "
            "`ifr-sim train --resume run --as-new-run --runs ws`" in again.stderr)

    new = ifr_sim(tmp_path, "train", "--resume", "run", "--as-new-run", "--runs", "ws",
                  "--no-progress")
    assert new.returncode == 0, new.stderr[-3000:]
    assert "resumed at step 64" in new.stdout
    [continued] = store.runs()
    assert continued.id != run.id and continued.status == "finished"
    assert continued.directory == run.directory
    assert saved_state(tmp_path / "run")["run_id"] == continued.id
    assert [step for step, _ in store.evaluations(continued.id)] == [128]


@pytest.mark.slow
def test_sigterm_in_a_slow_evaluation_saves_the_step_before_it(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    # 16 steps per rollout; evaluations at 0, 16, 32, 48, 64: the one at 16 is slowed.
    write_config(tmp_path / "train.toml", tiny_bert_dir, n_steps=8, total_steps=64,
                 eval_every=16, checkpoint_every=1000, eval_episodes=24)
    training = SlowTraining(tmp_path, "evaluation", "--config", "train.toml", "--run-dir",
                            "run", "--runs", "ws")
    training.wait_for("slow evaluation step", count=2)
    code, seconds = training.stop()
    assert code == 130, training.stderr()[-3000:]
    assert seconds < STOP_WITHIN_S, f"took {seconds:.1f} s to stop"
    state = saved_state(tmp_path / "run")
    assert (state["step"], state["next_eval"], state["finished"]) == (16, 16, False)
    assert [entry["step"] for entry in state["history"]] == [0]
    assert "interrupted at step 16, checkpoint saved" in training.stderr()

    resumed = ifr_sim(tmp_path, "train", "--resume", "run", "--runs", "ws", "--no-progress")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    store = RunStore(tmp_path / "ws")
    [run] = store.runs()
    assert run.status == "finished"
    assert [step for step, _ in store.evaluations(run.id)] == [0, 16, 32, 48, 64]
    curves = store.metrics(run.id, ["train/approx_kl", "eval/reward"])
    assert [(key, step) for step, key, _ in curves] == (
        [("eval/reward", step) for step in (0, 16, 32, 48, 64)]
        + [("train/approx_kl", step) for step in (16, 32, 48, 64)])
    progress = tmp_path / "run" / "progress.csv"  # each update's and evaluation's values once
    assert (values_in(progress, "train/approx_kl"), values_in(progress, "eval/reward")) == (4, 5)

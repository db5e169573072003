"""`ifr-sim runs delete` of a run whose process is still writing it.

Every run records the process that writes it (`host:pid`). Deleting the record of a run
that is still `running` in a live process on this machine would lose what that process has
yet to write (its next write finds no run), so it is refused with how to proceed; once
the process is gone, or with `--force`, the record goes.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

from ifr_sim.core.run_store import RunStore

HOLD_A_RUN = """
import sys
from pathlib import Path
from ifr_sim.core.run_store import RunStore
run_id = RunStore(Path("ws")).start_run("evaluate", {"episodes": 1000}, seed=0)
print(run_id, flush=True)
sys.stdin.read()  # until the test closes stdin or kills this process
"""


def ifr_sim(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ifr_sim.apps.cli", *args, "--runs", "ws"],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def hold_a_run(cwd: Path) -> tuple[subprocess.Popen[str], str]:
    """A process that starts an `evaluate` run and stays alive; and the run's id."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_A_RUN], cwd=cwd, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout is not None
    return holder, holder.stdout.readline().strip()


def test_a_run_still_written_by_a_live_process_is_not_deleted(tmp_path: Path) -> None:
    holder, run_id = hold_a_run(tmp_path)
    try:
        refused = ifr_sim(tmp_path, "runs", "delete", run_id)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert (f"run {run_id} (evaluate) is still running in process {holder.pid} on this "
                f"machine; deleting its record now would lose what it has yet to write: let "
                f"it finish, or stop it (`kill {holder.pid}`), then delete the run"
                in refused.stderr)
        assert RunStore(tmp_path / "ws").run(run_id).status == "running"
    finally:
        holder.kill()
        holder.wait()
    deleted = ifr_sim(tmp_path, "runs", "delete", run_id)
    assert deleted.returncode == 0, deleted.stderr
    assert RunStore(tmp_path / "ws").runs() == []


def test_force_deletes_a_run_whose_process_looks_alive(tmp_path: Path) -> None:
    holder, run_id = hold_a_run(tmp_path)
    try:
        forced = ifr_sim(tmp_path, "runs", "delete", run_id, "--force")
        assert forced.returncode == 0, forced.stderr
        assert RunStore(tmp_path / "ws").runs() == []
    finally:
        holder.kill()
        holder.wait()


def test_a_run_records_its_process_and_knows_whether_it_is_alive(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run = store.run(store.start_run("simulate", {}, seed=0))
    assert run.process == f"{socket.gethostname()}:{os.getpid()}"
    assert run.live_pid() == os.getpid()
    assert dataclasses.replace(run, status="finished").live_pid() is None
    assert dataclasses.replace(run, process=f"elsewhere:{os.getpid()}").live_pid() is None
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = f"{socket.gethostname()}:{gone.stdout.strip()}"
    assert dataclasses.replace(run, process=dead).live_pid() is None


def test_a_store_from_before_gets_the_process_column(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        db.execute("CREATE TABLE runs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT "
                   "NOT NULL, config TEXT NOT NULL, seed INTEGER, started_at TEXT NOT NULL, "
                   "ended_at TEXT, error TEXT, checkpoint TEXT, parent_id TEXT, sweep_id TEXT)")
        db.execute("INSERT INTO runs (id, kind, status, config, started_at) VALUES "
                   "('evaluate-old', 'evaluate', 'running', '{}', '2026-01-01T00:00:00')")
    db.close()
    old = RunStore(tmp_path).run("evaluate-old")
    assert (old.directory, old.process, old.live_pid()) == (None, None, None)

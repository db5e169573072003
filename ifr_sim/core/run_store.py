"""The run store: every simulate, evaluate and train run, its metrics, episodes and results.

One embedded SQLite database, `<workspace>/runs.sqlite`, in WAL mode: a writer (a training
run) commits each call in its own short transaction while any number of readers in other
processes (the dashboard, `ifr-sim runs show`) read the last committed state without
blocking it or being blocked. Each call opens its own connection, so a `RunStore` is safe
to share between threads and to rebuild in another process from the same workspace.

Metric keys follow the project's namespaced schema: `rollout/…`, `train/…`, `eval/…`.

Example:
    >>> import tempfile
    >>> store = RunStore(Path(tempfile.mkdtemp()))
    >>> with store.recording("simulate", {"episodes": 2}, seed=0) as run_id:
    ...     store.log_metrics(run_id, 0, {"rollout/reward": 1.5})
    >>> store.run(run_id).status, store.metrics(run_id)
    ('finished', [(0, 'rollout/reward', 1.5)])
"""

from __future__ import annotations

import json
import math
import os
import secrets
import socket
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ifr_sim.core.plain_json import plain

DATABASE = "runs.sqlite"
KINDS = ("simulate", "train", "evaluate", "sweep", "fidelity")
STATUSES = ("running", "finished", "failed")
BUSY_TIMEOUT_S = 30.0
"""How long a call waits for another process's write lock before it gives up."""
_RUN_COLUMNS = ("id, kind, status, config, seed, started_at, ended_at, error, checkpoint, "
                "parent_id, sweep_id, directory, process")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    seed INTEGER,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    error TEXT,
    checkpoint TEXT,
    parent_id TEXT,
    sweep_id TEXT,
    directory TEXT,
    process TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_sweep ON runs (sweep_id);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    key TEXT NOT NULL,
    value REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_run_key_step ON metrics (run_id, key, step);
CREATE TABLE IF NOT EXISTS episodes (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    episode INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS episodes_by_run ON episodes (run_id, episode);
CREATE TABLE IF NOT EXISTS evaluations (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    results TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS evaluations_by_run ON evaluations (run_id, step);
"""


class RunStoreError(ValueError):
    """The run store's database or workspace cannot be used; the message says what to do."""


class UnknownRunError(KeyError):
    """A run id that is not in the store; the message says how to find the ids."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


@dataclass(frozen=True)
class RunRecord:
    """One row of the `runs` table, with its config parsed back."""

    id: str
    kind: str
    status: str
    config: dict[str, Any]
    seed: int | None
    started_at: str
    ended_at: str | None
    error: str | None
    checkpoint: str | None
    parent_id: str | None
    sweep_id: str | None
    directory: str | None = None
    """Where the run keeps its files (a training run's RUN_DIR), once it has said so."""
    process: str | None = None
    """`host:pid` of the process that started the run (None in stores from before)."""

    def live_pid(self) -> int | None:
        """The pid of the process recording this run if it is still `running` on this
        host and that process is alive, else None.

        A pid can be reused once its process is gone, so a live pid is strong evidence,
        not proof, that the run is still being written.
        """
        if self.status != "running" or not self.process:
            return None
        host, _, pid_text = self.process.rpartition(":")
        if host != socket.gethostname() or not pid_text.isdigit():
            return None
        pid = int(pid_text)
        try:
            os.kill(pid, 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return None
        except PermissionError:  # exists, owned by another user
            return pid
        return pid


class RunStore:
    """The runs of one workspace directory (created on first use)."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = Path(workspace)
        self.path = self.workspace / DATABASE
        try:
            self.workspace.mkdir(parents=True, exist_ok=True)
        except OSError as error:  # a file in the way, no permission, ...
            raise RunStoreError(
                f"cannot use {self.workspace} as the run store workspace "
                f"({error.strerror or error}): pass --runs DIR (or set $IFR_SIM_RUNS to) a "
                f"directory you can write; its {DATABASE} holds the runs"
            ) from None
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")  # persistent: stored in the file
            db.executescript(_SCHEMA)
            for column in ("directory", "process"):
                _add_column(db, column)

    @contextmanager
    def _connect(self, run_id: str | None = None) -> Iterator[sqlite3.Connection]:
        """A fresh connection whose `with` body is one transaction (commit or roll back).

        SQLite's errors become a `RunStoreError` that says what to do, and a row that
        refers to a missing run (`run_id`, deleted meanwhile) an `UnknownRunError`.
        """
        try:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        except sqlite3.Error as error:
            raise self._unusable(error) from None
        try:
            db.execute("PRAGMA synchronous=NORMAL")  # safe in WAL mode; no fsync per commit
            db.execute("PRAGMA foreign_keys=ON")
            with db:
                yield db
        except sqlite3.IntegrityError as error:
            if run_id is not None and "FOREIGN KEY" in str(error):
                raise self._unknown(run_id) from None
            raise self._unusable(error) from None
        except sqlite3.DatabaseError as error:  # not a database, damaged, locked, read-only
            raise self._unusable(error) from None
        finally:
            db.close()

    def start_run(
        self,
        kind: str,
        config: Mapping[str, Any],
        seed: int | None,
        sweep_id: str | None = None,
        parent_id: str | None = None,
    ) -> str:
        """Record a new `running` run and return its id, `<kind>-<YYYYmmdd-HHMMSS>-<6 hex>`.

        A sweep's trials carry the sweep's name as `sweep_id` (the same across re-runs of
        the sweep) and the id of the `sweep` run that started them as `parent_id`.
        """
        if kind not in KINDS:
            raise ValueError(f"run kind {kind!r} is invalid: choose one of {', '.join(KINDS)}")
        now = datetime.now(timezone.utc)
        run_id = f"{kind}-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        with self._connect() as db:
            db.execute(
                "INSERT INTO runs (id, kind, status, config, seed, started_at, sweep_id, "
                "parent_id, process) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (run_id, kind, _to_json(config), seed, _timestamp(now), sweep_id, parent_id,
                 _this_process()),
            )
        return run_id

    def log_metrics(self, run_id: str, step: int, values: Mapping[str, float]) -> None:
        """Record `values` at `step` in one transaction; NaN values are skipped."""
        rows = [
            (run_id, int(step), key, float(value))
            for key, value in values.items()
            if not math.isnan(float(value))
        ]
        with self._connect(run_id) as db:
            db.executemany(
                "INSERT INTO metrics (run_id, step, key, value) VALUES (?, ?, ?, ?)", rows
            )

    def log_episodes(self, run_id: str, episodes: Sequence[Mapping[str, Any]]) -> None:
        """Record episodes, numbered by their `episode` field or else by position."""
        rows = [
            (run_id, int(data.get("episode", number)), _to_json(data))
            for number, data in enumerate(episodes)
        ]
        with self._connect(run_id) as db:
            db.executemany("INSERT INTO episodes (run_id, episode, data) VALUES (?, ?, ?)", rows)

    def log_evaluation(self, run_id: str, step: int, result: Mapping[str, Any]) -> None:
        """Record one evaluation result (all its keys, CIs included) at `step`."""
        with self._connect(run_id) as db:
            db.execute(
                "INSERT INTO evaluations (run_id, step, results) VALUES (?, ?, ?)",
                (run_id, int(step), _to_json(result)),
            )

    def log_result(
        self, run_id: str, step: int, result: Mapping[str, Any], metrics: Sequence[str]
    ) -> None:
        """Record an evaluation `result` and `eval/<metric>` of each of `metrics` at `step`.

        How an `evaluate` run records its agent's result, so that the dashboard can draw
        it as a level next to the training curves of the same world.
        """
        self.log_evaluation(run_id, step, result)
        self.log_metrics(run_id, step, {f"eval/{name}": result[name] for name in metrics})

    def finish_run(
        self,
        run_id: str,
        status: str = "finished",
        error: str | None = None,
        checkpoint: str | Path | None = None,
    ) -> None:
        """Mark a run finished or failed; a checkpoint recorded earlier is kept if none given."""
        if status not in ("finished", "failed"):
            raise ValueError(f"status {status!r} is invalid: use 'finished' or 'failed'")
        with self._connect() as db:
            updated = db.execute(
                "UPDATE runs SET status = ?, ended_at = ?, error = ?, "
                "checkpoint = COALESCE(?, checkpoint) WHERE id = ?",
                (status, _timestamp(datetime.now(timezone.utc)), error,
                 None if checkpoint is None else str(checkpoint), run_id),
            ).rowcount
        if not updated:
            raise self._unknown(run_id)

    def set_checkpoint(self, run_id: str, checkpoint: str | Path) -> None:
        """Record where the run's checkpoint is (while it is still running)."""
        self._set(run_id, "checkpoint", str(checkpoint))

    def set_directory(self, run_id: str, directory: str | Path) -> None:
        """Record the directory the run keeps its files in (a training run's RUN_DIR).

        What tells `ifr-sim runs delete` where to look for a process still training it.
        """
        self._set(run_id, "directory", str(directory))

    def _set(self, run_id: str, column: str, value: str) -> None:
        with self._connect() as db:
            updated = db.execute(
                f"UPDATE runs SET {column} = ? WHERE id = ?", (value, run_id)
            ).rowcount
        if not updated:
            raise self._unknown(run_id)

    def resume_run(
        self, run_id: str, step: int, config: Mapping[str, Any] | None = None
    ) -> None:
        """Reopen a run to continue it from its checkpoint at `step`, in one transaction.

        The run is `running` again (end time and error cleared; its config replaced if
        given; this process recorded as the one writing it), and what it logged after
        `step` is deleted: the process that logged it died before its next checkpoint, and
        the resumed run logs those steps again, so the curves get neither gaps nor
        duplicates.
        """
        with self._connect() as db:
            updated = db.execute(
                "UPDATE runs SET status = 'running', ended_at = NULL, error = NULL, "
                "config = COALESCE(?, config), process = ? WHERE id = ?",
                (None if config is None else _to_json(config), _this_process(), run_id),
            ).rowcount
            if not updated:
                raise self._unknown(run_id)
            for table in ("metrics", "evaluations"):
                db.execute(f"DELETE FROM {table} WHERE run_id = ? AND step > ?", (run_id, step))

    @contextmanager
    def recording(
        self,
        kind: str,
        config: Mapping[str, Any],
        seed: int | None,
        sweep_id: str | None = None,
        parent_id: str | None = None,
    ) -> Iterator[str]:
        """Start a run and yield its id; `failed` with the error if the body raises.

        What the body logged before the error stays in the store; the error is re-raised.
        """
        run_id = self.start_run(kind, config, seed, sweep_id, parent_id)
        try:
            yield run_id
        except BaseException as error:  # KeyboardInterrupt too: the run did not finish
            self.finish_run(run_id, "failed", error=f"{type(error).__name__}: {error}")
            raise
        self.finish_run(run_id)

    def runs(
        self,
        kind: str | None = None,
        status: str | None = None,
        sweep_id: str | None = None,
        parent_id: str | None = None,
    ) -> list[RunRecord]:
        """Every run, newest first, optionally only of one kind, status, sweep and/or parent."""
        filters = {"kind": kind, "status": status, "sweep_id": sweep_id, "parent_id": parent_id}
        wanted = {column: value for column, value in filters.items() if value is not None}
        where = " AND ".join(f"{column} = ?" for column in wanted) or "1 = 1"
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE {where} "
                "ORDER BY started_at DESC, rowid DESC",
                list(wanted.values()),
            ).fetchall()
        return [_record(row) for row in rows]

    def run(self, run_id: str) -> RunRecord:
        """The run with this id; `UnknownRunError` (a `KeyError`) if there is none."""
        with self._connect() as db:
            row = db.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise self._unknown(run_id)
        return _record(row)

    def metrics(
        self, run_id: str, keys: Sequence[str] | None = None
    ) -> list[tuple[int, str, float]]:
        """`(step, key, value)` rows of a run, by key then step; only `keys` if given."""
        query, params = "SELECT step, key, value FROM metrics WHERE run_id = ?", [run_id]
        if keys is not None:
            query += f" AND key IN ({', '.join('?' * len(keys))})"
            params += list(keys)
        with self._connect() as db:
            return db.execute(query + " ORDER BY key, step, rowid", params).fetchall()

    def episodes(self, run_id: str) -> list[dict[str, Any]]:
        """The recorded episodes of a run, in order."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT data FROM episodes WHERE run_id = ? ORDER BY episode, rowid", (run_id,)
            ).fetchall()
        return [json.loads(data) for (data,) in rows]

    def evaluations(self, run_id: str) -> list[tuple[int, dict[str, Any]]]:
        """`(step, result)` of every evaluation of a run, in step order."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT step, results FROM evaluations WHERE run_id = ? ORDER BY step, rowid",
                (run_id,),
            ).fetchall()
        return [(step, json.loads(results)) for step, results in rows]

    def delete_run(self, run_id: str) -> None:
        """Delete a run and its metrics, episodes and evaluations (never checkpoint files)."""
        with self._connect() as db:
            deleted = db.execute("DELETE FROM runs WHERE id = ?", (run_id,)).rowcount
        if not deleted:
            raise self._unknown(run_id)

    def _unusable(self, error: sqlite3.Error) -> RunStoreError:
        """What to do about an SQLite error: wait, fix permissions, or set the file aside."""
        text = str(error)
        if "locked" in text or "busy" in text:
            return RunStoreError(
                f"the run store {self.path} stayed locked by another process for "
                f"{BUSY_TIMEOUT_S:.0f} s ({text}); try again when it is done, or pass "
                "--runs DIR with another workspace"
            )
        if "readonly" in text or "read-only" in text:
            return RunStoreError(
                f"the run store {self.path} is read-only ({text}); make it and "
                f"{self.workspace} writable, or pass --runs DIR with a writable workspace"
            )
        return RunStoreError(
            f"the run store {self.path} cannot be used ({text}): it is damaged, not an "
            f"ifr-sim run store, or from an incompatible ifr-sim; move it aside (`mv "
            f"{self.path} {self.path}.bad`) and an empty store is started there, or pass "
            "--runs DIR with another workspace"
        )

    def _unknown(self, run_id: str) -> UnknownRunError:
        return UnknownRunError(
            f"no run {run_id!r} in {self.path}; "
            f"`ifr-sim runs list --runs {self.workspace}` lists the run ids"
        )


def _add_column(db: sqlite3.Connection, column: str) -> None:
    """A store written before runs recorded `column` (their directory, their process)
    gets it, once."""
    if column in {row[1] for row in db.execute("PRAGMA table_info(runs)")}:
        return
    try:
        db.execute(f"ALTER TABLE runs ADD COLUMN {column} TEXT")
    except sqlite3.OperationalError as error:  # another process added it just now
        if "duplicate column" not in str(error):
            raise


def _record(row: tuple[Any, ...]) -> RunRecord:
    (run_id, kind, status, config, seed, started, ended, error, checkpoint, parent, sweep,
     directory, process) = row
    return RunRecord(run_id, kind, status, json.loads(config), seed, started, ended, error,
                     checkpoint, parent, sweep, directory, process)


def _this_process() -> str:
    """`host:pid` of this process, as a run records who is writing it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _to_json(data: Any) -> str:
    """JSON that also takes numpy scalars and arrays, and paths; NaN stays `NaN`."""
    return json.dumps(data, default=plain)

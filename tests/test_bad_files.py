"""A damaged or misplaced file ends the command with one message and exit status 2.

Each case runs `ifr-sim` in its own process, as a user would, on a file that is damaged
in the way real files get damaged (cut short, overwritten, another program's file, a
file where a directory belongs), and checks that stderr holds the one `error:` line the
troubleshooting page lists, and no traceback.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from ifr_sim.core.run_store import DATABASE, RunStore, RunStoreError, UnknownRunError

pytest_plugins = ("scorer_fixtures",)

TRAIN_TOML = (
    "total_steps = 16\neval_episodes = 2\n[ppo]\nn_envs = 2\nn_steps = 8\nbatch_size = 16\n"
    "n_epochs = 1\n[world]\nnum_candidates = 20\nslate_size = 4\n[world.catalog]\n"
    'source = "synthetic"\nsize = 200\n'
)
"""A training config that fails, if it fails, while loading its files."""


def ifr_sim(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`ifr-sim ARGS` in its own process, in `cwd`."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "IFR_SIM_CACHE_DIR": "off"}
    return subprocess.run([sys.executable, "-m", "ifr_sim.apps.cli", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


def one_error_line(result: subprocess.CompletedProcess[str], command: str) -> str:
    """The only `ifr-sim COMMAND: error:` line of a run that exited 2 without a traceback."""
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if " error: " in line]
    assert len(errors) == 1 and errors[0].startswith(f"ifr-sim {command}: error: "), errors
    return errors[0]


def damaged_model(tiny_bert_dir: Path, where: Path, damage: Callable[[Path], object]) -> Path:
    """A copy of the tiny model directory with `damage` done to it."""
    copy = Path(shutil.copytree(tiny_bert_dir, where))
    damage(copy)
    return copy


def cut_short(model: Path) -> None:
    weights = model / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])  # an interrupted download


def without_a_layer(model: Path) -> None:
    weights = load_file(model / "model.safetensors")
    del weights["encoder.layer.0.attention.self.query.weight"]
    weights["embeddings.word_embeddings.weight"] = weights["embeddings.word_embeddings.weight"][:9]
    save_file(weights, model / "model.safetensors")


def pickle_garbage(model: Path) -> None:
    (model / "model.safetensors").unlink()
    (model / "pytorch_model.bin").write_bytes(b"not a pickle at all")


def broken_tokenizer(model: Path) -> None:
    (model / "vocab.txt").unlink()
    (model / "tokenizer.json").write_text('{"version": "1.0", "model": {"type": "WordPiece"}}')


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        pytest.param(cut_short, ["could not load the weights in", "invalid header length",
                                 "download or save the model again"], id="weights cut short"),
        pytest.param(without_a_layer, [
            "do not fit its config.json (missing ['encoder.layer.0.attention.self.query.weight']",
            "embeddings.word_embeddings.weight (9, 32) (expected (30522, 32))",
        ], id="weights of another model"),
        pytest.param(pickle_garbage, ["could not load the weights in", "Weights only load failed"],
                     id="pytorch_model.bin garbage"),
        pytest.param(broken_tokenizer, ["cannot load the tokenizer in", "'added_tokens'"],
                     id="tokenizer.json of another version"),
    ],
)
def test_a_damaged_model_directory_is_one_message(
    tiny_bert_dir: Path, tmp_path: Path, damage: Callable[[Path], object], expected: list[str]
) -> None:
    model = damaged_model(tiny_bert_dir, tmp_path / "model", damage)
    (tmp_path / "train.toml").write_text(TRAIN_TOML)
    result = ifr_sim(tmp_path, "train", "--config", "train.toml", "--set",
                     f"scorer.model_path={model}", "--runs", "ws", "--no-progress")
    line = one_error_line(result, "train")
    for fragment in expected:
        assert fragment in line
    assert "LOAD REPORT" not in result.stderr  # transformers' own table is not printed


def test_a_model_path_that_is_a_file_names_its_directory(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    weights = tiny_bert_dir / "model.safetensors"
    (tmp_path / "train.toml").write_text(TRAIN_TOML)
    result = ifr_sim(tmp_path, "train", "--config", "train.toml", "--set",
                     f"scorer.model_path={weights}", "--runs", "ws", "--no-progress")
    line = one_error_line(result, "train")
    assert f"model_path {weights} is a file; point it at the model directory that holds it, "\
        f"{tiny_bert_dir}," in line
    assert "does not exist" not in line


def another_programs_database(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE runs (name TEXT)")


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        pytest.param(lambda p: p.write_bytes(b"garbage " * 100), "(file is not a database)",
                     id="not a database"),
        pytest.param(lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000),
                     "(file is not a database)", id="a damaged header"),
        pytest.param(another_programs_database, "(no such column: ", id="another program's"),
    ],
)
def test_a_damaged_run_store_is_one_message_with_a_way_out(
    tmp_path: Path, damage: Callable[[Path], object], expected: str
) -> None:
    (tmp_path / "ws").mkdir()
    damage(tmp_path / "ws" / DATABASE)
    line = one_error_line(ifr_sim(tmp_path, "runs", "list", "--runs", "ws"), "runs")
    assert f"the run store ws/{DATABASE} cannot be used {expected}" in line
    assert f"move it aside (`mv ws/{DATABASE} ws/{DATABASE}.bad`)" in line

    (tmp_path / "ws" / DATABASE).rename(tmp_path / "ws" / f"{DATABASE}.bad")  # as it says
    assert ifr_sim(tmp_path, "runs", "list", "--runs", "ws").stdout == "no runs in ws\n"


def test_a_run_store_workspace_that_is_a_file_is_one_message(tmp_path: Path) -> None:
    (tmp_path / "ws").write_text("a file where the workspace belongs")
    line = one_error_line(ifr_sim(tmp_path, "runs", "show", "x", "--runs", "ws"), "runs")
    assert "cannot use ws as the run store workspace (File exists): pass --runs DIR" in line


@pytest.mark.parametrize(
    ("argv", "setup", "expected"),
    [
        pytest.param(["train", "--resume", "run"], lambda p: (
            (p / "run" / "checkpoint").mkdir(parents=True),
            (p / "run" / "checkpoint" / "manifest.json").write_bytes(b"\x00garbage")),
            "run/checkpoint/manifest.json is corrupt", id="checkpoint manifest"),
        pytest.param(["simulate", "--catalog", "items.parquet"],
                     lambda p: (p / "items.parquet").write_bytes(b"PAR1 cut short"),
                     "items.parquet: not a readable Parquet file", id="catalog file"),
        pytest.param(["sweep", "--config", "sweep.toml"],
                     lambda p: (p / "sweep.toml").write_text("[grid\n"),
                     "config file sweep.toml is not valid", id="sweep file"),
        pytest.param(["train", "--config", "train.toml"],
                     lambda p: (p / "train.toml").write_text("total_steps = [\n"),
                     "config file train.toml is not valid", id="training config file"),
        pytest.param(["simulate", "--config", "world.toml"],
                     lambda p: (p / "world.toml").write_bytes(b"seed = 1 # caf\xe9\n"),
                     "config file world.toml is not UTF-8 text", id="config not UTF-8"),
    ],
)
def test_other_bad_files_are_one_message(
    tmp_path: Path, argv: list[str], setup: Callable[[Path], object], expected: str
) -> None:
    setup(tmp_path)
    line = one_error_line(ifr_sim(tmp_path, *argv, "--runs", "ws"), argv[0])
    assert expected in line


def test_a_store_from_before_run_directories_gains_the_column(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / DATABASE) as db:  # the schema without `directory`
        db.execute("CREATE TABLE runs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT "
                   "NOT NULL, config TEXT NOT NULL, seed INTEGER, started_at TEXT NOT NULL, "
                   "ended_at TEXT, error TEXT, checkpoint TEXT, parent_id TEXT, sweep_id TEXT)")
        db.execute("INSERT INTO runs VALUES ('old', 'train', 'finished', '{}', 0, 'then', "
                   "NULL, NULL, NULL, NULL, NULL)")
    store = RunStore(tmp_path)
    assert store.run("old").directory is None
    store.set_directory("old", tmp_path / "run")
    assert store.run("old").directory == str(tmp_path / "run")


def test_writing_for_a_deleted_run_says_the_run_is_gone(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run_id = store.start_run("train", {}, seed=0)
    store.delete_run(run_id)
    for write in (lambda: store.log_metrics(run_id, 1, {"train/loss": 1.0}),
                  lambda: store.log_evaluation(run_id, 1, {"reward": 1.0}),
                  lambda: store.set_checkpoint(run_id, tmp_path),
                  lambda: store.set_directory(run_id, tmp_path)):
        with pytest.raises(UnknownRunError, match=f"no run '{run_id}'"):
            write()


def test_a_read_only_store_says_so(tmp_path: Path) -> None:
    RunStore(tmp_path).start_run("simulate", {}, seed=0)
    (tmp_path / DATABASE).chmod(0o444)
    try:
        if os.access(tmp_path / DATABASE, os.W_OK):
            pytest.skip("this user writes read-only files (root)")
        with pytest.raises(RunStoreError, match="is read-only"):
            RunStore(tmp_path).start_run("simulate", {}, seed=1)
    finally:
        (tmp_path / DATABASE).chmod(0o644)

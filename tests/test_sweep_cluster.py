"""Sweeps on a real multi-node Ray cluster: a head and two worker nodes on this machine.

`ray.cluster_utils.Cluster` starts real nodes (a raylet, an object store and worker
processes each), as Ray's own multi-node tests do. Every node has its own working and
temporary directory, neither inside the workspace, and a `sitecustomize.py` on its
PYTHONPATH whose audit hook logs each file the node's Python processes open that is the
run store or one of the scorer model's files. The driver, `ifr-sim sweep` in a
subprocess, is logged the same way, as the control: it opens the run store and no node
process does, while the worker nodes read the model, so the trials trained there.

Trials are tiny (a randomly initialised BERT, a 200-item synthetic catalog) and pinned
one per worker node by a custom resource, `slot`, that only the worker nodes have; the
head node has no CPU for trials. The tests share one cluster (starting one takes a while)
and take a few minutes together on 2 busy cores.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_sweep import tiny_base, write

from ifr_sim.core.run_store import DATABASE, RunStore
from ifr_sim.core.scorer.embedding_store import CACHE_ENV

pytest_plugins = ("scorer_fixtures",)
cluster_utils = pytest.importorskip("ray.cluster_utils")

AUDIT_HOOK = '''"""Log each file this process opens that is the run store or a watched file."""
import os
import sys

_LOG = os.environ.get("IFR_AUDIT_LOG")
_WATCH = os.environ.get("IFR_AUDIT_WATCH", "")


def _hook(event, args):
    if event not in ("open", "sqlite3.connect") or not args:
        return
    path = args[0]
    if not isinstance(path, (str, bytes, os.PathLike)):
        return
    path = os.fsdecode(os.fspath(path))
    if os.path.basename(path).startswith("runs.sqlite") or (_WATCH and path.startswith(_WATCH)):
        os.write(_FD, f"{event} {os.getpid()} {path}\\n".encode())


if _LOG:
    _FD = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(_FD, f"started {os.getpid()}\\n".encode())
    sys.addaudithook(_hook)
'''
TRIAL_RESOURCES = "cpu=1,slot=1"
SWEEP_TIMEOUT_S = 240


@dataclass
class LocalCluster:
    """A head node and two worker nodes (`a`, `b`), each with its own folder and log."""

    cluster: Any
    workers: dict[str, Any]
    root: Path
    hooks: Path
    watch: Path
    client_port: int

    def log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def environment(self, name: str) -> dict[str, str]:
        """What a process needs to be logged as `name`."""
        return {"PYTHONPATH": str(self.hooks), "IFR_AUDIT_LOG": str(self.log(name)),
                "IFR_AUDIT_WATCH": str(self.watch)}

    def opened(self, name: str) -> list[str]:
        """The watched paths the processes logged as `name` opened."""
        lines = self.log(name).read_text(encoding="utf-8").splitlines()
        return [line.split(" ", 2)[2] for line in lines if not line.startswith("started ")]


@pytest.fixture(scope="module")
def local_cluster(tiny_bert_dir: Path) -> Iterator[LocalCluster]:
    """One cluster for this module's tests (starting one takes a while); the last test
    kills node `b`."""
    root = Path(tempfile.mkdtemp(prefix="ifr-c-"))  # short: Ray's socket paths must fit
    hooks = root / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(AUDIT_HOOK, encoding="utf-8")
    (root / "ray").mkdir()
    local = LocalCluster(None, {}, root, hooks, tiny_bert_dir, _free_port())
    here = Path.cwd()

    def node(name: str) -> dict[str, Any]:
        folder = root / name
        folder.mkdir()
        os.chdir(folder)  # the node's processes start in its own folder
        return {"temp_dir": str(folder / "tmp"), "env_vars": local.environment(name)}

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("RAY_TMPDIR", str(root))  # where Ray notes the cluster's address
        monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
        monkeypatch.setenv(CACHE_ENV, "off")  # no embedding cache shared between nodes
        try:
            local.cluster = cluster_utils.Cluster(
                initialize_head=True,
                head_node_args={**node("head"), "num_cpus": 0,
                                "ray_client_server_port": local.client_port},
            )
            for name in ("a", "b"):
                local.workers[name] = local.cluster.add_node(**node(name), num_cpus=1,
                                                             resources={"slot": 1})
            local.cluster.wait_for_nodes()
            os.chdir(here)
            yield local
        finally:
            os.chdir(here)
            if local.cluster is not None:
                local.cluster.shutdown()
            shutil.rmtree(root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sweep_file(folder: Path, model: Path, name: str, total_steps: int, seeds: str,
               grid: str) -> Path:
    text = f'name = "{name}"\npreset = "quick"\ntotal_steps = {total_steps}\nseeds = {seeds}\n'
    text += tiny_base(model) + grid
    return write(folder / f"{name}.toml", text)


def ifr_sim_sweep(local: LocalCluster, cwd: Path, *argv: str) -> subprocess.Popen[str]:
    """`ifr-sim sweep` as a user runs it, logged as the driver."""
    environment = {**os.environ, **local.environment("driver")}
    return subprocess.Popen([sys.executable, "-m", "ifr_sim.apps.cli", "sweep", *argv],
                            cwd=cwd, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen[str]) -> str:
    output, _ = process.communicate(timeout=SWEEP_TIMEOUT_S)
    assert process.returncode == 0, output
    return output


def checkpoint_step(location: str | None) -> int:
    """The step of a recorded checkpoint (-1 for none yet)."""
    if location is None:
        return -1
    state = json.loads((Path(location) / "state.json").read_text(encoding="utf-8"))
    return int(state["step"])


def store_opens(paths: list[str]) -> list[str]:
    return [path for path in paths if Path(path).name.startswith(DATABASE)]


@pytest.mark.slow
def test_a_sweep_over_ray_client_is_recorded_by_the_driver_alone(
    local_cluster: LocalCluster, tmp_path: Path, tiny_bert_dir: Path
) -> None:
    workspace, storage = tmp_path / "workspace", tmp_path / "storage"
    config = sweep_file(tmp_path, tiny_bert_dir, "grid", 128, "[0]",
                        "[grid]\nppo.learning_rate = [0.001, 0.005]\n")
    output = finish(ifr_sim_sweep(
        local_cluster, tmp_path, "--config", str(config), "--runs", str(workspace),
        "--address", f"ray://127.0.0.1:{local_cluster.client_port}",
        "--storage", f"file://{storage}", "--trial-resources", TRIAL_RESOURCES))
    assert "sweep grid: 2 trials (2 configurations x 1 seeds); 0 already finished, 2 to run" in (
        output)

    store = RunStore(workspace)
    (sweep_run,) = store.runs(kind="sweep")
    runs = store.runs(kind="train", sweep_id="grid")
    assert len(runs) == 2 and {run.status for run in runs} == {"finished"}, output
    for run in runs:
        assert run.parent_id == sweep_run.id
        curve = store.metrics(run.id, ["eval/ndcg@10"])
        assert [step for step, _, _ in curve] == [0, 64, 128]
        assert [step for step, _ in store.evaluations(run.id)] == [0, 64, 128]
        assert store.metrics(run.id, ["rollout/ep_rew_mean", "train/loss"])
        checkpoint = Path(run.checkpoint)  # in Tune's storage, not the trial's node
        assert checkpoint.is_relative_to(storage / "grid") and (checkpoint / "state.json").is_file()
    assert "best: ppo.learning_rate=" in output

    # the driver opened the run store; no process of any node did, or could find it there
    assert store_opens(local_cluster.opened("driver"))
    for name in ("head", "a", "b"):
        assert not store_opens(local_cluster.opened(name)), name
        assert not list((local_cluster.root / name).rglob(f"{DATABASE}*"))
    for name in ("a", "b"):  # both worker nodes trained: they read the scorer model
        assert any(Path(path).name == "config.json" for path in local_cluster.opened(name)), name


@pytest.mark.slow
def test_a_trial_whose_node_dies_is_failed_and_a_rerun_resumes_it_on_another_node(
    local_cluster: LocalCluster, tmp_path: Path, tiny_bert_dir: Path
) -> None:
    """Kills node `b` (so it comes last)."""
    workspace, storage = tmp_path / "workspace", tmp_path / "storage"
    config = sweep_file(tmp_path, tiny_bert_dir, "kill", 512, "[0, 1]", "")
    argv = ("--config", str(config), "--runs", str(workspace), "--address",
            local_cluster.cluster.address, "--storage", str(storage), "--trial-resources",
            TRIAL_RESOURCES)
    sweep = ifr_sim_sweep(local_cluster, tmp_path, *argv)
    store = RunStore(workspace)
    deadline = time.monotonic() + SWEEP_TIMEOUT_S
    while sum(checkpoint_step(run.checkpoint) >= 64 for run in store.runs(kind="train")) < 2:
        assert sweep.poll() is None and time.monotonic() < deadline, sweep.communicate()[0]
        time.sleep(0.5)
    local_cluster.cluster.remove_node(local_cluster.workers["b"], allow_graceful=False)
    output = finish(sweep)

    finished = store.runs(kind="train", status="finished")
    (failed,) = store.runs(kind="train", status="failed")
    assert len(finished) == 1, output
    assert "the trial's Ray worker on node " in failed.error, failed.error
    assert "died or could not be reached" in failed.error
    assert f"failed   base config seed={failed.seed}: {failed.error}" in output
    kept = [step for step, _, _ in store.metrics(failed.id, ["eval/ndcg@10"])]
    assert 64 in kept and kept[-1] < 512

    # the same command again: Tune's experiment is restored, the failed trial resumes
    # from its last checkpoint (saved from node b) on node a, in the same run
    output = finish(ifr_sim_sweep(local_cluster, tmp_path, *argv))
    assert "1 already finished, 1 to run" in output
    assert "continuing the sweep's Tune experiment" in output
    resumed = store.run(failed.id)
    assert resumed.status == "finished", output
    (line,) = [line for line in output.splitlines() if line.startswith("resumed  ")]
    assert line.startswith(f"resumed  base config seed={failed.seed} from step ")
    assert int(line.rsplit(" ", 1)[1]) in kept  # a checkpoint after an evaluation
    steps = [step for step, _, _ in store.metrics(failed.id, ["eval/ndcg@10"])]
    assert steps == list(range(0, 513, 64))  # no gap, no step twice
    assert [step for step, _ in store.evaluations(failed.id)] == steps
    assert not store_opens(local_cluster.opened("a"))

"""`ifr-sim evaluate --checkpoint` evaluates that checkpoint, in the world it was trained in.

Driven as a user drives it: the command line in a fresh process, from another working
directory than the one training ran in. The checkpoint is a tiny BERT policy over a
60-item catalog file (20 candidates, slates of 4) whose trained parameters are perturbed,
so it ranks unlike the zero-shot scorer it started from. What the command reports is
checked against `Recommender`, the Python API over the same checkpoint.

Each command spends most of its seconds importing torch, so the commands that do not
depend on one another run side by side, one per core, each in its own folder with its
own run store; the tests then read one result each.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from ifr_sim.agents.policy.policy_agent import PolicyAgent
from ifr_sim.agents.recommender import Recommender
from ifr_sim.agents.training.checkpoint import (
    CheckpointError,
    CheckpointWarning,
    TrainingState,
    build_policy,
    load_checkpoint,
    save_checkpoint,
)
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.core.catalog import load_catalog_file, make_synthetic_catalog
from ifr_sim.core.config import with_overrides
from ifr_sim.core.run_store import RunStore
from ifr_sim.core.scorer import ScorerConfig
from ifr_sim.envs.vector_env import InstructionRecVectorEnv

pytest_plugins = ("scorer_fixtures", "training_fixtures")

CATALOG = Path("catalog") / "items.csv"
"""Where the catalog file lies in a world folder; training names it by this relative path."""


def ifr_sim(*argv: str, cwd: Path, runs: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The `ifr-sim` command line in a fresh process started in `cwd` (recording into `runs`
    where given, else where the test's environment says)."""
    environment = None if runs is None else {**os.environ, "IFR_SIM_RUNS": str(runs)}
    return subprocess.run([sys.executable, "-m", "ifr_sim.apps.cli", *argv], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=600,
                          check=False)


def side_by_side(
    commands: Sequence[Callable[[], subprocess.CompletedProcess[str]]],
) -> list[subprocess.CompletedProcess[str]]:
    """Independent commands, one per core at a time, in the order given."""
    with ThreadPoolExecutor(max_workers=len(os.sched_getaffinity(0))) as pool:
        return list(pool.map(lambda command: command(), commands))


def write_catalog(path: Path) -> Path:
    """A 60-item shop catalog as a CSV file, as a user would bring one."""
    catalog = make_synthetic_catalog(60, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "id": catalog.ids,
        "title": catalog.titles,
        "text": catalog.texts,
        "categories": ["|".join(name for name, member in zip(catalog.category_names, row,
                                                             strict=True) if member)
                       for row in catalog.categories],
        "quality": catalog.quality,
        "popularity": catalog.popularity,
    }).to_csv(path, index=False)
    return path


def train_here(folder: Path, bert: Path) -> Path:
    """A checkpoint in `folder/run`, saved from `folder` with the catalog's relative path.

    Its trained parameters are perturbed (seeded), standing in for a fine-tune.
    """
    config = with_overrides(TrainConfig(), {
        "world.catalog.source": str(CATALOG), "world.num_candidates": 20,
        "world.slate_size": 4, "scorer.model_path": str(bert), "scorer.device": "cpu",
    })
    state = TrainingState(step=64, updates=4, next_eval=128, next_checkpoint=128,
                          finished=True, history=[], episodes=[], progress_rows=0, run_id=None,
                          reference_sha256="", oracle_reward=None)
    here = Path.cwd()
    os.chdir(folder)
    try:
        policy = build_policy(config)
        noise = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for parameter in policy.parameters():
                if parameter.requires_grad:
                    parameter.add_(torch.randn(parameter.shape, generator=noise))
        save_checkpoint(Path("run") / "checkpoint", config, policy, state)
    finally:
        os.chdir(here)
    return folder / "run"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the catalog file, and a checkpoint trained on it."""
    folder = tmp_path_factory.mktemp("world")
    write_catalog(folder / CATALOG)
    return folder


@pytest.fixture(scope="module")
def run_dir(world: Path, tiny_bert_dir: Path) -> Path:
    return train_here(world, tiny_bert_dir)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """Another working directory than the one training ran in."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


LABELLED_MRR = (1 + 1 / 3 + 0) / 3
"""The checkpoint's mean reciprocal rank on `instruction_file`'s three lines."""


def instruction_file(path: Path, run_dir: Path) -> Path:
    """Three labelled lines whose mean reciprocal rank is known for the checkpoint's ranking.

    Relevant items are picked from the checkpoint's own top 4 (via `Recommender`): the
    first line's best item (reciprocal rank 1), the second's third item (1/3) over the whole
    catalog, and the third line's items outside its slate (0).
    """
    recommender = Recommender.from_checkpoint(run_dir)
    ids = list(recommender.catalog.ids)
    lines: list[dict[str, Any]] = [
        {"instruction": "a cheap phone", "candidates": ids[:15]},
        {"instruction": "headphones for running"},
        {"instruction": "a gift for a gardener", "candidates": ids[30:50]},
    ]
    for line, pick in zip(lines, (slice(0, 1), slice(2, 3), slice(4, None)), strict=True):
        ranked = [r.item.id for r in recommender.recommend(
            line["instruction"], k=len(line.get("candidates", ids)),
            candidates=line.get("candidates"))]
        line["relevant"] = ranked[pick]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


CONTRADICTIONS: list[tuple[list[str], str]] = [
    (["--num-candidates", "30"], "num_candidates=30 (the checkpoint's: 20)"),
    (["--slate-size", "3", "--set", "history_length=5"],
     "slate_size=3 (the checkpoint's: 4), history_length=5 (the checkpoint's: 10)"),
    (["--catalog", "synthetic"], "not 'synthetic': a policy reads only the catalog"),
    (["--preset", "synthetic-shop"], "not 'synthetic': a policy reads only the catalog"),
    (["--set", "scorer.max_length=64"], "scorer.max_length=64 (the checkpoint's: 128)"),
    (["--agent", "bm25"], "--agent bm25 and --checkpoint both say what to evaluate"),
]
"""Options that contradict the checkpoint, and what the error says about each."""

NOT_CHECKPOINTS: list[tuple[Callable[[Path], Path], str]] = [
    (lambda run: run.parent / "nonexistent", "it does not exist"),
    (lambda run: run / "checkpoint" / "config.json", "is a file, not a checkpoint"),
    (lambda run: run.parent / CATALOG.parent, "holds no checkpoint"),
]
"""Paths given as `--checkpoint` that hold none, and what the error says about each."""


@dataclass(frozen=True)
class Evaluated:
    """What one `ifr-sim evaluate` printed and exited with, where it ran and recorded."""

    result: subprocess.CompletedProcess[str]
    folder: Path
    runs: RunStore


@pytest.fixture(scope="module")
def evaluated(
    run_dir: Path, tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Mapping[str, Evaluated]:
    """The module's independent `evaluate` commands, run side by side, by name."""
    checkpoint = str(run_dir)
    catalog = str(run_dir.parent / CATALOG)
    zero_shot = ["--agent", "zero-shot", "--catalog", catalog, "--slate-size", "4",
                 "--set", f"scorer.model_path={tiny_bert_dir}", "--set", "scorer.device=cpu"]
    commands: dict[str, list[str]] = {
        "lines": ["--checkpoint", checkpoint, "--instructions", "labelled.jsonl",
                  "--json", "out.json"],
        "zero-shot": [*zero_shot, "--instructions", "labelled.jsonl", "--json", "out.json"],
        "sessions": ["--checkpoint", checkpoint, "--episodes", "3", "--split", "train",
                     "--set", "clicks.model=pbm", "--set", "scorer.batch_size=7",
                     "--json", "out.json"],
    }
    for options, _ in CONTRADICTIONS:
        commands[" ".join(options)] = ["--checkpoint", checkpoint, "--episodes", "2", *options]
    for where, message in NOT_CHECKPOINTS:
        commands[message] = ["--checkpoint", str(where(run_dir)), "--instructions", "any.jsonl"]

    folders = {name: tmp_path_factory.mktemp("elsewhere") for name in commands}
    for name in ("lines", "zero-shot"):
        instruction_file(folders[name] / "labelled.jsonl", run_dir)
    runs = {name: tmp_path_factory.mktemp("runs") for name in commands}
    results = side_by_side([
        partial(ifr_sim, "evaluate", *argv, cwd=folders[name], runs=runs[name])
        for name, argv in commands.items()])
    return {name: Evaluated(result, folders[name], RunStore(runs[name]))
            for name, result in zip(commands, results, strict=True)}


def test_the_checkpoint_ranks_each_lines_candidates_or_the_whole_catalog(
    evaluated: Mapping[str, Evaluated], run_dir: Path
) -> None:
    lines = evaluated["lines"]
    assert lines.result.returncode == 0, lines.result.stderr
    report = json.loads((lines.folder / "out.json").read_text())
    name = f"checkpoint:{(run_dir / 'checkpoint').resolve()}"
    assert report["agent"] == name and report["episodes"] == 3
    assert report["mrr"] == pytest.approx(LABELLED_MRR)
    (run,) = lines.runs.runs(kind="evaluate")
    assert run.config["agent"] == name
    assert run.config["instructions"] == str((lines.folder / "labelled.jsonl").resolve())


def test_the_zero_shot_agent_takes_the_scorer_config(
    evaluated: Mapping[str, Evaluated], run_dir: Path, tiny_bert_dir: Path
) -> None:
    """`--set scorer.model_path=DIR` reaches the zero-shot agent, which then ranks as the
    untrained scorer of that model does (here: not as the perturbed checkpoint)."""
    zero_shot_run = evaluated["zero-shot"]
    assert zero_shot_run.result.returncode == 0, zero_shot_run.result.stderr
    report = json.loads((zero_shot_run.folder / "out.json").read_text())
    zero_shot = Recommender.zero_shot(
        load_catalog_file(run_dir.parent / CATALOG),
        ScorerConfig(model_path=str(tiny_bert_dir), device="cpu"))
    ranks = []
    labelled = (zero_shot_run.folder / "labelled.jsonl").read_text()
    for line in map(json.loads, labelled.splitlines()):
        slate = [r.item.id for r in zero_shot.recommend(line["instruction"], k=4,
                                                          candidates=line.get("candidates"))]
        ranks.append(next((1 / (i + 1) for i, item in enumerate(slate)
                           if item in line["relevant"]), 0.0))
    assert report["agent"] == "zero-shot" and report["mrr"] == pytest.approx(sum(ranks) / 3)
    (run,) = zero_shot_run.runs.runs(kind="evaluate")
    assert run.config["scorer"]["model_path"] == str(tiny_bert_dir)


def test_sessions_run_in_the_checkpoints_world_with_split_and_dynamics_honoured(
    evaluated: Mapping[str, Evaluated], run_dir: Path
) -> None:
    sessions = evaluated["sessions"]
    assert sessions.result.returncode == 0, sessions.result.stderr
    assert "clicks.model='pbm' (trained with 'dcm')" in sessions.result.stdout
    report = json.loads((sessions.folder / "out.json").read_text())
    assert report["agent"] == f"checkpoint:{(run_dir / 'checkpoint').resolve()}"
    assert report["split"] == "train" and report["episodes"] == 3
    (run,) = sessions.runs.runs(kind="evaluate")
    world = run.config["world"]
    assert world["catalog"]["source"] == str((run_dir.parent / CATALOG).resolve())
    assert (world["num_candidates"], world["slate_size"]) == (20, 4)
    assert world["clicks"]["model"] == "pbm" and world["split"] == "train"
    assert run.config["agent"] == report["agent"]
    assert run.config["checkpoint"] == str((run_dir / "checkpoint").resolve())


@pytest.mark.parametrize(("options", "message"), CONTRADICTIONS)
def test_options_that_contradict_the_checkpoint_are_errors_naming_the_difference(
    evaluated: Mapping[str, Evaluated], options: list[str], message: str
) -> None:
    refused = evaluated[" ".join(options)]
    assert refused.result.returncode == 2 and message in refused.result.stderr
    assert "Traceback" not in refused.result.stderr
    assert not refused.runs.runs()


@pytest.mark.parametrize("message", [message for _, message in NOT_CHECKPOINTS])
def test_a_path_that_is_no_checkpoint_is_one_clear_error(
    evaluated: Mapping[str, Evaluated], message: str
) -> None:
    result = evaluated[message].result
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_moved_catalog_is_found_again_by_its_content(
    tmp_path: Path, elsewhere: Path, tiny_bert_dir: Path
) -> None:
    folder = tmp_path / "world"
    original = write_catalog(folder / CATALOG)
    run = train_here(folder, tiny_bert_dir)
    recorded = json.loads((run / "checkpoint" / "config.json").read_text())
    assert recorded["world"]["catalog"]["source"] == str(original.resolve())

    moved = shutil.move(original, elsewhere / "moved.csv")
    edited = elsewhere / "edited.csv"
    edited.write_text(Path(moved).read_text().replace("sku-0000001,", "sku-0000001b,"))
    evaluate = partial(ifr_sim, "evaluate", "--checkpoint", str(run), "--episodes", "2",
                       cwd=elsewhere)
    missing, found, other = side_by_side([
        evaluate,
        partial(evaluate, "--catalog", "moved.csv", "--json", "out.json"),
        partial(evaluate, "--catalog", edited.name),
    ])
    assert missing.returncode == 2
    assert f"{original.resolve()}, does not exist" in missing.stderr
    assert "--catalog NEWPATH" in missing.stderr

    assert found.returncode == 0, found.stderr
    (record,) = RunStore(Path(os.environ["IFR_SIM_RUNS"])).runs(kind="evaluate")
    assert record.config["world"]["catalog"]["source"] == str(Path(moved).resolve())
    assert Recommender.from_checkpoint(run, catalog=moved).recommend("a phone", k=2)

    assert other.returncode == 2
    assert "is not the catalog this checkpoint was trained on" in other.stderr
    assert "the SHA-256 digests differ" in other.stderr

    shutil.copy(edited, original)  # back in its place, but not as it was
    with pytest.raises(CheckpointError, match="has changed since the checkpoint was saved"):
        Recommender.from_checkpoint(run)


def test_a_run_directory_serves_its_newest_intact_checkpoint(
    tmp_path: Path, tiny_bert_dir: Path
) -> None:
    folder = tmp_path / "world"
    write_catalog(folder / CATALOG)
    run = train_here(folder, tiny_bert_dir)
    newest = Recommender.from_checkpoint(run).recommend("a phone", k=3)
    assert newest == Recommender.from_checkpoint(run / "checkpoint").recommend("a phone", k=3)

    shutil.copytree(run / "checkpoint", run / "checkpoint-prev")
    (run / "checkpoint" / "policy.safetensors").write_bytes(b"damaged")
    with pytest.warns(CheckpointWarning, match="using the previous checkpoint"):
        policy, _ = load_checkpoint(run)
    assert policy.scorer.catalog.ids[0] == "sku-0000000"


def test_the_policy_ranks_any_number_of_candidates_as_its_own_slates(run_dir: Path) -> None:
    """On the N candidates it was built for, the agent's slates are the SB3 policy's mode;
    on any other number, the top K of the same logits (a cold start: the scorer's)."""
    policy, config = load_checkpoint(run_dir)
    agent, rng = PolicyAgent(policy), np.random.default_rng(0)
    env = InstructionRecVectorEnv(num_envs=3, config=config.world)
    observation, _ = env.reset(seed=0)
    np.testing.assert_array_equal(agent.act(observation, {}, rng), policy.rank(observation))

    text = b"a phone with a big screen"
    instruction = np.zeros((1, config.world.instruction_bytes), np.uint8)
    instruction[0, : len(text)] = np.frombuffer(text, np.uint8)
    thirty = {"instruction": instruction, "candidates": np.arange(30)[None],
              "history": np.full((1, config.world.history_length), -1),
              "shown": np.zeros((1, 30), np.int8), "turn": np.zeros((1, 1), np.int64)}
    slate = agent.act(thirty, {}, rng)[0]
    expected = Recommender(policy.scorer).recommend(
        text.decode(), k=4, candidates=policy.scorer.catalog.ids[:30])
    assert [policy.scorer.catalog.ids[i] for i in slate] == [r.item.id for r in expected]


def test_nan_scores_from_a_damaged_model_are_an_error(
    tiny_catalog: Any, config_for: Any, tiny_bert_dir: Path
) -> None:
    recommender = Recommender.zero_shot(tiny_catalog, config_for(tiny_bert_dir))
    with torch.no_grad():
        for parameter in recommender.scorer.parameters():
            parameter.fill_(float("nan"))
    with pytest.raises(ValueError, match="NaN or infinite candidate scores"):
        recommender.recommend("a scary film", k=3)


@pytest.mark.slow
def test_a_run_trained_on_a_relative_catalog_path_resumes_and_evaluates_from_elsewhere(
    tmp_path: Path, elsewhere: Path, tiny_bert_dir: Path
) -> None:
    folder = tmp_path / "world"
    write_catalog(folder / CATALOG)
    (folder / "train.toml").write_text(
        f"total_steps = 32\neval_every = 10000\neval_episodes = 4\n"
        f'[scorer]\nmodel_path = "{tiny_bert_dir}"\ndevice = "cpu"\n'
        f"[ppo]\nn_envs = 4\nn_steps = 4\nbatch_size = 16\nn_epochs = 1\n"
        f'[world]\nnum_candidates = 20\nslate_size = 4\ncatalog.source = "{CATALOG}"\n')
    trained = ifr_sim("train", "--config", "train.toml", "--run-dir", "run", "--no-progress",
                      cwd=folder)
    assert trained.returncode == 0, trained.stderr
    (run,) = RunStore(Path(os.environ["IFR_SIM_RUNS"])).runs(kind="train")
    assert run.config["world"]["catalog"]["source"] == str((folder / CATALOG).resolve())

    resumed = ifr_sim("train", "--resume", str(folder / "run"), "--total-steps", "48",
                      "--no-progress", cwd=elsewhere)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed at step 32" in resumed.stdout
    evaluated = ifr_sim("evaluate", "--checkpoint", str(folder / "run"), "--episodes", "2",
                        cwd=elsewhere)
    assert evaluated.returncode == 0, evaluated.stderr

"""Transfer to people's words: the learning benchmark's scorer on a hand-written set.

Training in the simulator is only worth it if the scorer then follows the instructions
people type. After each seed's training, `bench learn` ranks the whole catalog for every
line of a hand-written instruction set (`data/instructions/*-dev.jsonl`, relevance derived
from each line's constraints) with three agents, on the first turn of a session:

- **zero-shot**: the run's policy as built, before any update;
- **trained**: the run's final checkpoint;
- **plain-minilm**: the bare encoder's cosine over "Title (year). Genres: ..." texts,
  the reference a scorer that reads instructions has to beat.

Each gives NDCG@10 and precision@10 with 95% confidence intervals over the lines, and is
recorded as an `evaluate` run of the instruction file tagged with its training run
(`train_run`), which the dashboard shows next to that run's curves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ifr_sim.agents.base import Agent
from ifr_sim.agents.baselines.plain_minilm import PlainMiniLMAgent
from ifr_sim.agents.evaluation.instruction_set import (
    LabelledInstruction,
    evaluate_instructions,
    read_instruction_file,
)
from ifr_sim.agents.policy.policy_agent import PolicyAgent
from ifr_sim.agents.training.checkpoint import build_policy, load_checkpoint
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.core.config import to_dict
from ifr_sim.core.run_store import RunStore
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.world import load_catalog

INSTRUCTION_DIR = Path("data/instructions")
"""Where a checkout of the repository keeps the hand-written sets."""
HUMAN_SETS = {"movielens": "movielens-dev.jsonl", "synthetic": "shop-dev.jsonl"}
"""The hand-written set of each built-in catalog (the shop's is written for the preset's
10,000 items, seed 0)."""
TRANSFER_AGENTS = ("zero-shot", "trained", "plain-minilm")


def transfer_metrics(result: dict[str, Any]) -> tuple[str, ...]:
    """The figures a transfer line is reported by: NDCG and precision at the slate's
    first 10 positions (`ndcg@10`, or `ndcg@5` for slates of 5)."""
    return tuple(key for key in result
                 if key.startswith(("ndcg@", "precision@")) and not key.endswith("_ci95"))


def default_instruction_set(world: WorldConfig) -> Path | None:
    """The repository's hand-written set for the world's catalog, None if it has none."""
    name = HUMAN_SETS.get(world.catalog.source)
    return INSTRUCTION_DIR / name if name is not None else None


def read_human_set(path: Path, world: WorldConfig) -> list[LabelledInstruction]:
    """The set's lines resolved against the world's catalog (read before any training,
    so that a missing or malformed file stops the benchmark at once).

    Raises:
        InstructionFileError: the file is missing or has bad lines.
    """
    return read_instruction_file(path, load_catalog(world.catalog)).records


def transfer_lines(
    config: TrainConfig,
    run_dir: Path,
    path: Path,
    records: list[LabelledInstruction],
    store: RunStore | None = None,
    train_run: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Every `TRANSFER_AGENTS` line on the hand-written set, recorded in `store` if given.

    Args:
        config: the training run's config (its world, scorer and seed).
        run_dir: the run directory holding its final checkpoint.
        path: the instruction file `records` were read from (recorded with each line).
        records: its lines (`read_human_set`).
        store: where to record each line as an `evaluate` run; None: nowhere.
        train_run: the training run's id in `store`, recorded with each line.
    """
    world = config.world
    trained, _ = load_checkpoint(run_dir)
    agents: dict[str, Agent] = {
        "zero-shot": PolicyAgent(build_policy(config), name="zero-shot"),
        "trained": PolicyAgent(trained, name="trained"),
        "plain-minilm": PlainMiniLMAgent(load_catalog(world.catalog), world.slate_size),
    }
    lines = {}
    for name, agent in agents.items():
        result = evaluate_instructions(agent, records, world.instruction_bytes,
                                       world.history_length, config.seed)
        lines[name] = result
        if store is not None:
            _record(store, config, name, path, result, len(records), train_run,
                    str(run_dir.resolve()) if name == "trained" else None)
    return lines


def _record(
    store: RunStore, config: TrainConfig, agent: str, path: Path, result: dict[str, Any],
    lines: int, train_run: str | None, checkpoint: str | None,
) -> None:
    """One `evaluate` run of the instruction file, as `ifr-sim evaluate --instructions`
    records one, plus the training run it belongs to."""
    instructions = str(path.resolve())
    run_config = {"world": to_dict(config.world), "agent": agent, "checkpoint": checkpoint,
                  "instructions": instructions, "episodes": lines, "train_run": train_run}
    with store.recording("evaluate", run_config, config.seed) as run_id:
        metrics = [key for key in result if not key.endswith("_ci95")]
        store.log_result(run_id, 0, {**result, "agent": agent, "instructions": instructions,
                                     "episodes": lines}, metrics)

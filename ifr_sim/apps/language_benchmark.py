"""`ifr-sim bench language`: how varied each instruction language is, next to people's.

For each world that has a hand-written instruction set (MovieLens, the synthetic shop),
every registered instruction language says as many instructions as the set has lines,
on its training and its held-out split, and each corpus is measured like the set itself:
distinct-1/2/3, self-BLEU and mean length in words (`core.instructions.diversity`).
Corpora are compared at one size because distinct-n falls as a corpus grows.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from ifr_sim.agents.evaluation.instruction_set import read_instruction_file
from ifr_sim.agents.experiments.transfer import default_instruction_set
from ifr_sim.core.instructions.diversity import diversity
from ifr_sim.core.results import write_json
from ifr_sim.envs.config import Split, WorldConfig, preset_config
from ifr_sim.envs.languages import language_factory
from ifr_sim.envs.registry import LANGUAGES
from ifr_sim.envs.world import load_catalog

WORLDS = ("movielens", "synthetic-shop")
"""The presets whose catalogs have a hand-written set."""
SPLITS: tuple[Split, ...] = ("train", "heldout")
HUMAN = "hand-written"


def generated(world: WorldConfig, language: str, split: Split, size: int, seed: int) -> list[str]:
    """`size` instructions of `language` on `split`, each for its own intent, drawn for
    users who like every category alike (as the world's intent bank draws them)."""
    catalog = load_catalog(world.catalog)
    speaker = language_factory(language)(catalog, split, world.specificity)
    rng = np.random.default_rng(seed)
    affinity = np.ones(catalog.num_categories)
    return [speaker.render(speaker.sample_intent(rng, affinity), rng) for _ in range(size)]


def language_rows(seed: int) -> list[dict[str, Any]]:
    """One row per world and corpus: the hand-written set, then each language and split.

    Raises:
        InstructionFileError: a hand-written set is missing (they are read from a checkout
            of the repository) or malformed.
    """
    rows = []
    for preset in WORLDS:
        world = preset_config(preset)
        path = default_instruction_set(world)
        assert path is not None  # every world of WORLDS has a set
        human = [r.instruction for r in read_instruction_file(
            path, load_catalog(world.catalog)).records]
        corpora = {HUMAN: human}
        for language in LANGUAGES.names():
            for split in SPLITS:
                corpora[f"{language} ({split})"] = generated(world, language, split,
                                                              len(human), seed)
        rows += [{"world": preset, "corpus": name, **dataclasses.asdict(diversity(texts))}
                 for name, texts in corpora.items()]
    return rows


def run_language_benchmark(seed: int, json_path: Path | None = None) -> list[dict[str, Any]]:
    """Print the diversity table (and write it as JSON if asked)."""
    rows = language_rows(seed)
    columns = ("size", "distinct_1", "distinct_2", "distinct_3", "self_bleu", "mean_words")
    print(f"{'world':<16}{'corpus':<22}" + "".join(f"{c:>12}" for c in columns))
    for row in rows:
        print(f"{row['world']:<16}{row['corpus']:<22}" + "".join(
            f"{row[c]:>12.3f}" if isinstance(row[c], float) else f"{row[c]:>12}"
            for c in columns))
    if json_path is not None:
        write_json({"seed": seed, "rows": rows}, json_path)
        print(f"results written to {json_path}")
    return rows

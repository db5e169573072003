"""The hand-written instruction sets in data/instructions: they parse, every line's
constraints pick out a real but narrow set of items, and none is a simulator template."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ifr_sim.agents.evaluation.instruction_set import read_instruction_file
from ifr_sim.core.instructions import TEMPLATES
from ifr_sim.envs.config import preset_config
from ifr_sim.envs.world import load_catalog

SETS = Path(__file__).resolve().parents[1] / "data" / "instructions"
MAX_RELEVANT_SHARE = 0.5
"""A line whose constraints match more of the catalog than this would not test following it."""


def template_pattern(text: str) -> re.Pattern[str]:
    """A template with any text in its slots and any final punctuation."""
    fixed = re.split(r"\{(?:desc|descs|occasion)\}", text.rstrip(".?!"))
    return re.compile(r"\s*" + ".+".join(map(re.escape, fixed)) + r"[.?!]*\s*", re.IGNORECASE)


@pytest.mark.parametrize(("name", "preset", "at_least"), [
    ("movielens-dev.jsonl", "movielens", 150),
    ("shop-dev.jsonl", "synthetic-shop", 100),
])
def test_a_shipped_set_resolves_on_its_catalog(name: str, preset: str, at_least: int) -> None:
    path = SETS / name
    catalog = load_catalog(preset_config(preset).catalog)
    loaded = read_instruction_file(path, catalog)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(loaded.records) == len(lines) >= at_least
    assert loaded.ignored == {"id": len(lines), "source": len(lines)}
    for line, record in zip(lines, loaded.records, strict=True):
        assert set(line) == {"id", "instruction", "constraints", "source"}, line
        assert line["source"] == "hand-written"
        assert 1 <= len(record.relevant) <= MAX_RELEVANT_SHARE * len(catalog), line
    assert len({line["id"] for line in lines}) == len(lines)
    assert len({line["instruction"].casefold() for line in lines}) == len(lines)
    patterns = [template_pattern(t.text) for t in TEMPLATES
                if re.sub(r"\{\w+\}|\W", "", t.text)]  # a bare "{desc}" frames nothing
    echoes = [line["instruction"] for line in lines
              if any(p.fullmatch(line["instruction"]) for p in patterns)]
    assert echoes == []

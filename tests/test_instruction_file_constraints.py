"""`evaluate --instructions` with constraints, a byte order mark and keys it does not read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ifr_sim.agents.evaluation.instruction_set import InstructionFileError, read_instruction_file
from ifr_sim.core.instructions.constraints import ConstraintResolver
from ifr_sim.envs.config import CatalogConfig
from ifr_sim.envs.world import load_catalog

WESTERNS_OF_THE_90S = {"include": ["western"], "year": {"min": 1990, "max": 1999}}


def write(path: Path, rows: list[dict], bom: bool = False) -> Path:
    text = "".join(json.dumps(row) + "\n" for row in rows)
    path.write_bytes(b"\xef\xbb\xbf" * bom + text.encode("utf-8"))
    return path


def test_relevant_and_constraints_together_give_their_union(tmp_path: Path) -> None:
    catalog = load_catalog(CatalogConfig())
    westerns = ConstraintResolver(catalog).relevant(WESTERNS_OF_THE_90S)
    toy_story = catalog.index_of(["1"])
    path = write(tmp_path / "i.jsonl", [
        {"instruction": "a 90s western", "constraints": WESTERNS_OF_THE_90S},
        {"instruction": "a 90s western or Toy Story", "constraints": WESTERNS_OF_THE_90S,
         "relevant": ["1"]},
    ])
    first, second = read_instruction_file(path, catalog).records
    assert 0 < len(westerns) < 20 and toy_story[0] not in westerns
    assert first.relevant.tolist() == westerns.tolist()
    assert second.relevant.tolist() == sorted([*westerns.tolist(), int(toy_story[0])])


def test_constraint_matches_outside_the_candidates_do_not_count(tmp_path: Path) -> None:
    catalog = load_catalog(CatalogConfig())
    westerns = ConstraintResolver(catalog).relevant(WESTERNS_OF_THE_90S)
    others = np.setdiff1d(np.arange(len(catalog)), westerns)[:20]
    candidates = [str(catalog.ids[i]) for i in [*others, westerns[0]]]
    path = write(tmp_path / "i.jsonl", [
        {"instruction": "a 90s western", "constraints": WESTERNS_OF_THE_90S,
         "candidates": candidates},
        {"instruction": "a 90s western", "constraints": WESTERNS_OF_THE_90S,
         "candidates": candidates[:-1]},
        {"instruction": "a cartoon", "constraints": {"include": ["cartoons"]}},
        {"instruction": "no labels"},
    ])
    with pytest.raises(InstructionFileError) as caught:
        read_instruction_file(path, catalog)
    message = str(caught.value)
    assert "3 bad line(s)" in message and "line 1:" not in message
    assert f"line 2: 'constraints' match {len(westerns)} item(s), none of them a candidate" \
        in message
    assert "line 3: 'include': unknown category ['cartoons']; catalog 'movielens-100k' has" \
        in message
    assert "line 4: give 'relevant' (item ids), 'constraints'" in message


def test_the_cli_reads_a_bom_and_reports_ignored_keys_once(tmp_path: Path) -> None:
    path = write(tmp_path / "i.jsonl", [
        {"id": "a", "instruction": "a 90s western", "constraints": WESTERNS_OF_THE_90S,
         "source": "hand-written"},
        {"id": "b", "instruction": "toy story", "relevant": ["1"]},
        {"instruction": "anything by pixar", "relevant": ["1"], "note": "Toy Story only"},
    ], bom=True)
    out = tmp_path / "r.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "ifr_sim.apps.cli", "evaluate", "--agent", "bm25",
         "--instructions", str(path), "--json", str(out), "--runs", str(tmp_path / "runs")],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    warnings = [line for line in result.stderr.splitlines() if "ignored key(s)" in line]
    assert warnings == [
        f"ifr-sim evaluate: warning: {path}: ignored key(s) 'id' (2 lines), 'source' (1 line), "
        "'note' (1 line); evaluation reads only instruction, relevant, constraints, candidates"
    ]
    assert json.loads(out.read_text())["episodes"] == 3

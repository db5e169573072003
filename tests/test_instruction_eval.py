"""`evaluate --instructions`: the labelled instruction format, its metrics and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ifr_sim.agents.evaluation.instruction_set import InstructionFileError, read_instruction_file
from ifr_sim.apps.cli import main
from ifr_sim.envs.config import CatalogConfig
from ifr_sim.envs.world import load_catalog


def write(path: Path, rows: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def test_bm25_finds_a_title_it_is_asked_for(tmp_path: Path) -> None:
    # "Toy Story" (id 1) and "Toy Story" words only occur in that title among candidates 1..30,
    # so BM25 ranks it first: NDCG@10 = HR@10 = MRR = 1, precision@10 = 1/10.
    rows = [{"instruction": "toy story please", "relevant": ["1"],
             "candidates": [str(i) for i in range(1, 31)]}]
    out = tmp_path / "r.json"
    assert main(["evaluate", "--agent", "bm25", "--instructions",
                 str(write(tmp_path / "i.jsonl", rows)), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["ndcg@10"] == pytest.approx(1.0) and result["hr@10"] == 1.0
    assert result["mrr"] == 1.0 and result["precision@10"] == pytest.approx(0.1)
    assert result["episodes"] == 1


def test_every_bad_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.jsonl", [
        {"instruction": "fine", "relevant": ["1"]},
        "not json",
        {"instruction": "", "relevant": ["1"]},
        {"instruction": "x", "relevant": ["99999"]},
        {"instruction": "x", "relevant": []},
        {"instruction": "x", "relevant": ["1"], "candidates": ["2", "3"]},
        {"instruction": "x", "extra": 1},
    ])
    with pytest.raises(InstructionFileError) as caught:
        read_instruction_file(path, load_catalog(CatalogConfig()))
    message = str(caught.value)
    assert "6 bad line(s)" in message
    for line, text in [(2, "not valid JSON"), (3, "non-empty string"), (4, "'99999'"),
                       (5, "at least one"), (6, "at least 10"), (7, "give 'relevant'")]:
        assert f"line {line}: " in message and text in message


def test_missing_and_empty_files(tmp_path: Path) -> None:
    catalog = load_catalog(CatalogConfig())
    with pytest.raises(InstructionFileError, match="does not exist"):
        read_instruction_file(tmp_path / "nope.jsonl", catalog)
    with pytest.raises(InstructionFileError, match="no instructions"):
        read_instruction_file(write(tmp_path / "empty.jsonl", [""]), catalog)


def test_oracle_is_refused(tmp_path: Path, capsys) -> None:
    path = write(tmp_path / "i.jsonl", [{"instruction": "x", "relevant": ["1"]}])
    assert main(["evaluate", "--agent", "oracle", "--instructions", str(path)]) == 2
    assert "ground truth" in capsys.readouterr().err

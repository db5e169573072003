"""Offline evaluation on a user-supplied instruction set (`evaluate --instructions F.jsonl`).

Each line is `{"instruction": str, "relevant": [item ids], "constraints": {...},
"candidates": [item ids]}`. A line gives `relevant`, `constraints` (resolved to items by
`ConstraintResolver`, the simulator's own intent matching) or both; with both, the relevant
set is their union, so hand-picked items the constraints cannot express (a brand, a
runtime) add to what the constraints match. `candidates` is optional (default: the whole
catalog); constraint matches outside the candidates do not count. Other keys (an `id`, a
`source`) are ignored, and reported once per file. A UTF-8 byte order mark is accepted.

The agent ranks the candidates for the instruction as a cold user on the first turn of a
session would see them, and the slate's first 10 items (all of a shorter slate) are scored
against the relevant set with binary gains; the metric names carry that cut-off (`ndcg@10`,
or `ndcg@5` for slates of 5).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ifr_sim.agents.base import Agent
from ifr_sim.core.catalog import Catalog
from ifr_sim.core.instructions.constraints import ConstraintResolver
from ifr_sim.core.metrics import mean_ci95, ndcg_at_k, precision_at_k
from ifr_sim.envs.intent_bank import utf8_prefix

CUTOFF = 10
READ_KEYS = ("instruction", "relevant", "constraints", "candidates")
"""The keys a line's evaluation reads; any other key is ignored."""


class InstructionFileError(ValueError):
    """An instruction file is malformed; the message lists every bad line by number."""


@dataclass(frozen=True)
class LabelledInstruction:
    """One line of an instruction file, resolved to catalog indices."""

    line: int
    instruction: str
    relevant: np.ndarray
    candidates: np.ndarray


@dataclass(frozen=True)
class InstructionSet:
    """A parsed instruction file.

    Attributes:
        records: its lines, in file order.
        ignored: each ignored key and how many lines held it, in order of first use.
    """

    records: list[LabelledInstruction]
    ignored: dict[str, int]

    def ignored_notice(self, path: Path) -> str | None:
        """One line naming the ignored keys, or None when every key was read."""
        if not self.ignored:
            return None
        counts = ", ".join(f"{key!r} ({n} line{'s' if n > 1 else ''})"
                           for key, n in self.ignored.items())
        return f"{path}: ignored key(s) {counts}; evaluation reads only {', '.join(READ_KEYS)}"


class _LineReader:
    """Parses lines against one catalog, resolving constraints with one resolver (built
    on the first line that has constraints) and counting the keys it ignores."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.ignored: dict[str, int] = {}
        self._resolver: ConstraintResolver | None = None

    def parse(self, number: int, text: str) -> LabelledInstruction | None:
        """The line's record, None for a blank line; raises ValueError on a bad one."""
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"not valid JSON ({error.msg})") from None
        if not isinstance(data, dict):
            raise ValueError("must be a JSON object with 'instruction' and 'relevant' or "
                             "'constraints'")
        instruction = data.get("instruction")
        if not isinstance(instruction, str) or not instruction.strip():
            raise ValueError("'instruction' must be a non-empty string")
        if "relevant" not in data and "constraints" not in data:
            raise ValueError("give 'relevant' (item ids), 'constraints' (what the relevant "
                             "items meet), or both")
        n = len(self.catalog)
        candidates = _ids(data, "candidates", self.catalog) if "candidates" in data else (
            np.arange(n))
        if len(np.unique(candidates)) != len(candidates):
            raise ValueError("'candidates' lists an item id twice")
        if len(candidates) < CUTOFF:
            raise ValueError(f"'candidates' must list at least {CUTOFF} items")
        relevant = np.zeros(0, np.int64)
        if "relevant" in data:
            relevant = _ids(data, "relevant", self.catalog)
            if not len(relevant):
                raise ValueError("'relevant' must list at least one item id")
            if not np.isin(relevant, candidates).all():
                raise ValueError("every 'relevant' item must also be a candidate")
        if "constraints" in data:
            matched = self._constraint_matches(data["constraints"])
            among = matched[np.isin(matched, candidates)]
            if not len(among):
                raise ValueError(f"'constraints' match {len(matched)} item(s), none of them "
                                 "a candidate; widen 'candidates' or loosen the constraints")
            relevant = np.union1d(relevant, among)
        for key in data:
            if key not in READ_KEYS:
                self.ignored[key] = self.ignored.get(key, 0) + 1
        return LabelledInstruction(number, instruction, relevant, candidates)

    def _constraint_matches(self, constraints: Any) -> np.ndarray:
        if self._resolver is None:
            self._resolver = ConstraintResolver(self.catalog)
        return self._resolver.relevant(constraints)


def read_instruction_file(path: Path, catalog: Catalog) -> InstructionSet:
    """Parse and validate every line; all problems are reported together."""
    if not path.is_file():
        raise InstructionFileError(f"instruction file {path} does not exist")
    reader = _LineReader(catalog)
    records, problems = [], []
    with path.open("rb") as lines:  # decoded line by line, so a bad byte has a line number
        numbered = list(enumerate(lines, start=1))
    for number, raw in numbered:
        try:
            # "utf-8-sig" drops a byte order mark, which only the first line can carry.
            record = reader.parse(number, raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            if record is not None:
                records.append(record)
        except UnicodeDecodeError as error:
            problems.append(f"line {number}: not valid UTF-8 ({error}); save the file as UTF-8")
        except ValueError as error:
            problems.append(f"line {number}: {error}")
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise InstructionFileError(f"{path} has {len(problems)} bad line(s):\n  {shown}{more}")
    if not records:
        raise InstructionFileError(f"{path} holds no instructions")
    return InstructionSet(records, reader.ignored)


def _ids(data: dict[str, Any], key: str, catalog: Catalog) -> np.ndarray:
    values = data.get(key)
    if not isinstance(values, list) or not all(isinstance(v, str | int) for v in values):
        raise ValueError(f"'{key}' must be a list of item ids")
    try:
        return catalog.index_of(values)
    except KeyError as error:
        raise ValueError(str(error.args[0])) from None


def evaluate_instructions(
    agent: Agent, records: list[LabelledInstruction], instruction_bytes: int, history_length: int,
    seed: int,
) -> dict[str, float]:
    """NDCG@k, HR@k, MRR and precision@k of `agent` over the labelled instructions, with k
    the slate's first `CUTOFF` positions (fewer if the agent's slates are shorter)."""
    rng = np.random.default_rng([seed, 1])
    scores: dict[str, list[float]] = {}
    for record in records:
        n = len(record.candidates)
        encoded = utf8_prefix(record.instruction, instruction_bytes)
        instruction = np.zeros((1, instruction_bytes), np.uint8)
        instruction[0, : len(encoded)] = np.frombuffer(encoded, np.uint8)
        observation = {
            "instruction": instruction,
            "candidates": record.candidates[None],
            "history": np.full((1, history_length), -1, np.int64),
            "shown": np.zeros((1, n), np.int8),
            "turn": np.zeros((1, 1), np.int64),
        }
        slate = np.asarray(agent.act(observation, {}, rng))[:, :CUTOFF]
        gains = np.isin(record.candidates, record.relevant)[None].astype(np.float64)
        # Binary relevance: the "most relevant" item for HR and MRR is any relevant one, so
        # take the first relevant position in the slate.
        hits = np.take_along_axis(gains, slate, axis=1)[0]
        first = int(np.argmax(hits)) if hits.any() else -1
        k = slate.shape[1]
        for name, value in (
            (f"ndcg@{k}", float(ndcg_at_k(slate, gains, k)[0])),
            (f"hr@{k}", float(hits.any())),
            ("mrr", 1.0 / (first + 1) if first >= 0 else 0.0),
            (f"precision@{k}", float(precision_at_k(slate, gains.astype(bool), k)[0])),
        ):
            scores.setdefault(name, []).append(value)
    result: dict[str, float] = {}
    for name, values in scores.items():
        result[name], result[f"{name}_ci95"] = mean_ci95(values)
    return result


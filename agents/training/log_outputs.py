"""The trainer's SB3 logger outputs besides the run store: `progress.csv` and TensorBoard.

Both can continue a run from a checkpoint without duplicating steps: the CSV keeps the
rows written up to the checkpoint and drops the rest, and TensorBoard is told to hide
what a killed process logged after it (`purge_step`).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from stable_baselines3.common.logger import (
    CSVOutputFormat,
    TensorBoardOutputFormat,
    filter_excluded_keys,
)

from ifr_sim.core.config import ConfigError


def progress_rows(path: Path) -> int:
    """Data rows in a `progress.csv` (0 if there is none).

    SB3 writes one line per logger dump, numbers only, so rows are lines after the header.
    """
    if not path.is_file():
        return 0
    with open(path, encoding="utf-8") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


class ProgressCSV(CSVOutputFormat):
    """SB3's CSV output, with each new column added in the order its key was logged.

    SB3 adds a row's new keys as a set difference, ordered by Python's string hashing,
    which is salted per process (`PYTHONHASHSEED`): two runs with one seed wrote the same
    values under differently ordered columns. In logging order, the file is a function of
    the run alone.
    """

    def write(
        self, key_values: dict[str, Any], key_excluded: dict[str, tuple[str, ...]], step: int = 0
    ) -> None:
        known = set(self.keys)
        new = [key for key in filter_excluded_keys(key_values, key_excluded, "csv")
               if key not in known]
        if new:  # header and padding here, so that SB3 finds no new key
            self.keys.extend(new)
            self.file.seek(0)
            rows = self.file.readlines()[1:]
            self.file.seek(0)
            self.file.write(self.separator.join(self.keys) + "\n")
            self.file.writelines(row[:-1] + self.separator * len(new) + "\n" for row in rows)
        super().write(key_values, key_excluded, step)


def progress_csv(path: Path, keep_rows: int | None = None) -> ProgressCSV:
    """SB3's CSV output on `path`; with `keep_rows`, the first rows of the file are kept.

    SB3 truncates the file it opens, so a resumed run writes back the header and the
    rows up to its checkpoint before continuing; rows a killed process wrote after the
    checkpoint are dropped, as the resumed run writes them again.
    """
    lines: list[str] = []  # the header and the kept rows
    if keep_rows is not None and path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)[: 1 + keep_rows]
        if max(len(lines) - 1, 0) < keep_rows:
            warnings.warn(
                f"{path} has {max(len(lines) - 1, 0)} rows, the checkpoint was saved after "
                f"{keep_rows}; the missing rows stay missing",
                stacklevel=2,
            )
    output = ProgressCSV(str(path))
    if lines:
        output.keys = lines[0].rstrip("\n").split(",")
        output.file.write("".join(lines))
        output.file.flush()
    return output


class TensorBoardOutput(TensorBoardOutputFormat):
    """SB3's TensorBoard output, able to continue a run.

    Args:
        folder: the run's event directory.
        purge_step: events at this step or later that earlier writers left in `folder`
            are hidden from TensorBoard (a resumed run passes its checkpoint's step + 1; a
            fresh run 0, so a rerun in the same folder replaces the old curves).

    Raises:
        ConfigError: the tensorboard package is not installed (the message says how to
            install it).
    """

    def __init__(self, folder: Path, purge_step: int) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError(
                f"tensorboard_log={str(folder.parent)!r} needs the tensorboard package: "
                "pip install 'ifr-sim[tensorboard]' (or pip install tensorboard), or train "
                "without --tensorboard"
            ) from None
        self.writer = SummaryWriter(log_dir=str(folder), purge_step=purge_step)
        self._is_closed = False

"""Load a user's own catalog from a CSV, Parquet or JSONL file.

The format is picked by suffix: `.csv` (UTF-8, a header line first), `.parquet`, or
`.jsonl` (UTF-8, one JSON object per line; blank lines are skipped). One row is one item:

==============  ========  ==============================================================
column          required  meaning
==============  ========  ==============================================================
``id``          yes       unique item id, read as text
``title``       yes       non-empty display name
``text``        no        what the scorer reads; when absent or empty it is built from
                          the title, categories and attributes ("Aurora X5. Categories:
                          phones. Brand: Aurora. Price: 349.")
``categories``  no        category names: a ``|``-separated string (``phones|budget``),
                          or in JSONL and Parquet also a list of strings
``quality``     no        number in [0, 1]; default 0.5 for every item
``rating``      no        any finite number (e.g. stars), mapped to quality by min-max
                          over the file when there is no ``quality`` column; it is also
                          kept as an attribute
``popularity``  no        number >= 0 (sales, views, rating count), percentile-ranked
                          onto [0, 1]; default 0.5 for every item
``year``        no        numeric attribute that range requests ("from the 90s") use
``price``       no        numeric attribute >= 0; the range attribute when there is no
                          ``year`` column ("under $300")
anything else   no        a typed attribute: numeric (float) when every non-empty value
                          is a number, otherwise text
==============  ========  ==============================================================

Text columns (ids, text attributes) are numpy arrays of Python strings (object dtype):
their memory grows with the total text, not with rows times the longest cell, so one
long description costs its own size. CSV fields may be as long as you like (Python's
`csv` module stops at 131,072 characters unless told otherwise; this reader tells it).

Empty values (a blank CSV field, the text "NaN", JSON ``null``, a Parquet null) are
allowed in attribute columns, where they mean "unknown" (NaN for numbers, "" for text),
but not in ``id``, ``title``, ``quality``, ``rating`` or ``popularity``: a default there
would silently invent data. Numbers must be finite. Ids must be unique. Every error is a
`CatalogError` naming the file, the row (the first data row is row 1; CSV and JSONL errors
also give the line of the file) and the column, and saying what was expected.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ifr_sim.core.catalog.catalog import Catalog, CatalogError, Domain, percentile_rank

REQUIRED = ("id", "title")
RANGE_ATTRIBUTES = ("year", "price")
"""Candidates for `Catalog.range_attribute`, in order of preference."""

_SEMANTIC = frozenset({"id", "title", "text", "categories", "quality", "popularity"})
_BOUNDS = {"quality": (0.0, 1.0), "popularity": (0.0, math.inf), "price": (0.0, math.inf)}
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of bad bytes
_CSV_FIELD_LIMIT = 2**31 - 1
"""Longest CSV field read (characters): the most `csv.field_size_limit` takes everywhere
(a C long on Windows), far beyond a file that fits in memory as text."""


@dataclass(frozen=True)
class _Table:
    """Parsed cells (text, numbers, lists) plus where each row starts in the file."""

    path: Path
    frame: pd.DataFrame
    lines: list[int] | None
    header: str

    def place(self, index: int) -> str:
        """The 0-based row `index` as a person finds it in the file."""
        line = f" (line {self.lines[index]})" if self.lines is not None else ""
        return f"row {index + 1}{line}"

    def error(self, index: int | None, column: str | None, problem: str) -> CatalogError:
        """An error naming the file, the row (or the header) and the column."""
        where = [str(self.path), self.header if index is None else self.place(index)]
        if column is not None:
            where.append(f"column {column!r}")
        return CatalogError(f"{', '.join(where)}: {problem}")


def load_catalog_file(path: str | Path, domain: Domain = "generic") -> Catalog:
    """Load a catalog file in the schema of this module's docstring.

    Args:
        path: a `.csv`, `.parquet` or `.jsonl` file.
        domain: which vocabulary the instruction language uses for these items.

    Returns:
        A catalog named after the file's stem.

    Raises:
        CatalogError: the file is missing, unreadable or breaks the schema.
    """
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise CatalogError(
            f"{path}: unknown file type {path.suffix!r}; expected one of {list(FILE_SUFFIXES)}"
        )
    if not path.is_file():
        raise CatalogError(f"{path}: no such file")
    return _build(reader(path), domain)


def _read_csv(path: Path) -> _Table:
    raw = path.read_bytes()
    reader = csv.reader(io.StringIO(_decode(raw), newline=""))
    previous_limit = csv.field_size_limit(_CSV_FIELD_LIMIT)
    try:
        header = [name.strip() for name in next(reader, [])]
        if not header:
            raise CatalogError(
                f"{path}: the file is empty; expected a header line naming at least "
                f"the columns {', '.join(REQUIRED)}"
            )
        records: list[list[str]] = []
        lines: list[int] = []
        start = reader.line_num + 1
        for record in reader:
            if record:  # csv yields [] for a blank line
                if len(record) != len(header):
                    raise CatalogError(
                        f"{path}, row {len(records) + 1} (line {start}): {len(record)} "
                        f"fields, but the header (line 1) has {len(header)}"
                    )
                records.append(record)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise CatalogError(f"{path}, line {reader.line_num}: not valid CSV ({exc})") from exc
    finally:
        csv.field_size_limit(previous_limit)  # the limit is process-wide: put it back
    repeated = sorted({name for name in header if header.count(name) > 1 or not name})
    if repeated:
        raise CatalogError(
            f"{path}, header (line 1): column names must be unique and non-empty; "
            f"repeated or empty: {repeated}"
        )
    frame = pd.DataFrame(records, columns=header, dtype=object)
    return _checked_utf8(_Table(path, frame, lines, "header (line 1)"), raw)


def _read_jsonl(path: Path) -> _Table:
    raw = path.read_bytes()
    records: list[dict[str, object]] = []
    lines: list[int] = []
    for number, line in enumerate(_decode(raw).split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}, row {len(records) + 1} (line {number})"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CatalogError(
                f"{where}: malformed JSON ({exc.msg} at character {exc.colno}); expected "
                "one JSON object per line"
            ) from exc
        if not isinstance(record, dict):
            raise CatalogError(f"{where}: expected a JSON object, got {type(record).__name__}")
        records.append(record)
        lines.append(number)
    columns = dict.fromkeys(key for record in records for key in record)
    frame = pd.DataFrame({c: [r.get(c) for r in records] for c in columns}, dtype=object)
    return _checked_utf8(_Table(path, frame, lines, "every row"), raw)


def _read_parquet(path: Path) -> _Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise CatalogError(f"{path}: not a readable Parquet file ({exc})") from exc
    frame = pd.DataFrame(
        {name: table.column(name).to_pylist() for name in table.column_names}, dtype=object
    )
    return _Table(path, frame, None, "schema")


_READERS: dict[str, Callable[[Path], _Table]] = {
    ".csv": _read_csv,
    ".jsonl": _read_jsonl,
    ".parquet": _read_parquet,
}
FILE_SUFFIXES = tuple(sorted(_READERS))
"""The catalog file types `load_catalog_file` reads."""


def _decode(raw: bytes) -> str:
    """UTF-8 text that keeps undecodable bytes as markers, so they can be located later."""
    return raw.decode("utf-8", "surrogateescape").removeprefix("\ufeff")


def _checked_utf8(table: _Table, raw: bytes) -> _Table:
    """`table`, unless the file has bytes that are not UTF-8: then say which cell holds them."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        lines = table.lines or []
        line = raw.count(b"\n", 0, exc.start) + 1
        problem = (
            f"byte {exc.start} (0x{raw[exc.start]:02x}, line {line}) is not valid UTF-8; "
            "save the file as UTF-8"
        )
        if not lines or line < lines[0]:
            raise table.error(None, None, problem) from None
        index = bisect.bisect_right(lines, line) - 1
        row = table.frame.iloc[index]
        column = next(
            (c for c, v in row.items() if isinstance(v, str) and _UNDECODABLE.search(v)), None
        )
        raise table.error(index, column, problem) from None
    return table


def _build(table: _Table, domain: Domain) -> Catalog:
    """Check the parsed rows against the schema and assemble the catalog."""
    frame = table.frame
    if len(frame) == 0:
        raise CatalogError(f"{table.path}: the file has no items; expected at least one row")
    for column in REQUIRED:
        if column not in frame.columns:
            raise table.error(
                None, column, f"missing required column (found: {', '.join(frame.columns)})"
            )
    ids = _required_text(table, "id")
    repeated = np.flatnonzero(pd.Series(ids).duplicated().to_numpy())
    if len(repeated):
        second = int(repeated[0])
        first = ids.index(ids[second])
        raise table.error(
            second, "id",
            f"duplicate id {ids[second]!r}, already used in {table.place(first)}; ids must "
            "be unique",
        )
    titles = _required_text(table, "title")
    category_names, categories = _categories(table)
    popularity = (
        percentile_rank(_required_numbers(table, "popularity"))
        if "popularity" in frame.columns
        else np.full(len(frame), 0.5, dtype=np.float32)
    )
    attributes = {c: _attribute(table, c) for c in frame.columns if c not in _SEMANTIC}
    return Catalog(
        name=table.path.stem,
        domain=domain,
        ids=_strings(ids),
        titles=tuple(titles),
        texts=_texts(table, titles, category_names, categories, attributes),
        category_names=category_names,
        categories=categories,
        quality=_quality(table),
        popularity=popularity,
        attributes=attributes,
        range_attribute=next((c for c in RANGE_ATTRIBUTES if c in attributes), None),
    )


def _quality(table: _Table) -> np.ndarray:
    """The `quality` column, else `rating` min-max scaled onto [0, 1], else 0.5."""
    if "quality" in table.frame.columns:
        return _required_numbers(table, "quality").astype(np.float32)
    if "rating" not in table.frame.columns:
        return np.full(len(table.frame), 0.5, dtype=np.float32)
    rating = _required_numbers(table, "rating")
    span = rating.max() - rating.min()
    scaled = (rating - rating.min()) / span if span > 0 else np.full(len(rating), 0.5)
    return scaled.astype(np.float32)


def _is_empty(cell: object) -> bool:
    """Whether a cell means "no value": None, NaN, or blank (or "NaN") text."""
    return (
        cell is None
        or (isinstance(cell, float) and math.isnan(cell))
        or (isinstance(cell, str) and cell.strip().lower() in ("", "nan"))
    )


def _as_text(table: _Table, index: int, column: str, cell: object) -> str:
    if _is_empty(cell):
        return ""
    if isinstance(cell, (list, dict)):
        raise table.error(index, column, f"expected a number or text, got {cell!r}")
    return str(cell).strip()


def _text(table: _Table, column: str) -> list[str]:
    return [_as_text(table, i, column, cell) for i, cell in enumerate(table.frame[column])]


def _required_text(table: _Table, column: str) -> list[str]:
    values = _text(table, column)
    if "" in values:
        raise table.error(values.index(""), column, f"empty {column}; every row needs one")
    return values


def _strings(values: Sequence[str]) -> np.ndarray:
    """An object array of the strings: numpy's fixed-width text would give every cell the
    width of the longest one (150 rows and one 5 MB cell cost 3 GB)."""
    return np.array(values, dtype=object)


def _numbers(table: _Table, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The column as floats, a mask of empty cells, and a mask of non-numeric cells."""
    cells = table.frame[column]
    empty = cells.map(_is_empty).to_numpy(dtype=bool)
    values = pd.to_numeric(cells.where(~empty, None), errors="coerce").to_numpy(dtype=float)
    return values, empty, np.isnan(values) & ~empty


def _check_numbers(table: _Table, column: str, values: np.ndarray, bad: np.ndarray) -> None:
    """Fail on the first cell that is not a number, or is one outside the column's bounds."""
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        cell = table.frame[column].iloc[index]
        raise table.error(index, column, f"expected a number, got {cell!r}")
    low, high = _BOUNDS.get(column, (-math.inf, math.inf))
    with np.errstate(invalid="ignore"):
        outside = ~np.isnan(values) & ~(np.isfinite(values) & (values >= low) & (values <= high))
    if outside.any():
        index = int(np.flatnonzero(outside)[0])
        bounds = f" in [{low:g}, {high:g}]" if high < math.inf else f" >= {low:g}"
        expected = "a finite number" + (bounds if low > -math.inf else "")
        raise table.error(
            index, column, f"{values[index]:g} is out of range; expected {expected}"
        )


def _required_numbers(table: _Table, column: str) -> np.ndarray:
    values, empty, bad = _numbers(table, column)
    if empty.any():
        raise table.error(
            int(np.flatnonzero(empty)[0]), column,
            "empty or missing value; every row needs a number here (drop the column to use "
            "the default)",
        )
    _check_numbers(table, column, values, bad)
    return values


def _attribute(table: _Table, column: str) -> np.ndarray:
    """A float column (NaN = unknown) if every non-empty cell is a number, else text."""
    values, _, bad = _numbers(table, column)
    if bad.any() and column not in RANGE_ATTRIBUTES:
        return _strings(_text(table, column))
    _check_numbers(table, column, values, bad)
    return values


def _categories(table: _Table) -> tuple[tuple[str, ...], np.ndarray]:
    """Category names (sorted) and the membership matrix; none without the column."""
    if "categories" not in table.frame.columns:
        return (), np.zeros((len(table.frame), 0), dtype=bool)
    per_row: list[list[str]] = []
    for index, cell in enumerate(table.frame["categories"]):
        if _is_empty(cell):
            names: list[str] = []
        elif isinstance(cell, str):
            names = cell.split("|")
        elif isinstance(cell, list) and all(isinstance(name, str) for name in cell):
            names = cell
        else:
            raise table.error(
                index, "categories",
                f"expected a '|'-separated string or a list of strings, got {cell!r}",
            )
        per_row.append([name.strip() for name in names if name.strip()])
    category_names = tuple(sorted({name for names in per_row for name in names}))
    position = {name: k for k, name in enumerate(category_names)}
    matrix = np.zeros((len(per_row), len(category_names)), dtype=bool)
    rows = [index for index, names in enumerate(per_row) for _ in names]
    matrix[rows, [position[name] for names in per_row for name in names]] = True
    return category_names, matrix


def _texts(
    table: _Table,
    titles: list[str],
    category_names: tuple[str, ...],
    categories: np.ndarray,
    attributes: dict[str, np.ndarray],
) -> tuple[str, ...]:
    """The file's `text` column where given, else a description built from the row."""
    given = _text(table, "text") if "text" in table.frame.columns else [""] * len(titles)
    names = _strings(category_names)
    columns = [
        [_sentence("Categories", ", ".join(names[row])) for row in categories],
        *([_sentence(c, v) for v in values.tolist()] for c, values in attributes.items()),
    ]
    built = (
        " ".join(filter(None, (f"{title}.", *parts)))
        for title, *parts in zip(titles, *columns, strict=True)
    )
    return tuple(text or description for text, description in zip(given, built, strict=True))


def _sentence(column: str, value: float | str) -> str:
    """'Brand: Aurora.' for one attribute; '' when the value is unknown."""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        value = f"{value:.0f}" if value.is_integer() else f"{value:g}"
    return f"{column.replace('_', ' ').capitalize()}: {value}." if value else ""

"""Users' catalog files load the same from CSV, Parquet and JSONL, and bad ones say where."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ifr_sim.core.catalog import Catalog, CatalogError, load_catalog_file

ROWS = [
    {"id": "a1", "title": "Aurora X5", "categories": ["phones", "budget"], "rating": 4.5,
     "popularity": 120, "price": 349, "brand": "Aurora", "text": None},
    {"id": "a2", "title": 'Nimbus, "Air"', "categories": ["laptops"], "rating": 3.5,
     "popularity": 15, "price": 999.5, "brand": None, "text": "A thin laptop."},
    {"id": "a3", "title": "Lumen Buds", "categories": [], "rating": 2.5,
     "popularity": 15, "price": None, "brand": "Lumen", "text": None},
]


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    """Write `rows` in the format `path`'s suffix names, categories as the schema says."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        frame = pd.DataFrame(rows)
        if "categories" in frame:
            frame["categories"] = frame["categories"].map("|".join)
        frame.to_csv(path, index=False)
    else:
        pd.DataFrame(rows).to_parquet(path)
    return path


def where(path: Path, place: str, column: str) -> str:
    """The start of an error message: file, row and column, escaped for `match`."""
    return re.escape(f"{path}, {place}, column '{column}': ")


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    shop = load_catalog_file(write(tmp_path / f"gadgets{suffix}", ROWS), domain="shop")
    assert shop.name == "gadgets" and shop.domain == "shop"
    assert shop.ids.tolist() == ["a1", "a2", "a3"]
    assert shop.titles == ("Aurora X5", 'Nimbus, "Air"', "Lumen Buds")
    assert shop.category_names == ("budget", "laptops", "phones")
    assert shop.categories.tolist() == [[True, False, True], [False, True, False],
                                        [False, False, False]]
    # ratings 4.5, 3.5, 2.5 min-max onto [0, 1]; popularity 120, 15, 15 percentile-ranked
    assert np.allclose(shop.quality, [1.0, 0.5, 0.0])
    assert np.allclose(shop.popularity, [1.0, 0.25, 0.25])
    assert shop.range_attribute == "price"
    assert shop.attributes["brand"].tolist() == ["Aurora", "", "Lumen"]
    assert shop.attributes["rating"].tolist() == [4.5, 3.5, 2.5]
    price = shop.attributes["price"]
    assert price.dtype == np.float64 and price[:2].tolist() == [349.0, 999.5]
    assert math.isnan(price[2])
    assert shop.texts == (
        "Aurora X5. Categories: budget, phones. Rating: 4.5. Price: 349. Brand: Aurora.",
        "A thin laptop.",
        "Lumen Buds. Rating: 2.5. Brand: Lumen.",
    )


def test_minimal_file_uses_defaults_and_prefers_year(tmp_path: Path) -> None:
    path = tmp_path / "films.csv"
    path.write_text("id,title,year,price\n7,Heat,1995,\n8,Up,NaN,3\n", encoding="utf-8")
    films = load_catalog_file(path)
    assert films.domain == "generic" and films.num_categories == 0
    assert films.quality.tolist() == [0.5, 0.5] and films.popularity.tolist() == [0.5, 0.5]
    assert films.range_attribute == "year"
    assert films.texts == ("Heat. Year: 1995.", "Up. Price: 3.")


def test_quality_column_wins_over_rating(tmp_path: Path) -> None:
    rows = [{"id": 1, "title": "a", "quality": 0.2, "rating": 5},
            {"id": 2, "title": "b", "quality": 0.9, "rating": 1}]
    catalog = load_catalog_file(write(tmp_path / "q.jsonl", rows))
    assert np.allclose(catalog.quality, [0.2, 0.9])
    assert catalog.ids.tolist() == ["1", "2"]


def test_blank_lines_and_bom_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfid,title\n\n1,One\n\n2,Two\n")
    assert load_catalog_file(path).titles == ("One", "Two")


def load(path: Path, text: str | bytes) -> Catalog:
    """Write `text` to `path` as is, then load it."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return load_catalog_file(path)


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "items.xlsx"
    with pytest.raises(CatalogError, match=re.escape(f"{path}: unknown file type '.xlsx'")):
        load(path, "id,title\n")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no such file"):
        load_catalog_file(tmp_path / "absent.csv")


def test_missing_required_column(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    with pytest.raises(CatalogError, match=where(path, "header (line 1)", "title")
                       + "missing required column"):
        load(path, "id,name\n1,One\n")


def test_duplicate_id_names_both_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    with pytest.raises(CatalogError, match=where(path, "row 3 (line 4)", "id")
                       + re.escape("duplicate id 'x', already used in row 1 (line 2)")):
        load(path, "id,title\nx,One\ny,Two\nx,Three\n")


def test_empty_title(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    with pytest.raises(CatalogError, match=where(path, "row 2 (line 3)", "title") + "empty title"):
        load(path, "id,title\n1,One\n2,  \n")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_non_utf8_bytes(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"latin1{suffix}"
    body = (
        b"id,title\n1,One\n2,Caf\xe9\n" if suffix == ".csv"
        else b'{"id": 1, "title": "One"}\n{"id": 2, "title": "Caf\xe9"}\n'
    )
    with pytest.raises(CatalogError, match=where(path, "row 2 (line 3)" if suffix == ".csv"
                                                 else "row 2 (line 2)", "title")
                       + r"byte \d+ \(0xe9, line \d\) is not valid UTF-8"):
        load(path, body)


@pytest.mark.parametrize("cell", ["", "NaN"])
@pytest.mark.parametrize("column", ["quality", "rating", "popularity"])
def test_empty_score_is_an_error(tmp_path: Path, column: str, cell: str) -> None:
    path = tmp_path / "c.csv"
    with pytest.raises(CatalogError, match=where(path, "row 2 (line 3)", column)
                       + "empty or missing value"):
        load(path, f"id,title,{column}\n1,One,0.5\n2,Two,{cell}\n")


def test_non_number_in_score(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    with pytest.raises(CatalogError, match=where(path, "row 1 (line 2)", "rating")
                       + "expected a number, got 'good'"):
        load(path, "id,title,rating\n1,One,good\n")


def test_non_number_in_range_attribute(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    with pytest.raises(CatalogError, match=where(path, "row 2 (line 3)", "year")
                       + "expected a number, got 'soon'"):
        load(path, "id,title,year\n1,One,1999\n2,Two,soon\n")


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [("quality", "1.5", r"1.5 .* in \[0, 1\]"), ("popularity", "-1", "-1 .* >= 0"),
     ("price", "-3", "-3 .* >= 0"), ("weight", "inf", "inf .* finite number$")],
)
def test_number_out_of_range(tmp_path: Path, column: str, value: str, expected: str) -> None:
    path = tmp_path / "c.csv"
    with pytest.raises(CatalogError, match=where(path, "row 2 (line 3)", column)
                       + expected):
        load(path, f"id,title,{column}\n1,One,0.5\n2,Two,{value}\n")


def test_malformed_json_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with pytest.raises(CatalogError, match=re.escape(f"{path}, row 2 (line 3): malformed JSON")):
        load(path, '{"id": 1, "title": "One"}\n\n{"id": 2, "title": "Two"\n')


def test_json_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with pytest.raises(CatalogError, match=re.escape(f"{path}, row 1 (line 1): expected a JSON "
                                                     "object, got list")):
        load(path, '["id", "title"]\n')


def test_bad_categories_cell(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with pytest.raises(CatalogError, match=where(path, "row 1 (line 1)", "categories")
                       + "expected a '|'-separated string or a list of strings, got 3"):
        load(path, '{"id": 1, "title": "One", "categories": 3}\n')


def test_csv_row_with_wrong_field_count(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    with pytest.raises(CatalogError, match=re.escape(f"{path}, row 2 (line 3): 3 fields, "
                                                     "but the header (line 1) has 2")):
        load(path, "id,title\n1,One\n2,Two,extra\n")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [("empty.csv", "", "the file is empty"), ("header.csv", "id,title\n", "the file has no items"),
     ("empty.jsonl", "\n\n", "the file has no items")],
)
def test_empty_file(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = tmp_path / name
    with pytest.raises(CatalogError, match=re.escape(f"{path}: ") + expected):
        load(path, text)


def test_parquet_errors_name_row_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "c.parquet", [{"id": "1", "title": "One"}, {"id": "2", "title": ""}])
    with pytest.raises(CatalogError, match=where(path, "row 2", "title") + "empty title"):
        load_catalog_file(path)


def test_unreadable_parquet(tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    with pytest.raises(CatalogError, match=re.escape(f"{path}: not a readable Parquet file")):
        load(path, "id,title\n1,One\n")

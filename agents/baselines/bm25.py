"""Okapi BM25 of item texts against the instruction: the classic lexical baseline."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from ifr_sim.agents.base import Agent, Observation
from ifr_sim.agents.ranking import candidate_items, instructions_of, rank_candidates
from ifr_sim.core.catalog import Catalog

_CJK = (
    "\u3040-\u30fa\u30fc-\u30ff"  # Hiragana, Katakana (not the "・" between words)
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han: extension A, unified, compatibility
    "\uac00-\ud7af"  # Hangul syllables
    "\U00020000-\U0003134f"  # Han: extensions B to G
)
_TOKEN = re.compile(rf"([{_CJK}]+)|[^\W_{_CJK}]+(?:'[^\W_{_CJK}]+)*")
"""A run of CJK characters (group 1), or a word of letters and digits in any other
script, apostrophes inside it kept ("don't", "children's")."""
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})
STOP_WORDS = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "for", "with",
        "without", "about", "from", "by", "at", "as", "into", "than", "is", "are", "was",
        "were", "be", "been", "it", "its", "this", "that", "these", "those", "there", "i",
        "i'd", "i'm", "i've", "me", "my", "we", "us", "our", "you", "your", "he", "she",
        "they", "them", "some", "any", "what", "which", "who", "can", "could", "would",
        "will", "do", "does", "have", "has", "just", "maybe", "please", "so", "very",
    }
)


def tokenize(text: str) -> list[str]:
    """Case-folded words of any script, minus stop words and a possessive "'s".

    Text is NFKC-normalised first, so a composed and a decomposed "é" (or a full-width
    "Ａ" and "A") are one letter; accents are kept ("Café Müller" is `café`, `müller`).
    CJK text has no spaces between words, so a run of CJK characters becomes its
    overlapping character bigrams ("价格合理" is `价格`, `格合`, `合理`; a lone character
    stays a unigram), as Lucene's CJK analyzer does: a request shares the bigram `手机`
    with every phone, where single characters such as `机` would also match `耳机`
    (earphones). Dropping the possessive lets "children" match "children's".
    """
    normal = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    tokens: list[str] = []
    for match in _TOKEN.finditer(normal):
        run = match.group(1)
        if run is not None:
            tokens.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
        else:
            word = match.group().removesuffix("'s")
            if word not in STOP_WORDS:
                tokens.append(word)
    return tokens


class BM25Index:
    """Okapi BM25 scores of a fixed set of documents for free-text queries.

    `score(d, q) = Σ_t qtf(t) · idf(t) · tf(t, d)(k1 + 1) / (tf(t, d) + k1(1 - b + b·|d|/avgdl))`
    with Lucene's always-positive `idf(t) = ln(1 + (n - df(t) + 0.5) / (df(t) + 0.5))`. A
    word said twice in the query counts twice; words no document has are ignored. The
    per-(document, term) weights are precomputed once, so a query costs one sparse product.

    Args:
        texts: the documents (item texts).
        k1: term-frequency saturation; 0 makes a term count once however often it occurs.
        b: length normalisation; 0 ignores document length, 1 divides by it fully.
    """

    def __init__(self, texts: Sequence[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.vocabulary: dict[str, int] = {}
        docs, terms = [], []
        for doc, text in enumerate(texts):
            for token in tokenize(text):
                docs.append(doc)
                terms.append(self.vocabulary.setdefault(token, len(self.vocabulary)))
        shape = (len(texts), len(self.vocabulary))
        tf = sparse.csr_matrix((np.ones(len(terms)), (docs, terms)), shape=shape)
        tf.sum_duplicates()
        lengths = np.asarray(tf.sum(axis=1)).ravel()
        average = lengths.mean() if lengths.any() else 1.0
        df = np.bincount(tf.indices, minlength=shape[1])
        idf = np.log1p((shape[0] - df + 0.5) / (df + 0.5))
        norm = k1 * (1.0 - b + b * lengths / average)
        entry_doc = np.repeat(np.arange(shape[0]), np.diff(tf.indptr))
        self.weights = tf.copy()
        self.weights.data = idf[tf.indices] * tf.data * (k1 + 1.0) / (tf.data + norm[entry_doc])

    def score(self, queries: Sequence[str], items: np.ndarray) -> np.ndarray:
        """(B, N) BM25 of documents `items` (B, N) for each row's query (B queries)."""
        batch, n = items.shape
        counts = self._term_counts(queries)[np.repeat(np.arange(batch), n)]
        per_pair = self.weights[items.ravel()].multiply(counts).sum(axis=1)
        return np.asarray(per_pair, dtype=np.float64).reshape(batch, n)

    def _term_counts(self, queries: Sequence[str]) -> sparse.csr_matrix:
        """(B, V) how often each known word occurs in each query."""
        rows, cols = [], []
        for row, query in enumerate(queries):
            known = [self.vocabulary[t] for t in tokenize(query) if t in self.vocabulary]
            rows.extend([row] * len(known))
            cols.extend(known)
        shape = (len(queries), len(self.vocabulary))
        return sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=shape)


class BM25Agent(Agent):
    """The K candidates whose text best matches the instruction's words (Okapi BM25).

    It reads words, not meaning: "not horror" promotes horror, and "the 90s" matches
    no year. That is the point of the baseline: what a scorer gains over word overlap.
    """

    name = "bm25"

    def __init__(self, catalog: Catalog, slate_size: int, k1: float = 1.5, b: float = 0.75) -> None:
        self.index = BM25Index(catalog.texts, k1, b)
        self.slate_size = slate_size

    def act(
        self, observation: Observation, info: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        scores = self.index.score(instructions_of(observation), candidate_items(observation))
        return rank_candidates(scores, observation["shown"], self.slate_size)

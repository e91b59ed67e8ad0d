"""TF-IDF over character n-grams with numpy alone.

Computes what scikit-learn's `TfidfVectorizer(analyzer="char", ngram_range=…, sublinear_tf=…)`
with its defaults (lowercase, smooth idf, l2 rows) computes, and `cosine_similarity` of its rows,
for the few dozen short texts a check compares. Importing scikit-learn (and with it scipy) took
longer than checking a plan; `tests/test_tfidf.py` compares both on the sample documents.

A text's n-gram counts do not depend on the other texts, so they are kept per text
(`ngram_counts`, memoised): a directive's items are counted once for every plan checked against it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

_WHITE_SPACES = re.compile(r"\s\s+")


@lru_cache(maxsize=65536)
def ngram_counts(text: str, lo: int, hi: int) -> Counter[str]:
    """The character n-grams (lo ≤ n ≤ hi) of `text` as scikit-learn's char analyzer reads
    them (lower-cased, runs of white space as one space), with their counts."""
    text = _WHITE_SPACES.sub(" ", text.lower())
    size = len(text)
    grams: Counter[str] = Counter()
    if lo == 1:
        grams.update(text)
        lo = 2
    for n in range(lo, min(hi + 1, size + 1)):
        grams.update(text[i : i + n] for i in range(size - n + 1))
    return grams


@lru_cache(maxsize=65536)
def _terms(text: str, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray] | None:
    """A text's n-grams as a numpy string array and their counts (None when a gram holds a NUL,
    which numpy's strings cannot keep: such a text is weighed gram by gram)."""
    grams = ngram_counts(text, lo, hi)
    if "\x00" in text:
        return None
    keys = np.array(list(grams), dtype=f"<U{max(hi, 1)}")
    counts = np.fromiter(grams.values(), dtype=float, count=len(grams))
    return keys, counts


def _l2_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    norms[norms == 0.0] = 1.0
    return matrix / norms[:, None]


class CharTfidf:
    """A fitted TF-IDF model: its vocabulary (sorted, as scikit-learn orders features) and idf."""

    def __init__(self, ngram_range: tuple[int, int], *, sublinear_tf: bool = False):
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.sublinear_tf = sublinear_tf
        self.vocabulary: dict[str, int] = {}
        self._features: np.ndarray | None = None
        self.idf = np.zeros(0)

    def _counts(self, texts: Sequence[str]) -> list[Counter[str]]:
        lo, hi = self.ngram_range
        return [ngram_counts(t, lo, hi) for t in texts]

    def _weigh(self, texts: Sequence[str]) -> np.ndarray:
        lo, hi = self.ngram_range
        matrix = np.zeros((len(texts), len(self.vocabulary)))
        features = self._features
        for row, text in enumerate(texts):
            terms = _terms(text, lo, hi)
            if terms is None or features is None:
                self._weigh_slowly(matrix[row], ngram_counts(text, lo, hi))
                continue
            keys, counts = terms
            if not len(keys) or not len(features):
                continue
            columns = np.searchsorted(features, keys)
            columns[columns >= len(features)] = 0
            known = features[columns] == keys
            values = np.log(counts[known]) + 1.0 if self.sublinear_tf else counts[known]
            matrix[row, columns[known]] = values
        return _l2_rows(matrix * self.idf)

    def _weigh_slowly(self, out: np.ndarray, grams: Counter[str]) -> None:
        for gram, count in grams.items():
            column = self.vocabulary.get(gram)
            if column is not None:
                out[column] = np.log(float(count)) + 1.0 if self.sublinear_tf else float(count)

    def fit_transform(self, texts: Sequence[str]) -> np.ndarray:
        counts = self._counts(texts)
        document_frequency: Counter[str] = Counter()
        for grams in counts:
            document_frequency.update(grams.keys())
        features = sorted(document_frequency)
        self.vocabulary = {gram: column for column, gram in enumerate(features)}
        # numpy orders its strings as Python does (code points); a NUL would be cut off, so then
        # the vocabulary is looked up gram by gram
        self._features = (None if any("\x00" in g for g in features)
                          else np.array(features, dtype=f"<U{max(self.ngram_range[1], 1)}"))
        frequency = np.array([document_frequency[g] for g in features], dtype=float)
        self.idf = np.log((len(counts) + 1.0) / (frequency + 1.0)) + 1.0
        return self._weigh(texts)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        return self._weigh(texts)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of every row of `a` with every row of `b` (zero rows give 0)."""
    if a.ndim == 1:
        a = a[None, :]
    if b.ndim == 1:
        b = b[None, :]
    return _l2_rows(a) @ _l2_rows(b).T

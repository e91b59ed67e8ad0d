"""How much a plan item takes up a directive item: TF-IDF over character n-grams, plus
shared quoted key phrases (“政策公开讲”, “阅办联动”) as named evidence.

District plans reword the city's text (全市 → 全区, 统筹推进 → 配合推进), merge two items
into one and split one over several, so every pair is scored and links are many-to-many.

The TF-IDF model of a check is fitted over both documents' items, as one `TfidfVectorizer` would
be; the directive's half of that fit (its n-gram vocabulary and counts) is the same for every plan
checked against the same directive version, so it is counted once (`directive_counts`) and only
the plan's n-grams are counted per check (`PairModel`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import fuzz
from scipy import sparse
from sklearn import config_context
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from rules.lexicon import lexicon_file

if TYPE_CHECKING:
    from rules.policy import CoveragePolicy

QUOTED = re.compile(r"[“\"]([^”\"]{2,20})[”\"]")
# Words that name the level of government: a district rewrites 全市 as 全区.
LEVEL_WORDS = [
    ("全市", "全本级"), ("全区", "全本级"), ("本市", "本级"), ("本区", "本级"),
    ("市委", "本级党委"), ("区委", "本级党委"), ("市政府", "本级政府"), ("区政府", "本级政府"),
    ("市级", "本级"), ("区级", "本级"), ("市、区两级", "两级"),
]
PUNCT = re.compile(r"[\s，。；：、“”《》（）()!！？?]")
# Key phrases so common in these plans that sharing one says little.
COMMON_PHRASES = {"一网通办", "十五五", "五个中心"}


@dataclass
class PairScore:
    score: float
    cosine: float
    fuzzy: float
    key_phrases: list[str] = field(default_factory=list)
    contained: float = 0.0  # share of the directive item's TF-IDF weight present in the plan item
    discounted: bool = False


def cosine(a, b) -> np.ndarray:  # noqa: ANN001 - sparse matrices
    """Cosine similarity of every row of `a` with every row of `b`, for rows already L2-normalised
    (as TfidfTransformer leaves them): their dot products, as sklearn's `linear_kernel` computes
    for TF-IDF rows, without re-validating and re-normalising tiny matrices on every check."""
    return np.asarray((a @ b.T).todense())


# The matrices here have a few dozen rows: sklearn's input validation costs more than the
# arithmetic. The inputs are counts made by CountVectorizer itself, so it has nothing to catch.
_TRUSTED_INPUT = {"assume_finite": True, "skip_parameter_validation": True}


def containment(a, b) -> np.ndarray:  # noqa: ANN001 - sparse matrices
    """For each row of `a`, the share of its TF-IDF weight whose n-grams occur in each row of `b`.

    Asymmetric on purpose: a merged plan item contains each directive item it takes up."""
    present = (b > 0).astype(float)
    totals = np.asarray(a.sum(axis=1)).ravel()
    totals[totals == 0] = 1.0
    return np.asarray((a @ present.T).todense()) / totals[:, None]


@dataclass(frozen=True)
class SideCounts:
    """One side's n-gram counts: the vocabulary (n-gram → column) and a count row per text."""

    vocabulary: dict[str, int]
    counts: sparse.csr_matrix


@lru_cache(maxsize=64)
def directive_counts(texts: tuple[str, ...], ngram_range: tuple[int, int]) -> SideCounts:
    """The n-gram counts of a directive's texts, kept per (texts, n-gram range): the plans under
    one directive version (a district plan's 60 units, say) all reuse them. Read-only."""
    side = _own_counts(list(texts), ngram_range)
    # CountVectorizer renumbers its vocabulary without re-sorting the rows' columns, and a row's
    # norm is summed in stored order: sorted, as in the float copy fit_transform used to make of
    # the counts, the weights come out the same to the last bit
    side.counts.sort_indices()
    return side


class PairModel:
    """TF-IDF over a directive's and a plan's texts together, the same weights as
    `TfidfVectorizer(analyzer="char", ngram_range, sublinear_tf).fit_transform(d + p)` (columns
    in another order, which no similarity depends on), with the directive's counts reused."""

    def __init__(self, d_texts: Sequence[str], p_texts: Sequence[str], ngram_range: tuple[int, int],
                 sublinear_tf: bool = True):
        self.ngram_range = ngram_range
        with config_context(**_TRUSTED_INPUT):
            self._fit(d_texts, p_texts, ngram_range, sublinear_tf)

    def _fit(self, d_texts: Sequence[str], p_texts: Sequence[str], ngram_range: tuple[int, int],
             sublinear_tf: bool) -> None:
        side = directive_counts(tuple(d_texts), ngram_range)
        p_own = _own_counts(p_texts, ngram_range)
        # the plan's n-grams the directive lacks get the columns after the directive's
        self._extra: dict[str, int] = {}
        columns = np.empty(len(p_own.vocabulary), dtype=np.int64)
        for gram, own in p_own.vocabulary.items():
            column = side.vocabulary.get(gram)
            if column is None:
                column = self._extra.setdefault(gram, len(side.vocabulary) + len(self._extra))
            columns[own] = column
        width = len(side.vocabulary) + len(self._extra)
        if not width:
            raise ValueError("empty vocabulary: no item text has an n-gram to compare")
        self._side = side
        self._counter: CountVectorizer | None = None
        self.split = len(d_texts)  # rows before it are the directive's, the rest the plan's
        # The counts are floats already (CountVectorizer's dtype) and the stack is a fresh matrix:
        # weighting it in place spares fit_transform's validated float copy of it.
        counts = _stacked_counts(side.counts, p_own.counts, columns, width)
        self.tfidf = TfidfTransformer(sublinear_tf=sublinear_tf).fit(counts)
        self.vectors = self.tfidf.transform(counts, copy=False)

    @cached_property
    def d_vec(self):  # noqa: ANN201 - a sparse matrix
        """The directive's TF-IDF rows (sliced when a caller needs them apart)."""
        return self.vectors[: self.split]

    @cached_property
    def p_vec(self):  # noqa: ANN201 - a sparse matrix
        """The plan's TF-IDF rows."""
        return self.vectors[self.split :]

    def pair_blocks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`cosine(d_vec, p_vec)`, `containment(d_vec, p_vec)` and `containment(p_vec, d_vec)`,
        from one product of the stacked rows with themselves for each measure: every entry sums
        the same terms in the same order as the separate products would (the rows are the same),
        so the figures are identical, with two sparse products instead of three and no slicing."""
        rows = self.vectors
        n = self.split
        columns = rows.T.tocsr()  # transposed once, for both products
        # every stored TF-IDF weight is positive, so the n-grams present are the stored entries
        present = columns.copy()
        present.data[:] = 1.0
        cos = (rows @ columns).toarray()
        totals = np.asarray(rows.sum(axis=1)).ravel()
        totals[totals == 0] = 1.0
        shares = (rows @ present).toarray() / totals[:, None]
        return cos[:n, n:], shares[:n, n:], shares[n:, :n]

    def transform(self, texts: list[str]):  # noqa: ANN201 - a sparse matrix
        """Texts weighted by this fit (n-grams neither document has are left out, as sklearn's)."""
        with config_context(**_TRUSTED_INPUT):
            if self._counter is None:  # the whole vocabulary, only when a caller needs it
                self._counter = CountVectorizer(analyzer="char", ngram_range=self.ngram_range,
                                                vocabulary={**self._side.vocabulary, **self._extra})
            return self.tfidf.transform(self._counter.transform(texts))


def _stacked_counts(d_counts: sparse.csr_matrix, p_counts: sparse.csr_matrix, columns: np.ndarray,
                    width: int) -> sparse.csr_matrix:
    """The directive's count rows, then the plan's with its n-grams renumbered to `columns`, in
    `width` columns (the plan's own n-grams count 0 in the directive's rows): one matrix made
    from both sides' arrays, where a copy, a resize and a vstack of two made three."""
    stacked = sparse.csr_matrix(
        (np.concatenate([d_counts.data, p_counts.data]),
         np.concatenate([d_counts.indices, columns[p_counts.indices]]),
         np.concatenate([d_counts.indptr, p_counts.indptr[1:] + d_counts.nnz])),
        shape=(d_counts.shape[0] + p_counts.shape[0], width),
    )
    stacked.sort_indices()  # the plan's renumbered columns (the directive's are in order already)
    return stacked


def _own_counts(texts: Sequence[str], ngram_range: tuple[int, int]) -> SideCounts:
    """The n-gram counts of `texts` over their own vocabulary (empty when they have none), as the
    floats TF-IDF weighs (small whole numbers: exact as floats)."""
    counter = CountVectorizer(analyzer="char", ngram_range=ngram_range, dtype=np.float64)
    try:
        counts = counter.fit_transform(texts)
    except ValueError:  # no n-gram in any text (all empty or one character)
        return SideCounts({}, sparse.csr_matrix((len(texts), 0), dtype=np.float64))
    return SideCounts(dict(counter.vocabulary_), counts.tocsr())


class Lexicon:
    """Reads every phrase of a lexicon group as the group's first phrase (longest match first)."""

    def __init__(self, groups: tuple[tuple[str, ...], ...], generic: tuple[str, ...] = ()):
        self.canonical = {variant: group[0] for group in groups for variant in group[1:]}
        variants = sorted({v for group in groups for v in group}, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(v) for v in variants)) if variants else None
        words = sorted(set(generic), key=len, reverse=True)
        self.generic = re.compile("|".join(re.escape(w) for w in words)) if words else None

    def topic(self, normalized: str) -> str:
        """A normalized text without the words every item uses: what the item is about."""
        return self.generic.sub("", normalized) if self.generic is not None else normalized

    def apply(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(lambda m: self.canonical.get(m.group(0), m.group(0)), text)

    def phrases(self, text: str) -> set[str]:
        """The lexicon concepts (canonical phrases) named in `text`."""
        if self.pattern is None:
            return set()
        return {self.canonical.get(m, m) for m in self.pattern.findall(text)}


@lru_cache(maxsize=8)
def _lexicon(name: str | None) -> Lexicon:
    """One compiled lexicon per file for the process (lexicon_file is read once too)."""
    return Lexicon(*lexicon_file(name))


def normalize_for_matching(text: str, lexicon: Lexicon | None = None) -> str:
    for old, new in LEVEL_WORDS:
        text = text.replace(old, new)
    if lexicon is not None:
        text = lexicon.apply(text)
    return PUNCT.sub("", text)


def key_phrases(text: str) -> set[str]:
    return {p for p in QUOTED.findall(text) if p not in COMMON_PHRASES}


@lru_cache(maxsize=64)
def _directive_side(texts: tuple[str, ...], lexicon: str | None
                    ) -> tuple[tuple[str, ...], tuple[frozenset[str], ...]]:
    """A directive's texts normalised for matching, and their key phrases: the same for every plan
    checked against one directive version (as `directive_counts`). Read-only."""
    normalized = tuple(normalize_for_matching(t, _lexicon(lexicon)) for t in texts)
    return normalized, tuple(frozenset(key_phrases(t)) for t in texts)


class Scorer:
    """TF-IDF fitted once over both documents; scores pairs and groups of plan items."""

    def __init__(self, directive_texts: list[str], plan_texts: list[str], settings: CoveragePolicy):
        lo, hi = settings.ngram_range
        self.bonus = settings.key_phrase_bonus
        self.lexicon = _lexicon(settings.lexicon)
        self.d_raw, self.p_raw = directive_texts, plan_texts
        self.d_norm, self.d_keys = _directive_side(tuple(directive_texts), settings.lexicon)
        self.p_norm = [normalize_for_matching(t, self.lexicon) for t in plan_texts]
        self.model = PairModel(self.d_norm, self.p_norm, (lo, hi))
        self.p_keys = [key_phrases(t) for t in plan_texts]
        self.copy_level = settings.dedicated_copy
        self.copy_discount = settings.copy_discount

    @property
    def d_vec(self):  # noqa: ANN201 - a sparse matrix
        return self.model.d_vec

    @property
    def p_vec(self):  # noqa: ANN201 - a sparse matrix
        return self.model.p_vec

    def _score(self, cosine: float, contained: float, d_text: str, p_text: str, shared: list[str]) -> PairScore:
        # partial_ratio finds the directive text inside a longer merged plan item
        fuzzy = fuzz.partial_ratio(d_text, p_text) / 100.0 if max(cosine, contained) > 0.1 else 0.0
        base = max(cosine, contained, 0.85 * fuzzy if fuzzy >= 0.6 else 0.0)
        score = base + self.bonus * min(len(shared), 2)
        return PairScore(round(min(score, 1.0), 4), round(cosine, 4), round(fuzzy, 4), shared, round(contained, 4))

    def matrix(self) -> list[list[PairScore]]:
        """Scores for every (directive item, plan item) pair (as `_score`, over whole arrays:
        the fuzzy match only runs where the n-grams already overlap)."""
        if not self.p_norm:
            return [[] for _ in self.d_norm]
        # cosines; the directive item's text found in the plan item; the plan item's in the directive item
        cos, forward, reverse = self.model.pair_blocks()
        fuzzy = np.zeros_like(cos)
        for i, j in zip(*np.nonzero(np.maximum(cos, forward) > 0.1), strict=True):
            # partial_ratio finds the directive text inside a longer merged plan item
            fuzzy[i, j] = fuzz.partial_ratio(self.d_norm[i], self.p_norm[j]) / 100.0
        shared: dict[tuple[int, int], list[str]] = {}
        counts = np.zeros_like(cos)
        for i, d_keys in enumerate(self.d_keys):
            for j, p_keys in enumerate(self.p_keys if d_keys else []):
                if common := d_keys & p_keys:
                    shared[i, j] = sorted(common)
                    counts[i, j] = min(len(common), 2)
        base = np.maximum(np.maximum(cos, forward), np.where(fuzzy >= 0.6, 0.85 * fuzzy, 0.0))
        score = np.round(np.minimum(base + self.bonus * counts, 1.0), 4)
        # A plan item that is a dedicated copy of one directive item takes that item up; its
        # likeness to that item's siblings (same topic, other wording) is discounted, so that
        # deleting a sibling's own take-up shows as missing rather than weakly covered.
        owner = (reverse.T >= self.copy_level) & (score >= self.copy_level)
        discounted = owner.any(axis=0)[None, :] & ~owner
        scores = score.tolist()
        for i, j in zip(*np.nonzero(discounted), strict=True):
            scores[i][j] = round(scores[i][j] * self.copy_discount, 4)  # as a float rounds, not numpy
        columns = zip(
            scores, np.round(cos, 4).tolist(), np.round(fuzzy, 4).tolist(),
            np.round(forward, 4).tolist(), discounted.tolist(), strict=True,
        )
        return [
            [
                PairScore(sc, co, fz, shared.get((i, j), []), ct, dc)
                for j, (sc, co, fz, ct, dc) in enumerate(zip(*row, strict=True))
            ]
            for i, row in enumerate(columns)
        ]

    def topic_matrix(self) -> np.ndarray:
        """Likeness of what each pair of items is about (generic words left out): the larger of
        the cosine and the share of the directive item's topic found in the plan item."""
        d_topics = [self.lexicon.topic(t) for t in self.d_norm]
        p_topics = [self.lexicon.topic(t) for t in self.p_norm]
        if not p_topics or not any(d_topics) or not any(p_topics):
            return np.zeros((len(d_topics), len(p_topics)))
        model = PairModel(d_topics, p_topics, self.model.ngram_range)
        d_vec, p_vec = model.d_vec, model.p_vec
        return np.maximum(cosine(d_vec, p_vec), containment(d_vec, p_vec))

    def combined(self, d_index: int, p_indices: list[int]) -> float:
        """Score of a directive item against several plan items read together (a split item)."""
        return self.combined_many([(d_index, p_indices)])[0]

    def combined_many(self, groups: list[tuple[int, list[int]]]) -> list[float]:
        """`combined` for many (directive item, plan items) groups with one transform."""
        texts = ["".join(self.p_norm[j] for j in p_indices) for _, p_indices in groups]
        live = [k for k, (_, p_indices) in enumerate(groups) if p_indices]
        out = [0.0] * len(groups)
        if not live:
            return out
        vectors = self.model.transform([texts[k] for k in live])
        for row, k in enumerate(live):
            d_index, p_indices = groups[k]
            vector = vectors[row]
            likeness = float(cosine(self.d_vec[d_index], vector)[0, 0])
            contained = float(containment(self.d_vec[d_index], vector)[0, 0])
            shared = sorted(self.d_keys[d_index] & set().union(*(self.p_keys[j] for j in p_indices)))
            out[k] = self._score(likeness, contained, self.d_norm[d_index], texts[k], shared).score
        return out


def top_indices(row: list[PairScore], threshold: float, best: int = 1) -> list[int]:
    """Indices of plan items linked to a directive item: the best one(s), plus all above threshold."""
    return top_indices_of([row], threshold, best)[0]


def top_indices_of(matrix: list[list[PairScore]], threshold: float, best: int = 1) -> list[list[int]]:
    """`top_indices` of every row of a score matrix, with one argsort for all of them (numpy sorts
    each row of a 2-D array as it sorts that row alone, so ties fall the same way)."""
    if not matrix or not matrix[0]:
        return [[] for _ in matrix]
    scores = [[s.score for s in row] for row in matrix]
    orders = np.argsort(-np.array(scores), axis=1).tolist()
    out = []
    for row, order in zip(scores, orders, strict=True):
        picked = order[:best] + [i for i in order[best:] if row[i] >= threshold]
        out.append(sorted(set(picked), key=row.__getitem__, reverse=True))  # a stable sort, ties in set order
    return out

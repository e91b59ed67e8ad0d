"""rules.tfidf computes what scikit-learn's TfidfVectorizer and cosine_similarity compute (the
rules dropped scikit-learn to start fast; it stays installed for this comparison)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from documents.parser import parse_file
from rules.lexicon import lexicon_file
from rules.policy import load_policy
from rules.similarity import Lexicon, normalize_for_matching
from rules.tfidf import CharTfidf, cosine_similarity

sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
sklearn_pairwise = pytest.importorskip("sklearn.metrics.pairwise")

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


def texts() -> list[str]:
    lexicon = Lexicon(*lexicon_file(load_policy().coverage.lexicon))
    out = []
    for path in sorted(SAMPLES.glob("*.txt")):
        out += [normalize_for_matching(item.text, lexicon) for item in parse_file(path).items]
    # white space runs, upper case and empty texts are read as scikit-learn reads them
    return out + ["", "A  b\t\tC d", "一网通办 一网通办", "x", "a\x00b\x00"]


@pytest.mark.parametrize(("ngram_range", "sublinear"), [((2, 3), True), ((2, 3), False), ((1, 2), True)])
def test_same_matrix_and_cosines_as_scikit_learn(ngram_range, sublinear) -> None:
    corpus = texts()
    assert len(corpus) > 100
    reference = sklearn_text.TfidfVectorizer(analyzer="char", ngram_range=ngram_range, sublinear_tf=sublinear)
    expected = reference.fit_transform(corpus)
    ours = CharTfidf(ngram_range, sublinear_tf=sublinear)
    matrix = ours.fit_transform(corpus)
    assert list(ours.vocabulary) == list(reference.get_feature_names_out())
    np.testing.assert_allclose(matrix, expected.toarray(), rtol=0, atol=1e-12)
    half = len(corpus) // 2
    np.testing.assert_allclose(cosine_similarity(matrix[:half], matrix[half:]),
                               sklearn_pairwise.cosine_similarity(expected[:half], expected[half:]), atol=1e-12)
    unseen = ["全本级政务公开新增的一句话", corpus[3] + corpus[7]]
    np.testing.assert_allclose(ours.transform(unseen), reference.transform(unseen).toarray(), atol=1e-12)

"""The directive's half of the TF-IDF fit is counted once per directive version and reused; the
weights must stay those of one `TfidfVectorizer` fitted over both documents."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from documents.parser import parse_file
from rules.similarity import PairModel, directive_counts, normalize_for_matching

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


def _texts(name: str) -> list[str]:
    return [normalize_for_matching(item.text) for item in parse_file(SAMPLES / name).items]


@pytest.mark.parametrize("sublinear", [True, False])
def test_pair_model_gives_the_joint_fit_weights(sublinear: bool) -> None:
    names = ["shanghai-2026-municipal-plan.txt", "changning-2026-district-plan.txt", "jingan-2025-work-points.txt"]
    for first, second in itertools.permutations(names, 2):
        d, p = _texts(first), _texts(second)
        joint = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=sublinear)
        matrix = joint.fit_transform(d + p)
        model = PairModel(d, p, (2, 3), sublinear)
        assert model.d_vec.shape[1] == matrix.shape[1]  # the same vocabulary
        expected = cosine_similarity(matrix[: len(d)], matrix[len(d) :])
        assert np.abs(cosine_similarity(model.d_vec, model.p_vec) - expected).max() < 1e-12
        # texts read later (a split item's parts joined) are weighted by the same fit
        joined = ["".join(p[:2]), p[-1] + "全新的说法"]
        later = cosine_similarity(matrix[: len(d)], joint.transform(joined))
        assert np.abs(cosine_similarity(model.d_vec, model.transform(joined)) - later).max() < 1e-12


def test_directive_counts_are_reused_per_version_and_never_for_another() -> None:
    d = _texts("shanghai-2026-municipal-plan.txt")
    plans = [_texts("changning-2026-district-plan.txt"), _texts("jingan-2025-work-points.txt")]
    directive_counts.cache_clear()
    for p in plans:
        PairModel(d, p, (2, 3))
    info = directive_counts.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    # a new version of the directive (one item reworded) is counted anew
    revised = [d[0] + "进一步", *d[1:]]
    model = PairModel(revised, plans[0], (2, 3))
    assert directive_counts.cache_info().misses == 2
    fresh = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True).fit_transform(revised + plans[0])
    expected = cosine_similarity(fresh[: len(revised)], fresh[len(revised) :])
    assert np.abs(cosine_similarity(model.d_vec, model.p_vec) - expected).max() < 1e-12


def test_plan_side_never_changes_the_kept_directive_counts() -> None:
    d = ["推进政务公开专区建设", "做好政策解读"]
    before = directive_counts(tuple(d), (2, 3)).counts.toarray().copy()
    PairModel(d, ["建设全新的政务公开专区和体验区"], (2, 3))
    after = directive_counts(tuple(d), (2, 3))
    assert after.counts.shape == before.shape
    assert (after.counts.toarray() == before).all()


def test_a_directive_without_ngrams_still_scores_the_plan() -> None:
    model = PairModel(["", "一"], ["做好政策解读"], (2, 3))
    assert model.d_vec.shape == (2, model.p_vec.shape[1])
    assert model.d_vec.nnz == 0
    with pytest.raises(ValueError, match="empty vocabulary"):
        PairModel([""], [""], (2, 3))

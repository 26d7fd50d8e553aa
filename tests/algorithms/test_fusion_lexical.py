"""Fusion and BM25 tokens, checked against values computed by hand."""
from __future__ import annotations

import numpy as np
import pytest

from embedgate.algorithms.fusion import fuse, normalised
from embedgate.algorithms.lexical import Analyzer, bm25_tokens


def _lists(*rows: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    k = max(len(r) for r in rows)
    scores = np.full((len(rows), k), -np.inf, dtype=np.float32)
    idx = np.full((len(rows), k), -1, dtype=np.int64)
    for q, row in enumerate(rows):
        for r, (j, s) in enumerate(row):
            idx[q, r], scores[q, r] = j, s
    return scores, idx


def test_rrf_matches_hand_computed_scores() -> None:
    # list a ranks docs 7, 3, 5; list b ranks 3, 9 (padded). k = 60.
    a = _lists([(7, 0.9), (3, 0.8), (5, 0.1)])
    b = _lists([(3, 12.0), (9, 4.0)])
    scores, idx = fuse(a, b, top_k=4, method="rrf", k=60)
    expected = {3: 1 / 62 + 1 / 61, 7: 1 / 61, 9: 1 / 62, 5: 1 / 63}
    # 3 is in both lists and wins; 7 (rank 1 of a: 1/61) outranks 9 (rank 2 of b: 1/62).
    assert idx[0].tolist() == [3, 7, 9, 5]
    assert np.allclose(scores[0], [expected[j] for j in idx[0]])


def test_convex_minmax_gives_a_missing_document_the_list_minimum() -> None:
    a = _lists([(1, 0.9), (2, 0.5), (3, 0.1)])  # minmax: 1 -> 1.0, 2 -> 0.5, 3 -> 0.0
    b = _lists([(3, 10.0), (4, 6.0)])  # minmax: 3 -> 1.0, 4 -> 0.0
    scores, idx = fuse(a, b, top_k=4, method="convex", weight=0.7, how="minmax")
    by_doc = dict(zip(idx[0].tolist(), scores[0].tolist()))
    assert by_doc[1] == pytest.approx(0.7 * 1.0 + 0.3 * 0.0)  # absent from b: b's minimum
    assert by_doc[2] == pytest.approx(0.7 * 0.5)
    assert by_doc[3] == pytest.approx(0.7 * 0.0 + 0.3 * 1.0)
    assert by_doc[4] == pytest.approx(0.0)
    assert idx[0].tolist() == [1, 2, 3, 4]
    # weight 0 is list b alone (then by lower index among ties)
    _, only_b = fuse(a, b, top_k=2, method="convex", weight=0.0)
    assert only_b[0].tolist() == [3, 1]


def test_zscore_and_constant_lists() -> None:
    z = normalised(np.array([1.0, 2.0, 3.0]), "zscore")
    assert z.mean() == pytest.approx(0.0) and z.std() == pytest.approx(1.0)
    assert normalised(np.array([2.0, 2.0]), "minmax").tolist() == [1.0, 1.0]
    assert normalised(np.array([2.0, 2.0]), "zscore").tolist() == [0.0, 0.0]


def test_analyzer_stems_and_drops_english_stop_words_only() -> None:
    plain = bm25_tokens("The Cells were dividing 心肌缺血")
    assert plain == ["the", "cells", "were", "dividing", "心", "肌", "缺", "血", "心肌", "肌缺",
                     "缺血"]
    lucene = Analyzer(stem=True, stopwords=True).tokens("The Cells were dividing 心肌缺血")
    assert lucene[:3] == ["cell", "were", "divid"] and lucene[3:] == plain[4:]

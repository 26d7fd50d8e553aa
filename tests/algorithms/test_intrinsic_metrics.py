"""Intrinsic metric functions on tiny hand-made inputs with hand-computed answers."""
from __future__ import annotations

import math

import numpy as np
import pytest

from embedgate.algorithms import geometry as im


def test_roc_auc_counts_pairs_won() -> None:
    # (0.9 beats 0.5 and 0.1) + (0.4 beats 0.1 only) = 3 of 4 pairs
    assert im.roc_auc([0.9, 0.4], [0.5, 0.1]) == 0.75


def test_roc_auc_ties_count_half() -> None:
    assert im.roc_auc([0.5], [0.5]) == 0.5
    # 0.5~0.5 half, 0.5>0.2, 0.7>0.5, 0.7>0.2 -> 3.5 / 4
    assert im.roc_auc([0.5, 0.7], [0.5, 0.2]) == 0.875


def test_roc_auc_extremes_and_empty() -> None:
    assert im.roc_auc([0.9, 0.8], [0.1, 0.2, 0.3]) == 1.0
    assert im.roc_auc([0.1], [0.2, 0.3]) == 0.0
    assert math.isnan(im.roc_auc([], [0.1]))


def test_roc_auc_agrees_with_sklearn_on_tied_scores() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    pos, neg = np.round(rng.normal(0.6, 0.2, 70), 1), np.round(rng.normal(0.4, 0.2, 90), 1)
    expected = sklearn_metrics.roc_auc_score([1] * 70 + [0] * 90, np.concatenate([pos, neg]))
    assert im.roc_auc(pos, neg) == pytest.approx(expected, abs=1e-12)


def test_ks_statistic_hand_computed() -> None:
    # F_pos - F_neg at 1, 2, 3, 4: 1/3, 1/3, 1/3, 0
    assert im.ks_statistic([1, 2, 3], [2, 3, 4]) == pytest.approx(1 / 3)
    assert im.ks_statistic([0.0, 0.1], [0.2, 0.3]) == 1.0
    # at 0.2: F_pos = 0.5, F_neg = 0
    assert im.ks_statistic([0.1, 0.2, 0.3, 0.4], [0.25]) == 0.5


def test_ks_statistic_agrees_with_scipy() -> None:
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(1)
    pos, neg = np.round(rng.normal(0.5, 0.1, 40), 2), np.round(rng.normal(0.45, 0.1, 55), 2)
    assert im.ks_statistic(pos, neg) == pytest.approx(ks_2samp(pos, neg).statistic, abs=1e-12)


def test_anchor_score_rank_with_a_tie() -> None:
    # best positive 0.8; one negative above (0.9), one tied (0.8) -> rank 1 + 1 + 0.5
    s = im.anchor_score([0.8, 0.3], [0.9, 0.5, 0.8])
    assert (s.rank, s.top1, s.rr) == (2.5, 0.0, 0.4)
    assert s.margin == pytest.approx(-0.1)


def test_anchor_score_other_positives_do_not_compete() -> None:
    s = im.anchor_score([0.7, 0.65], [0.2, 0.1])
    assert (s.rank, s.top1, s.rr) == (1.0, 1.0, 1.0)
    assert s.margin == pytest.approx(0.5)


def test_anchor_score_needs_both_sides() -> None:
    with pytest.raises(ValueError):
        im.anchor_score([0.5], [])


def test_distribution_stats() -> None:
    d = im.distribution([0, 1, 2, 3, 4])
    assert d["n"] == 5 and d["mean"] == 2.0 and d["std"] == pytest.approx(math.sqrt(2))
    # numpy linear interpolation: position q * (n - 1)
    assert d["quantiles"] == pytest.approx({"p05": 0.2, "p25": 1.0, "p50": 2.0, "p75": 3.0,
                                            "p95": 3.8})
    assert im.distribution([])["mean"] is None


def test_histogram_fixed_bins_and_clipping() -> None:
    h = im.histogram([-1.0, -0.99, 0.0, 0.5, 1.0, 1.5], bins=4)
    assert h["edges"] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert h["counts"] == [2, 0, 1, 3]  # 1.5 clips into the last bin
    assert len(im.histogram([0.1])["counts"]) == im.HIST_BINS


def test_anisotropy_of_fixed_angle_and_seeded() -> None:
    two = np.array([[1.0, 0.0], [0.6, 0.8]])
    assert im.anisotropy(two, np.random.default_rng(0)) == pytest.approx(0.6)
    three = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # pair cosines 1, 0, 0
    a = im.anisotropy(three, np.random.default_rng(5), n_pairs=20_000)
    assert a == pytest.approx(1 / 3, abs=0.015)
    assert a == im.anisotropy(three, np.random.default_rng(5), n_pairs=20_000)
    assert math.isnan(im.anisotropy(two[:1], np.random.default_rng(0)))


def test_alignment_wang_isola() -> None:
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[0.0, 1.0], [0.0, 1.0]])
    assert im.alignment(x, y) == pytest.approx(1.0)  # squared distances 2 and 0
    assert im.alignment(x, y, alpha=1) == pytest.approx(math.sqrt(2) / 2)


def test_uniformity_wang_isola() -> None:
    opposite = np.array([[1.0, 0.0], [-1.0, 0.0]])
    assert im.uniformity(opposite) == pytest.approx(-8.0)  # log exp(-2 * 4)
    three = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])  # squared distances 2, 4, 2
    assert im.uniformity(three) == pytest.approx(math.log((2 * math.exp(-4) + math.exp(-8)) / 3))


def test_uniformity_blocks_match_all_pairs() -> None:
    from scipy.spatial.distance import pdist

    rng = np.random.default_rng(2)
    v = rng.normal(size=(1500, 8))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    expected = math.log(np.mean(np.exp(-2 * pdist(v, "sqeuclidean"))))
    assert im.uniformity(v) == pytest.approx(expected, rel=1e-9)
    with pytest.raises(ValueError, match="rng"):
        im.uniformity(v, max_rows=100)
    assert np.isfinite(im.uniformity(v, max_rows=100, rng=np.random.default_rng(0)))

"""NPS, Krippendorff's alpha (interval) and Spearman against hand-computed and textbook values."""
from __future__ import annotations

import math

import pytest

from embedgate.algorithms.agreement import (
    krippendorff_alpha_interval, nps, nps_ci, pairwise_spearman, spearman,
)

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the 4-observer x 12-unit
# example with missing values; the paper gives interval alpha = 0.849 (unit 12 has one value
# and is not pairable).
_TEXTBOOK = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def _units() -> dict[str, dict[str, float]]:
    return {f"u{i}": {r: float(v[i]) for r, v in _TEXTBOOK.items() if v[i] is not None}
            for i in range(12)}


def test_alpha_matches_the_textbook_example() -> None:
    assert krippendorff_alpha_interval(_units()) == pytest.approx(0.849, abs=5e-4)


def test_alpha_by_hand_on_two_raters() -> None:
    # units (1,1), (2,3): n = 4 pairable values; D_o = (0 + 2*1/1) / 4 = 0.5;
    # values 1,1,2,3: ordered-pair squared differences sum 2*(0+1+4+1+4+1) = 22 -> D_e = 22/12.
    alpha = krippendorff_alpha_interval({"a": {"x": 1, "y": 1}, "b": {"x": 2, "y": 3}})
    assert alpha == pytest.approx(1 - 0.5 / (22 / 12))
    assert krippendorff_alpha_interval({"a": {"x": 4, "y": 4}, "b": {"x": 7, "y": 7}}) == 1.0
    assert math.isnan(krippendorff_alpha_interval({"a": {"x": 4}}))  # nothing pairable


def test_nps_and_its_question_bootstrap() -> None:
    assert nps([10, 9, 8, 3]) == pytest.approx(25.0)  # 2 promoters, 1 detractor of 4
    assert nps([7, 8]) == 0.0 and math.isnan(nps([]))
    by_q = {"q1": [10, 9, 9], "q2": [3, 4, 8], "q3": [9, 7, 10], "q4": [6, 6, 10]}
    low, high = nps_ci(by_q, seed=7, n_resamples=2000)
    assert (low, high) == nps_ci(by_q, seed=7, n_resamples=2000)  # seeded
    assert low <= nps([x for v in by_q.values() for x in v]) <= high
    assert nps_ci({"q": [10, 10]}, n_resamples=100) == (100.0, 100.0)


def test_spearman_by_hand() -> None:
    rho, n = spearman({"a": 1, "b": 2, "c": 3, "d": 4}, {"a": 1, "b": 3, "c": 2, "d": 4})
    assert (rho, n) == (pytest.approx(1 - 6 * 2 / (4 * 15)), 4)  # sum d^2 = 2
    rho, n = spearman({"a": 1, "b": 2, "c": 3}, {"a": 5, "b": 5, "c": 5, "z": 1})
    assert math.isnan(rho) and n == 3  # constant side: undefined, not zero
    pairs = pairwise_spearman({"r2": {"a": 1, "b": 2, "c": 3}, "r1": {"a": 3, "b": 2, "c": 1}})
    assert pairs["r1~r2"][0] == pytest.approx(-1.0)

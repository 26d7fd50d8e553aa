"""Hole treatments against values worked out by hand on one small query."""
from __future__ import annotations

import pytest

from embedgate.algorithms.holes import (bpref, condensed_run, hole_values, judged_at, max_grade,
                                        unjudged_pairs, unjudged_relevant_qrels)
from embedgate.algorithms.ir import parse_metric

# d1 relevant (1), d3 highly relevant (2), d2 judged not relevant; d4, d5 never judged.
QRELS = {"q1": {"d1": 1, "d2": 0, "d3": 2}, "q2": {"d7": 1}}
RUN = {"q1": {"d4": 5.0, "d1": 4.0, "d2": 3.0, "d5": 2.0, "d3": 1.0}}  # q2 retrieved nothing


def test_upper_qrels_take_the_top_grade_and_only_what_the_cutoff_sees() -> None:
    assert max_grade(QRELS) == 2
    assert unjudged_relevant_qrels(QRELS, RUN, 2, 2)["q1"] == {"d1": 1, "d2": 0, "d3": 2, "d4": 2}
    assert unjudged_relevant_qrels(QRELS, RUN, None, 2)["q1"]["d5"] == 2
    assert QRELS["q1"] == {"d1": 1, "d2": 0, "d3": 2}  # the input is not touched


def test_condensed_run_drops_unjudged_and_keeps_order() -> None:
    assert condensed_run(QRELS, RUN) == {"q1": {"d1": 4.0, "d2": 3.0, "d3": 1.0}}


def test_values_under_each_treatment_match_hand_computation() -> None:
    specs = [parse_metric(m) for m in ("P@2", "P@5", "RR", "nDCG@3")]
    got = hole_values(specs, QRELS, RUN)
    up, cond = got.unjudged_relevant, got.condensed
    # P@2: today d4 (hole), d1 -> 0.5; d4 counted relevant -> 1.0; condensed d1, d2 -> 0.5.
    assert (up["P@2"]["q1"], cond["P@2"]["q1"]) == (1.0, 0.5)
    # P@5: d4 and d5 added to d1, d3 -> 4/5; condensed d1, d2, d3 over 5 ranks -> 2/5.
    assert (up["P@5"]["q1"], cond["P@5"]["q1"]) == (pytest.approx(0.8), pytest.approx(0.4))
    # RR: a hole at rank 1 -> 1.0; condensed, d1 moves to rank 1 -> 1.0.
    assert (up["RR"]["q1"], cond["RR"]["q1"]) == (1.0, 1.0)
    # nDCG'@3 (linear gains): condensed d1, d2, d3 -> DCG 1 + 0 + 2/log2(4) = 2,
    # ideal d3, d1 -> 2 + 1/log2(3).
    assert cond["nDCG@3"]["q1"] == pytest.approx(2 / (2 + 1 / 1.5849625007211562))
    # nDCG@3 upper: d4 grade 2 at rank 1, d1, d2 -> 2 + 1/log2(3); ideal d4, d3, d1.
    ideal = 2 + 2 / 1.5849625007211562 + 1 / 2
    assert up["nDCG@3"]["q1"] == pytest.approx((2 + 1 / 1.5849625007211562) / ideal)
    assert up["P@2"]["q2"] == cond["P@2"]["q2"] == 0.0  # nothing retrieved scores 0


def test_judged_and_bpref_by_hand() -> None:
    assert judged_at(QRELS, RUN, 2) == {"q1": 0.5, "q2": 0.0}  # d4 unjudged, d1 judged
    assert judged_at(QRELS, RUN, 5)["q1"] == pytest.approx(3 / 5)
    # bpref: R = 2, N = 1; d1 has no judged non-relevant above it (1), d3 has d2 (1 - 1/1 = 0).
    assert bpref(QRELS, RUN)["q1"] == pytest.approx(0.5)


def test_unjudged_pairs_best_first_within_depth() -> None:
    assert unjudged_pairs(QRELS, RUN, 4) == {"q1": ["d4", "d5"]}
    assert unjudged_pairs(QRELS, RUN, 1) == {"q1": ["d4"]}


def test_module_doctests() -> None:
    import doctest

    from embedgate.algorithms import holes, kappa
    from embedgate.judge import holes as judge_holes
    from embedgate.labels import pool

    for module in (holes, kappa, judge_holes, pool):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_judged_and_bpref_of_an_empty_ranking_are_zero() -> None:
    """A query that retrieved nothing (a metadata filter no document matched) scores 0, and
    the other queries keep their values (ir-measures' Judged@k divides by the ranking's size)."""
    from embedgate.algorithms.holes import bpref, judged_at

    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}}
    run = {"q1": {"d1": 2.0, "d9": 1.0}, "q2": {}}
    assert judged_at(qrels, run, 2) == {"q1": 0.5, "q2": 0.0}
    assert bpref(qrels, run)["q2"] == 0.0

"""Metric values on tiny inline qrels and runs, against answers computed by hand."""
from __future__ import annotations

import math

import pytest

from embedgate.algorithms.ir import mean, parse_metric, per_query

QRELS = {"q1": {"d1": 1, "d3": 1}, "q2": {"d2": 1}, "q3": {"d1": 2, "d2": 1}}
RUN = {
    "q1": {"d1": 0.9, "d2": 0.8, "d3": 0.7},
    "q2": {"d1": 0.9, "d3": 0.8, "d2": 0.7},
    "q3": {"d2": 0.9, "d1": 0.8, "d4": 0.1},
}


def _values(name: str) -> dict[str, float]:
    spec = parse_metric(name)
    return per_query([spec], QRELS, RUN)[spec.name]


def test_reciprocal_rank_by_hand() -> None:
    v = _values("RR@10")
    assert v == pytest.approx({"q1": 1.0, "q2": 1 / 3, "q3": 1.0})
    assert mean(v) == pytest.approx((1 + 1 / 3 + 1) / 3)


def test_recall_at_2_by_hand() -> None:
    assert _values("R@2") == pytest.approx({"q1": 0.5, "q2": 0.0, "q3": 1.0})


def test_ndcg_binary_and_graded_by_hand() -> None:
    v = _values("nDCG@10")
    idcg_q1 = 1 + 1 / math.log2(3)
    assert v["q1"] == pytest.approx((1 + 1 / math.log2(4)) / idcg_q1)
    assert v["q2"] == pytest.approx(1 / math.log2(4))
    # graded: gain = relevance (trec_eval's linear gain), d2 (rel 1) first, d1 (rel 2) second
    assert v["q3"] == pytest.approx((1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)))


def test_average_precision_by_hand() -> None:
    v = _values("AP@100")
    assert v["q1"] == pytest.approx((1 + 2 / 3) / 2)
    assert v["q2"] == pytest.approx(1 / 3)


def test_judged_query_missing_from_run_scores_zero() -> None:
    spec = parse_metric("RR@10")
    v = per_query([spec], {"q1": {"d1": 1}, "q9": {"d1": 1}}, {"q1": {"d1": 1.0}})[spec.name]
    assert v == {"q1": 1.0, "q9": 0.0}


def test_aliases_canonicalise_and_direction_is_declared() -> None:
    assert parse_metric("MRR@10").name == "RR@10"
    assert parse_metric("Recall@5").name == "R@5"
    assert parse_metric("nDCG@10").higher_is_better is True
    assert parse_metric("nDCG@10").cutoff == 10


@pytest.mark.parametrize("bad", ["nDGC@10", "Foo@3", "NumRet@10", "R@x"])
def test_unknown_metric_strings_raise(bad: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_metric(bad)
    assert bad in str(err.value) or "cannot parse" in str(err.value)


def test_did_you_mean_on_near_miss() -> None:
    with pytest.raises(ValueError, match='did you mean "nDCG"'):
        parse_metric("nDGC@10")

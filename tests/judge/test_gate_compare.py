"""Bake-off leaderboards: ranking, significance, Holm, winners, outputs."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from embedgate.judge.compare import CompareReport, compare
from embedgate.report.markdown import to_markdown
from embedgate.infra.errors import InputError
from embedgate.report.junit import compare_xml
from embedgate.results.schema import RunResult
from embedgate.algorithms.stats import holm, paired_arrays
from scipy import stats as sps

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _load(name: str) -> RunResult:
    return RunResult.load(GOLDEN / f"{name}.json")


def _board(report: CompareReport, metric: str):
    return next(b for b in report.boards if b.metric == metric)


def test_one_run_with_two_embedders_names_the_significant_winner() -> None:
    report = compare([("pass", _load("pass"))], n_resamples=2000)
    ndcg = _board(report, "nDCG@10")
    assert [e.system for e in ndcg.entries] == ["m3e-small", "minilm"]
    assert ndcg.winner == "m3e-small" and "significantly better" in ndcg.conclusion
    assert ndcg.entries[1].diff_to_best == pytest.approx(0.375 - 0.74)
    # The randomisation p-value floor at 2000 resamples is 1/2001.
    assert ndcg.comparisons[0].p_value == pytest.approx(1 / 2001)
    # speedup is reported by one system only: no board.
    assert {b.metric for b in report.boards} == {"nDCG@10", "latency_p50"}


def test_lower_is_better_ranks_smaller_first_and_untested_boards_name_no_winner() -> None:
    lat = _board(compare([("pass", _load("pass"))]), "latency_p50")
    assert [e.system for e in lat.entries] == ["m3e-small", "minilm"]  # 11.5 ms < 20 ms
    assert lat.entries[1].diff_to_best == pytest.approx(8.5)  # 8.5 ms slower
    assert lat.winner is None and "not tested" in lat.conclusion


def test_no_significant_difference_is_said_so() -> None:
    # m3e-small moved by +0.005 on average between baseline and pass: not significant.
    report = compare([("base", _load("baseline")), ("new", _load("pass"))], n_resamples=2000)
    ndcg = _board(report, "nDCG@10")
    top = {e.system for e in ndcg.entries[:2]}
    assert top == {"base:m3e-small", "new:m3e-small"}
    assert ndcg.winner is None
    assert ndcg.conclusion.startswith("no significant difference between new:m3e-small, "
                                      "base:m3e-small")


def test_holm_is_applied_across_the_comparisons_of_a_board() -> None:
    report = compare([("base", _load("baseline")), ("reg", _load("regressed"))],
                     method="t-test")
    ndcg = _board(report, "nDCG@10")
    assert len(ndcg.comparisons) == 6  # 4 systems, all pairs
    raw = [c.p_value for c in ndcg.comparisons]
    assert [c.p_holm for c in ndcg.comparisons] == pytest.approx(holm(raw))
    assert all(c.p_holm >= c.p_value for c in ndcg.comparisons)
    # The two minilm systems are identical: p = 1, never significant.
    same = next(c for c in ndcg.comparisons if {c.a, c.b} == {"base:minilm", "reg:minilm"})
    assert same.p_value == 1.0 and not same.significant
    # t-test p-values are scipy's ttest_rel on the paired per-query values.
    pair = next(c for c in ndcg.comparisons if {c.a, c.b} == {"base:m3e-small", "reg:m3e-small"})
    xa, xb = paired_arrays(_load("baseline").values("m3e-small", "retrieval", "domain", "nDCG@10"),
                           _load("regressed").values("m3e-small", "retrieval", "domain", "nDCG@10"))
    assert pair.p_value == pytest.approx(sps.ttest_rel(xa, xb).pvalue)
    assert ndcg.winner == "base:m3e-small"


def test_incomparable_runs_are_refused() -> None:
    with pytest.raises(InputError, match=r"datasets\.domain\.sha256 differs"):
        compare([("a", _load("pass")), ("b", _load("incomparable"))])


def test_outputs_markdown_junit_json() -> None:
    report = compare([("pass", _load("pass"))], n_resamples=500)
    md = to_markdown(report)
    assert "### retrieval · domain · nDCG@10 (higher is better)" in md
    assert "| 1 | m3e-small | 0.7400 | — | — |" in md
    assert "**Winner: m3e-small**" in md and "**No winner**: not tested" in md
    root = ET.fromstring(compare_xml(report))
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["perf/-/latency_p50", "retrieval/domain/nDCG@10"]
    assert root.find(".//property[@name='winner']") is not None
    again = CompareReport.model_validate_json(report.model_dump_json())
    assert again == report


def test_a_run_with_several_embedders_writes_its_leaderboards(tmp_path: Path) -> None:
    from embedgate.run import bakeoff

    files = bakeoff.outputs(_load("pass"), tmp_path)
    assert sorted(files) == [tmp_path / "compare.json", tmp_path / "compare.md"]
    assert "**Winner: m3e-small**" in files[tmp_path / "compare.md"]
    saved = CompareReport.model_validate_json(files[tmp_path / "compare.json"])
    assert _board(saved, "nDCG@10").winner == "m3e-small"
    one = _load("pass")
    one = one.model_copy(update={"embedders": {"m3e-small": one.embedders["m3e-small"]},
                                 "metrics": [m for m in one.metrics if m.embedder == "m3e-small"]})
    assert bakeoff.outputs(one, tmp_path / "solo") == {}


def test_a_board_with_a_single_per_query_value_is_not_tested_and_others_still_are() -> None:
    run = _load("pass")
    for pq in run.per_query:
        if pq.metric == "nDCG@10":
            pq.values = dict(list(pq.values.items())[:1])  # e.g. an intrinsic slice of one anchor
    report = compare([("pass", run)], n_resamples=200)
    ndcg = _board(report, "nDCG@10")
    assert ndcg.winner is None and ndcg.comparisons == [] and "not tested" in ndcg.conclusion

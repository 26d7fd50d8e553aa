"""The report's holes section, from a real retrieval tier run (keyword embedders, toy data)."""
from __future__ import annotations

from pathlib import Path

from embedgate.report.render import render
from embedgate.report.sections import Inputs, holes, retrieval

from tests.fakes.keyword_embedder import KeywordEmbedder
from tests.helpers.report import keyword_result, write_toy_suite


def test_holes_section_shows_judged_bounds_and_verdicts(tmp_path: Path) -> None:
    result = keyword_result(write_toy_suite(tmp_path), [KeywordEmbedder("kw-a", dim=4096),
                                                        KeywordEmbedder("kw-b", dim=8)])
    rows = [r for r in result.metrics if r.tier == "retrieval"]
    assert rows and all(r.bounds is not None for r in rows)
    # Each query has one judged document and all six are retrieved: five holes per query.
    first = result.details["retrieval/kw-a/toy"]["holes"]
    assert first["unjudged@10"] == 5 * 4 and first["hole_grade"] == 1
    assert all(r.bounds.unjudged_relevant >= r.value for r in rows if r.bounds)
    view = holes.build(Inputs(result))
    assert view is not None and [d.dataset for d in view] == ["toy"]
    assert [m for m, _ in view[0].verdicts] == ["nDCG@5", "RR@5"]
    assert len(view[0].table.rows) == 2
    [table] = [d.table for d in retrieval.build(Inputs(result)).datasets]
    assert table.columns[-1].label == "Judged@10"
    assert [row[-1].sort for row in table.rows] == [
        result.details[f"retrieval/{e}/toy"]["holes"]["judged@10"] for e in ("kw-a", "kw-b")]
    html = render(result)
    assert "Holes in the qrels" in html and "<script>alert" not in html

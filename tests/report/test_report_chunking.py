"""The report's chunking section: one strategy table per embedder and dataset, read from the
rows and details of a real chunked retrieval run (long-document fixtures, keyword embedder)."""
from __future__ import annotations

import re

import pytest

from embedgate.inputs.beir import load_beir
from embedgate.report.render import render
from embedgate.report.sections import Inputs, chunking, retrieval as retrieval_section
from embedgate.results.schema import RunResult, SuiteInfo, TierResult
from embedgate.suite import RetrievalTier
from embedgate.tiers import retrieval
from embedgate.tiers.context import RunContext

from tests.conftest import FIXTURES
from tests.fakes.keyword_embedder import KeywordEmbedder

METRICS = ["nDCG@10", "R@1"]
SWEEP = {"strategies": [{"split": "clauses", "size": 800},
                        {"split": "chars", "size": 400, "overlap": 80, "aggregate": "first"}]}


def _as_run(tier: TierResult, params: RetrievalTier) -> RunResult:
    """What run.runner.assemble makes of one tier result (details keyed tier/embedder/dataset)."""
    return RunResult(suite=SuiteInfo(name="chunks", file="chunks.yaml", sha256="0" * 64),
                     provenance={"seed": 0}, embedders={tier.embedder: {}},
                     datasets={"longdocs": {}},
                     params={"tiers": {"retrieval": params.model_dump(mode="json",
                                                                      exclude_none=True)}},
                     metrics=tier.metrics, per_query=tier.per_query,
                     details={f"retrieval/{tier.embedder}/{tier.dataset}": tier.details})


@pytest.fixture(scope="module")
def result() -> RunResult:
    data = load_beir("longdocs", FIXTURES / "longdocs", "test")
    params = RetrievalTier(metrics=METRICS, top_k=10, chunking=SWEEP)
    [(_, unit)] = retrieval.prepare(params, None, {"longdocs": data})
    return _as_run(retrieval.run(KeywordEmbedder(), unit, params, RunContext()), params)


def test_strategy_table_shows_the_rows_and_the_details(result: RunResult) -> None:
    [view] = chunking.build(Inputs(result)) or []
    eid = next(iter(result.embedders))
    strategies = result.details[f"retrieval/{eid}/longdocs"]["chunking"]["strategies"]
    labels = [s["label"] for s in strategies]
    assert labels == ["clauses800/max", "chars400/first"]
    assert [c.label for c in view.table.columns] == [
        "strategy", "chunks", "mean chars", "depth", "nDCG@10 ↑", "Δ nDCG@10 vs whole",
        "R@1 ↑", "Δ R@1 vs whole", "clause-hit@1 ↑"]
    whole, *rows = [[c.text for c in row] for row in view.table.rows]
    assert whole[0] == "whole documents"
    assert whole[4] == f"{result.metric(eid, 'retrieval', 'longdocs', 'nDCG@10').value:.4f}"
    for cells, s in zip(rows, strategies):
        label = s["label"]
        assert cells[:4] == [s["label"], str(s["n_chunks"]), f"{s['mean_chunk_chars']:.0f}",
                             str(s["depth"])]
        for i, m in ((4, "nDCG@10"), (6, "R@1"), (8, "clause-hit@1")):
            row = result.metric(eid, "retrieval", "longdocs", f"{m}[{label}]")
            assert row is not None and cells[i] == f"{row.value:.4f}"
        for i, m in ((5, "nDCG@10"), (7, "R@1")):
            assert cells[i] == f"{s['metrics'][m]['delta']:+.4f}"
    subs = [row[5].sub for row in view.table.rows[1:]]
    assert subs == [f"[{s['metrics']['nDCG@10']['ci'][0]:+.4f}, "
                    f"{s['metrics']['nDCG@10']['ci'][1]:+.4f}]" for s in strategies]


def test_main_retrieval_table_has_no_labelled_columns(result: RunResult) -> None:
    view = retrieval_section.build(Inputs(result))
    assert view is not None
    [d] = view.datasets
    assert [c.label for c in d.table.columns] == ["embedder", "nDCG@10 ↑", "R@1 ↑", "Judged@10"]
    html = render(result)
    main = html[html.index('data-key="retrieval-longdocs"'):]
    assert "[" not in "".join(re.findall(r"<th[^>]*>([^<]*)</th>", main[:main.index("</table>")]))
    assert "<h2>Chunked retrieval: strategies vs whole documents</h2>" in html
    assert 'data-key="chunking-' in html


def test_runs_without_chunking_have_no_section(result: RunResult) -> None:
    plain = result.model_copy(update={
        "metrics": [r for r in result.metrics if "[" not in r.metric],
        "details": {k: {kk: vv for kk, vv in v.items() if kk != "chunking"}
                    for k, v in result.details.items()}})
    assert chunking.build(Inputs(plain)) is None

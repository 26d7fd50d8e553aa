"""Chunked retrieval on the long-document fixtures with the keyword embedder, and bad input."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.inputs.beir import load_beir
from embedgate.suite import RetrievalTier
from embedgate.tiers import retrieval
from embedgate.tiers.context import RunContext

from tests.conftest import FIXTURES
from tests.fakes.keyword_embedder import KeywordEmbedder
from tests.helpers.suites import minilm_suite

LONGDOCS = FIXTURES / "longdocs"
SWEEP = {"strategies": [{"split": "clauses", "size": 800},
                        {"split": "chars", "size": 400, "overlap": 80, "aggregate": "first"},
                        {"split": "tokens", "size": 96, "overlap": 16,
                         "aggregate": {"sum_top": 2}},
                        {"split": "sentences", "size": 300}]}


@pytest.fixture(scope="module")
def longdocs():
    return load_beir("longdocs", LONGDOCS, "test")


def test_fixture_clause_spans_start_at_their_headings(longdocs) -> None:
    from embedgate.inputs.clauses import load_clause_qrels

    clauses = load_clause_qrels(LONGDOCS / "clause_qrels.tsv", longdocs).clauses
    assert len(clauses) == len(longdocs.queries) == 50
    for rows in clauses.values():
        for doc, a, _ in rows:
            assert longdocs.doc_text(doc)[a:].startswith(("Article", "第"))


def test_sweep_adds_labelled_rows_and_keeps_the_unchunked_ones(longdocs) -> None:
    plain = RetrievalTier(metrics=["nDCG@10", "R@1"], top_k=10)
    swept = RetrievalTier(metrics=["nDCG@10", "R@1"], top_k=10, chunking=SWEEP)
    [(_, unit)] = retrieval.prepare(swept, None, {"longdocs": longdocs})
    base = retrieval.run(KeywordEmbedder(), longdocs, plain, RunContext())
    result = retrieval.run(KeywordEmbedder(), unit, swept, RunContext())
    assert result.metrics[:2] == base.metrics and result.per_query[:2] == base.per_query
    names = [m.metric for m in result.metrics[2:]]
    assert names[:3] == ["nDCG@10[clauses800/max]", "R@1[clauses800/max]",
                         "clause-hit@1[clauses800/max]"]
    assert "nDCG@10[tokens96/sum_top2]" in names and len(names) == 12
    assert all(m.higher_is_better and m.n_queries == 50 for m in result.metrics[2:])
    info = result.details["chunking"]
    clauses, first = info["strategies"][0], info["strategies"][1]
    assert clauses["n_chunks"] == 211 and clauses["depth"] == 211  # 10 × 22 (zh-sale), capped
    assert first["depth"] == 10 and info["tokenizer"].startswith("fallback")
    assert set(clauses["metrics"]["nDCG@10"]) == {"mean", "reference", "delta", "ci"}
    assert len([a for a in result.artifacts if a.endswith(".trec")]) == 5
    hits = next(p for p in result.per_query if p.metric == "clause-hit@1[clauses800/max]")
    assert set(hits.values.values()) <= {0.0, 1.0} and sum(hits.values.values()) > 0


def _suite(tmp_path: Path, chunking: str) -> Path:
    return minilm_suite(tmp_path, f"""datasets:
  - {{id: longdocs, format: beir, path: {LONGDOCS}}}
tiers:
  retrieval:
    chunking:
      strategies:
        - {chunking}
""")


@pytest.mark.parametrize("strategy, words", [
    ("{split: paragraphs, size: 400}", "split"),
    ("{split: chars, size: 400, overlap: 400}", "overlap (400) must be below size (400)"),
    ("{split: clauses, size: 800, aggregate: {sum_top: 0}}", "sum_top"),
])
def test_bad_strategy_is_one_line_with_file_and_line(tmp_path: Path, strategy: str, words: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = _suite(tmp_path, strategy)
    code = main(["run", str(path), "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("embedgate: error:")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert f"{path}:12" in lines[0] and words in lines[0], lines[0]


def test_bad_clause_qrels_name_file_and_line(tmp_path: Path, longdocs) -> None:
    from embedgate.infra.errors import InputError
    from embedgate.inputs.clauses import load_clause_qrels

    bad = tmp_path / "clause_qrels.tsv"
    bad.write_text("query-id\tcorpus-id\tchar-start\tchar-end\nq01\ten-lease\t10\t99999\n")
    with pytest.raises(InputError, match=f"{bad}:2: span 10-99999 is not inside"):
        load_clause_qrels(bad, longdocs)

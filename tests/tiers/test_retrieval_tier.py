"""Retrieval tier plumbing with the keyword embedder, and agreement with ranx to 1e-6."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.suite import RetrievalTier
from embedgate.tiers.context import RunContext
from embedgate.inputs.beir import load_beir
from embedgate.tiers import retrieval

from tests.conftest import FIXTURES, write_beir
from tests.fakes.keyword_embedder import KeywordEmbedder

CORPUS = [
    {"_id": "d1", "title": "apples", "text": "red apples grow on trees"},
    {"_id": "d2", "title": "", "text": "bananas are yellow fruit"},
    {"_id": "d3", "title": "cars", "text": "fast red cars on roads"},
    {"_id": "d4", "title": "", "text": "trees in the forest"},
]
QUERIES = [{"_id": "q1", "text": "red apples"}, {"_id": "q2", "text": "yellow bananas"},
           {"_id": "q3", "text": "forest trees"}, {"_id": "q4", "text": "no judgements here"},
           {"_id": "q5", "text": ""}]
QRELS = [("q1", "d1", 1), ("q2", "d2", 1), ("q3", "d4", 1), ("q3", "d1", 1), ("q5", "d1", 1),
         ("qX", "d1", 1)]


@pytest.fixture
def tiny(tmp_path: Path):
    return load_beir("tiny", write_beir(tmp_path / "tiny", CORPUS, QUERIES, QRELS), "test")


def test_counts_what_it_does_not_evaluate(tiny) -> None:
    s = tiny.stats
    assert s.n_queries_in_file == 5 and s.n_queries_evaluated == 3
    assert s.n_queries_without_qrels == 1  # q4
    assert s.n_queries_empty_text == 1  # q5 is judged but empty
    assert s.n_qrels_unknown_query == 1  # qX
    assert tiny.doc_texts[0] == "apples red apples grow on trees"  # BEIR title + " " + text


def test_tier_encodes_each_text_once_and_scores(tiny) -> None:
    emb = KeywordEmbedder()
    result = retrieval.run(emb, tiny, RetrievalTier(metrics=["RR@10", "R@1"], top_k=10), RunContext())
    assert emb.calls == [(4, "passage"), (3, "query")]
    rr = next(m for m in result.metrics if m.metric == "RR@10")
    assert rr.n_queries == 3 and rr.higher_is_better
    assert result.per_query[0].values["q1"] == pytest.approx(1.0)
    assert 0.0 < rr.value <= 1.0
    trec = next(iter(result.artifacts.values())).splitlines()
    assert trec[0].split()[:4] == ["q1", "Q0", "d1", "1"]


@pytest.mark.slow
def test_metrics_equal_ranx_on_fixture_run() -> None:
    """Our ir-measures numbers and ranx's agree to 1e-6 on a real run over the fixtures.

    A real model (m3e-small), not the keyword embedder: bag-of-words scores tie often, and
    the two libraries break ties differently, which is not what this test is about.
    """
    from ranx import Qrels, Run, evaluate

    from embedgate.suite import SentenceTransformersSpec
    from embedgate.embedders.st import SentenceTransformerEmbedder
    from embedgate.embedders.registry import BuildEnv

    data = load_beir("domain", FIXTURES / "domain", "test")
    params = RetrievalTier(metrics=["nDCG@10", "RR@10", "R@5", "P@5", "AP@100"], top_k=100)
    spec = SentenceTransformersSpec(id="m3e", kind="sentence-transformers",
                                    model="packaged:m3e-small", batch_size=64)
    embedder = SentenceTransformerEmbedder(spec, BuildEnv(where="test", progress=False))
    result = retrieval.run(embedder, data, params, RunContext())
    run = {}
    for line in next(iter(result.artifacts.values())).splitlines():
        qid, _, doc, _, score, _ = line.split()
        run.setdefault(qid, {})[doc] = float(score)
    names = {"nDCG@10": "ndcg@10", "RR@10": "mrr@10", "R@5": "recall@5", "P@5": "precision@5",
             "AP@100": "map@100"}
    ranx_values = evaluate(Qrels(data.qrels), Run(run), list(names.values()), return_mean=False)
    for pq in result.per_query:
        ours = [pq.values[q] for q in sorted(pq.values)]
        qids = sorted(Qrels(data.qrels).keys())
        theirs = dict(zip(qids, ranx_values[names[pq.metric]]))
        assert ours == pytest.approx([theirs[q] for q in sorted(pq.values)], abs=1e-6), pq.metric

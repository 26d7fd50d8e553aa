"""`kind: bm25`: scores equal Lucene's BM25 computed by hand; no-match documents are not
returned; Chinese matches through character bigrams."""
from __future__ import annotations

import math

import numpy as np

from embedgate.retrievers.bm25 import Bm25Retriever
from embedgate.suite import Bm25Spec
from embedgate.tiers.context import RunContext

DOCS = ["myocardial ischemia of the heart", "heart failure and heart attack",
        "force majeure clause in a contract", "心肌缺血 冠状动脉供血不足", "合同 不可抗力 条款"]
IDS = [f"d{i}" for i in range(len(DOCS))]


def _lucene(query: list[str], docs: list[list[str]], k1: float, b: float) -> np.ndarray:
    """Lucene BM25 (no (k1+1) factor, as since Lucene 8): idf · tf / (tf + k1·(1-b+b·dl/avgdl))."""
    n, avgdl = len(docs), sum(map(len, docs)) / len(docs)
    out = np.zeros(n)
    for term in set(query):
        df = sum(term in d for d in docs)
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for j, d in enumerate(docs):
            tf = d.count(term)
            out[j] += idf * tf / (tf + k1 * (1 - b + b * len(d) / avgdl)) if tf else 0.0
    return out


def test_scores_are_lucene_bm25_and_unmatched_documents_are_not_returned() -> None:
    spec = Bm25Spec(id="bm25", kind="bm25", k1=1.2, b=0.75, stem=False, stopwords=False,
                    latency_queries=2)
    system = Bm25Retriever(spec)
    queries = ["heart ischemia", "不可抗力"]
    got = system.retrieve(IDS, DOCS, queries, top_k=5, ctx=RunContext())
    docs = [system.analyzer.tokens(t) for t in DOCS]
    for q, text in enumerate(queries):
        hand = _lucene(system.analyzer.tokens(text), docs, 1.2, 0.75)
        expected = [j for j in np.argsort(-hand, kind="stable") if hand[j] > 0]
        returned = [int(j) for j in got.idx[q] if j >= 0]
        assert returned == expected  # only documents sharing a token, best first
        assert np.allclose(got.scores[q][:len(returned)], hand[expected], rtol=1e-5)
    assert got.idx[1].tolist()[0] == 4  # 不可抗力 found through its characters and bigrams
    assert len(got.latency_ms["bm25:search"]) == 2


def test_a_query_of_unknown_words_retrieves_nothing() -> None:
    system = Bm25Retriever(Bm25Spec(id="bm25", kind="bm25", latency_queries=0))
    got = system.retrieve(IDS, DOCS, ["zzz qqq"], top_k=3, ctx=RunContext())
    assert got.idx.tolist() == [[-1, -1, -1]]


def test_stemming_matches_inflected_forms() -> None:
    stem = Bm25Retriever(Bm25Spec(id="s", kind="bm25", latency_queries=0))
    plain = Bm25Retriever(Bm25Spec(id="p", kind="bm25", stem=False, latency_queries=0))
    assert stem.retrieve(IDS, DOCS, ["contracts"], 2, RunContext()).idx[0, 0] == 2
    assert plain.retrieve(IDS, DOCS, ["contracts"], 2, RunContext()).idx[0, 0] == -1

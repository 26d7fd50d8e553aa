"""Search: blocked exact search, approximate indexes with recall reported, memmap path."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embedgate.suite import IndexSpec, RetrievalTier
from embedgate.tiers.context import RunContext
from embedgate.inputs.beir import load_beir
from embedgate.embedders.base import l2_normalise
from embedgate.encode.pipeline import EncodeOptions, EncodePipeline
from embedgate.algorithms.search import exact_search, recall_at_k, search
from embedgate.tiers import retrieval

from tests.conftest import FIXTURES
from tests.fakes.keyword_embedder import KeywordEmbedder


def _unit(n: int, dim: int, seed: int) -> np.ndarray:
    return l2_normalise(np.random.default_rng(seed).normal(size=(n, dim)))


def test_blocked_exact_search_equals_one_flat_index() -> None:
    docs, queries = _unit(500, 16, 0), _unit(23, 16, 1)
    ref_scores, ref_idx = exact_search(docs, queries, 10)
    scores, idx = exact_search(docs, queries, 10, query_block=5, doc_block=37)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-6)
    brute = np.argsort(-(queries @ docs.T), axis=1)[:, :10]
    np.testing.assert_array_equal(ref_idx, brute)


def test_recall_at_k_by_hand() -> None:
    approx = np.array([[1, 2, 3], [4, 5, -1]])
    exact = np.array([[3, 2, 9], [4, 6, 7]])
    assert recall_at_k(approx, exact).tolist() == pytest.approx([2 / 3, 1 / 3])


def test_ivf_probing_every_list_is_exact_and_one_list_is_not() -> None:
    docs, queries = _unit(2000, 16, 2), _unit(200, 16, 3)
    rng = np.random.default_rng
    full = search(docs, queries, 10, IndexSpec(type="ivf", nlist=16, nprobe=16), rng(0))
    assert full.recall is not None and full.recall.mean() == pytest.approx(1.0)
    one = search(docs, queries, 10, IndexSpec(type="ivf", nlist=16, nprobe=1, recall_sample=50),
                 rng(0))
    assert one.recall is not None and len(one.recall) == 50 and one.recall.mean() < 0.95
    assert "approximate" in one.description and one.settings["nprobe"] == 1
    flat = search(docs, queries, 10, IndexSpec(), rng(0))
    assert flat.recall is None and "exact" in flat.description


@pytest.mark.parametrize("index", [{"type": "ivf", "nlist": 8, "nprobe": 2},
                                   {"type": "hnsw", "M": 8, "ef_search": 16, "recall_sample": 40}])
def test_retrieval_tier_reports_approximate_recall(index: dict) -> None:
    data = load_beir("domain", FIXTURES / "domain", "test")
    params = RetrievalTier(metrics=["nDCG@10"], top_k=20, index=IndexSpec(**index))
    result = retrieval.run(KeywordEmbedder(), data, params, RunContext(seed=3))
    row = next(m for m in result.metrics if m.metric == "ANN-recall@20")
    assert row.higher_is_better and 0.0 < row.value <= 1.0
    assert row.n_queries == min(len(data.queries), params.index.recall_sample)
    pq = next(p for p in result.per_query if p.metric == "ANN-recall@20")
    assert set(pq.values) <= set(data.queries) and len(pq.values) == row.n_queries
    assert "approximate" in result.details["search"]
    assert result.details["index"]["type"] == index["type"]
    assert result.details["index_recall"]["mean"] == pytest.approx(row.value)
    again = retrieval.run(KeywordEmbedder(), data, params, RunContext(seed=3))
    if index["type"] == "ivf":  # seeded training and sampling: repeatable
        assert [m.value for m in again.metrics] == [m.value for m in result.metrics]


def test_memmap_path_equals_in_memory(tmp_path: Path) -> None:
    data = load_beir("domain", FIXTURES / "domain", "test")
    params = RetrievalTier(metrics=["nDCG@10", "RR@10"], top_k=50)
    plain = retrieval.run(KeywordEmbedder(), data, params, RunContext())
    pipe = EncodePipeline.create(EncodeOptions(memmap_min_mib=0, scratch_dir=tmp_path / "scratch",
                                               commit_every=64))
    streamed = retrieval.run(KeywordEmbedder(), data, params, RunContext(encode_fn=pipe))
    assert pipe.stats.memmap_calls == 2  # corpus and queries both went to disk
    assert [m.value for m in streamed.metrics] == [m.value for m in plain.metrics]
    assert streamed.artifacts == plain.artifacts
    pipe.close()
    assert list((tmp_path / "scratch").iterdir()) == []  # scratch files are removed

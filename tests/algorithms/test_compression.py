"""Compression maths on hand-made vectors: code sizes, prefixes, sign bits and Hamming ranking,
rescoring, the Pareto frontier and the cheapest passing choice."""
from __future__ import annotations

import numpy as np
import pytest

from embedgate.algorithms.compression import (binary_codes, build, code_bytes, faiss_threads,
                                              hamming_score, prefix, rescore)
from embedgate.algorithms.pareto import Option, cheapest_passing, frontier, non_inferior
from embedgate.algorithms.search import IndexParams, exact_search


def _unit(rows: list[list[float]]) -> np.ndarray:
    x = np.array(rows, dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_code_bytes_per_precision() -> None:
    assert [code_bytes(p, 384) for p in ("fp32", "int8", "binary")] == [1536, 384, 48]
    assert code_bytes("binary", 12) == 2  # 12 bits round up to 2 bytes


def test_prefix_keeps_leading_dims_and_renormalises() -> None:
    x = np.array([[3.0, 4.0, 12.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    got = prefix(x, 2)
    np.testing.assert_allclose(got[0], [0.6, 0.8], rtol=1e-6)
    np.testing.assert_array_equal(got[1], [0.0, 0.0])  # a zero prefix stays zero, no NaN


def test_binary_codes_are_packed_sign_bits() -> None:
    x = np.array([[1, -1, 1, 1, -1, -1, -1, 0.5], [-1] * 8], dtype=np.float32)
    assert binary_codes(x).tolist() == [[0b10110001], [0]]


def test_hamming_ranking_of_four_vectors() -> None:
    # sign patterns of 8 dims; the query is doc 0's pattern with bit 7 flipped
    docs = np.array([[1, 1, 1, 1, 1, 1, 1, 1],      # 1 bit away
                     [1, 1, 1, 1, -1, -1, -1, -1],  # 3 bits away
                     [-1, -1, -1, -1, -1, -1, -1, -1],  # 7 bits away
                     [1, 1, 1, 1, 1, 1, -1, -1]], dtype=np.float32) / np.sqrt(8)  # 1 bit away
    query = np.array([[1, 1, 1, 1, 1, 1, 1, -1]], dtype=np.float32) / np.sqrt(8)
    index = build(docs, "binary", "flat", IndexParams(), np.random.default_rng(0))
    scores, idx = index.search(index.encode(query), 4)
    assert sorted(idx[0, :2].tolist()) == [0, 3] and idx[0, 2:].tolist() == [1, 2]
    np.testing.assert_allclose(scores[0], [0.75, 0.75, 0.25, -0.75])  # 1 - 2h/8
    np.testing.assert_allclose(hamming_score(np.array([0, 4, 8]), 8), [1.0, 0.0, -1.0])


@pytest.mark.parametrize(("precision", "expected"), [("fp32", 64), ("int8", 16), ("binary", 2)])
def test_measured_bytes_per_vector_is_the_code_size(precision: str, expected: int) -> None:
    x = _unit(np.random.default_rng(1).standard_normal((50, 16)).tolist())
    built = build(x, precision, "flat", IndexParams(), np.random.default_rng(0))
    assert built.bytes_per_vector() == expected == code_bytes(precision, 16)
    assert built.total_bytes() >= 50 * expected


def test_int8_keeps_the_ranking_of_separated_vectors() -> None:
    docs = _unit([[1, 0, 0, 0], [0.7, 0.7, 0, 0], [0, 0, 1, 0], [0, 0.2, 0.1, 1]])
    query = _unit([[0.9, 0.3, 0, 0]])
    built = build(docs, "int8", "flat", IndexParams(), np.random.default_rng(0))
    _, idx = built.search(built.encode(query), 4)
    _, exact = exact_search(docs, query, 4)
    assert idx[0].tolist() == exact[0].tolist()


def test_rescoring_restores_exact_order() -> None:
    docs = _unit([[1, 0], [0.8, 0.6], [0.6, 0.8], [0, 1]])
    query = _unit([[1, 0.1]])
    shuffled = np.array([[3, 2, 1, 0, -1]])  # candidates in the worst order, one padding slot
    scores, idx = rescore(docs, query, shuffled, 2)
    assert idx.tolist() == [[0, 1]]
    np.testing.assert_allclose(scores[0], docs[[0, 1]] @ query[0], rtol=1e-6)


def test_binary_with_enough_candidates_rescored_equals_exact_search() -> None:
    rng = np.random.default_rng(3)
    docs = _unit(rng.standard_normal((200, 32)).tolist())
    queries = _unit(rng.standard_normal((10, 32)).tolist())
    built = build(docs, "binary", "flat", IndexParams(), rng)
    _, cand = built.search(built.encode(queries), 200)  # m large enough: every document
    _, idx = rescore(docs, queries, cand, 10)
    _, exact = exact_search(docs, queries, 10)
    assert idx.tolist() == exact.tolist()


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
@pytest.mark.parametrize("precision", ["fp32", "int8", "binary"])
def test_approximate_indexes_build_and_find_themselves(kind: str, precision: str) -> None:
    docs = _unit(np.random.default_rng(4).standard_normal((120, 16)).tolist())
    built = build(docs, precision, kind, IndexParams(nlist=4, M=8), np.random.default_rng(0))
    _, idx = built.search(built.encode(docs[:5]), 3)
    assert idx[:, 0].tolist() == [0, 1, 2, 3, 4]
    assert built.settings["type"] == kind and built.bytes_per_vector() > 0


def test_faiss_threads_are_restored() -> None:
    import faiss

    before = faiss.omp_get_max_threads()
    with faiss_threads(1):
        assert faiss.omp_get_max_threads() == 1
    assert faiss.omp_get_max_threads() == before


def test_frontier_keeps_undominated_points() -> None:
    pts = [(1536.0, 0.70), (384.0, 0.69), (48.0, 0.60), (400.0, 0.65), (48.0, 0.55)]
    assert frontier(pts) == [0, 1, 2]


def test_cheapest_passing_prefers_bytes_then_latency() -> None:
    opts = [Option("fp32", 1536, 1.0, True), Option("int8", 384, 0.5, True),
            Option("int8-hnsw", 384, 0.2, True), Option("binary", 48, 0.1, False)]
    chosen = cheapest_passing(opts)
    assert chosen is not None and chosen.id == "int8-hnsw"
    assert cheapest_passing([Option("x", 1, 1, False)]) is None


def test_non_inferiority_reads_the_lower_bound() -> None:
    assert non_inferior(-0.01, 0.01) and not non_inferior(-0.0101, 0.01)
    assert non_inferior(0.0, 0.0)

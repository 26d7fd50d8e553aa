"""Compressed vector search: precision (fp32 / int8 / binary), Matryoshka prefixes, rescoring.

Vectors are L2-normalised float32 (inner product = cosine). A compressed index stores them as
- ``fp32``: the floats themselves (``IndexFlatIP``, or IVF-Flat / HNSW-Flat), 4 bytes a dimension;
- ``int8``: faiss's 8-bit scalar quantiser (``QT_8bit``: per-dimension min/max trained on the
  corpus, one byte a dimension), searched by inner product on the decoded values;
- ``binary``: one sign bit a dimension (``x > 0``), packed 8 to a byte, searched by Hamming
  distance (``IndexBinaryFlat`` / ``BIVF`` / ``BHNSW``); a Hamming distance ``h`` over ``n``
  bits is reported as the score ``1 - 2h/n`` (the cosine of the two ±1 sign vectors).
A Matryoshka prefix keeps the first ``dim`` dimensions and L2-normalises again. Rescoring
re-ranks the ``k × m`` candidates of the compressed index by their full fp32 inner product.

>>> code_bytes("fp32", 384), code_bytes("int8", 384), code_bytes("binary", 384)
(1536, 384, 48)
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from embedgate.algorithms.search import IndexParams

Precision = Literal["fp32", "int8", "binary"]
IndexType = Literal["flat", "ivf", "hnsw"]
PRECISIONS: tuple[str, ...] = ("fp32", "int8", "binary")
INDEX_TYPES: tuple[str, ...] = ("flat", "ivf", "hnsw")
_FLOAT_CODE = {"fp32": "Flat", "int8": "SQ8"}


def code_bytes(precision: str, dim: int) -> int:
    """Bytes of one vector's code: 4 a dimension (fp32), 1 (int8), 1 per 8 bits (binary)."""
    if precision == "fp32":
        return 4 * dim
    if precision == "int8":
        return dim
    return (dim + 7) // 8


def prefix(vectors: np.ndarray, dim: int) -> np.ndarray:
    """The first `dim` columns, each row L2-normalised again (an all-zero row stays zero)."""
    head = np.array(vectors[:, :dim], dtype=np.float32)
    norms = np.linalg.norm(head, axis=1, keepdims=True)
    return np.ascontiguousarray(head / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def binary_codes(vectors: np.ndarray) -> np.ndarray:
    """Sign bits (``x > 0`` is 1), packed big-endian 8 to a byte; the last byte zero-padded."""
    return np.packbits(np.asarray(vectors) > 0, axis=1)


def hamming_score(distances: np.ndarray, n_bits: int) -> np.ndarray:
    """Hamming distance -> cosine of the ±1 sign vectors, so larger is closer as for floats."""
    return (1.0 - 2.0 * np.asarray(distances, dtype=np.float32) / n_bits).astype(np.float32)


@dataclass(frozen=True)
class Compressed:
    """A built index over compressed codes, its size and what it really used."""

    index: Any
    precision: str
    dim: int
    description: str
    settings: dict[str, Any]
    empty_bytes: int  # serialised size once trained, before any vector was added

    @property
    def binary(self) -> bool:
        return self.precision == "binary"

    def encode(self, vectors: np.ndarray) -> np.ndarray:
        """Queries (or documents) as this index takes them."""
        if self.binary:
            return binary_codes(vectors)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, indices) of already `encode`d queries; -1 pads missing hits."""
        scores, idx = self.index.search(queries, min(k, self.index.ntotal))
        if self.binary:
            scores = np.where(idx >= 0, hamming_score(scores, self.n_bits), -np.inf)
        return scores.astype(np.float32), idx

    @property
    def n_bits(self) -> int:
        return 8 * code_bytes("binary", self.dim)

    def total_bytes(self) -> int:
        """Serialised size of the whole index: codes, ids, graph links, trained tables."""
        return serialized_bytes(self.index, self.binary)

    def bytes_per_vector(self) -> float:
        """What each added vector costs: (total - trained empty index) / vectors."""
        n = int(self.index.ntotal)
        return (self.total_bytes() - self.empty_bytes) / n if n else 0.0


@contextmanager
def faiss_threads(n: int) -> Iterator[None]:
    """faiss's OpenMP threads set to `n` inside the block, restored after it. Single-query
    timings use 1: on a busy machine OpenMP's thread wake-ups cost more than a small search
    (measured here: int8 flat over 5k vectors, 9 ms a query at 2 threads, 0.26 ms at 1)."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def serialized_bytes(index: Any, binary: bool) -> int:
    import faiss

    blob = faiss.serialize_index_binary(index) if binary else faiss.serialize_index(index)
    return int(blob.nbytes)


def ivf_lists(n_docs: int, nlist: int) -> int:
    """IVF lists actually used: at most `nlist`, and at least 39 training points a list."""
    return max(1, min(nlist, n_docs // 39 or 1))


def _factory(precision: str, index_type: str, dim: int, n_docs: int,
             params: IndexParams) -> tuple[Any, dict[str, Any]]:
    import faiss

    nlist = ivf_lists(n_docs, params.nlist)
    if precision == "binary":
        n_bits = 8 * code_bytes("binary", dim)
        key = {"flat": "BFlat", "ivf": f"BIVF{nlist}", "hnsw": f"BHNSW{params.M}"}[index_type]
        return faiss.index_binary_factory(n_bits, key), {"factory": key, "bits": n_bits}
    shape = {"flat": "", "ivf": f"IVF{nlist},", "hnsw": f"HNSW{params.M},"}[index_type]
    key = shape + _FLOAT_CODE[precision]
    return faiss.index_factory(dim, key, faiss.METRIC_INNER_PRODUCT), {"factory": key}


def _tune(index: Any, index_type: str, params: IndexParams, seed: int,
          binary: bool) -> dict[str, Any]:
    """Set the IVF / HNSW knobs the suite asks for; return the ones really used."""
    import faiss

    if index_type == "ivf":
        ivf = index if binary else faiss.extract_index_ivf(index)
        ivf.cp.seed = seed
        ivf.nprobe = min(params.nprobe, ivf.nlist)
        return {"nlist": int(ivf.nlist), "nprobe": int(ivf.nprobe)}
    if index_type == "hnsw":
        index.hnsw.efConstruction = params.ef_construction
        index.hnsw.efSearch = params.ef_search
        return {"M": params.M, "ef_search": params.ef_search,
                "ef_construction": params.ef_construction}
    return {}


def build(vectors: np.ndarray, precision: str, index_type: str, params: IndexParams,
          rng: np.random.Generator) -> Compressed:
    """Train (int8 tables, IVF lists) and fill an index of `vectors` at `precision`.

    The scalar quantiser trains on the whole corpus (a min and max per dimension); IVF
    k-means on a seeded sample of at most 256 points a list, as the retrieval tier does.
    """
    n_docs, dim = vectors.shape
    index, settings = _factory(precision, index_type, dim, n_docs, params)
    binary = precision == "binary"
    settings |= _tune(index, index_type, params, int(rng.integers(0, 2**31 - 1)), binary)
    codes = binary_codes(vectors) if binary else np.ascontiguousarray(vectors, dtype=np.float32)
    if not index.is_trained:
        size = n_docs if index_type != "ivf" else min(n_docs, settings["nlist"] * 256)
        sample = np.sort(rng.choice(n_docs, size=size, replace=False))
        index.train(codes[sample])
        settings["train_size"] = int(size)
    empty = serialized_bytes(index, binary)
    index.add(codes)
    desc = f"faiss {type(index).__name__} ({precision}, {dim}d, {index_type})"
    return Compressed(index, precision, dim, desc, {"type": index_type, **settings}, empty)


def rescore(doc_vecs: np.ndarray, query_vecs: np.ndarray, candidates: np.ndarray,
            k: int) -> tuple[np.ndarray, np.ndarray]:
    """Re-rank each query's candidates (-1 = none) by fp32 inner product; keep the top `k`.

    Ties keep the candidates' order (a stable sort), so equal scores rank as the index did.
    """
    n_q = candidates.shape[0]
    scores = np.full((n_q, k), -np.inf, dtype=np.float32)
    idx = np.full((n_q, k), -1, dtype=np.int64)
    for q in range(n_q):
        s, i = rescore_one(doc_vecs, query_vecs[q], candidates[q], k)
        scores[q, :len(i)], idx[q, :len(i)] = s, i
    return scores, idx


def rescore_one(doc_vecs: np.ndarray, query: np.ndarray, candidates: np.ndarray,
                k: int) -> tuple[np.ndarray, np.ndarray]:
    """One query's rescoring (what a single request pays for, timed as such)."""
    found = candidates[candidates >= 0].astype(np.int64)
    exact = np.asarray(doc_vecs[found] @ query, dtype=np.float32)
    order = np.argsort(-exact, kind="stable")[:k]
    return exact[order], found[order]

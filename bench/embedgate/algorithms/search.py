"""The only faiss import: exact (default) or approximate inner-product search, and recall.

Vectors are L2-normalised float32, so inner product = cosine. Exact search adds documents to
an `IndexFlatIP` in blocks and searches queries in blocks, so a memmap corpus larger than
memory is read block by block and never copied whole; results of several document blocks are
merged with faiss's `ResultHeap`. IVF and HNSW are options for very large corpora; their
recall@k against exact search is measured on a sample of queries (`approximate_recall`) so
nobody mistakes approximate for exact.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

RunDict = dict[str, dict[str, float]]

QUERY_BLOCK = 4096
DOC_BLOCK = 1 << 18  # 262,144 rows: 512 MiB of 512-d float32 per block


def _f32(block: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(block, dtype=np.float32)


def _search_blocks(index: Any, query_vecs: np.ndarray, k: int,
                   query_block: int) -> tuple[np.ndarray, np.ndarray]:
    parts = [index.search(_f32(query_vecs[s:s + query_block]), k)
             for s in range(0, query_vecs.shape[0], query_block)]
    if not parts:
        return np.zeros((0, k), np.float32), np.zeros((0, k), np.int64)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def exact_search(doc_vecs: np.ndarray, query_vecs: np.ndarray, top_k: int,
                 query_block: int = QUERY_BLOCK,
                 doc_block: int = DOC_BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, indices) per query by inner product (= cosine on unit vectors)."""
    import faiss  # heavy; imported where searched, so loading a suite stays fast

    n_docs, dim = doc_vecs.shape
    k = min(top_k, n_docs)
    if n_docs <= doc_block:  # one index: the common case, and the reference ordering
        index = faiss.IndexFlatIP(dim)
        index.add(_f32(doc_vecs))
        return _search_blocks(index, query_vecs, k, query_block)
    heap = faiss.ResultHeap(query_vecs.shape[0], k, keep_max=True)
    for start in range(0, n_docs, doc_block):
        index = faiss.IndexFlatIP(dim)
        index.add(_f32(doc_vecs[start:start + doc_block]))
        for q0 in range(0, query_vecs.shape[0], query_block):
            q1 = min(q0 + query_block, query_vecs.shape[0])
            scores, idx = index.search(_f32(query_vecs[q0:q1]), min(k, index.ntotal))
            heap.add_result_subset(np.arange(q0, q1), scores, np.where(idx >= 0, idx + start, -1))
    heap.finalize()
    return heap.D, heap.I


@dataclass(frozen=True)
class IndexParams:
    """What to build: exact `flat`, or IVF / HNSW with their knobs (the suite's `index:`)."""

    type: Literal["flat", "ivf", "hnsw"] = "flat"
    nlist: int = 1024  # ivf: k-means lists
    nprobe: int = 32  # ivf: lists searched per query
    M: int = 32  # hnsw: links per node
    ef_search: int = 128  # hnsw: candidates kept at search
    ef_construction: int = 200  # hnsw: at build
    recall_sample: int = 1000  # queries whose recall@k against exact search is measured


@dataclass(frozen=True)
class BuiltIndex:
    """An approximate index and the settings it really used (for results)."""

    index: Any
    description: str
    settings: dict[str, Any]


def build_approximate(doc_vecs: np.ndarray, spec: IndexParams, rng: np.random.Generator,
                      doc_block: int = DOC_BLOCK) -> BuiltIndex:
    """An IVF-Flat or HNSW-Flat inner-product index over `doc_vecs`, added block by block."""
    import faiss

    n_docs, dim = doc_vecs.shape
    if spec.type == "ivf":
        nlist = max(1, min(spec.nlist, n_docs // 39 or 1))  # faiss wants ≥ 39 points a list
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = int(rng.integers(0, 2**31 - 1))
        sample = np.sort(rng.choice(n_docs, size=min(n_docs, nlist * 256), replace=False))
        index.train(_f32(doc_vecs[sample]))
        index.nprobe = min(spec.nprobe, nlist)
        settings = {"nlist": nlist, "nprobe": int(index.nprobe), "train_size": int(len(sample))}
        desc = f"faiss.IndexIVFFlat (approximate, nlist={nlist}, nprobe={index.nprobe})"
    else:
        index = faiss.IndexHNSWFlat(dim, spec.M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = spec.ef_construction
        index.hnsw.efSearch = spec.ef_search
        settings = {"M": spec.M, "ef_search": spec.ef_search,
                    "ef_construction": spec.ef_construction}
        desc = f"faiss.IndexHNSWFlat (approximate, M={spec.M}, ef_search={spec.ef_search})"
    for start in range(0, n_docs, doc_block):
        index.add(_f32(doc_vecs[start:start + doc_block]))
    return BuiltIndex(index, desc, {"type": spec.type, **settings})


def approximate_search(built: BuiltIndex, query_vecs: np.ndarray, top_k: int,
                       query_block: int = QUERY_BLOCK) -> tuple[np.ndarray, np.ndarray]:
    return _search_blocks(built.index, query_vecs, min(top_k, built.index.ntotal), query_block)


@dataclass(frozen=True)
class SearchOutcome:
    """Top-k per query, how it was searched, and (approximate only) recall on a sample."""

    scores: np.ndarray
    idx: np.ndarray
    description: str
    settings: dict[str, Any]
    recall_queries: np.ndarray | None = None  # positions of the sampled queries
    recall: np.ndarray | None = None  # their recall@k against exact search


def search(doc_vecs: np.ndarray, query_vecs: np.ndarray, top_k: int, spec: IndexParams,
           rng: np.random.Generator) -> SearchOutcome:
    """Search with the index `spec` asks for; an approximate one is checked against exact."""
    if spec.type == "flat":
        scores, idx = exact_search(doc_vecs, query_vecs, top_k)
        return SearchOutcome(scores, idx, "faiss.IndexFlatIP (exact)", {"type": "flat"})
    built = build_approximate(doc_vecs, spec, rng)
    scores, idx = approximate_search(built, query_vecs, top_k)
    n_q = query_vecs.shape[0]
    sample = np.sort(rng.choice(n_q, size=min(n_q, spec.recall_sample), replace=False))
    _, exact_idx = exact_search(doc_vecs, query_vecs[sample], top_k)
    return SearchOutcome(scores, idx, built.description, built.settings, sample,
                         recall_at_k(idx[sample], exact_idx))


def recall_at_k(approx_idx: np.ndarray, exact_idx: np.ndarray) -> np.ndarray:
    """Per query: the share of the exact top-k that the approximate top-k also found."""
    out = np.zeros(exact_idx.shape[0], dtype=np.float64)
    for i, (a, e) in enumerate(zip(approx_idx, exact_idx)):
        truth = set(e[e >= 0].tolist())
        out[i] = len(truth & set(a[a >= 0].tolist())) / len(truth) if truth else 1.0
    return out


def to_run(qids: Sequence[str], doc_ids: Sequence[str], scores: np.ndarray, idx: np.ndarray) -> RunDict:
    """faiss output → {qid: {docid: score}}, skipping faiss's -1 padding."""
    run: RunDict = {}
    for qi, qid in enumerate(qids):
        run[qid] = {doc_ids[j]: float(s) for s, j in zip(scores[qi], idx[qi]) if j >= 0}
    return run


def trec_lines(run: RunDict, tag: str) -> list[str]:
    """TREC run lines `qid Q0 docid rank score tag`, ranked as trec_eval ranks them."""
    lines: list[str] = []
    for qid, docs in run.items():
        # trec_eval's order: score descending, ties by doc id descending
        ranked = sorted(docs.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        for rank, (docid, score) in enumerate(ranked, 1):
            lines.append(f"{qid} Q0 {docid} {rank} {score:.6f} {tag}")
    return lines


def per_query_search_ms(doc_vecs: np.ndarray, query_vecs: np.ndarray, top_k: int) -> list[float]:
    """Milliseconds of an exact search of one query at a time (the index is built once, not
    timed): what a single request costs, where `exact_search` times a whole batch."""
    import time

    import faiss

    index = faiss.IndexFlatIP(doc_vecs.shape[1])
    index.add(_f32(doc_vecs))
    out: list[float] = []
    for row in range(query_vecs.shape[0]):
        query = _f32(query_vecs[row:row + 1])
        start = time.perf_counter()
        index.search(query, min(top_k, index.ntotal))
        out.append((time.perf_counter() - start) * 1e3)
    return out

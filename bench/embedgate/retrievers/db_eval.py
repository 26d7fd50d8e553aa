"""What the vector-database systems share: their source embedder, exact search of the same
vectors as the reference, the per-query search loop through the client, and the `Ranking`
with recall against exact (the ANN loss alone), per-stage latency and the build figures.

The reference is an input of the ranking, so the retrieval tier scores it on the same queries
and gives every metric a paired interval of (database - exact).
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from embedgate.algorithms.filters import allowed, exact_filtered
from embedgate.embedders.base import (Embedder, EmbedderInfo, QueryFilters, RankContext, Ranking,
                                      Retriever)
from embedgate.embedders.registry import BuildEnv
from embedgate.infra.errors import InputError
from embedgate.retrievers.ranking import encode_latency, rank
from embedgate.embedders.lazy import build_lazy

# One query vector, k and (optionally) its metadata filter in, (collection row, score) pairs
# out, best first.
SearchFn = Callable[..., Sequence[tuple[int, float]]]
RECALL_DEPTHS = (10, 100)


@dataclass(frozen=True)
class Searched:
    scores: np.ndarray  # (n, k) float32, -inf pads
    idx: np.ndarray  # (n, k) int64, -1 pads
    search_ms: list[float]  # per query, through the client


def source_embedder(ref: str, env: BuildEnv, what: str) -> Embedder:
    """The dense embedder of the suite named by `ref` (built lazily: cached vectors need no
    model)."""
    if ref not in env.specs:
        raise InputError(f'{env.where}: {what}: "{ref}" is not an embedder of this suite')
    system = build_lazy(env.specs[ref], replace(env, progress=False))
    if isinstance(system, Retriever):
        raise InputError(f'{env.where}: {what}: "{ref}" is a retrieval system without vectors; '
                         "name a dense embedder")
    return system


def search_each(search: SearchFn, query_vecs: np.ndarray, k: int,
                filters: QueryFilters | None = None) -> Searched:
    """Issue every query alone (with its filter, if any), as a client would, timing each."""
    n = query_vecs.shape[0]
    scores = np.full((n, k), -np.inf, dtype=np.float32)
    idx = np.full((n, k), -1, dtype=np.int64)
    ms: list[float] = []
    for q in range(n):
        start = time.perf_counter()
        flt = filters.per_query[q] if filters is not None else None
        found = search(query_vecs[q], k, flt) if flt else search(query_vecs[q], k)
        ms.append((time.perf_counter() - start) * 1e3)
        for r, (row, score) in enumerate(found[:k]):
            idx[q, r], scores[q, r] = row, score
    return Searched(scores, idx, ms)


def recall_vs(found: np.ndarray, exact: np.ndarray, depth: int) -> list[float]:
    """Per query: the share of exact search's top `depth` that the database also returned in
    its top `depth` (1.0 when exact found nothing)."""
    out = []
    for mine, ref in zip(found[:, :depth], exact[:, :depth]):
        want = {int(j) for j in ref if j >= 0}
        got = {int(j) for j in mine if j >= 0}
        out.append(len(want & got) / len(want) if want else 1.0)
    return out


def db_ranking(system_id: str, source: Embedder, queries: Sequence[str], searched: Searched,
               reference: tuple[str, Ranking], counts: dict[str, float],
               settings: dict[str, Any], latency_queries: int) -> Ranking:
    """The database's ranking with its reference as input and its recall against it."""
    encode_ms, _ = encode_latency(source, queries[:latency_queries])
    k = searched.idx.shape[1]
    depths = sorted({d for d in RECALL_DEPTHS if d < k} | {k})
    recall = {f"ANN-recall@{d}": recall_vs(searched.idx, reference[1].idx, d) for d in depths}
    latency = {f"{system_id}:encode": encode_ms, f"{system_id}:search": searched.search_ms}
    return Ranking(searched.scores, searched.idx, latency_ms={k_: v for k_, v in latency.items()
                                                              if v},
                   counts=counts, inputs={reference[0]: reference[1]}, settings=settings,
                   query_metrics=recall)


def filtered_reference(doc_vecs: np.ndarray, query_vecs: np.ndarray, filters: QueryFilters,
                       k: int) -> Ranking:
    """Exact search among each query's matching documents: what filtered recall and the paired
    intervals of a filtered database search are measured against."""
    masks = [allowed(filters.doc_meta, f) for f in filters.per_query]
    scores, idx = exact_filtered(doc_vecs, query_vecs, masks, k)
    return Ranking(scores, idx)


def build_key(spec: Any, query_time: set[str], source: Embedder, doc_ids: Sequence[str],
              doc_texts: Sequence[str], filtered: bool) -> str:
    """What an index built for `spec` depends on: every setting but the search-time ones
    (`query_time`, the id and the reporting knobs), the source's weights, the corpus and
    whether documents carry filter attributes. Equal keys: the index can be shared."""
    skip = query_time | {"id", "latency_queries", "noninferiority"}
    settings = {k: v for k, v in spec.model_dump(mode="json").items() if k not in skip}
    digest = hashlib.sha256(json.dumps([settings, source.info.weights_sha256, filtered],
                                       sort_keys=True, default=str).encode())
    for doc_id, text in zip(doc_ids, doc_texts):
        digest.update(f"{doc_id}\0{text}\0".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def exact_reference(source: Embedder, doc_ids: Sequence[str], doc_texts: Sequence[str],
                    queries: Sequence[str], doc_vecs: np.ndarray, query_vecs: np.ndarray,
                    top_k: int, ctx: RankContext,
                    filters: QueryFilters | None) -> tuple[str, Ranking]:
    """(name, ranking) of exact search of the same vectors: faiss over the cached vectors, or
    among each query's matching documents when queries carry filters."""
    if filters is not None:
        return (f"{source.info.id}:exact-filtered",
                filtered_reference(doc_vecs, query_vecs, filters, top_k))
    return source.info.id, rank(source, doc_ids, doc_texts, queries, top_k, ctx)


def batches(vectors: np.ndarray, size: int) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, rows) slices of a (possibly memory-mapped) matrix: one batch in memory at a
    time, so a write never holds the corpus twice."""
    for start in range(0, vectors.shape[0], size):
        yield start, np.ascontiguousarray(vectors[start:start + size], dtype=np.float32)


def db_info(system_id: str, kind: str, backend: str, name: str, source: EmbedderInfo,
            settings: dict[str, Any]) -> EmbedderInfo:
    ident = {**settings, "source_weights": source.weights_sha256}
    digest = hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()
    return EmbedderInfo(id=system_id, kind=kind, name=name, backend=backend,
                        precision=str(settings.get("storage", settings.get("quantization",
                                                                           "fp32"))),
                        dim=0, max_seq_length=None, weights_sha256=digest, pooling="n/a",
                        normalize=False, extra=settings)

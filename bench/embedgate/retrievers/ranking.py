"""Rank a collection with any system of a suite: a dense embedder (cached encode + exact
faiss search) or a `Retriever`; and time single queries through a dense embedder."""
from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from embedgate.algorithms.search import exact_search, per_query_search_ms
from embedgate.embedders.base import Embedder, RankContext, Ranking, Retriever


def rank(system: Embedder | Retriever, doc_ids: Sequence[str], doc_texts: Sequence[str],
         queries: Sequence[str], top_k: int, ctx: RankContext,
         latency_queries: int = 0) -> Ranking:
    """The top `top_k` documents of every query, by `system`; a dense system is timed on the
    first `latency_queries` queries one at a time (encode, search)."""
    if isinstance(system, Retriever):
        return system.retrieve(doc_ids, doc_texts, queries, top_k, ctx)
    doc_vecs = ctx.encode(system, doc_texts, "passage")
    query_vecs = ctx.encode(system, queries, "query")
    scores, idx = exact_search(doc_vecs, query_vecs, top_k)
    latency = dense_latency(system, queries[:latency_queries], doc_vecs, top_k)
    return Ranking(scores, idx, latency_ms=latency,
                   settings={"kind": "dense", "search": "faiss.IndexFlatIP (exact)"})


def dense_latency(embedder: Embedder, queries: Sequence[str], doc_vecs: np.ndarray,
                  top_k: int) -> dict[str, list[float]]:
    """Per query: encoding it alone (no cache: a live request) and searching it alone, in ms.

    One untimed warm-up encode first, so a model's first-call set-up is not counted.
    """
    if not queries:
        return {}
    encode_ms, vecs = encode_latency(embedder, queries)
    eid = embedder.info.id
    return {f"{eid}:encode": encode_ms,
            f"{eid}:search": per_query_search_ms(doc_vecs, vecs, top_k)}


def encode_latency(embedder: Embedder, queries: Sequence[str]) -> tuple[list[float], np.ndarray]:
    """Each query encoded alone (a live request, no cache), in ms, after one untimed warm-up
    encode; and the vectors."""
    if not queries:
        return [], np.zeros((0, embedder.info.dim), dtype=np.float32)
    embedder.encode([queries[0]], "query")
    encode_ms: list[float] = []
    vecs = []
    for text in queries:
        start = time.perf_counter()
        vecs.append(embedder.encode([text], "query")[0])
        encode_ms.append((time.perf_counter() - start) * 1e3)
    return encode_ms, np.stack(vecs)

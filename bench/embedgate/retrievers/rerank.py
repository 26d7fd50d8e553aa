"""`kind: rerank`: a first stage, then a cross-encoder over each query's top `depth`.

The cross-encoder is local (a recipe's trained `cross_encoder` stage, or a CrossEncoder model
directory) or remote (`endpoint:`, the common `POST /v1/rerank` shape, through the same
retrying, budgeted JSON client as the HTTP embedder). The reranked head keeps the
cross-encoder's scores; the rest of the first stage's list follows in its own order, below
them, so metrics deeper than `depth` see the first stage. Pairs scored are counted, and per
query the rerank step is timed on the first `latency_queries` queries.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from embedgate.embedders.base import Embedder, EmbedderInfo, RankContext, Ranking, Retriever
from embedgate.embedders.registry import BuildEnv
from embedgate.infra.errors import InputError
from embedgate.retrievers.ranking import rank
from embedgate.retrievers.scorers import endpoint_scorer, local_scorer
from embedgate.suite import RerankSpec
from embedgate.embedders.lazy import build_lazy

log = logging.getLogger("embedgate")


class PairScorer(Protocol):
    """Scores (query, passage) pairs: higher is more relevant."""

    description: dict[str, Any]

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray: ...

    def score_many(self, queries: Sequence[str],
                   passages: Sequence[Sequence[str]]) -> list[np.ndarray]: ...


class RerankRetriever:
    """A `Retriever`: rank with `first`, rescore its head with a cross-encoder."""

    def __init__(self, spec: RerankSpec, env: BuildEnv) -> None:
        if spec.first not in env.specs:  # the suite loader checks this too
            raise InputError(f'{env.where}: first: "{spec.first}" is not an embedder of this '
                             "suite")
        self.first: Embedder | Retriever = build_lazy(env.specs[spec.first],
                                                      replace(env, progress=False))
        self.spec = spec
        self.scorer: PairScorer = (endpoint_scorer(spec, env.where) if spec.endpoint is not None
                                   else local_scorer(spec, env))
        self.info = _info(spec, self.first.info, self.scorer.description)

    def retrieve(self, doc_ids: Sequence[str], doc_texts: Sequence[str],
                 queries: Sequence[str], top_k: int, ctx: RankContext) -> Ranking:
        depth = max(top_k, self.spec.depth)
        first = rank(self.first, doc_ids, doc_texts, queries, depth, ctx,
                     self.spec.latency_queries)
        heads = [[int(j) for j in row[:self.spec.depth] if j >= 0] for row in first.idx]
        t0 = time.perf_counter()
        scored = self.scorer.score_many(queries, [[doc_texts[j] for j in h] for h in heads])
        log.info("rerank %s: %d pairs scored in %.1f s", self.spec.id, sum(map(len, heads)),
                 time.perf_counter() - t0)
        scores, idx = _merge(first, heads, scored, top_k)
        latency = dict(first.latency_ms)
        latency[f"{self.spec.id}:rerank"] = self._timed(queries, heads, doc_texts)
        counts = {"pairs_scored": float(sum(map(len, heads))),
                  "pairs_per_query": float(self.spec.depth)}
        return Ranking(scores, idx, latency_ms=latency, counts=counts,
                       inputs={self.first.info.id: first}, settings=self.info.extra)

    def _timed(self, queries: Sequence[str], heads: list[list[int]],
               doc_texts: Sequence[str]) -> list[float]:
        out: list[float] = []
        for q in range(min(self.spec.latency_queries, len(queries))):
            passages = [doc_texts[j] for j in heads[q]]
            start = time.perf_counter()
            self.scorer.score(queries[q], passages)
            out.append((time.perf_counter() - start) * 1e3)
        return out


def _merge(first: Ranking, heads: list[list[int]], scored: list[np.ndarray],
           top_k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per query: the head by cross-encoder score, then the first stage's tail below it."""
    n = len(heads)
    out_s = np.full((n, top_k), -np.inf, dtype=np.float32)
    out_i = np.full((n, top_k), -1, dtype=np.int64)
    for q, (head, s) in enumerate(zip(heads, scored)):
        order = sorted(range(len(head)), key=lambda i: (-float(s[i]), i))
        ranked = [(head[i], float(s[i])) for i in order]
        floor = min((v for _, v in ranked), default=0.0)
        tail = [int(j) for j in first.idx[q][len(head):] if j >= 0]
        # Strictly below the head and strictly decreasing, so every evaluator keeps this order.
        ranked += [(j, floor - 1.0 - r * 1e-3) for r, j in enumerate(tail)]
        for r, (j, v) in enumerate(ranked[:top_k]):
            out_i[q, r], out_s[q, r] = j, v
    return out_s, out_i


def _info(spec: RerankSpec, first: EmbedderInfo, scorer: dict[str, Any]) -> EmbedderInfo:
    import hashlib
    import json

    settings = {"first": spec.first, "depth": spec.depth, "reranker": scorer}
    ident = {**settings, "first_weights": first.weights_sha256}
    digest = hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()
    return EmbedderInfo(id=spec.id, kind="rerank", name=f"{spec.first} → {scorer.get('name')}",
                        backend=str(scorer.get("backend")), precision="fp32", dim=0,
                        max_seq_length=spec.max_length if spec.endpoint is None else None,
                        weights_sha256=digest, pooling="n/a", normalize=False, extra=settings)

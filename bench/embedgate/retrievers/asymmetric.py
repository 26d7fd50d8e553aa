"""`kind: asymmetric`: queries from one embedder, the corpus from another (an upgrade of only
the query encoder, before re-indexing).

Both sides' vectors come through the embedding cache, so when the two embedders ran in the
suite this costs no encoding. Search is exact. Both embedders are inputs of the ranking, each
scored alone on the same queries, so the report says what the mixed pair costs against
either one.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from embedgate.algorithms.search import exact_search
from embedgate.embedders.base import EmbedderInfo, RankContext, Ranking
from embedgate.embedders.registry import BuildEnv
from embedgate.infra.errors import InputError
from embedgate.retrievers.db_eval import source_embedder
from embedgate.retrievers.ranking import encode_latency, rank
from embedgate.suite import AsymmetricSpec


class AsymmetricRetriever:
    """A `Retriever`: `query`'s query vectors searched against `corpus`'s passage vectors."""

    def __init__(self, spec: AsymmetricSpec, env: BuildEnv) -> None:
        self.spec = spec
        self.query = source_embedder(spec.query, env, "query")
        self.corpus = source_embedder(spec.corpus, env, "corpus")
        qdim, cdim = self.query.info.dim, self.corpus.info.dim
        if qdim != cdim:
            raise InputError(f"{env.where}: query: {spec.query} gives {qdim}-d vectors but "
                             f"corpus: {spec.corpus} {cdim}-d; an asymmetric pair needs one "
                             "vector space (same dimension)")
        self.info = _info(spec, self.query.info, self.corpus.info)

    def retrieve(self, doc_ids: Sequence[str], doc_texts: Sequence[str],
                 queries: Sequence[str], top_k: int, ctx: RankContext) -> Ranking:
        doc_vecs = ctx.encode(self.corpus, doc_texts, "passage")
        query_vecs = ctx.encode(self.query, queries, "query")
        scores, idx = exact_search(doc_vecs, query_vecs, top_k)
        inputs = {e.info.id: rank(e, doc_ids, doc_texts, queries, top_k, ctx)
                  for e in (self.query, self.corpus)}
        encode_ms, _ = encode_latency(self.query, queries[:self.spec.latency_queries])
        latency = {f"{self.spec.id}:encode": encode_ms} if encode_ms else {}
        return Ranking(scores, idx, latency_ms=latency, inputs=inputs,
                       settings=dict(self.info.extra))


def _info(spec: AsymmetricSpec, query: EmbedderInfo, corpus: EmbedderInfo) -> EmbedderInfo:
    settings = {"kind": "asymmetric", "query": spec.query, "corpus": spec.corpus,
                "search": "faiss.IndexFlatIP (exact)"}
    ident = {**settings, "weights": [query.weights_sha256, corpus.weights_sha256]}
    digest = hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()
    return EmbedderInfo(id=spec.id, kind="asymmetric",
                        name=f"{query.name} queries over {corpus.name} passages",
                        backend="faiss", precision="fp32", dim=0, max_seq_length=None,
                        weights_sha256=digest, pooling="n/a", normalize=False, extra=settings)

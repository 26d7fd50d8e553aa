"""`kind: bm25`: BM25 over the collection (bm25s), a lexical baseline beside dense embedders.

The index is built once per corpus and kept for the run (a suite judging several datasets on
one corpus, or a hybrid tuning on a dev split of it, indexes it once). Documents that share no
token with the query score 0 and are not returned, as in Lucene, so a short list is padded.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from embedgate.algorithms.lexical import Analyzer
from embedgate.embedders.base import EmbedderInfo, RankContext, Ranking
from embedgate.embedders.registry import BuildEnv
from embedgate.infra.errors import InputError
from embedgate.suite import Bm25Spec

log = logging.getLogger("embedgate")


class Bm25Retriever:
    """A `Retriever`: tokenise (`Analyzer`), index with bm25s, retrieve the top k."""

    def __init__(self, spec: Bm25Spec, env: BuildEnv | None = None) -> None:
        self.spec = spec
        self.analyzer = Analyzer(stem=spec.stem, stopwords=spec.stopwords)
        self.info = _info(spec, self.analyzer)
        self.where = f'{env.where}: bm25 "{spec.id}"' if env is not None else f'bm25 "{spec.id}"'
        self._indexes: dict[str, Any] = {}

    def retrieve(self, doc_ids: Sequence[str], doc_texts: Sequence[str],
                 queries: Sequence[str], top_k: int, ctx: RankContext) -> Ranking:
        index = self._index(doc_ids, doc_texts)
        tokens = [self.analyzer.tokens(q) for q in queries]
        k = min(top_k, len(doc_ids))
        scores, idx = self._search(index, tokens, k)
        timed = [self._timed(index, q, k) for q in queries[:self.spec.latency_queries]]
        return Ranking(scores, idx, latency_ms={f"{self.spec.id}:search": timed},
                       settings=self.info.extra)

    def _index(self, doc_ids: Sequence[str], doc_texts: Sequence[str]) -> Any:
        key = hashlib.sha256("\x00".join(doc_ids).encode("utf-8")).hexdigest()
        if key not in self._indexes:
            import bm25s

            logging.getLogger("bm25s").setLevel(logging.WARNING)  # its per-call debug lines
            t0 = time.perf_counter()
            corpus = [self.analyzer.tokens(t) for t in doc_texts]
            if not any(corpus):  # bm25s fails deep inside on an empty vocabulary
                raise InputError(f"{self.where}: none of the {len(doc_texts)} documents has a "
                                 "word left after tokenising (punctuation"
                                 f"{' and stop words' if self.spec.stopwords else ''} removed), "
                                 "so BM25 has nothing to index; check the corpus texts"
                                 f"{', or set stopwords: false' if self.spec.stopwords else ''}")
            index = bm25s.BM25(k1=self.spec.k1, b=self.spec.b, method=self.spec.method)
            index.index(corpus, show_progress=False)
            log.info("bm25 %s: indexed %d documents in %.1f s", self.spec.id, len(doc_ids),
                     time.perf_counter() - t0)
            self._indexes[key] = index
        return self._indexes[key]

    @staticmethod
    def _search(index: Any, tokens: list[list[str]], k: int) -> tuple[np.ndarray, np.ndarray]:
        n = len(tokens)
        scores = np.full((n, k), -np.inf, dtype=np.float32)
        idx = np.full((n, k), -1, dtype=np.int64)
        known = [i for i, t in enumerate(tokens) if any(w in index.vocab_dict for w in t)]
        if known and k > 0:
            # Unknown tokens would be rejected by bm25s; they match nothing, so drop them.
            found, found_scores = index.retrieve(
                [[w for w in tokens[i] if w in index.vocab_dict] for i in known], k=k,
                show_progress=False, n_threads=1)
            matched = found_scores > 0  # no shared token: not retrieved (Lucene returns none)
            scores[known] = np.where(matched, found_scores, -np.inf)
            idx[known] = np.where(matched, found, -1)
        return scores, idx

    def _timed(self, index: Any, query: str, k: int) -> float:
        start = time.perf_counter()
        self._search(index, [self.analyzer.tokens(query)], k)
        return (time.perf_counter() - start) * 1e3


def _info(spec: Bm25Spec, analyzer: Analyzer) -> EmbedderInfo:
    settings = {"k1": spec.k1, "b": spec.b, "method": spec.method, **analyzer.describe()}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    return EmbedderInfo(id=spec.id, kind="bm25", name=f"BM25 (k1={spec.k1}, b={spec.b})",
                        backend="bm25s", precision="n/a", dim=0, max_seq_length=None,
                        weights_sha256=digest, pooling="n/a", normalize=False, extra=settings)

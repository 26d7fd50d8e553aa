"""Passage retrieval for QA: documents are chunked, chunks searched, documents ranked by max.

A document's score is its best chunk's score (max-passage aggregation), and the passage the
reader sees for a document is that best chunk. Exact search (faiss inner product) over
L2-normalised vectors, deep enough that `top_k` distinct documents always come back.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embedgate.algorithms.search import exact_search
from embedgate.tiers.qa.data import chunk_text

AGGREGATION = ("document score = max over its chunks' cosine (max-passage); the reader gets "
               "the best-scoring chunk of each of the top_k documents")


@dataclass(frozen=True)
class ChunkedCorpus:
    doc_ids: list[str]
    texts: list[str]  # chunk texts
    doc_of: np.ndarray  # chunk index -> document index
    max_chunks_per_doc: int
    n_docs_empty: int  # documents with no text: they have no chunk and cannot be retrieved


@dataclass(frozen=True)
class Hit:
    doc: str
    chunk: int
    score: float


def chunk_corpus(doc_ids: list[str], doc_texts: list[str], size: int,
                 overlap: int) -> ChunkedCorpus:
    texts: list[str] = []
    owners: list[int] = []
    most = 0
    empty = 0
    for d, text in enumerate(doc_texts):
        chunks = chunk_text(text, size, overlap)
        empty += not chunks
        most = max(most, len(chunks))
        texts.extend(chunks)
        owners.extend([d] * len(chunks))
    return ChunkedCorpus(doc_ids=doc_ids, texts=texts, doc_of=np.asarray(owners, dtype=np.int64),
                         max_chunks_per_doc=most, n_docs_empty=empty)


def search_documents(corpus: ChunkedCorpus, chunk_vecs: np.ndarray, query_vecs: np.ndarray,
                     top_k: int) -> list[list[Hit]]:
    """Top-k documents per query, each with its best chunk; best first."""
    depth = min(len(corpus.texts), top_k * max(corpus.max_chunks_per_doc, 1))
    scores, idx = exact_search(chunk_vecs, query_vecs, depth)
    out: list[list[Hit]] = []
    for row_scores, row_idx in zip(scores, idx):
        seen: set[int] = set()
        hits: list[Hit] = []
        for score, chunk in zip(row_scores, row_idx):
            doc = int(corpus.doc_of[chunk]) if chunk >= 0 else -1
            if doc < 0 or doc in seen:
                continue  # a later chunk of a document already ranked scores no higher
            seen.add(doc)
            hits.append(Hit(corpus.doc_ids[doc], int(chunk), float(score)))
            if len(hits) == top_k:
                break
        out.append(hits)
    return out

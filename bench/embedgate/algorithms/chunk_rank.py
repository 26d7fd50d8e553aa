"""Documents ranked from their chunks' scores, and clause-level localisation.

A document's score is aggregated from the scores of its chunks that a search returned:
- ``max`` (MaxP): its best chunk's score;
- ``first`` (FirstP): its first chunk's score (other chunks are ignored; the caller searches
  first chunks only, so every returned document has one);
- ``sum_top`` k: the sum of its k best chunk scores (fewer when it has fewer chunks).

The search depth over chunks decides which chunks are seen: `depth_for` gives a depth at which
`top_k` distinct documents always come back (``top_k × the most chunks any document has``).
At that depth MaxP is exact; a sum_top document whose other chunks lie deeper is scored on
the chunks seen (a lower bound), which only matters for documents near the cut.

>>> rank_documents([(0, 0.9), (1, 0.8), (2, 0.7)], [0, 0, 1], "max", 1, top_k=2)
[(0, 0.9), (1, 0.7)]
>>> rank_documents([(0, 0.9), (1, 0.8), (2, 0.7)], [0, 0, 1], "sum_top", 2, top_k=2)
[(0, 1.7000000000000002), (1, 0.7)]
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

Aggregation = Literal["max", "first", "sum_top"]
Hit = tuple[int, float]  # (chunk index, score)


def depth_for(top_k: int, n_chunks: int, max_chunks_per_doc: int) -> int:
    """Chunks to search so that `top_k` distinct documents are among them (or all chunks)."""
    return min(n_chunks, top_k * max(max_chunks_per_doc, 1))


def doc_scores(hits: Sequence[Hit], doc_of: Sequence[int], how: Aggregation,
               k: int = 1) -> dict[int, float]:
    """Each document's aggregated score from the chunk hits of one query (any order)."""
    if k < 1:
        raise ValueError(f"sum_top k must be at least 1, got {k}")
    per_doc: dict[int, list[float]] = {}
    for chunk, score in hits:
        if chunk >= 0:  # faiss pads short result lists with -1
            per_doc.setdefault(int(doc_of[chunk]), []).append(float(score))
    if how == "sum_top":
        return {d: sum(sorted(s, reverse=True)[:k]) for d, s in per_doc.items()}
    return {d: max(s) for d, s in per_doc.items()}  # first: one chunk per document was searched


def rank_documents(hits: Sequence[Hit], doc_of: Sequence[int], how: Aggregation, k: int = 1,
                   top_k: int | None = None) -> list[tuple[int, float]]:
    """(document, score) best first, ties broken by document index; at most `top_k`."""
    ranked = sorted(doc_scores(hits, doc_of, how, k).items(), key=lambda p: (-p[1], p[0]))
    return ranked if top_k is None else ranked[:top_k]


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two half-open character spans share at least one character."""
    return max(a[0], b[0]) < min(a[1], b[1])


def clause_hit(chunk_spans: Sequence[tuple[int, int]], chunk_scores: Sequence[float],
               clauses: Sequence[tuple[int, int]]) -> bool:
    """Whether the best-scoring chunk of a document overlaps one of its relevant clauses.

    The first of equally scored chunks counts as the best (the earliest in the document).
    """
    if not chunk_spans:
        return False
    best = max(range(len(chunk_scores)), key=lambda i: (chunk_scores[i], -i))
    return any(overlaps(chunk_spans[best], c) for c in clauses)

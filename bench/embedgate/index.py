"""The only faiss import: exact inner-product search over L2-normalised float32 vectors."""
from __future__ import annotations

from collections.abc import Sequence

import faiss
import numpy as np

RunDict = dict[str, dict[str, float]]


def exact_search(doc_vecs: np.ndarray, query_vecs: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, indices) per query by inner product (= cosine on unit vectors)."""
    index = faiss.IndexFlatIP(doc_vecs.shape[1])
    index.add(np.ascontiguousarray(doc_vecs, dtype=np.float32))
    k = min(top_k, doc_vecs.shape[0])
    scores, idx = index.search(np.ascontiguousarray(query_vecs, dtype=np.float32), k)
    return scores, idx


def to_run(qids: Sequence[str], doc_ids: Sequence[str], scores: np.ndarray, idx: np.ndarray) -> RunDict:
    """faiss output → {qid: {docid: score}}, skipping faiss's -1 padding."""
    run: RunDict = {}
    for qi, qid in enumerate(qids):
        run[qid] = {doc_ids[j]: float(s) for s, j in zip(scores[qi], idx[qi]) if j >= 0}
    return run


def trec_lines(run: RunDict, tag: str) -> list[str]:
    """TREC run lines `qid Q0 docid rank score tag`, ranked by score then doc id."""
    lines: list[str] = []
    for qid, docs in run.items():
        ranked = sorted(docs.items(), key=lambda kv: (-kv[1], kv[0]))
        for rank, (docid, score) in enumerate(ranked, 1):
            lines.append(f"{qid} Q0 {docid} {rank} {score:.6f} {tag}")
    return lines

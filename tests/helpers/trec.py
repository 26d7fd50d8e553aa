"""Read a TREC run file back (what the tests compare)."""
from __future__ import annotations

from pathlib import Path


def scored_docs(path: Path) -> dict[str, list[tuple[str, float]]]:
    """qid -> (doc id, score) sorted by the file's rank column."""
    rows: dict[str, list[tuple[int, str, float]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        qid, _, doc, rank, score, _ = line.split()
        rows.setdefault(qid, []).append((int(rank), doc, float(score)))
    return {q: [(d, s) for _, d, s in sorted(v)] for q, v in rows.items()}


def ranked_docs(path: Path) -> dict[str, list[str]]:
    """qid -> doc ids sorted by the file's rank column."""
    return {q: [d for d, _ in v] for q, v in scored_docs(path).items()}

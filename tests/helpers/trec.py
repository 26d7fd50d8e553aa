"""Read a TREC run file back as qid -> doc ids in rank order (what the tests compare)."""
from __future__ import annotations

from pathlib import Path


def ranked_docs(path: Path) -> dict[str, list[str]]:
    """qid -> doc ids sorted by the file's rank column."""
    rows: dict[str, list[tuple[int, str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        qid, _, doc, rank, _, _ = line.split()
        rows.setdefault(qid, []).append((int(rank), doc))
    return {q: [d for _, d in sorted(v)] for q, v in rows.items()}

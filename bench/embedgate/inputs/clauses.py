"""Clause qrels: where in a relevant document the answer to a query lies.

A TSV beside a BEIR dataset (default ``clause_qrels.tsv``), one row per relevant clause:
``query-id  corpus-id  char-start  char-end`` (a header line is allowed). Offsets are
half-open character positions in the document as searched (BEIR title + " " + text).
Rows of queries the split does not evaluate are counted, not used; every other problem is
an InputError naming file:line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from embedgate.inputs.beir import Collection
from embedgate.infra.errors import InputError
from embedgate.infra.textio import read_lines

HEADER = ("query-id", "corpus-id", "char-start", "char-end")


@dataclass(frozen=True)
class ClauseQrels:
    """qid -> [(doc id, start, end)], for evaluated queries only."""

    path: Path
    clauses: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    n_rows_unknown_query: int = 0


def load_clause_qrels(path: Path, data: Collection) -> ClauseQrels:
    """Read and check a clause qrels file against the collection it annotates."""
    docs = {d: i for i, d in enumerate(data.doc_ids)}
    clauses: dict[str, list[tuple[str, int, int]]] = {}
    unknown = 0
    for lineno, line in read_lines(path, "clause qrels file"):
        parts = line.split("\t") if "\t" in line else line.split()
        if not line.strip() or (lineno == 1 and tuple(parts) == HEADER):
            continue
        qid, doc, start, end = _row(parts, path, lineno)
        if doc not in docs:
            raise InputError(f'{path}:{lineno}: unknown document "{doc}"; use an _id of '
                             "corpus.jsonl")
        length = len(data.doc_texts[docs[doc]])
        if not 0 <= start < end <= length:
            raise InputError(f"{path}:{lineno}: span {start}-{end} is not inside document "
                             f'"{doc}" ({length} characters); need 0 <= char-start < char-end '
                             f"<= {length}")
        if qid not in data.queries:
            unknown += 1
            continue
        clauses.setdefault(qid, []).append((doc, start, end))
    return ClauseQrels(path, clauses, unknown)


def _row(parts: list[str], path: Path, lineno: int) -> tuple[str, str, int, int]:
    if len(parts) != 4:
        raise InputError(f"{path}:{lineno}: {len(parts)} columns; expected "
                         "'query-id<TAB>corpus-id<TAB>char-start<TAB>char-end'")
    qid, doc, start, end = (p.strip() for p in parts)
    if not (start.isascii() and start.isdigit() and end.isascii() and end.isdigit()):
        raise InputError(f"{path}:{lineno}: char-start / char-end {start!r} {end!r} are not "
                         "whole numbers; write character offsets as digits, e.g. 120 480")
    return qid, doc, int(start), int(end)

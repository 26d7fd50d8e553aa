"""Rows of any tabular source (CSV / TSV / JSONL lines, parquet / arrow rows) -> a collection's
documents, queries and judgements, with the BEIR loader's checks and messages.

A row is ``(where, mapping)``: `where` names the file and line ("corpus.csv:7") or row
("corpus.parquet row 7"), so every problem is one line a user can act on. Which field holds
what comes from a `Columns` mapping (BEIR's names by default: _id / title / text,
query-id / corpus-id / score).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from embedgate.inputs.beir import MAX_RELEVANCE, check_id, passage_text
from embedgate.infra.errors import InputError

Row = tuple[str, Mapping[str, Any]]
_INT = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class Columns:
    """Field names per part; `doc_title` None: a "title" field is used where one exists."""

    doc_id: str = "_id"
    doc_text: str = "text"
    doc_title: str | None = None
    query_id: str = "_id"
    query_text: str = "text"
    qrels_query_id: str = "query-id"
    qrels_doc_id: str = "corpus-id"
    qrels_score: str = "score"

    def corpus(self) -> dict[str, str]:
        return {"id": self.doc_id, "text": self.doc_text,
                **({"title": self.doc_title} if self.doc_title else {})}

    def queries(self) -> dict[str, str]:
        return {"id": self.query_id, "text": self.query_text}

    def qrels(self) -> dict[str, str]:
        return {"query_id": self.qrels_query_id, "doc_id": self.qrels_doc_id,
                "score": self.qrels_score}


def need_columns(where: str, present: Iterable[str], wanted: Mapping[str, str], part: str) -> None:
    """Each mapped column must exist; the fix names the suite setting that maps it."""
    have = list(present)
    for key, column in wanted.items():
        if column not in have:
            raise InputError(f'{where}: no "{column}" column (columns: {", ".join(have) or "none"})'
                             f"; name the column that holds the {part} {key} with "
                             f"columns.{part}.{key} in the suite")


def _type(value: object) -> str:
    return type(value).__name__


def row_id(row: Mapping[str, Any], column: str, where: str) -> str:
    return check_id(row.get(column), where, column)


def row_text(row: Mapping[str, Any], column: str, where: str) -> str:
    value = row.get(column)
    if value is not None and not isinstance(value, str):
        raise InputError(f'{where}: "{column}" is a {_type(value)}, not a string; write the '
                         "text as a string")
    return value or ""


def corpus(rows: Iterable[Row], cols: Columns, source: object
           ) -> tuple[list[str], list[str], dict[str, dict[str, Any]]]:
    ids: list[str] = []
    texts: list[str] = []
    meta: dict[str, dict[str, Any]] = {}
    seen: dict[str, str] = {}
    title_col = cols.doc_title or "title"
    for where, row in rows:
        doc_id = row_id(row, cols.doc_id, where)
        if doc_id in seen:
            raise InputError(f'{where}: duplicate document id "{doc_id}" (first at '
                             f"{seen[doc_id]}); document ids must be unique")
        seen[doc_id] = where
        ids.append(doc_id)
        texts.append(passage_text({"title": row_text(row, title_col, where),
                                   "text": row_text(row, cols.doc_text, where)}))
        if isinstance(row.get("metadata"), dict):  # kept as the BEIR loader keeps it
            meta[doc_id] = row["metadata"]
    if not ids:
        raise InputError(f"{source}: the corpus is empty; add at least one document")
    return ids, texts, meta


def queries(rows: Iterable[Row], cols: Columns) -> dict[str, str]:
    out: dict[str, str] = {}
    for where, row in rows:
        qid = row_id(row, cols.query_id, where)
        if qid in out:
            raise InputError(f'{where}: duplicate query id "{qid}"; ids must be unique')
        out[qid] = row_text(row, cols.query_text, where).strip()
    return out


def qrels(rows: Iterable[Row], cols: Columns) -> list[tuple[str, str, str, int]]:
    return [(where, row_id(row, cols.qrels_query_id, where), row_id(row, cols.qrels_doc_id, where),
             relevance(row.get(cols.qrels_score), cols.qrels_score, where)) for where, row in rows]


def relevance(value: object, column: str, where: str) -> int:
    """A whole-number grade from an int, an integral float or digits (as BEIR's TSV)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _INT.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f'{where}: "{column}" {value!r} is not a whole number; write the '
                         "relevance grade as digits 0-9, e.g. 1")
    if abs(value) > MAX_RELEVANCE:
        raise InputError(f"{where}: score {value} is out of range; relevance grades must lie "
                         f"within ±{MAX_RELEVANCE:,} (usually 0, 1, 2)")
    return value

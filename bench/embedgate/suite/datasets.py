"""Dataset specs besides BEIR folders (`format:` picks one): `table`, `trec` and `hf`.

Every path is relative to the suite file. `columns:` maps each part's fields; the defaults
are BEIR's names, so a BEIR folder's own files need no mapping.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from embedgate.suite.base import Ident, Spec


class CorpusColumns(Spec):
    id: str = "_id"
    text: str = "text"
    title: str | None = None  # None: a "title" column is used where one exists


class QueriesColumns(Spec):
    id: str = "_id"
    text: str = "text"


class QrelsColumns(Spec):
    query_id: str = "query-id"
    doc_id: str = "corpus-id"
    score: str = "score"


class ColumnsSpec(Spec):
    corpus: CorpusColumns = Field(default_factory=CorpusColumns)
    queries: QueriesColumns = Field(default_factory=QueriesColumns)
    qrels: QrelsColumns = Field(default_factory=QrelsColumns)


class _Mapped(Spec):
    id: str = Ident
    split: str = "test"
    columns: ColumnsSpec = Field(default_factory=ColumnsSpec)
    unknown_doc_qrels: Literal["error", "drop"] = "error"
    # What this dataset's queries ask for, given to embedders with a query_instruction_template.
    instruction: str | None = Field(default=None, min_length=1)


class TableDatasetSpec(_Mapped):
    """Three CSV / TSV / JSONL files (inputs/table_data.py)."""

    format: Literal["table"]
    corpus: Path
    queries: Path
    qrels: Path


class TrecDatasetSpec(_Mapped):
    """A corpus table, TREC topics and TREC qrels (inputs/trec_data.py)."""

    format: Literal["trec"]
    corpus: Path
    topics: Path
    qrels: Path
    field: Literal["title", "description", "narrative"] = "title"


class HfDatasetSpec(_Mapped):
    """An MTEB / Hugging Face retrieval dataset saved locally (inputs/hf_data.py)."""

    format: Literal["hf"]
    path: Path

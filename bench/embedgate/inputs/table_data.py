"""`format: table`: corpus, queries and judgements as CSV, TSV or JSONL files with a column
mapping (BEIR's names by default). The suffix picks the reader: .csv, .tsv (tab-separated,
no quoting, like BEIR's qrels), .jsonl / .ndjson / .json (one object a line). CSV and TSV
headers are matched without regard to case or surrounding spaces.

The content hash is the BEIR loader's (`content_hash`: each file's name and bytes, in the
order corpus, queries, qrels), so the same three files hash the same either way.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from pathlib import Path

from embedgate.infra.errors import InputError
from embedgate.infra.textio import check_file
from embedgate.inputs import records
from embedgate.inputs.beir import Collection, Parts, assemble, content_hash, iter_jsonl
from embedgate.inputs.records import Columns, Row
from embedgate.inputs.tabular import csv_rows

_JSONL = (".jsonl", ".ndjson", ".json")
_DELIMITED = {".csv": ",", ".tsv": "\t"}


def table_rows(path: Path, wanted: Mapping[str, str], part: str) -> Iterator[Row]:
    """(where, row) of a CSV / TSV / JSONL file; each row has the `wanted` columns."""
    suffix = path.suffix.lower()
    if suffix in _JSONL:
        for lineno, obj in iter_jsonl(path, f"{part} file"):
            records.need_columns(f"{path}:{lineno}", obj, wanted, part)
            yield f"{path}:{lineno}", obj
    elif suffix in _DELIMITED:
        names = [c.lower() for c in wanted.values()]
        header = ",".join(names)
        quoting = csv.QUOTE_NONE if suffix == ".tsv" else csv.QUOTE_MINIMAL
        for lineno, row in csv_rows(path, f"{part} file", names,
                                    f"{header} (or map yours with columns.{part} in the suite)",
                                    "quote fields that hold the delimiter",
                                    _DELIMITED[suffix], quoting):
            yield f"{path}:{lineno}", row
    else:
        raise InputError(f"{path}: cannot tell the format from the suffix {path.suffix!r}; "
                         "name the file .csv, .tsv or .jsonl")


def lowered(cols: Columns, path: Path) -> Columns:
    """CSV / TSV headers are read lower-cased (tabular.csv_rows); so are their mapped names."""
    if path.suffix.lower() not in _DELIMITED:
        return cols
    return Columns(**{k: (v.lower() if isinstance(v, str) else v) for k, v in vars(cols).items()})


def load_table(dataset_id: str, corpus: Path, queries: Path, qrels: Path, split: str,
               cols: Columns, unknown_doc_qrels: str = "error") -> Collection:
    """A collection from three table files (see the module docstring)."""
    paths = [check_file(p, what) for p, what in
             ((corpus, "corpus file"), (queries, "queries file"), (qrels, "qrels file"))]
    doc_cols, q_cols, r_cols = (lowered(cols, p) for p in paths)
    ids, texts, meta = records.corpus(table_rows(paths[0], doc_cols.corpus(), "corpus"),
                                      doc_cols, paths[0])
    queries_read = records.queries(table_rows(paths[1], q_cols.queries(), "queries"), q_cols)
    judged = records.qrels(table_rows(paths[2], r_cols.qrels(), "qrels"), r_cols)
    return assemble(Parts(dataset_id, paths[0].parent, split, ids, texts, meta, queries_read,
                          judged, paths[2], content_hash(paths)), unknown_doc_qrels)


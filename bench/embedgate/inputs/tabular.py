"""Rows of the user's tables (intent files, QA ratings): the format, and CSV rows by header.

CSV is RFC 4180, UTF-8 (a BOM is tolerated), decoded line by line so that a bad byte names its
`file:line`; the header names the columns (case and spaces ignored), blank rows are skipped,
and every problem is one `InputError` naming `file:line`. Each caller says which columns it
requires and how to fix a row, so its messages stay its own.

>>> rows = csv_rows(Path("ratings.csv"), "ratings file", ("question_id", "rating"),
...                 "question_id,rating", "quote ids with commas")  # doctest: +SKIP
>>> next(rows)                                                      # doctest: +SKIP
(2, {'question_id': 'q1', 'rating': '7'})
"""
from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

from embedgate.infra.errors import InputError
from embedgate.infra.textio import read_lines


def infer_format(path: Path, declared: str | None) -> str:
    """The declared format, else the file suffix (.csv / .jsonl / .json)."""
    if declared:
        return declared
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "json", "ndjson"):
        return "jsonl"
    if suffix in ("csv", "tsv"):
        return "csv"
    raise InputError(f"{path}: cannot tell the format from the suffix {path.suffix!r}; "
                     "name the file .csv or .jsonl, or set format: csv|jsonl")


def csv_rows(path: Path, what: str, required: Sequence[str], columns: str, row_hint: str,
             delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL
             ) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {column: field}) for every non-blank row after the header.

    `required`: columns the header must name; `columns`: how the error spells the expected
    header; `row_hint`: the fix for a row whose field count differs from the header's.
    """
    reader = csv.reader((text + "\n" for _, text in read_lines(path, what)), delimiter=delimiter,
                        quoting=quoting)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(f'{path}:1: no "{missing[0]}" column (header: '
                             f'{",".join(header) or "empty"}); the first row must name the '
                             f"columns {columns}")
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise InputError(f"{path}:{reader.line_num}: {len(fields)} fields, header has "
                                 f"{len(header)}; {row_hint}")
            yield reader.line_num, dict(zip(header, fields))
    except csv.Error as exc:
        raise InputError(f"{path}:{reader.line_num}: malformed CSV ({exc}); check quoting") from None

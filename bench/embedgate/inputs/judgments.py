"""Judging files: the unjudged pooled pairs written for people (or a judge model) to label,
and the labelled file read back as extra qrels with provenance (who judged, when).

A judging file is JSONL (one object a line) or TSV (a header line, then one pair a line):
``dataset, query_id, doc_id, grade, who, when, query, doc``. `embedgate pool` writes both with
``grade`` empty; a labeller fills ``grade`` (a whole number on the dataset's scale), ``who``
and ``when``. Lines still without a grade are skipped and counted. A dataset names its
labelled files with ``qrels_extra:``; every problem (an unknown query or document id, a grade
off the scale, a pair judged twice or already in the qrels, a missing who/when) is one
``file:line`` error, exit 2.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from embedgate.algorithms.holes import max_grade
from embedgate.infra.errors import InputError
from embedgate.infra.textio import read_lines
from embedgate.inputs.beir import Collection, content_hash, iter_jsonl
from embedgate.infra import atomic

FIELDS = ("dataset", "query_id", "doc_id", "grade", "who", "when", "query", "doc",
          "retrieved_by")
JUDGED_SUFFIX = "+judged"  # the augmented collection's id: "<dataset>+judged"


@dataclass(frozen=True)
class Judgment:
    query_id: str
    doc_id: str
    grade: int
    who: str
    when: str
    where: str  # file:line, for errors and provenance


def write_pool(records: Sequence[dict[str, Any]], jsonl: Path, tsv: Path) -> None:
    """The pairs to judge as JSONL and TSV (texts flattened to one line in the TSV)."""
    atomic.write_text(jsonl, "".join(json.dumps({k: r.get(k) for k in FIELDS},
                                                ensure_ascii=False) + "\n" for r in records))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(FIELDS)
    for r in records:
        writer.writerow([_cell(r.get(k)) for k in FIELDS])
    atomic.write_text(tsv, buf.getvalue())


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(map(str, value))
    return " ".join(str(value).split())  # no tab or line break inside a TSV cell


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) of a JSONL or TSV judging file; blank lines skipped."""
    if path.suffix.lower() in (".tsv", ".txt"):
        lines = list(read_lines(path, "judging file"))
        header = next((t.split("\t") for n, t in lines if t.strip()), [])
        missing = [f for f in ("query_id", "doc_id", "grade") if f not in header]
        if missing:
            raise InputError(f"{path}:1: TSV header lacks {', '.join(missing)}; the first line "
                             f"must name the columns ({', '.join(FIELDS)})")
        for lineno, text in lines[1:]:
            if text.strip():
                yield lineno, dict(zip(header, text.rstrip("\n").split("\t")))
        return
    # JSONL: the BEIR loader's reader (file:line errors, lone-surrogate check)
    yield from iter_jsonl(path, "judging file")


def read_judgments(path: Path, data: Collection, scale: int) -> tuple[list[Judgment], int]:
    """Labelled judgments of ``data`` in one file, checked; and how many lines had no grade."""
    out: list[Judgment] = []
    seen: dict[tuple[str, str], str] = {}
    blank = 0
    known_docs = set(data.doc_ids)
    others: set[str] = set()
    for lineno, row in _rows(path):
        where = f"{path}:{lineno}"
        if str(row.get("dataset") or data.id) != data.id:
            others.add(str(row.get("dataset")))  # a pool file may hold several datasets
            continue
        grade = _grade(row.get("grade"), where, scale)
        if grade is None:
            blank += 1
            continue
        q, d = str(row.get("query_id") or ""), str(row.get("doc_id") or "")
        if q not in data.queries:
            raise InputError(f'{where}: unknown query id "{q}" (not an evaluated query of '
                             f'dataset "{data.id}")')
        if d not in known_docs:
            raise InputError(f'{where}: unknown document id "{d}" in dataset "{data.id}"')
        if d in data.qrels.get(q, {}):
            raise InputError(f"{where}: ({q}, {d}) is already judged in the dataset's qrels; "
                             "remove the line")
        if (q, d) in seen:
            raise InputError(f"{where}: duplicate judgment of ({q}, {d}); first at {seen[q, d]}")
        seen[q, d] = where
        who, when = str(row.get("who") or "").strip(), str(row.get("when") or "").strip()
        if not who or not when:
            raise InputError(f"{where}: a judgment needs who judged it and when (fields "
                             "'who' and 'when'), so the merged qrels keep their provenance")
        out.append(Judgment(q, d, grade, who, when, where))
    if not out and not blank and others:
        raise InputError(f'{path}: no line is for dataset "{data.id}" (its lines name '
                         f"{', '.join(sorted(others))}); name this file under that dataset")
    return out, blank


def _grade(value: object, where: str, scale: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not text.lstrip("-").isascii() or not text.lstrip("-").isdigit():
        raise InputError(f"{where}: grade {text[:20]!r} is not a whole number; use 0 to {scale}")
    grade = int(text)
    if not 0 <= grade <= scale:
        raise InputError(f"{where}: grade {grade} is out of range; this dataset's grades run "
                         f"from 0 to {scale}")
    return grade


def with_extra(data: Collection, paths: Sequence[Path], scale: int | None = None) -> Collection:
    """``data`` with the judgments of ``paths`` merged into its qrels, as "<id>+judged".
    Grades run from 0 to ``scale`` (default: the highest grade in the dataset's qrels)."""
    scale = max_grade(data.qrels) if scale is None else scale
    judged: list[Judgment] = []
    blank = 0
    seen: dict[tuple[str, str], str] = {}
    for path in paths:
        got, skipped = read_judgments(path, data, scale)
        for j in got:
            if (j.query_id, j.doc_id) in seen:
                raise InputError(f"{j.where}: duplicate judgment of ({j.query_id}, {j.doc_id}); "
                                 f"first at {seen[j.query_id, j.doc_id]}")
            seen[j.query_id, j.doc_id] = j.where
        judged += got
        blank += skipped
    qrels = {q: dict(docs) for q, docs in data.qrels.items()}
    for j in judged:
        qrels[j.query_id][j.doc_id] = j.grade
    provenance = {"qrels_extra": [str(p) for p in paths], "n_extra_judgments": len(judged),
                  "n_extra_unlabelled": blank,
                  "judged_by": sorted({j.who for j in judged}),
                  "judged_when": sorted({j.when for j in judged})}
    stats = replace(data.stats, n_qrels=data.stats.n_qrels + len(judged))
    sha = hashlib.sha256(f"{data.sha256}\0{content_hash(list(paths))}".encode()).hexdigest()
    return replace(data, id=data.id + JUDGED_SUFFIX, qrels=qrels, stats=stats, sha256=sha,
                   extra=provenance)

"""BEIR-layout loader: corpus.jsonl, queries.jsonl, qrels/<split>.tsv, with a content hash.

Nothing is dropped silently: queries without judgements, judgements of unknown queries and
(when the suite allows it) judgements of unknown documents are counted in `DatasetStats`.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from embedgate.algorithms.filters import normalise
from embedgate.infra.errors import InputError
from embedgate.infra.textio import check_name, read_lines, refuse_lone_surrogates, special_path


@dataclass(frozen=True)
class DatasetStats:
    n_docs: int
    n_queries_in_file: int
    n_queries_evaluated: int
    n_queries_without_qrels: int
    n_queries_empty_text: int
    n_queries_no_relevant: int
    n_qrels: int
    n_qrels_unknown_query: int
    n_qrels_unknown_doc_dropped: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Collection:
    """A loaded retrieval collection; `queries` holds only the queries that are evaluated."""

    id: str
    path: Path
    split: str
    doc_ids: list[str]
    doc_texts: list[str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    sha256: str
    stats: DatasetStats
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # merged judgments' provenance
    # per evaluated query, the metadata filter its queries.jsonl line carries (BEIR extension;
    # algorithms/filters.py): the vector-database systems search among matching documents only
    filters: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def doc_text(self, doc_id: str) -> str:
        return self.doc_texts[self.doc_ids.index(doc_id)]


# Relevance grades are C ints in pytrec_eval; real grades are small, so bound them well inside.
MAX_RELEVANCE = 1_000_000
_INT = re.compile(r"-?[0-9]+")  # ASCII digits only: str.isdigit() accepts "²"


def passage_text(doc: dict[str, Any]) -> str:
    """Title and text joined the BEIR / MTEB way: ``(title + " " + text).strip()``."""
    title = str(doc.get("title") or "")
    text = str(doc.get("text") or "")
    return (title + " " + text).strip() if title else text.strip()


def iter_jsonl(path: Path, what: str = "JSONL file") -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; errors name file:line."""
    for lineno, line in read_lines(path, what):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{lineno}: invalid JSON ({exc.msg}); "
                             "each line must be one JSON object") from None
        if not isinstance(obj, dict):
            raise InputError(f"{path}:{lineno}: a JSON {_json_type(obj)}, not an object; each "
                             'line must be one JSON object such as {"_id": "d1", "text": "..."}')
        refuse_lone_surrogates(obj, line, path, lineno)
        yield lineno, obj


def _json_type(value: object) -> str:
    return {list: "array", str: "string", bool: "boolean", int: "number", float: "number",
            type(None): "null"}.get(type(value), type(value).__name__)


def check_text_fields(obj: dict[str, Any], keys: tuple[str, ...], path: Path, lineno: int) -> None:
    """Each of `keys`, when present and not null, must be a JSON string."""
    for key in keys:
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(f'{path}:{lineno}: "{key}" is a JSON {_json_type(value)}, not a '
                             f'string; write the {key} as a quoted string')


def _need(path: Path, what: str) -> Path:
    if (problem := special_path(path, what)) is not None:
        raise InputError(problem)
    if path.is_dir():
        raise InputError(f"{path}: is a directory; {what} must be a file")
    if not path.is_file():
        raise InputError(f"{path}: {what} not found; a BEIR dataset folder holds corpus.jsonl, "
                         "queries.jsonl and qrels/<split>.tsv")
    return path


def _id(obj: dict[str, Any], path: Path, lineno: int) -> str:
    return check_id(obj.get("_id", obj.get("id")), f"{path}:{lineno}")


def check_id(value: object, where: str, key: str = "_id") -> str:
    """An id as a string; `where` ("file:line" or "file row n") and `key` name it in errors."""
    if value is None or value == "":
        raise InputError(f'{where}: missing "{key}"; every line needs an "{key}"')
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(f'{where}: "{key}" is a JSON {_json_type(value)}; ids must be '
                         f'strings (or whole numbers), e.g. "{key}": "d1"')
    return str(value)


def load_corpus(path: Path) -> tuple[list[str], list[str], dict[str, dict[str, Any]]]:
    ids: list[str] = []
    texts: list[str] = []
    meta: dict[str, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for lineno, obj in iter_jsonl(path, "corpus file"):
        doc_id = _id(obj, path, lineno)
        check_text_fields(obj, ("title", "text"), path, lineno)
        if doc_id in seen:
            raise InputError(f'{path}:{lineno}: duplicate document id "{doc_id}" '
                             f"(first on line {seen[doc_id]}); document ids must be unique")
        seen[doc_id] = lineno
        ids.append(doc_id)
        texts.append(passage_text(obj))
        if isinstance(obj.get("metadata"), dict):
            meta[doc_id] = obj["metadata"]
    if not ids:
        raise InputError(f"{path}: the corpus is empty; add at least one document")
    return ids, texts, meta


def load_filters(path: Path) -> dict[str, dict[str, list[str]]]:
    """The `filter` objects of a queries file, by query id: {attribute: value or [values]},
    values JSON scalars (file:line errors)."""
    out: dict[str, dict[str, list[str]]] = {}
    for lineno, obj in iter_jsonl(path, "queries file"):
        raw = obj.get("filter")
        if raw is None:
            continue
        if not isinstance(raw, dict) or not raw or not all(
                isinstance(v, (str, int, float, bool)) or (isinstance(v, list) and v and all(
                    isinstance(x, (str, int, float, bool)) for x in v)) for v in raw.values()):
            raise InputError(f'{path}:{lineno}: "filter" must be an object mapping a metadata '
                             'attribute to a value or a list of values, e.g. '
                             '{"lang": "zh"} or {"domain": ["legal", "finance"]}')
        out[_id(obj, path, lineno)] = normalise(raw)
    return out


def load_queries(path: Path) -> dict[str, str]:
    queries: dict[str, str] = {}
    for lineno, obj in iter_jsonl(path, "queries file"):
        qid = _id(obj, path, lineno)
        check_text_fields(obj, ("text",), path, lineno)
        if qid in queries:
            raise InputError(f'{path}:{lineno}: duplicate query id "{qid}"; ids must be unique')
        queries[qid] = str(obj.get("text") or "").strip()
    return queries


def load_qrels(path: Path) -> list[tuple[int, str, str, int]]:
    """Rows (line, qid, docid, relevance) from BEIR TSV (with header) or TREC 4-column qrels."""
    rows: list[tuple[int, str, str, int]] = []
    for lineno, line in read_lines(path, "qrels file"):
        parts = line.split()
        if not parts or (lineno == 1 and _is_header(parts)):
            continue  # blank line or BEIR header "query-id corpus-id score"
        if len(parts) not in (3, 4):
            raise InputError(f"{path}:{lineno}: {len(parts)} columns; expected "
                             "'query-id<TAB>corpus-id<TAB>score' (or TREC 'qid 0 docid rel')")
        rows.append((lineno, parts[0], parts[-2], _relevance(parts[-1], path, lineno)))
    return rows


def _is_header(parts: list[str]) -> bool:
    return len(parts) in (3, 4) and re.fullmatch(r"[A-Za-z_-]+", parts[-1]) is not None


def _relevance(text: str, path: Path, lineno: int) -> int:
    if not _INT.fullmatch(text):
        raise InputError(f"{path}:{lineno}: score {text!r} is not a whole number; write the "
                         "relevance grade as digits 0-9, e.g. 1")
    value = int(text)
    if abs(value) > MAX_RELEVANCE:
        raise InputError(f"{path}:{lineno}: score {value} is out of range; relevance grades "
                         f"must lie within ±{MAX_RELEVANCE:,} (usually 0, 1, 2)")
    return value


def content_hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for p in paths:
        digest.update(p.name.encode() + b"\0")
        with p.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def load_beir(dataset_id: str, root: Path, split: str, unknown_doc_qrels: str = "error") -> Collection:
    """Load a BEIR folder; see module docstring for what is counted rather than dropped."""
    check_name(root, "dataset path")
    if (problem := special_path(root, "dataset path")) is not None:
        raise InputError(problem)
    if root.is_file():
        raise InputError(f"{root}: is a file; the dataset path must be a BEIR folder holding "
                         "corpus.jsonl, queries.jsonl and qrels/<split>.tsv")
    if not root.is_dir():
        raise InputError(f"{root}: dataset folder not found; check the dataset path in the suite")
    corpus_p = _need(root / "corpus.jsonl", "corpus.jsonl")
    queries_p = _need(root / "queries.jsonl", "queries.jsonl")
    qrels_p = _need(root / "qrels" / f"{split}.tsv", f"qrels/{split}.tsv (split {split!r})")
    doc_ids, doc_texts, meta = load_corpus(corpus_p)
    rows = [(f"{qrels_p}:{lineno}", q, d, rel) for lineno, q, d, rel in load_qrels(qrels_p)]
    coll = assemble(Parts(dataset_id, root, split, doc_ids, doc_texts, meta,
                          load_queries(queries_p), rows, qrels_p,
                          content_hash([corpus_p, queries_p, qrels_p])), unknown_doc_qrels)
    filters = load_filters(queries_p)
    return replace(coll, filters={q: filters[q] for q in coll.queries if q in filters}) \
        if filters else coll


@dataclass(frozen=True)
class Parts:
    """What a loader of any format read; `assemble` joins it into a Collection."""

    dataset_id: str
    path: Path
    split: str
    doc_ids: list[str]
    doc_texts: list[str]
    meta: dict[str, dict[str, Any]]
    queries: dict[str, str]  # every query read, evaluated or not
    qrels: list[tuple[str, str, str, int]]  # (where: "file:line" or "file row n", qid, docid, rel)
    qrels_path: Path
    sha256: str


def assemble(parts: Parts, unknown_doc_qrels: str = "error") -> Collection:
    """Join judgements to queries and documents, counting what is dropped (module docstring)."""
    known_docs = set(parts.doc_ids)
    all_queries = parts.queries
    qrels: dict[str, dict[str, int]] = {}
    unknown_q = dropped = 0
    for where, qid, docid, rel in parts.qrels:
        if docid not in known_docs:
            if unknown_doc_qrels == "error":
                raise InputError(f'{where}: judgement points at unknown document "{docid}"'
                                 "; fix the id, or set unknown_doc_qrels: drop to count and skip them")
            dropped += 1
            continue
        if qid not in all_queries:
            unknown_q += 1
            continue
        qrels.setdefault(qid, {})[docid] = rel
    empty = {q for q in qrels if not all_queries[q]}
    evaluated = {q: all_queries[q] for q in qrels if q not in empty}
    stats = DatasetStats(
        n_docs=len(parts.doc_ids), n_queries_in_file=len(all_queries),
        n_queries_evaluated=len(evaluated),
        n_queries_without_qrels=len(set(all_queries) - set(qrels)),
        n_queries_empty_text=len(empty),
        n_queries_no_relevant=sum(1 for q in evaluated if max(qrels[q].values()) <= 0),
        n_qrels=sum(len(v) for v in qrels.values()),
        n_qrels_unknown_query=unknown_q, n_qrels_unknown_doc_dropped=dropped)
    if not evaluated:
        raise InputError(f"{parts.qrels_path}: no query of split {parts.split!r} has both text "
                         "and judgements; check that the query ids of the judgements match the "
                         "queries")
    return Collection(
        id=parts.dataset_id, path=parts.path, split=parts.split, doc_ids=parts.doc_ids,
        doc_texts=parts.doc_texts, queries=evaluated, qrels={q: qrels[q] for q in evaluated},
        sha256=parts.sha256, stats=stats, meta=parts.meta)

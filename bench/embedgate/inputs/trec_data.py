"""`format: trec`: TREC topics + TREC qrels, over a corpus table (CSV / TSV / JSONL).

Topics come in three shapes, told apart by their first tag or suffix:
  * classic SGML (TREC 1-8, Robust): ``<top> <num> Number: 301 <title> … <desc> … <narr> … </top>``
  * XML (TREC-COVID and later): ``<topic number="1"><query>…</query><question>…</question>
    <narrative>…</narrative></topic>``
  * a two-column TSV ``qid<TAB>text`` (.tsv / .txt), as Anserini and ir_datasets write them.
`field` picks the text: title (SGML <title>, XML <query> or <title>), description or narrative.
Qrels are read by the BEIR loader's reader (``qid 0 docid rel``). The content hash is the BEIR
loader's, over corpus, topics and qrels.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

from embedgate.infra.errors import InputError
from embedgate.infra.textio import check_file, read_lines, read_text
from embedgate.inputs import records
from embedgate.inputs.beir import Collection, Parts, assemble, content_hash, load_qrels
from embedgate.inputs.records import Columns
from embedgate.inputs.table_data import lowered, table_rows

_SGML_TAG = re.compile(r"^\s*<(num|title|desc|narr)>\s*(.*)$", re.IGNORECASE)
_PREFIX = re.compile(r"^(Number|Topic|Description|Narrative):\s*", re.IGNORECASE)
_SGML_FIELD = {"title": "title", "description": "desc", "narrative": "narr"}
_XML_FIELDS = {"title": ("query", "title"), "description": ("question", "description", "desc"),
               "narrative": ("narrative", "narr")}


def read_topics(path: Path, field: str = "title") -> dict[str, str]:
    """{topic id: text of `field`} from any of the three topic shapes."""
    text = read_text(path, "topics file")
    head = text.lstrip()[:200].lower()
    if head.startswith("<top>"):
        return _sgml(path, field)
    if head.startswith("<?xml") or head.startswith("<topics") or head.startswith("<topic "):
        return _xml(path, text, field)
    if path.suffix.lower() in (".tsv", ".txt"):
        return _tsv(path)
    raise InputError(f"{path}: not TREC topics (no <top> or <topic> element, not .tsv); give "
                     "SGML <top> topics, XML <topic number=…> topics or a qid<TAB>text file")


def _sgml_fields(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line of <top>, {tag: text}) for each topic; a field runs until the next tag."""
    start, fields, tag = 0, dict[str, str](), ""
    for lineno, line in read_lines(path, "topics file"):
        low = line.strip().lower()
        if low == "<top>":
            start, fields, tag = lineno, {}, ""
        elif low == "</top>":
            yield start, fields
            start, tag = 0, ""
        elif (match := _SGML_TAG.match(line)) and start:
            tag = match.group(1).lower()
            fields[tag] = _PREFIX.sub("", match.group(2).strip())
        elif tag and start:
            fields[tag] = (fields[tag] + " " + line.strip()).strip()


def _sgml(path: Path, field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for lineno, fields in _sgml_fields(path):
        qid = fields.get("num", "").strip()
        if not qid:
            raise InputError(f"{path}:{lineno}: topic without <num>; each <top> needs "
                             "<num> Number: ID")
        if qid in out:
            raise InputError(f'{path}:{lineno}: duplicate topic "{qid}"; topic numbers must be '
                             "unique")
        out[qid] = fields.get(_SGML_FIELD[field], "").strip()
    if not out:
        raise InputError(f"{path}: no complete <top> … </top> topic; close each topic with </top>")
    return out


def _xml(path: Path, text: str, field: str) -> dict[str, str]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(f"{path}:{exc.position[0]}: malformed XML topics ({exc}); check the "
                         "tags") from None
    out: dict[str, str] = {}
    for topic in (root.iter("topic") if root.tag != "topic" else [root]):
        qid = (topic.get("number") or topic.get("id") or "").strip()
        if not qid:
            raise InputError(f'{path}: a <topic> without number="…"; number every topic')
        texts = [topic.findtext(tag) for tag in _XML_FIELDS[field]]
        out[qid] = next((t.strip() for t in texts if t), "")
    return out


def _tsv(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for lineno, line in read_lines(path, "topics file"):
        if not line.strip():
            continue
        qid, sep, query = line.partition("\t")
        if not sep or not qid.strip():
            raise InputError(f"{path}:{lineno}: expected 'qid<TAB>text'; separate the id and "
                             "the text with one tab")
        out[qid.strip()] = query.strip()
    return out


def load_trec(dataset_id: str, corpus: Path, topics: Path, qrels: Path, split: str,
              cols: Columns, field: str = "title", unknown_doc_qrels: str = "error") -> Collection:
    """A collection from a corpus table, TREC topics and TREC qrels (module docstring)."""
    paths = [check_file(p, what) for p, what in
             ((corpus, "corpus file"), (topics, "topics file"), (qrels, "qrels file"))]
    doc_cols = lowered(cols, paths[0])
    ids, texts, meta = records.corpus(table_rows(paths[0], doc_cols.corpus(), "corpus"),
                                      doc_cols, paths[0])
    rows = [(f"{paths[2]}:{n}", q, d, rel) for n, q, d, rel in load_qrels(paths[2])]
    return assemble(Parts(dataset_id, paths[0].parent, split, ids, texts, meta,
                          read_topics(paths[1], field), rows, paths[2], content_hash(paths)),
                    unknown_doc_qrels)

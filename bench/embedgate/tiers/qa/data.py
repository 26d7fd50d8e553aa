"""QA collections: SQuAD-format JSON or a BEIR corpus plus an answers JSONL, and chunking.

Both formats become one `QACollection`: documents (the corpus retrieval searches) and
`QAItem`s (question, gold answers, gold document, language). Unanswerable SQuAD 2.0 questions
are counted and skipped, never silently lost; every other problem is an InputError naming the
file and the line (JSONL) or the JSON path (SQuAD).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embedgate.inputs.beir import check_text_fields, content_hash, iter_jsonl, load_corpus
from embedgate.infra.errors import InputError
from embedgate.infra.textio import (
    check_file, check_name, read_text, refuse_lone_surrogates, special_path,
)
from embedgate.algorithms.chunking import char_spans, is_cjk
from embedgate.tiers.qa.normalize import contains


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answers: tuple[str, ...]
    doc_id: str
    lang: str


@dataclass(frozen=True)
class QACollection:
    """Documents and questions of one QA source; `stats` counts what was skipped and why."""

    id: str
    format: str
    path: Path
    doc_ids: list[str]
    doc_texts: list[str]
    items: list[QAItem]
    sha256: str
    stats: dict[str, int]

    def doc_text(self, doc_id: str) -> str:
        return self.doc_texts[self.doc_ids.index(doc_id)]


def detect_lang(text: str) -> str:
    """"zh" when the text holds any CJK character, else "en" (used where items carry no lang)."""
    return "zh" if any(is_cjk(c) for c in text) else "en"


def _answer_list(raw: Any) -> tuple[str, ...]:
    """Answers as given: strings or SQuAD {"text": ...} objects; empties and duplicates dropped."""
    if not isinstance(raw, list):
        return ()
    texts = [a.get("text") if isinstance(a, dict) else a for a in raw]
    return tuple(dict.fromkeys(str(t).strip() for t in texts if isinstance(t, (str, int, float))
                               and str(t).strip()))


# -- SQuAD --------------------------------------------------------------------------------------
def load_squad(source_id: str, path: Path) -> QACollection:
    """Load SQuAD v1/v2 JSON: each paragraph's context is one document (id = paragraph id)."""
    raw = _read_json(path)
    data = raw.get("data") if isinstance(raw, dict) else None
    if not isinstance(data, list) or not data:
        raise InputError(f'{path}: not SQuAD format; the file must hold '
                         '{"data": [{"paragraphs": [...]}]}')
    doc_ids: list[str] = []
    doc_texts: list[str] = []
    items: list[QAItem] = []
    seen: set[str] = set()
    unanswerable = empty = 0
    for i, article in enumerate(data):
        for j, para in enumerate(_list(article, "paragraphs", path, f"data[{i}]")):
            where = f"{path}: data[{i}].paragraphs[{j}]"
            doc_id = str(para.get("id") or f"{i}-{j}")
            context = para.get("context")
            if not isinstance(context, str) or not context.strip():
                raise InputError(f"{where}.context is missing or empty; every paragraph needs "
                                 "the passage text its answers come from")
            doc_ids.append(doc_id)
            doc_texts.append(context.strip())
            for k, qa in enumerate(_list(para, "qas", path, f"data[{i}].paragraphs[{j}]")):
                if qa.get("is_impossible"):
                    unanswerable += 1
                    continue
                if not str(qa.get("question") or "").strip():
                    empty += 1  # counted and reported, like BEIR queries without text
                    continue
                items.append(_squad_item(qa, doc_id, f"{where}.qas[{k}]", seen))
    if len(set(doc_ids)) != len(doc_ids):
        raise InputError(f"{path}: paragraph ids are not unique; give each paragraph a distinct id")
    return QACollection(id=source_id, format="squad", path=path, doc_ids=doc_ids,
                        doc_texts=doc_texts, items=items, sha256=content_hash([path]),
                        stats={"n_docs": len(doc_ids),
                               "n_questions_in_file": len(items) + unanswerable + empty,
                               "n_unanswerable_skipped": unanswerable,
                               "n_empty_question_skipped": empty})


def _squad_item(qa: dict[str, Any], doc_id: str, where: str, seen: set[str]) -> QAItem:
    qid = str(qa.get("id") or "")
    question = str(qa.get("question") or "").strip()
    if not qid:
        raise InputError(f'{where}: needs a non-empty "id"')
    if qid in seen:
        raise InputError(f'{where}: duplicate question id "{qid}"; ids must be unique')
    seen.add(qid)
    answers = _answer_list(qa.get("answers"))
    if not answers:
        raise InputError(f'{where} (id {qid}): "answers" is missing or empty; give at least one '
                         'answer text, or mark the question "is_impossible": true')
    return QAItem(id=qid, question=question, answers=answers, doc_id=doc_id,
                  lang=detect_lang(question))


def _read_json(path: Path) -> Any:
    if path.is_dir():  # "not found" or "a directory" would not say what the folder is for
        hint = ("it holds corpus.jsonl: use format: beir-answers with an answers file"
                if (path / "corpus.jsonl").is_file() else "point path at the SQuAD JSON file")
        raise InputError(f"{path}: is a folder, not a SQuAD JSON file; {hint}")
    text = read_text(path, "SQuAD JSON file")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg}); fix the syntax "
                         "(SQuAD JSON is one object)") from None
    refuse_lone_surrogates(value, text, path)
    return value


def _list(obj: Any, key: str, path: Path, where: str) -> list[dict[str, Any]]:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(f'{path}: {where}.{key} must be a list of objects (SQuAD format)')
    return value


# -- BEIR corpus + answers JSONL -----------------------------------------------------------------
def load_beir_answers(source_id: str, corpus_dir: Path, answers_path: Path) -> QACollection:
    """A BEIR folder's corpus.jsonl plus answers lines {id, question, answers, doc_id[, lang]}."""
    corpus_p = check_name(corpus_dir, "QA corpus path") / "corpus.jsonl"
    if corpus_dir.is_file():
        raise InputError(f"{corpus_dir}: is a file, not a BEIR folder holding corpus.jsonl; "
                         "for a SQuAD JSON file use format: squad (and no answers:)")
    if (problem := special_path(corpus_dir, "QA corpus path")) is not None:
        raise InputError(problem)
    if not corpus_p.is_file():
        raise InputError(f"{corpus_p}: not found; path must be a BEIR folder holding corpus.jsonl")
    check_file(answers_path, "answers file")
    doc_ids, doc_texts, _ = load_corpus(corpus_p)
    texts = dict(zip(doc_ids, doc_texts))
    items: list[QAItem] = []
    seen: set[str] = set()
    empty = 0
    for lineno, obj in iter_jsonl(answers_path, "answers file"):
        check_text_fields(obj, ("question", "lang"), answers_path, lineno)
        if not str(obj.get("question") or "").strip():
            empty += 1  # counted and reported, like BEIR queries without text
            continue
        item = _answers_item(obj, f"{answers_path}:{lineno}", texts)
        if item.id in seen:
            raise InputError(f'{answers_path}:{lineno}: duplicate question id "{item.id}"')
        seen.add(item.id)
        items.append(item)
    if not items:
        raise InputError(f"{answers_path}: no questions; add lines "
                         '{"id", "question", "answers": [...], "doc_id"}')
    return QACollection(id=source_id, format="beir-answers", path=corpus_dir, doc_ids=doc_ids,
                        doc_texts=doc_texts, items=items,
                        sha256=content_hash([corpus_p, answers_path]),
                        stats={"n_docs": len(doc_ids), "n_questions_in_file": len(items) + empty,
                               "n_unanswerable_skipped": 0, "n_empty_question_skipped": empty})


def _answers_item(obj: dict[str, Any], where: str, texts: dict[str, str]) -> QAItem:
    qid = str(obj.get("id") or obj.get("_id") or "")
    question = str(obj.get("question") or "").strip()
    doc_id = str(obj.get("doc_id") or "")
    if not qid or not doc_id:
        raise InputError(f'{where}: each line needs non-empty "id", "question" and "doc_id"')
    answers = _answer_list(obj.get("answers"))
    if not answers:
        raise InputError(f'{where} (id {qid}): "answers" is missing or empty; give a list of '
                         "answer strings found in the gold document")
    if doc_id not in texts:
        raise InputError(f'{where} (id {qid}): doc_id "{doc_id}" is not in corpus.jsonl')
    if not texts[doc_id]:
        raise InputError(f'{where} (id {qid}): gold document "{doc_id}" has empty text; a '
                         "question needs a context to be answered from")
    lang = str(obj.get("lang") or detect_lang(question))
    return QAItem(id=qid, question=question, answers=answers, doc_id=doc_id, lang=lang)


# -- chunking ----------------------------------------------------------------------------------
def chunk_text(text: str, size: int, overlap: int) -> list[str]:
    """Split `text` into windows of at most `size` characters overlapping by about `overlap`
    (algorithms.chunking.char_spans: windows end at a sentence end, else a comma, else a space,
    in their last quarter, and never start inside a Latin word). Short texts stay whole."""
    return [text[a:b] for a, b in char_spans(text, size, overlap)]


def gold_passage(text: str, answers: tuple[str, ...], size: int, overlap: int) -> tuple[str, bool]:
    """The gold document's first chunk holding an answer (the reader's upper-bound input).

    Returns (passage, found); when no chunk holds an answer the whole first chunk is used and
    found is False, so the caller can count answers that do not occur in their document.
    """
    chunks = chunk_text(text, size, overlap)
    for chunk in chunks:
        if contains(chunk, answers):
            return chunk, True
    return (chunks[0] if chunks else text), False

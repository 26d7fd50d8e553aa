"""QA: retrieve-then-read accuracy, and every wrong answer blamed on retrieval or the reader."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from embedgate.report import charts
from embedgate.report.tables import Cell, Column, Table, num, text
from embedgate.report.sections.common import Inputs, TierData, per_dataset, value_of

TIER = "qa"
PARTS = ("correct", "retrieval_miss", "reader_error")
PART_COLOURS = ("#3ca951", "#efb118", "#ff725c")
READER_METRICS = ("accuracy", "EM", "F1", "gold_accuracy", "retrieval_miss", "reader_error")


@dataclass(frozen=True)
class Answers:
    embedder: str
    reader: str
    right: int
    wrong: int
    table: Table


@dataclass(frozen=True)
class QASourceView:
    id: str
    facts: list[tuple[str, str]]
    metrics: Table
    attribution: Markup | None
    answers: list[Answers]
    rule: str


@dataclass(frozen=True)
class QAView:
    sources: list[QASourceView]
    rule: str


def build(inputs: Inputs) -> QAView | None:
    sources = per_dataset(inputs, TIER, _source)
    if sources is None:
        return None
    return QAView(sources, sources[0].rule)


def _source(inputs: Inputs, source: str, items: list[TierData]) -> QASourceView:
    first = items[0].data
    k = first.get("top_k", "?")
    facts = [("top k", str(k)), ("document score", str(first.get("aggregation", "?"))),
             ("chunks", f"{first.get('chunk_size', '?')} chars, overlap {first.get('chunk_overlap', '?')}"),
             ("questions", str(len(first.get("questions", []))))]
    bars = [(f"{it.embedder} · {rid}", [float(info.get("attribution", {}).get(p, 0)) for p in PARTS])
            for it in items for rid, info in it.data.get("readers", {}).items()]
    chart = charts.stacked(bars, [p.replace("_", " ") for p in PARTS], PART_COLOURS,
                           "where the answers went right and wrong") \
        if bars else None
    answers = [_answers(it, rid, inputs.options.qa_rows)
               for it in items for rid in it.data.get("readers", {})]
    return QASourceView(source, facts, _metrics(inputs, source, items, k), chart, answers,
                        str(first.get("attribution_rule", "")))


def _metrics(inputs: Inputs, source: str, items: list[TierData], k: Any) -> Table:
    retrieval = [f"answer@{k}", f"gold_doc@{k}"]
    cols = [Column("embedder"), Column("reader")] + [Column(m, True) for m in retrieval] + [
        Column(m.replace("_", " "), True) for m in READER_METRICS]
    rows = []
    for it in items:
        got = [value_of(inputs.result, it.embedder, TIER, source, m) for m in retrieval]
        for rid, info in it.data.get("readers", {}).items():
            reader = [value_of(inputs.result, it.embedder, TIER, source, f"{rid}:{m}")
                      for m in READER_METRICS]
            rows.append([text(it.embedder), text(f"{rid} ({info.get('type', '?')})")] +
                        [num(v, 3) for v in got + reader])
    return Table(cols, rows, note="gold accuracy: the reader given only the gold passage (its "
                 "upper bound); retrieval miss + reader error + accuracy = 1",
                 key=f"qa-{source}")


def _answers(item: TierData, reader: str, cap: int) -> Answers:
    qs = [q for q in item.data.get("questions", []) if reader in q.get("readers", {})]
    wrong = [q for q in qs if not q["readers"][reader].get("correct")]
    right = [q for q in qs if q["readers"][reader].get("correct")]
    shown = (wrong + right)[:cap]
    cols = [Column("question"), Column("gold answer"), Column("answer"), Column(""),
            Column("why wrong"), Column("gold rank", True, "rank of the gold document"),
            Column("answer from gold passage")]
    rows = [_answer_row(q, q["readers"][reader]) for q in shown]
    note = f"wrong answers first; showing {len(shown)} of {len(qs)}" if len(qs) > cap else \
        "wrong answers first"
    return Answers(item.embedder, reader, len(right), len(wrong),
                   Table(cols, rows, note=note, key=f"qa-answers-{item.dataset}-{item.embedder}-{reader}"))


def _answer_row(q: Mapping[str, Any], r: Mapping[str, Any]) -> list[Cell]:
    ok = bool(r.get("correct"))
    rank = q.get("gold_rank")
    why = "" if ok else str(r.get("attribution", "")).replace("_", " ")
    return [text(q.get("question"), limit=110), text(" | ".join(map(str, q.get("gold", []))), limit=60),
            text(r.get("prediction"), limit=90),
            Cell("✓" if ok else "✗", 1 if ok else 0, "good" if ok else "bad",
                 "right" if ok else "wrong"),
            Cell(why, why, "warn" if why == "retrieval miss" else "bad" if why else ""),
            num(rank, 0) if rank is not None else Cell("not retrieved", 1e9, "num muted"),
            text(r.get("gold_prediction"), limit=60,
                 cls="good" if r.get("gold_correct") else "muted")]

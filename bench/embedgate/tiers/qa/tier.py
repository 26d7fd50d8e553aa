"""QA tier: retrieve top-k passages with the embedder, let each reader answer, judge, attribute.

Reader-free: answer@k (DPR top-k accuracy: a retrieved passage holds a gold answer) and
gold_doc@k. Per reader r: r:EM and r:F1 (SQuAD normalisation), r:accuracy (its `correct`
criterion), the same given the gold passage (r:gold_*, the upper bound), and the attribution
of every wrong answer: r:retrieval_miss (no passage the reader was given held the answer) and
r:reader_error (one did, the reader missed it); accuracy + the two sum to 1. A reader set to
read only its best `passages` of the top_k is judged on those.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from embedgate.suite import LoadedSuite, QATier
from embedgate.tiers.context import RunContext
from embedgate.embedders.base import Embedder
from embedgate.tiers.qa.normalize import contains
from embedgate.tiers.qa.plan import QAUnit, ReaderPlan, prepare_units
from embedgate.tiers.qa.readers.base import ReadRequest
from embedgate.tiers.qa.retrieve import AGGREGATION, Hit, search_documents
from embedgate.tiers.qa import satisfaction
from embedgate.tiers.qa.scoring import (
    CORRECT, READER_ERROR, RETRIEVAL_MISS, Judgement, attribute, judge,
)
from embedgate.results.schema import MetricRow, PerQuery, TierResult
from embedgate.tiers import Unit

TIER = "qa"
# reader metric -> higher_is_better
READER_METRICS: dict[str, bool] = {
    "EM": True, "F1": True, "accuracy": True, "gold_EM": True, "gold_F1": True,
    "gold_accuracy": True, RETRIEVAL_MISS: False, READER_ERROR: False}


def prepare(params: QATier, loaded: LoadedSuite, datasets: object) -> list[Unit]:
    return list(prepare_units(params, loaded))


@dataclass(frozen=True)
class Retrieved:
    hits: list[Hit]
    passages: tuple[str, ...]
    answer_in_top_k: bool
    gold_rank: int | None  # 1-based rank of the gold document, None when not retrieved


@dataclass(frozen=True)
class Answered:
    """One reader's answer to one question: from retrieval, from the gold passage, and why."""

    got: Judgement
    gold: Judgement
    answer_in_passages: bool  # in the passages this reader read (its first `passages`)
    attribution: str


Answers = dict[str, Answered]  # question id -> answer


def run(embedder: Embedder, data: QAUnit, params: QATier, ctx: RunContext) -> TierResult:
    """Retrieve for every question, then run each reader on its questions (and gold passages)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    retrieved = _retrieve(embedder, data, params.top_k, ctx)
    timings["retrieve_s"] = time.perf_counter() - t0

    def encode(texts: Sequence[str], role: str) -> np.ndarray:
        return ctx.encode(embedder, texts, role)  # type: ignore[arg-type]

    values: dict[str, dict[str, float]] = {}
    k = params.top_k
    values[f"answer@{k}"] = {q: float(r.answer_in_top_k) for q, r in retrieved.items()}
    values[f"gold_doc@{k}"] = {q: float(r.gold_rank is not None) for q, r in retrieved.items()}
    judged: dict[str, Answers] = {}
    readers: dict[str, Any] = {}
    for plan in data.plans:
        rid = plan.reader.id
        t1 = time.perf_counter()
        judged[rid], readers[rid] = _read(plan, data, retrieved, encode, ctx.progress)
        timings[f"read_s:{rid}"] = time.perf_counter() - t1
        values.update(_reader_values(rid, judged[rid]))
    result = _result(embedder.info.id, data, params, values, retrieved, judged, readers, timings)
    if data.ratings is None:
        return result
    answered = {p.reader.id: p.item_ids for p in data.plans}
    return satisfaction.attach(result, data.ratings, answered, ctx.seed)


def _retrieve(embedder: Embedder, data: QAUnit, top_k: int,
              ctx: RunContext) -> dict[str, Retrieved]:
    chunk_vecs = ctx.encode(embedder, data.corpus.texts, "passage")
    query_vecs = ctx.encode(embedder, [it.question for it in data.items], "query")
    ranked = search_documents(data.corpus, chunk_vecs, query_vecs, top_k)
    out: dict[str, Retrieved] = {}
    for item, hits in zip(data.items, ranked):
        passages = tuple(data.corpus.texts[h.chunk] for h in hits)
        ranks = [i for i, h in enumerate(hits, 1) if h.doc == item.doc_id]
        out[item.id] = Retrieved(hits, passages, any(contains(p, item.answers) for p in passages),
                                 ranks[0] if ranks else None)
    return out


def _read(plan: ReaderPlan, data: QAUnit, retrieved: dict[str, Retrieved], encode: Any,
          progress: bool) -> tuple[Answers, dict[str, Any]]:
    """The reader answers from the retrieved passages and from the gold passage alone.

    A reader limited to its best `passages` is blamed for retrieval only by what it read.
    """
    items = {it.id: it for it in data.items}
    qids = list(plan.item_ids)
    read = {q: retrieved[q].passages[:plan.passages] for q in qids}  # [:None] keeps all
    requests = [ReadRequest(items[q].question, read[q]) for q in qids]
    requests += [ReadRequest(items[q].question, (data.gold[q],)) for q in qids]
    cache = getattr(plan.reader, "cache", None)
    hits_before = cache.hits if cache is not None else 0
    answers = plan.reader.answer(requests, encode, progress)
    out: Answers = {}
    for i, q in enumerate(qids):
        got = judge(answers[i], items[q].answers, plan.correct)
        gold = judge(answers[len(qids) + i], items[q].answers, plan.correct)
        held = any(contains(p, items[q].answers) for p in read[q])
        out[q] = Answered(got, gold, held, attribute(got.correct, held))
    info = {"type": plan.type, "fingerprint": plan.reader.fingerprint, "correct": plan.correct,
            "n_questions": len(qids), "passages": plan.passages,
            "attribution": dict(Counter(a.attribution for a in out.values())),
            "cache_hits": (cache.hits - hits_before) if cache is not None else None,
            "cache_path": cache.stats()["path"] if cache is not None else None,
            "load_s": getattr(plan.reader, "load_s", None)}
    if hasattr(plan.reader, "stats"):
        info["http"] = plan.reader.stats()
    return out, info


def _reader_values(rid: str, judged: Answers) -> dict[str, dict[str, float]]:
    """Per-question values of every reader metric, named "<reader>:<metric>"."""
    cols: dict[str, dict[str, float]] = {f"{rid}:{m}": {} for m in READER_METRICS}
    for q, a in judged.items():
        row = {"EM": a.got.em, "F1": a.got.f1, "accuracy": float(a.got.correct),
               "gold_EM": a.gold.em, "gold_F1": a.gold.f1, "gold_accuracy": float(a.gold.correct),
               RETRIEVAL_MISS: float(a.attribution == RETRIEVAL_MISS),
               READER_ERROR: float(a.attribution == READER_ERROR)}
        for m, v in row.items():
            cols[f"{rid}:{m}"][q] = v
    return cols


def _direction(metric: str) -> bool:
    return READER_METRICS.get(metric.split(":", 1)[1], True) if ":" in metric else True


def _result(eid: str, data: QAUnit, params: QATier, values: dict[str, dict[str, float]],
            retrieved: dict[str, Retrieved], judged: dict[str, Answers], readers: dict[str, Any],
            timings: dict[str, float]) -> TierResult:
    sid = data.collection.id
    rows = [MetricRow(embedder=eid, tier=TIER, dataset=sid, metric=m, n_queries=len(v),
                      higher_is_better=_direction(m), value=float(np.mean(list(v.values()))))
            for m, v in values.items()]
    pqs = [PerQuery(embedder=eid, tier=TIER, dataset=sid, metric=m, values=v)
           for m, v in values.items()]
    details = {"aggregation": AGGREGATION, "top_k": params.top_k, "chunk_size": params.chunk_size,
               "chunk_overlap": params.chunk_overlap, "source": data.info, "readers": readers,
               "attribution_rule": (f"{CORRECT}: the reader's answer is right; {RETRIEVAL_MISS}: "
                                    f"wrong and no passage the reader read holds a gold answer; "
                                    f"{READER_ERROR}: wrong although one does"),
               "questions": _question_rows(data, retrieved, judged)}
    return TierResult(tier=TIER, embedder=eid, dataset=sid, metrics=rows, per_query=pqs,
                      details=details, timings=timings)


def _question_rows(data: QAUnit, retrieved: dict[str, Retrieved],
                   judged: dict[str, Answers]) -> list[dict[str, Any]]:
    """One row per question for the report: gold, retrieved ids, each reader's answers and why."""
    rows: list[dict[str, Any]] = []
    for it in data.items:
        r = retrieved[it.id]
        by_reader = {rid: _answer_row(per_q[it.id]) for rid, per_q in judged.items()
                     if it.id in per_q}
        rows.append({"id": it.id, "question": it.question, "lang": it.lang,
                     "gold": list(it.answers), "gold_doc": it.doc_id,
                     "retrieved": [{"doc": h.doc, "score": round(h.score, 6)} for h in r.hits],
                     "answer_in_top_k": r.answer_in_top_k, "gold_rank": r.gold_rank,
                     "readers": by_reader})
    return rows


def _answer_row(a: Answered) -> dict[str, Any]:
    return {**a.got.to_dict(), "gold_prediction": a.gold.prediction, "gold_em": a.gold.em,
            "gold_f1": a.gold.f1, "gold_correct": a.gold.correct,
            "answer_in_passages": a.answer_in_passages, "attribution": a.attribution}

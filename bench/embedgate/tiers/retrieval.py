"""Retrieval tier: encode corpus and queries once, exact faiss search, ir-measures metrics."""
from __future__ import annotations

import time

from ..config import RetrievalTier
from ..context import RunContext
from ..data import Collection
from ..embedders.base import Embedder
from ..index import exact_search, to_run, trec_lines
from ..metrics import mean, parse_metric, per_query
from ..results import MetricRow, PerQuery, TierResult
from . import Unit

TIER = "retrieval"


def prepare(params: RetrievalTier, loaded: object, datasets: dict[str, Collection]) -> list[Unit]:
    return [(did, datasets[did]) for did in params.datasets or list(datasets)]


def run(embedder: Embedder, data: Collection, params: RetrievalTier, ctx: RunContext) -> TierResult:
    """Rank the whole corpus for every evaluated query and score the ranking.

    Every judged query of the split is scored; one that retrieves nothing scores 0.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    doc_vecs = ctx.encode(embedder, data.doc_texts, "passage")
    qids = list(data.queries)
    query_vecs = ctx.encode(embedder, [data.queries[q] for q in qids], "query")
    timings["encode_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    scores, idx = exact_search(doc_vecs, query_vecs, params.top_k)
    run_dict = to_run(qids, data.doc_ids, scores, idx)
    timings["search_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    specs = [parse_metric(m) for m in params.metrics]
    values = per_query(specs, data.qrels, run_dict)
    timings["evaluate_s"] = time.perf_counter() - t2
    eid = embedder.info.id
    rows = [MetricRow(embedder=eid, tier=TIER, dataset=data.id, metric=s.name,
                      value=mean(values[s.name]), higher_is_better=s.higher_is_better,
                      n_queries=len(values[s.name])) for s in specs]
    pqs = [PerQuery(embedder=eid, tier=TIER, dataset=data.id, metric=s.name, values=values[s.name])
           for s in specs]
    trec = "\n".join(trec_lines(run_dict, eid)) + "\n"
    return TierResult(tier=TIER, embedder=eid, dataset=data.id, metrics=rows, per_query=pqs,
                      details={"top_k": params.top_k, "search": "faiss.IndexFlatIP (exact)",
                               "n_docs": len(data.doc_ids), "n_queries": len(qids)},
                      artifacts={f"runs/{eid}__{data.id}.trec": trec}, timings=timings)

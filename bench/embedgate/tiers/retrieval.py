"""Retrieval tier: encode corpus and queries once, faiss search, ir-measures metrics.

Search is exact (`IndexFlatIP`) unless the tier's `index` asks for IVF or HNSW; then the
index's recall@top_k against exact search, on a sample of queries, is reported as a metric row
(`ANN-recall@k`) and in the details, so an approximate run is never read as an exact one.
"""
from __future__ import annotations

import time

from embedgate.suite import IndexSpec, RetrievalTier
from embedgate.tiers.context import RunContext
from embedgate.inputs.beir import Collection
from embedgate.tiers.drilldown import drilldown
from embedgate.embedders.base import Embedder
from embedgate.algorithms.search import SearchOutcome, search, to_run, trec_lines
from embedgate.algorithms.ir import mean, parse_metric, per_query
from embedgate.results.schema import MetricRow, PerQuery, TierResult
from embedgate.tiers import Unit

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
    found = search(doc_vecs, query_vecs, params.top_k, (params.index or IndexSpec()).params(),
                   ctx.rng(f"index/{embedder.info.id}/{data.id}"))
    run_dict = to_run(qids, data.doc_ids, found.scores, found.idx)
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
    details = {"top_k": params.top_k, "search": found.description, "index": found.settings,
               "n_docs": len(data.doc_ids), "n_queries": len(qids),
               "drilldown": drilldown(data, run_dict)}  # the report's per-query view
    if found.recall is not None:
        row, pq, details["index_recall"] = _recall_rows(found, qids, eid, data.id, params.top_k)
        rows.append(row)
        pqs.append(pq)
    trec = "\n".join(trec_lines(run_dict, eid)) + "\n"
    return TierResult(tier=TIER, embedder=eid, dataset=data.id, metrics=rows, per_query=pqs,
                      details=details, artifacts={f"runs/{eid}__{data.id}.trec": trec},
                      timings=timings)


def _recall_rows(found: SearchOutcome, qids: list[str], eid: str, dataset: str,
                 top_k: int) -> tuple[MetricRow, PerQuery, dict[str, object]]:
    """The approximate index's recall against exact search, as a metric row and details."""
    assert found.recall is not None and found.recall_queries is not None
    k = found.idx.shape[1] if found.idx.ndim == 2 else top_k
    name = f"ANN-recall@{k}"
    values = {qids[int(p)]: float(r) for p, r in zip(found.recall_queries, found.recall)}
    row = MetricRow(embedder=eid, tier=TIER, dataset=dataset, metric=name, value=mean(values),
                    higher_is_better=True, n_queries=len(values))
    pq = PerQuery(embedder=eid, tier=TIER, dataset=dataset, metric=name, values=values)
    summary = {"metric": name, "vs": "faiss.IndexFlatIP (exact)", "mean": row.value,
               "min": min(values.values(), default=float("nan")), "n_sampled_queries": len(values)}
    return row, pq, summary

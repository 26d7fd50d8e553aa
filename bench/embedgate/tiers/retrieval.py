"""Retrieval tier: encode corpus and queries once, faiss search, ir-measures metrics.

Search is exact (`IndexFlatIP`) unless the tier's `index` asks for IVF or HNSW; then the
index's recall@top_k against exact search, on a sample of queries, is reported as a metric row
(`ANN-recall@k`) and in the details, so an approximate run is never read as an exact one.
"""
from __future__ import annotations

import time

import numpy as np

from embedgate.suite import IndexSpec, RetrievalTier
from embedgate.tiers.context import RunContext
from embedgate.inputs.beir import Collection
from embedgate.tiers.drilldown import drilldown
from embedgate.embedders.base import Embedder, Ranking, Retriever
from embedgate.algorithms.search import SearchOutcome, search, to_run, trec_lines
from embedgate.algorithms.ir import mean, parse_metric, per_query
from embedgate.results.schema import MetricRow, PerQuery, TierResult
from embedgate.tiers import Unit
from embedgate.tiers.pipeline_check import pipeline_details
from embedgate.tiers.chunked import ChunkedUnit, prepare_unit, sweep

TIER = "retrieval"
ACCEPTS_RETRIEVERS = True  # BM25 / hybrid systems rank the collection themselves


def prepare(params: RetrievalTier, loaded: object, datasets: dict[str, Collection]) -> list[Unit]:
    """Each dataset's collection; with `chunking`, with its clause qrels read and checked."""
    ids = params.datasets or list(datasets)
    if params.chunking is not None:
        return [(did, prepare_unit(datasets[did], params.chunking)) for did in ids]
    return [(did, datasets[did]) for did in ids]


def run(embedder: Embedder, data: Collection | ChunkedUnit, params: RetrievalTier,
        ctx: RunContext) -> TierResult:
    """Rank the whole corpus for every evaluated query and score the ranking.

    Every judged query of the split is scored; one that retrieves nothing scores 0. With
    `chunking`, each strategy's rows follow (tiers/chunked.py); retrieval systems without
    vectors are judged on whole documents only.
    """
    unit, data = (data, data.collection) if isinstance(data, ChunkedUnit) else (None, data)
    if isinstance(embedder, Retriever):
        return run_retriever(embedder, data, params, ctx)
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
    details: dict[str, object] = {"search": found.description, "index": found.settings}
    extra_rows: list[tuple[MetricRow, PerQuery]] = []
    if found.recall is not None:
        row, pq, details["index_recall"] = _recall_rows(found, qids, embedder.info.id, data.id,
                                                        params.top_k)
        extra_rows.append((row, pq))
    values = _evaluate(params, data, run_dict, timings)
    result = _scored(embedder.info.id, data, params, run_dict, values, details, timings, extra_rows)
    return result if unit is None else _with_sweep(result, embedder, unit, params, ctx,
                                                   query_vecs, values)


def _with_sweep(result: TierResult, embedder: Embedder, unit: ChunkedUnit, params: RetrievalTier,
                ctx: RunContext, query_vecs: np.ndarray, values: dict[str, dict[str, float]]
                ) -> TierResult:
    """The unchunked result plus the chunking sweep's rows, details and TREC runs."""
    t0 = time.perf_counter()
    out = sweep(embedder, unit, params, ctx, query_vecs, values)
    return result.model_copy(update={
        "metrics": [*result.metrics, *out.rows], "per_query": [*result.per_query, *out.per_query],
        "details": {**result.details, "chunking": out.details},
        "artifacts": {**result.artifacts, **out.artifacts},
        "timings": {**result.timings, "chunking_s": time.perf_counter() - t0}})


def run_retriever(system: Retriever, data: Collection, params: RetrievalTier,
                  ctx: RunContext) -> TierResult:
    """A retrieval system ranks the collection itself; a pipeline's inputs are scored too."""
    t0 = time.perf_counter()
    qids = list(data.queries)
    ranking = system.retrieve(data.doc_ids, data.doc_texts, [data.queries[q] for q in qids],
                              params.top_k, ctx)
    run_dict = to_run(qids, data.doc_ids, ranking.scores, ranking.idx)
    timings = {"retrieve_s": time.perf_counter() - t0}
    values = _evaluate(params, data, run_dict, timings)
    specs = [parse_metric(m) for m in params.metrics]
    details: dict[str, object] = {
        "search": system.info.name,
        "pipeline": pipeline_details(ranking, specs, data, qids, values, ctx.seed)}
    return _scored(system.info.id, data, params, run_dict, values, details, timings,
                   _query_metric_rows(ranking, qids, system.info.id, data.id))


def _query_metric_rows(ranking: Ranking, qids: list[str], eid: str,
                       dataset: str) -> list[tuple[MetricRow, PerQuery]]:
    """A system's own per-query metrics (a database's recall against exact search)."""
    out = []
    for name, vals in ranking.query_metrics.items():
        values = dict(zip(qids, vals))
        out.append((MetricRow(embedder=eid, tier=TIER, dataset=dataset, metric=name,
                              value=mean(values), higher_is_better=True, n_queries=len(values)),
                    PerQuery(embedder=eid, tier=TIER, dataset=dataset, metric=name,
                             values=values)))
    return out


def _evaluate(params: RetrievalTier, data: Collection, run_dict: dict[str, dict[str, float]],
              timings: dict[str, float]) -> dict[str, dict[str, float]]:
    t0 = time.perf_counter()
    values = per_query([parse_metric(m) for m in params.metrics], data.qrels, run_dict)
    timings["evaluate_s"] = time.perf_counter() - t0
    return values


def _scored(eid: str, data: Collection, params: RetrievalTier,
            run_dict: dict[str, dict[str, float]], values: dict[str, dict[str, float]],
            extra: dict[str, object], timings: dict[str, float],
            extra_rows: list[tuple[MetricRow, PerQuery]]) -> TierResult:
    """Metric rows, per-query values, details and the TREC run of one ranking."""
    specs = [parse_metric(m) for m in params.metrics]
    rows = [MetricRow(embedder=eid, tier=TIER, dataset=data.id, metric=s.name,
                      value=mean(values[s.name]), higher_is_better=s.higher_is_better,
                      n_queries=len(values[s.name])) for s in specs]
    pqs = [PerQuery(embedder=eid, tier=TIER, dataset=data.id, metric=s.name, values=values[s.name])
           for s in specs]
    details = {"top_k": params.top_k, **extra, "n_docs": len(data.doc_ids),
               "n_queries": len(data.queries),
               "drilldown": drilldown(data, run_dict)}  # the report's per-query view
    for row, pq in extra_rows:
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

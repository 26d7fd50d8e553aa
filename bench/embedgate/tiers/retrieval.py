"""Retrieval tier: encode corpus and queries once, faiss search, ir-measures metrics.

Search is exact (`IndexFlatIP`) unless the tier's `index` asks for IVF or HNSW; then the
index's recall@top_k against exact search, on a sample of queries, is reported as a metric row
(`ANN-recall@k`) and in the details, so an approximate run is never read as an exact one.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from embedgate.infra.errors import InputError
from embedgate.suite import IndexSpec, LoadedSuite, RetrievalTier
from embedgate.suite.tiers_chunking import ChunkingSpec
from embedgate.tiers.context import RunContext
from embedgate.inputs.beir import Collection
from embedgate.tiers.drilldown import drilldown
from embedgate.tiers.holes import with_holes
from embedgate.inputs.judgments import JUDGED_SUFFIX
from embedgate.embedders.base import Embedder, QueryFilters, Ranking, Retriever
from embedgate.algorithms.search import SearchOutcome, search, to_run, trec_lines
from embedgate.algorithms.ir import Evaluator, MetricSpec, mean, parse_metric
from embedgate.results.schema import MetricRow, PerQuery, TierResult
from embedgate.tiers import Unit
from embedgate.tiers.pipeline_check import pipeline_details
from embedgate.tiers.chunked import ChunkedUnit, prepare_unit, sweep

TIER = "retrieval"
ACCEPTS_RETRIEVERS = True  # BM25 / hybrid systems rank the collection themselves


@dataclass(frozen=True)
class RetrievalUnit:
    """One dataset as the tier judges it: the collection, the suite's metrics parsed once with
    one ir-measures evaluator on its qrels (every embedder reuses it), and with `chunking`
    its clause qrels."""

    collection: Collection
    evaluator: Evaluator
    chunked: ChunkedUnit | None = None


def prepare(params: RetrievalTier, loaded: object,
            datasets: dict[str, Collection]) -> list[Unit]:
    """Each dataset's unit; with `chunking`, with its clause qrels read and checked."""
    specs = [parse_metric(m) for m in params.metrics]  # once per run, not per embedder
    ids = list(params.datasets or datasets)  # a copy: the suite's list stays as written
    ids += [j for i in ids if (j := i + JUDGED_SUFFIX) in datasets and j not in ids]  # qrels_extra
    return [(did, _unit(datasets[did], specs, params, loaded)) for did in ids]


def _unit(coll: Collection, specs: list[MetricSpec], params: RetrievalTier,
          loaded: object) -> RetrievalUnit:
    chunked = _chunked(coll, params.chunking, loaded) if params.chunking is not None else None
    return RetrievalUnit(coll, Evaluator(specs, coll.qrels), chunked)


def _chunked(data: Collection, spec: ChunkingSpec, loaded: object) -> ChunkedUnit:
    """The unit, with a bad clause qrels file naming the suite line that led to it."""
    try:
        return prepare_unit(data, spec)
    except InputError as exc:
        where = loaded.where(("tiers", "retrieval", "chunking")) \
            if isinstance(loaded, LoadedSuite) else "the suite"
        raise InputError(f'{exc} (clause qrels of dataset "{data.id}", tiers.retrieval.chunking '
                         f"at {where})") from None


def as_unit(data: RetrievalUnit | ChunkedUnit | Collection, params: RetrievalTier) -> RetrievalUnit:
    """A prepared unit as is; a bare collection (or chunked unit) of a direct caller gets one."""
    if isinstance(data, RetrievalUnit):
        return data
    specs = [parse_metric(m) for m in params.metrics]
    if isinstance(data, ChunkedUnit):
        return RetrievalUnit(data.collection, Evaluator(specs, data.collection.qrels), data)
    return RetrievalUnit(data, Evaluator(specs, data.qrels))


def run(embedder: Embedder, data: RetrievalUnit | ChunkedUnit | Collection,
        params: RetrievalTier, ctx: RunContext) -> TierResult:
    """Rank the whole corpus for every evaluated query and score the ranking.

    Every judged query of the split is scored; one that retrieves nothing scores 0. With
    `chunking`, each strategy's rows follow (tiers/chunked.py); retrieval systems without
    vectors are judged on whole documents only.
    """
    judged = as_unit(data, params)
    unit, data, evaluator = judged.chunked, judged.collection, judged.evaluator
    if isinstance(embedder, Retriever):
        return run_retriever(embedder, data, params, ctx, evaluator)
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
    values = _evaluate(evaluator, run_dict, timings)
    result = _scored(embedder.info.id, data, params, evaluator, run_dict, values, details,
                     timings, extra_rows)
    return result if unit is None else _with_sweep(result, embedder, unit, params, ctx,
                                                   query_vecs, values, evaluator)


def _with_sweep(result: TierResult, embedder: Embedder, unit: ChunkedUnit, params: RetrievalTier,
                ctx: RunContext, query_vecs: np.ndarray, values: dict[str, dict[str, float]],
                evaluator: Evaluator) -> TierResult:
    """The unchunked result plus the chunking sweep's rows, details and TREC runs."""
    t0 = time.perf_counter()
    out = sweep(embedder, unit, params, ctx, query_vecs, values, evaluator)
    return result.model_copy(update={
        "metrics": [*result.metrics, *out.rows], "per_query": [*result.per_query, *out.per_query],
        "details": {**result.details, "chunking": out.details},
        "artifacts": {**result.artifacts, **out.artifacts},
        "timings": {**result.timings, "chunking_s": time.perf_counter() - t0}})


def run_retriever(system: Retriever, data: Collection, params: RetrievalTier,
                  ctx: RunContext, evaluator: Evaluator) -> TierResult:
    """A retrieval system ranks the collection itself; a pipeline's inputs are scored too."""
    t0 = time.perf_counter()
    qids = list(data.queries)
    filters = _filters(system, data, qids)
    ranking = system.retrieve(data.doc_ids, data.doc_texts, [data.queries[q] for q in qids],
                              params.top_k, ctx, **({"filters": filters} if filters else {}))
    run_dict = to_run(qids, data.doc_ids, ranking.scores, ranking.idx)
    timings = {"retrieve_s": time.perf_counter() - t0}
    values = _evaluate(evaluator, run_dict, timings)
    details: dict[str, object] = {
        "search": system.info.name,
        "pipeline": pipeline_details(ranking, evaluator, data, qids, values, ctx.seed)}
    if data.filters:  # which systems searched among the matching documents only
        details["filters"] = {"n_queries_filtered": len(data.filters),
                              "applied": filters is not None}
    return _scored(system.info.id, data, params, evaluator, run_dict, values, details, timings,
                   _query_metric_rows(ranking, qids, system.info.id, data.id))


def _filters(system: Retriever, data: Collection, qids: list[str]) -> QueryFilters | None:
    """The dataset's query filters for a system that applies them (``ACCEPTS_FILTERS``);
    others, and every dense embedder, rank the whole collection (docs/vector-stores.md)."""
    if not data.filters or not getattr(system, "ACCEPTS_FILTERS", False):
        return None
    return QueryFilters([data.meta.get(d, {}) for d in data.doc_ids],
                        [data.filters.get(q) for q in qids])


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


def _evaluate(evaluator: Evaluator, run_dict: dict[str, dict[str, float]],
              timings: dict[str, float]) -> dict[str, dict[str, float]]:
    t0 = time.perf_counter()
    values = evaluator.per_query(run_dict)
    timings["evaluate_s"] = time.perf_counter() - t0
    return values


def _scored(eid: str, data: Collection, params: RetrievalTier, evaluator: Evaluator,
            run_dict: dict[str, dict[str, float]], values: dict[str, dict[str, float]],
            extra: dict[str, object], timings: dict[str, float],
            extra_rows: list[tuple[MetricRow, PerQuery]]) -> TierResult:
    """Metric rows, per-query values, details and the TREC run of one ranking."""
    specs = evaluator.specs
    rows = [MetricRow(embedder=eid, tier=TIER, dataset=data.id, metric=s.name,
                      value=mean(values[s.name]), higher_is_better=s.higher_is_better,
                      n_queries=len(values[s.name])) for s in specs]
    pqs = [PerQuery(embedder=eid, tier=TIER, dataset=data.id, metric=s.name, values=values[s.name])
           for s in specs]
    rows, holes = with_holes(rows, specs, data.qrels, run_dict)  # bounds: docs/holes.md
    details = {"top_k": params.top_k, **extra, "n_docs": len(data.doc_ids), "holes": holes,
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

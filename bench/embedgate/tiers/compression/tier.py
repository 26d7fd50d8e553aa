"""Compression tier: the fp32 exact search of each embedder and dataset is the reference; every
configuration of the sweep is measured against it (quality with paired CIs, bytes, latency,
build time), and the cheapest non-inferior configuration is chosen when the suite has a rule.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from embedgate.algorithms.ir import MetricSpec, parse_metric, per_query
from embedgate.algorithms.search import to_run
from embedgate.algorithms.stats import percentiles
from embedgate.embedders.base import Embedder
from embedgate.embedders.st_config import output_dim
from embedgate.infra.errors import InputError
from embedgate.infra.packaged import PREFIX, resolve
from embedgate.inputs.beir import Collection
from embedgate.results.schema import MetricRow, PerQuery, TierResult
from embedgate.suite import LoadedSuite, OnnxSpec, SentenceTransformersSpec, TruncateSpec
from embedgate.suite.tiers import CompressionTier
from embedgate.tiers import Unit
from embedgate.tiers.compression.rows import TIER, decide, rows, stats_for, versus
from embedgate.tiers.compression.sweep import Measured, Timing, Vectors, measure, plan, reference
from embedgate.tiers.context import RunContext

__all__ = ["TIER", "CompressionUnit", "prepare", "run"]


@dataclass(frozen=True)
class CompressionUnit:
    """A dataset and where each listed dim sits in the suite (for errors found at run time)."""

    data: Collection
    dim_wheres: tuple[str, ...]


def prepare(params: CompressionTier, loaded: LoadedSuite,
            datasets: dict[str, Collection]) -> list[Unit]:
    """Check what can be checked before a model loads: enough judged queries for a paired
    interval, and listed dims within each judged embedder's dimension (where its files say)."""
    wheres = tuple(loaded.where(("tiers", TIER, "dims", i)) for i in range(len(params.dims)))
    for eid, dim in _declared_dims(params, loaded).items():
        _check_dims(params, dim, eid, wheres)
    units: list[Unit] = []
    for did in params.datasets or list(datasets):
        data = datasets[did]
        if len(data.queries) < 2:
            raise InputError(f"{loaded.where(('tiers', TIER))}: dataset \"{did}\" has "
                             f"{len(data.queries)} judged queries; the compression tier's "
                             "paired intervals need at least 2")
        units.append((did, CompressionUnit(data, wheres)))
    return units


def _declared_dims(params: CompressionTier, loaded: LoadedSuite) -> dict[str, int]:
    """Output dims of the judged embedders that say it in their files (others: at run time)."""
    specs = {e.id: e for e in loaded.suite.embedders}
    out: dict[str, int] = {}
    for eid, spec in specs.items():
        if params.embedders is not None and eid not in params.embedders:
            continue
        source = specs.get(spec.from_) if isinstance(spec, OnnxSpec) else spec
        if isinstance(spec, TruncateSpec):
            out[eid] = spec.dim
        elif isinstance(source, SentenceTransformersSpec):
            try:
                path = (resolve(source.model) if source.model.startswith(PREFIX)
                        else loaded.resolve(source.model))
            except InputError:
                continue  # the model check reports it, with its own line
            if (dim := output_dim(path)) is not None:
                out[eid] = dim
    return out


def _check_dims(params: CompressionTier, full: int, eid: str, wheres: tuple[str, ...]) -> None:
    for where, dim in zip(wheres, params.dims):
        if dim != "full" and int(dim) > full:
            raise InputError(f"{where}: dims {dim} exceeds the {full} dimensions of embedder "
                             f'"{eid}"; list dims of at most {full} (or "full")')


def run(embedder: Embedder, unit: CompressionUnit, params: CompressionTier,
        ctx: RunContext) -> TierResult:
    """Encode once; measure the reference and every configuration; compare; choose."""
    eid, data = embedder.info.id, unit.data
    _check_dims(params, embedder.info.dim, eid, unit.dim_wheres)
    t0 = time.perf_counter()
    vectors = Vectors(ctx.encode(embedder, data.doc_texts, "passage"),
                      ctx.encode(embedder, [data.queries[q] for q in data.queries], "query"))
    timings = {"encode_s": time.perf_counter() - t0}
    specs = [parse_metric(m) for m in params.metrics]
    rng = ctx.rng(f"compression/{eid}/{data.id}")
    n_timed = min(len(data.queries), params.latency_queries)
    timing = Timing(np.sort(rng.choice(len(data.queries), n_timed, replace=False)),
                    params.latency_threads)
    t1 = time.perf_counter()
    measured = [_evaluate(measure(c, vectors, params.top_k, params.ann.params(), rng, timing),
                          data, specs) for c in plan(params, vectors.full_dim)]
    timings["sweep_s"] = time.perf_counter() - t1
    return _result(eid, data, params, ctx.seed, measured, specs, vectors.full_dim, timings)


def _evaluate(found: Measured, data: Collection,
              specs: list[MetricSpec]) -> tuple[Measured, dict[str, dict[str, float]]]:
    run_dict = to_run(list(data.queries), data.doc_ids, found.scores, found.idx)
    return found, per_query(specs, data.qrels, run_dict)


def _result(eid: str, data: Collection, params: CompressionTier, seed: int,
            measured: list[tuple[Measured, dict[str, dict[str, float]]]],
            specs: list[MetricSpec], full_dim: int, timings: dict[str, float]) -> TierResult:
    st = stats_for(params, seed)
    ref_values = measured[0][1]
    configs: list[dict[str, Any]] = []
    for found, values in measured:
        configs.append({**found.facts(full_dim), "latency": percentiles(found.latency_ms),
                        "quality": {s.name: versus(values[s.name], ref_values[s.name],
                                                   s.higher_is_better, st) for s in specs}})
    rule = decide(configs, params.non_inferiority, specs[0].name)
    metric_rows: list[MetricRow] = []
    pqs: list[PerQuery] = []
    for config, (_, values) in zip(configs, measured):
        r, p = rows(eid, data.id, config, values, specs)
        metric_rows += r
        pqs += p
    details = {"reference": reference(full_dim).id, "full_dim": full_dim,
               "n_docs": len(data.doc_ids), "n_queries": len(data.queries),
               "top_k": params.top_k, "latency_threads": params.latency_threads,
               "metrics": [s.name for s in specs],
               "headline": rule["metric"] if rule else specs[0].name,
               "confidence": st.confidence, "n_resamples": st.n_resamples, "seed": st.seed,
               "rescore_with": "fp32 vectors of full dimension", "configs": configs,
               "rule": rule}
    return TierResult(tier=TIER, embedder=eid, dataset=data.id, metrics=metric_rows,
                      per_query=pqs, details=details, timings=timings)

"""Perf tier (suite-scoped): latency, throughput, memory and size of every variant side by side.

Each embedder variant runs in a fresh subprocess (`embedgate.perf_worker`), so its memory is
its own: load time, RSS before / after load (the difference is weight memory), peak RSS while
encoding, weights on disk. All workers stay alive and the rounds are interleaved (round r starts
at variant r), so drift of a shared machine hits every variant alike. Then, within the run:
ratios candidate / reference (speedup, memory, size), cosine drift of candidate vs reference
vectors, and the retrieval-quality delta from this run's retrieval tier.

Pairs default to: an INT8 ONNX embedder vs the FP32 ONNX embedder of the same `from:` (else
its `from:` torch embedder); an FP32 ONNX embedder vs its `from:` torch embedder.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from embedgate.suite import LoadedSuite, PerfTier
from embedgate.tiers.context import RunContext
from embedgate.inputs.beir import Collection
from embedgate.infra.errors import InputError
from embedgate.results.schema import MetricRow, TierResult
from embedgate.tiers import Unit
from embedgate.tiers.perf.pool import WorkerPool

log = logging.getLogger("embedgate")

TIER = "perf"
SCOPE = "suite"


@dataclass(frozen=True)
class PerfData:
    """Inputs checked before any model runs: the text pool, the variants, the pairs."""

    dataset: str
    pool: list[str]
    variants: list[str]
    pairs: list[tuple[str, str]]


def prepare(params: PerfTier, loaded: LoadedSuite, datasets: dict[str, Collection]) -> list[Unit]:
    where = loaded.where(("tiers", "perf"))
    if not datasets:
        raise InputError(f"{where}: the perf tier samples passages from a dataset; declare one")
    dataset_id = params.dataset or next(iter(datasets))
    if dataset_id not in datasets:
        raise InputError(f'{loaded.where(("tiers", "perf", "dataset"))}: unknown dataset '
                         f'"{dataset_id}"; declared: {", ".join(datasets)}')
    pool = [t for t in datasets[dataset_id].doc_texts if t.strip()]
    if len(pool) < params.n_texts:
        raise InputError(f"{where}: n_texts={params.n_texts} but dataset \"{dataset_id}\" has "
                         f"{len(pool)} non-empty passages; lower n_texts")
    variants = params.embedders or [e.id for e in loaded.suite.embedders]
    pairs = [tuple(p) for p in params.pairs] if params.pairs is not None \
        else default_pairs(loaded, variants)
    for cand, ref in pairs:
        for eid in (cand, ref):
            if eid not in variants:
                raise InputError(f'{loaded.where(("tiers", "perf", "pairs"))}: "{eid}" is not '
                                 f"measured by the perf tier ({', '.join(variants)})")
    return [(dataset_id, PerfData(dataset_id, pool, variants, pairs))]  # type: ignore[arg-type]


def default_pairs(loaded: LoadedSuite, variants: list[str]) -> list[tuple[str, str]]:
    """INT8 ONNX → FP32 ONNX of the same source (else the source); FP32 ONNX → its source."""
    specs = {e.id: e for e in loaded.suite.embedders if e.id in variants}
    pairs: list[tuple[str, str]] = []
    for eid, spec in specs.items():
        source = getattr(spec, "from_", None)
        if spec.kind != "onnx" or source is None:
            continue
        fp32 = [i for i, s in specs.items()
                if s.kind == "onnx" and getattr(s, "from_", None) == source
                and getattr(s, "precision", "") == "fp32" and i != eid]
        ref = fp32[0] if spec.precision == "int8" and fp32 else source
        if ref in specs:
            pairs.append((eid, ref))
    return pairs


def run_suite(loaded: LoadedSuite, params: PerfTier, units: list[Unit],
              results_so_far: list[TierResult], ctx: RunContext) -> list[TierResult]:
    """Measure every variant in its own worker, then compare the pairs."""
    out: list[TierResult] = []
    for _, data in units:
        out.extend(_run_unit(loaded, params, data, results_so_far, ctx))
    return out


def _run_unit(loaded: LoadedSuite, params: PerfTier, data: PerfData,
              results_so_far: list[TierResult], ctx: RunContext) -> list[TierResult]:
    rng = ctx.rng(f"perf:{data.dataset}")
    texts = [data.pool[i] for i in rng.choice(len(data.pool), params.n_texts, replace=False)]
    threads = params.threads or ctx.threads
    started = time.perf_counter()
    with WorkerPool(loaded, data.variants, threads, max(params.batch_sizes),
                    params.timeout_s, ctx.child_entry) as pool:
        loads = pool.load_all()
        tokens = pool.send_all({"cmd": "texts", "texts": texts})
        pool.send_all({"cmd": "warmup", "batch_sizes": params.batch_sizes})
        rounds = _interleaved_rounds(pool, data.variants, params)
        vectors = pool.vectors(data.variants) if data.pairs else {}
    measured = {v: summarise(loads[v], tokens[v].get("n_tokens"), rounds[v], params)
                for v in data.variants}
    results = [_variant_result(v, data, measured[v], loads[v], params, threads)
               for v in data.variants]
    by_id = {r.embedder: r for r in results}
    for cand, ref in data.pairs:
        rows, details = compare(cand, ref, measured, vectors, results_so_far, params, data.dataset)
        by_id[cand].metrics.extend(rows)
        by_id[cand].details.setdefault("vs", {})[ref] = details
    for r in results:
        r.timings["perf_tier_s"] = time.perf_counter() - started
    return results


def _interleaved_rounds(pool: WorkerPool, variants: list[str],
                        params: PerfTier) -> dict[str, list[dict[str, Any]]]:
    rounds: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for r in range(params.rounds):
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        for v in order:
            rounds[v].append(pool.send(v, {"cmd": "round", "batch_sizes": params.batch_sizes}))
        log.info("perf: round %d/%d done", r + 1, params.rounds)
    return rounds


def summarise(load: dict[str, Any], n_tokens: list[int] | None, rounds: list[dict[str, Any]],
              params: PerfTier) -> dict[str, Any]:
    """Latency percentiles over all batches of all rounds; throughput = median over rounds."""
    per_bs: dict[str, dict[str, float]] = {}
    total_tokens = sum(n_tokens) if n_tokens else None
    for bs in params.batch_sizes:
        lat = [x for r in rounds for x in r["latencies_ms"][str(bs)]]
        round_s = [sum(r["latencies_ms"][str(bs)]) / 1000.0 for r in rounds]
        median_s = float(np.median(round_s))
        p50, p95, p99 = (float(v) for v in np.percentile(lat, [50, 95, 99]))
        per_bs[str(bs)] = {"p50_ms": p50, "p95_ms": p95, "p99_ms": p99,
                           "texts_per_s": params.n_texts / median_s,
                           "tokens_per_s": (total_tokens / median_s if total_tokens
                                            else float("nan")),
                           "n_batches": len(lat)}
    return {"batch": per_bs, "peak_rss_encode_mb": max(r["peak_rss_mb"] for r in rounds),
            "weight_mb": load["weight_mb"], "size_mb": load["size_mb"],
            "rss_ready_mb": load["rss_after_first_encode_mb"], "load_s": load["load_s"]}


def _row(eid: str, dataset: str, metric: str, value: float, hib: bool, unit: str,
         n: int) -> MetricRow:
    return MetricRow(embedder=eid, tier=TIER, dataset=dataset, metric=metric, value=value,
                     higher_is_better=hib, n_queries=n, unit=unit)


def _variant_result(eid: str, data: PerfData, m: dict[str, Any], load: dict[str, Any],
                    params: PerfTier, threads: int) -> TierResult:
    n, ds = params.n_texts, data.dataset
    rows = [_row(eid, ds, "load_s", m["load_s"], False, "s", n),
            _row(eid, ds, "weight_mb", m["weight_mb"], False, "MB", n),
            _row(eid, ds, "rss_ready_mb", m["rss_ready_mb"], False, "MB", n),
            _row(eid, ds, "peak_rss_encode_mb", m["peak_rss_encode_mb"], False, "MB", n),
            _row(eid, ds, "size_mb", m["size_mb"], False, "MB", n)]
    for bs, s in m["batch"].items():
        rows += [_row(eid, ds, f"latency_p{q}@bs{bs}", s[f"p{q}_ms"], False, "ms", n)
                 for q in (50, 95, 99)]
        rows.append(_row(eid, ds, f"throughput@bs{bs}", s["texts_per_s"], True, "texts/s", n))
        if not np.isnan(s["tokens_per_s"]):
            rows.append(_row(eid, ds, f"tokens_per_s@bs{bs}", s["tokens_per_s"], True,
                             "tokens/s", n))
    details = {"threads": threads, "rounds": params.rounds, "batch_sizes": params.batch_sizes,
               "n_texts": n, "sample": f"{n} passages of {ds}, seeded by the suite seed",
               "throughput": "median over rounds of texts / summed batch latencies",
               "load": load, "batches": m["batch"], "peak_rss_encode_mb": m["peak_rss_encode_mb"]}
    return TierResult(tier=TIER, embedder=eid, dataset=ds, metrics=rows, details=details)


def compare(cand: str, ref: str, measured: dict[str, dict[str, Any]],
            vectors: dict[str, np.ndarray], results_so_far: list[TierResult], params: PerfTier,
            dataset: str) -> tuple[list[MetricRow], dict[str, Any]]:
    """Ratio, drift and quality rows for one (candidate, reference) pair."""
    c, r, n, vs = measured[cand], measured[ref], params.n_texts, f" vs {ref}"
    rows = [_row(cand, dataset, f"speedup@bs{bs}{vs}",
                 c["batch"][bs]["texts_per_s"] / r["batch"][bs]["texts_per_s"], True, "x", n)
            for bs in c["batch"]]
    for key, name in (("weight_mb", "weight_memory_ratio"),
                      ("peak_rss_encode_mb", "peak_rss_ratio"), ("size_mb", "size_ratio")):
        if r[key] > 0:
            rows.append(_row(cand, dataset, name + vs, c[key] / r[key], False, "x", n))
    drift = cosine_drift(vectors[cand], vectors[ref])
    rows += [_row(cand, dataset, f"cosine_drift_{k}{vs}", v, True, "cosine", n)
             for k, v in drift.items()]
    quality = quality_delta(cand, ref, results_so_far, params.quality_metrics)
    for ds, per_metric in quality.items():
        rows += [_row(cand, ds, f"rel_delta_{m}{vs}", q["relative"], True, "ratio", q["n_queries"])
                 for m, q in per_metric.items()]
    return rows, {"drift": drift, "quality": quality}


def cosine_drift(cand: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """Row-wise cosine of two L2-normalised matrices of the same texts: mean, p5, min."""
    cos = np.sum(cand.astype(np.float64) * ref.astype(np.float64), axis=1)
    return {"mean": float(cos.mean()), "p5": float(np.percentile(cos, 5)), "min": float(cos.min())}


def quality_delta(cand: str, ref: str, results: list[TierResult],
                  metrics: list[str]) -> dict[str, dict[str, dict[str, float]]]:
    """{dataset: {metric: {candidate, reference, absolute, relative}}} from retrieval results."""
    values: dict[tuple[str, str, str], tuple[float, int]] = {
        (row.embedder, row.dataset, row.metric): (row.value, row.n_queries)
        for r in results if r.tier == "retrieval" for row in r.metrics}
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (eid, ds, metric), (value, n_q) in values.items():
        if eid != cand or metric not in metrics or (ref, ds, metric) not in values:
            continue
        base = values[(ref, ds, metric)][0]
        out.setdefault(ds, {})[metric] = {
            "candidate": value, "reference": base, "absolute": value - base,
            "relative": (value - base) / base if base else float("nan"), "n_queries": n_q}
    return out

"""Parity tier (suite-scoped): does a candidate embedder give the reference's vectors?

For each declared pair (a local model and the same model behind an endpoint, an ONNX or INT8
export, …) and each dataset, the same texts go through both embedders: every query of the
split and the whole corpus (the rankings need it). Rows, on the candidate, suffixed
``vs <reference>``:

- ``cosine_mean`` / ``cosine_p1`` / ``cosine_min``: cosine of the two vectors of one text, over
  the queries and a seeded sample of `passages` passages (per-text values kept, keyed
  ``q:<qid>`` / ``d:<doc id>``); ``texts_below_min_cosine`` (lower is better) when the tier
  sets `min_cosine`, so a gate can fail a deployment whose vectors drift;
- ``overlap@k``: mean over queries of |top-k(candidate) ∩ top-k(reference)| / k (and
  ``jaccard@k``), per query kept;
- ``delta_<metric>`` (candidate − reference, e.g. ΔnDCG@10) from per-query values, with its
  paired bootstrap interval as ``delta_<metric>_ci_low`` / ``_ci_high`` rows.

Vectors are encoded afresh, not read from the run's embedding cache: parity judges what the
candidate returns now, and a cached vector would hide a server that changed.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from embedgate.algorithms.ir import mean, parse_metric, per_query
from embedgate.algorithms.search import exact_search, to_run
from embedgate.algorithms.stats import bootstrap_ci
from embedgate.embedders.base import Embedder
from embedgate.infra.errors import InputError, check_known, unknown
from embedgate.inputs.beir import Collection
from embedgate.results.schema import MetricRow, PerQuery, TierResult
from embedgate.suite import LoadedSuite
from embedgate.suite.tiers_parity import ParityTier
from embedgate.tiers import Unit
from embedgate.tiers.context import RunContext
from embedgate.tiers.suite_embedders import build_vector_embedder

log = logging.getLogger("embedgate")

TIER = "parity"
SCOPE = "suite"
WORST_SHOWN = 5  # lowest-cosine texts kept in the details for the report


def prepare(params: ParityTier, loaded: LoadedSuite,
            datasets: dict[str, Collection]) -> list[Unit]:
    """Check pair ids and datasets before any model loads; one unit per dataset."""
    known = [e.id for e in loaded.suite.embedders]
    for i, pair in enumerate(params.pairs):
        for key in ("reference", "candidate"):
            eid = getattr(pair, key)
            if eid not in known:
                raise InputError(f'{loaded.where(("tiers", "parity", "pairs", i, key))}: '
                                 + unknown("embedder", eid, known))
    ids = params.datasets or list(datasets)
    check_known(ids, datasets, "dataset",
                lambda j, _: loaded.where(("tiers", "parity", "datasets", j)))
    if not ids:
        raise InputError(f'{loaded.where(("tiers", "parity"))}: the parity tier compares '
                         "rankings on a dataset; declare one under datasets:")
    return [(did, datasets[did]) for did in ids]


def _build(loaded: LoadedSuite, eid: str, ctx: RunContext) -> Embedder:
    return build_vector_embedder(loaded, eid, ctx, "the parity tier compares vectors, pair "
                                 "embedders that return them")


def run_suite(loaded: LoadedSuite, params: ParityTier, units: list[Unit],
              results_so_far: list[TierResult], ctx: RunContext) -> list[TierResult]:
    """Build each pair's embedders (lazily, one pair at a time) and compare them per dataset."""
    out: list[TierResult] = []
    for pair in params.pairs:
        ref, cand = _build(loaded, pair.reference, ctx), _build(loaded, pair.candidate, ctx)
        for _, data in units:
            log.info("tier parity: %s vs %s on %s", cand.info.id, ref.info.id, data.id)
            out.append(compare_pair(ref, cand, data, params, ctx))
    return out


@dataclass(frozen=True)
class Side:
    """One embedder's vectors of a collection and its ranking of it."""

    queries: np.ndarray
    docs: np.ndarray
    idx: np.ndarray
    scores: np.ndarray


def _side(embedder: Embedder, data: Collection, qids: list[str], depth: int) -> Side:
    docs = embedder.encode(data.doc_texts, "passage")
    queries = embedder.encode([data.queries[q] for q in qids], "query")
    scores, idx = exact_search(docs, queries, depth)
    return Side(np.asarray(queries), np.asarray(docs), idx, scores)


def compare_pair(ref: Embedder, cand: Embedder, data: Collection, params: ParityTier,
                 ctx: RunContext) -> TierResult:
    """Rows, per-text / per-query values and details of one pair on one collection."""
    t0 = time.perf_counter()
    qids = list(data.queries)
    spec = parse_metric(params.metric)
    depth = max(params.k, spec.cutoff or 100)
    a, b = _side(ref, data, qids, depth), _side(cand, data, qids, depth)
    if a.docs.shape[1] != b.docs.shape[1]:
        raise InputError(f"parity: {cand.info.id} returns {b.docs.shape[1]}-d vectors but "
                         f"{ref.info.id} {a.docs.shape[1]}-d; pair embedders of one model")
    seed = params.seed if params.seed is not None else ctx.seed
    cos = text_cosines(a, b, qids, data.doc_ids, params.passages, ctx.rng(f"parity/{data.id}"))
    overlap = {q: topk_overlap(a.idx[i], b.idx[i], params.k) for i, q in enumerate(qids)}
    values = {name: per_query([spec], data.qrels, to_run(qids, data.doc_ids, s.scores, s.idx))
              [spec.name] for name, s in (("reference", a), ("candidate", b))}
    delta = quality_delta(values["candidate"], values["reference"], params, seed)
    vs = f" vs {ref.info.id}"
    rows, pqs = _rows(cand.info.id, data.id, vs, cos, overlap, delta, params, spec)
    details = {"reference": ref.info.id, "candidate": cand.info.id, "n_queries": len(qids),
               "n_docs": len(data.doc_ids), "k": params.k, "min_cosine": params.min_cosine,
               "cosine": summary(cos, params.min_cosine),
               "overlap": {"overlap": mean({q: o[0] for q, o in overlap.items()}),
                           "jaccard": mean({q: o[1] for q, o in overlap.items()})},
               "delta": {k: v for k, v in delta.items() if k != "per_query"},
               "worst": worst_texts(cos, data, WORST_SHOWN)}
    return TierResult(tier=TIER, embedder=cand.info.id, dataset=data.id, metrics=rows,
                      per_query=pqs, details=details,
                      timings={"parity_s": time.perf_counter() - t0})


def text_cosines(a: Side, b: Side, qids: list[str], doc_ids: list[str], passages: int,
                 rng: np.random.Generator) -> dict[str, float]:
    """Cosine of the two vectors of each query and of a seeded sample of passages."""
    chosen = np.sort(rng.choice(len(doc_ids), min(passages, len(doc_ids)), replace=False))
    out = {f"q:{q}": v for q, v in zip(qids, row_cosines(a.queries, b.queries), strict=True)}
    out.update({f"d:{doc_ids[j]}": v for j, v in
                zip(chosen, row_cosines(a.docs[chosen], b.docs[chosen]), strict=True)})
    return out


def row_cosines(x: np.ndarray, y: np.ndarray) -> list[float]:
    """Row-wise cosine, normalising again: a server that forgot to normalise still compares
    by direction (its wrong norm shows in the rankings only when it changes them)."""
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    norms = np.linalg.norm(x64, axis=1) * np.linalg.norm(y64, axis=1)
    dots = np.sum(x64 * y64, axis=1)
    return [float(v) for v in np.where(norms > 0, dots / np.maximum(norms, 1e-300), 0.0)]


def topk_overlap(a: np.ndarray, b: np.ndarray, k: int) -> tuple[float, float]:
    """(|A ∩ B| / k, Jaccard |A ∩ B| / |A ∪ B|) of two rankings' top k (faiss -1 skipped)."""
    top_a, top_b = {int(i) for i in a[:k] if i >= 0}, {int(i) for i in b[:k] if i >= 0}
    both, either = len(top_a & top_b), len(top_a | top_b)
    size = max(len(top_a), len(top_b))
    return (both / size if size else 1.0), (both / either if either else 1.0)


def quality_delta(cand: dict[str, float], ref: dict[str, float], params: ParityTier,
                  seed: int) -> dict[str, Any]:
    """Mean candidate − reference with its paired bootstrap interval (NaN under 2 queries)."""
    low, high = (bootstrap_ci(cand, ref, params.confidence, params.n_resamples, seed)
                 if len(cand) >= 2 else (math.nan, math.nan))
    return {"metric": params.metric, "reference": mean(ref), "candidate": mean(cand),
            "delta": mean(cand) - mean(ref), "ci": [low, high], "confidence": params.confidence,
            "per_query": {q: cand[q] - ref[q] for q in cand}}


def summary(cos: dict[str, float], min_cosine: float | None) -> dict[str, float]:
    values = np.asarray(list(cos.values()), dtype=np.float64)
    out = {"mean": float(values.mean()), "p1": float(np.percentile(values, 1)),
           "p5": float(np.percentile(values, 5)), "min": float(values.min()),
           "n": float(values.size)}
    if min_cosine is not None:
        out["below"] = float(np.sum(values < min_cosine))
    return out


def worst_texts(cos: dict[str, float], data: Collection, n: int) -> list[dict[str, Any]]:
    """The n lowest-cosine texts, with a snippet, for the report."""
    texts = dict(zip(data.doc_ids, data.doc_texts, strict=True))
    out = []
    for key, value in sorted(cos.items(), key=lambda kv: kv[1])[:n]:
        kind, _, ident = key.partition(":")
        text = data.queries[ident] if kind == "q" else texts[ident]
        out.append({"id": key, "cosine": value, "text": text[:120]})
    return out


def _rows(eid: str, dataset: str, vs: str, cos: dict[str, float],
          overlap: dict[str, tuple[float, float]], delta: dict[str, Any], params: ParityTier,
          spec: Any) -> tuple[list[MetricRow], list[PerQuery]]:
    s, n_texts, n_q = summary(cos, params.min_cosine), len(cos), len(overlap)

    def row(metric: str, value: float, hib: bool, n: int, unit: str = "") -> MetricRow:
        return MetricRow(embedder=eid, tier=TIER, dataset=dataset, metric=metric + vs,
                         value=value, higher_is_better=hib, n_queries=n, unit=unit)

    k, d = params.k, f"delta_{spec.name}"
    rows = [row(f"cosine_{key}", s[key], True, n_texts, "cosine") for key in ("mean", "p1", "min")]
    if params.min_cosine is not None:
        rows.append(row("texts_below_min_cosine", s["below"], False, n_texts, "texts"))
    rows += [row(f"overlap@{k}", mean({q: o[0] for q, o in overlap.items()}), True, n_q),
             row(f"jaccard@{k}", mean({q: o[1] for q, o in overlap.items()}), True, n_q),
             row(d, delta["delta"], spec.higher_is_better, n_q),
             row(f"{d}_ci_low", delta["ci"][0], spec.higher_is_better, n_q),
             row(f"{d}_ci_high", delta["ci"][1], spec.higher_is_better, n_q)]
    pqs = [PerQuery(embedder=eid, tier=TIER, dataset=dataset, metric=name + vs, values=values)
           for name, values in (("cosine", cos),
                                (f"overlap@{k}", {q: o[0] for q, o in overlap.items()}),
                                (d, delta["per_query"]))]
    return rows, pqs

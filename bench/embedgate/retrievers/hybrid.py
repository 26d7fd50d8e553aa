"""`kind: hybrid`: two systems of the suite fused per query (RRF or a normalised convex sum).

Each input ranks its top `depth`; the fusion keeps the top k. A convex weight is either fixed
in the suite or chosen on `tune.dataset` (a dev split, never one the hybrid is judged on: the
suite loader refuses that) by a grid search on `tune.metric`; dev queries whose text is also a
query being judged are left out, and the grid's scores go into results. Per-query latency is
reported per stage (each input's encode/search, then the fusion) on the first
`latency_queries` queries; stages run one after the other, so their sum is a sequential
pipeline's cost.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from embedgate.algorithms.fusion import fuse
from embedgate.algorithms.ir import mean, parse_metric, per_query
from embedgate.algorithms.search import to_run
from embedgate.embedders.base import Embedder, EmbedderInfo, RankContext, Ranking, Retriever
from embedgate.embedders.registry import BuildEnv
from embedgate.infra.errors import InputError
from embedgate.retrievers.ranking import rank
from embedgate.algorithms.lexical import normalise
from embedgate.suite import HybridSpec
from embedgate.embedders.lazy import build_lazy

log = logging.getLogger("embedgate")


class HybridRetriever:
    """A `Retriever` over two other systems of the suite, built lazily from their specs."""

    def __init__(self, spec: HybridSpec, env: BuildEnv) -> None:
        missing = [ref for ref in spec.of if ref not in env.specs]
        if missing:  # the suite loader checks this too; a direct caller may not
            raise InputError(f'{env.where}: of: "{missing[0]}" is not an embedder of this suite')
        quiet = replace(env, progress=False)
        self.inputs: list[Embedder | Retriever] = [build_lazy(env.specs[ref], quiet)
                                                   for ref in spec.of]
        self.spec = spec
        self.info = _info(spec, [s.info for s in self.inputs])
        self._weight: float | None = spec.weight
        self._tuning: dict[str, Any] = {}

    def retrieve(self, doc_ids: Sequence[str], doc_texts: Sequence[str],
                 queries: Sequence[str], top_k: int, ctx: RankContext) -> Ranking:
        n_lat = self.spec.latency_queries
        ranked = [rank(s, doc_ids, doc_texts, queries, self.spec.depth, ctx, n_lat)
                  for s in self.inputs]
        weight = self._chosen_weight(queries, ctx)
        scores, idx = self._fuse(ranked, top_k, weight)
        latency: dict[str, list[float]] = {}
        for r in ranked:
            latency.update(r.latency_ms)
        latency[f"{self.spec.id}:fuse"] = self._fuse_ms(ranked, top_k, weight, n_lat)
        settings = {**self.info.extra, **({"weight": weight} if weight is not None else {}),
                    **({"tuning": self._tuning} if self._tuning else {})}
        return Ranking(scores, idx, latency_ms=latency,
                       inputs={s.info.id: r for s, r in zip(self.inputs, ranked)},
                       settings=settings)

    def _fuse(self, ranked: list[Ranking], top_k: int,
              weight: float | None) -> tuple[np.ndarray, np.ndarray]:
        a, b = ranked
        return fuse((a.scores, a.idx), (b.scores, b.idx), top_k, self.spec.fusion,
                    k=self.spec.k, weight=0.5 if weight is None else weight,
                    how=self.spec.normalise)

    def _fuse_ms(self, ranked: list[Ranking], top_k: int, weight: float | None,
                 n: int) -> list[float]:
        out: list[float] = []
        for q in range(min(n, ranked[0].scores.shape[0])):
            one = [Ranking(r.scores[q:q + 1], r.idx[q:q + 1]) for r in ranked]
            start = time.perf_counter()
            self._fuse(one, top_k, weight)
            out.append((time.perf_counter() - start) * 1e3)
        return out

    def _chosen_weight(self, judged: Sequence[str], ctx: RankContext) -> float | None:
        """The fixed weight, or the one tuned on the dev dataset (once per run)."""
        if self.spec.fusion != "convex" or self._weight is not None:
            return self._weight
        assert self.spec.tune is not None  # the suite loader requires weight or tune
        tune = self.spec.tune
        dev = ctx.datasets[tune.dataset]
        held = {normalise(q) for q in judged}
        qids = [q for q in dev.queries if normalise(dev.queries[q]) not in held]
        shared = len(dev.queries) - len(qids)
        if tune.sample is not None and tune.sample < len(qids):
            pick = ctx.rng(f"hybrid-tune/{self.spec.id}").choice(len(qids), tune.sample,
                                                                  replace=False)
            qids = [qids[i] for i in sorted(pick)]
        ranked = [rank(s, dev.doc_ids, dev.doc_texts, [dev.queries[q] for q in qids],
                       self.spec.depth, ctx) for s in self.inputs]
        metric = parse_metric(tune.metric)
        qrels = {q: dev.qrels[q] for q in qids}
        grid: dict[str, float] = {}
        for w in tune.grid:
            scores, idx = self._fuse(ranked, self.spec.depth, w)
            values = per_query([metric], qrels, to_run(qids, dev.doc_ids, scores, idx))
            grid[f"{w:g}"] = mean(values[metric.name])
        best = max(tune.grid, key=lambda w: (grid[f"{w:g}"], -abs(w - 0.5)))
        self._weight = best
        self._tuning = {"dataset": tune.dataset, "metric": metric.name, "n_queries": len(qids),
                        "excluded_shared_queries": shared, "grid": grid, "weight": best}
        log.info("hybrid %s: weight %.2f of %s chosen on %s (%s %.4f over %d queries)",
                 self.spec.id, best, self.spec.of[0], tune.dataset, metric.name,
                 grid[f"{best:g}"], len(qids))
        return best


def _info(spec: HybridSpec, inputs: list[EmbedderInfo]) -> EmbedderInfo:
    settings: dict[str, Any] = {"of": list(spec.of), "fusion": spec.fusion, "depth": spec.depth}
    if spec.fusion == "rrf":
        settings["k"] = spec.k
    else:
        settings["normalise"] = spec.normalise
        settings["weight_of"] = spec.of[0]
        settings.update({"weight": spec.weight} if spec.weight is not None
                        else {"tune": spec.tune.model_dump(mode="json") if spec.tune else None})
    ident = {**settings, "inputs": [i.weights_sha256 for i in inputs]}
    digest = hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()
    name = f"{spec.fusion}({spec.of[0]}, {spec.of[1]})"
    return EmbedderInfo(id=spec.id, kind="hybrid", name=name, backend="fusion",
                        precision="n/a", dim=0, max_seq_length=None, weights_sha256=digest,
                        pooling="n/a", normalize=False, extra=settings)

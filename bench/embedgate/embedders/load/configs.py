"""What a load test runs: the QPS sweep against one endpoint, and in-process server
configurations (plain, +batching, +batching+LRU) with the served-vs-local quality check.

`run_load(embedder, data, plan)` serves `embedder` on 127.0.0.1 once per configuration and
returns plain data (steps, server stats, quality) that `embedgate bench load` prints and the
`load` tier turns into metric rows. Example::

    report = run_load(KeywordEmbedder(dim=64), data, LoadPlan(qps=[5, 20], step_s=1.0))
    report["configs"]["batch+lru"]["steps"][0]["p95_ms"]
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from embedgate.embedders.base import Embedder
from embedgate.embedders.load.driver import (
    Sender, StepResult, Target, poisson_offsets, run_step, zipf_stream,
)
from embedgate.embedders.serve import OpenAIEmbeddingsServer
from embedgate.embedders.serve_batching import Chain, Serving
from embedgate.inputs.beir import Collection
from embedgate.algorithms.ir import mean, parse_metric, per_query
from embedgate.algorithms.search import exact_search, to_run

CONFIGS = ("plain", "batch", "batch+lru")
QUALITY_METRIC = "nDCG@10"
CacheProbe = Callable[[], tuple[int, int]]  # (hits, lookups) so far


@dataclass(frozen=True)
class ServerConfig:
    """One way of serving the model: `Serving`'s knobs under a name (plain, batch, batch+lru)."""

    name: str
    max_batch: int = 1
    max_wait_ms: float = 5.0
    cache_size: int = 0

    def serving(self) -> Serving:
        return Serving(self.max_batch, self.max_wait_ms, self.cache_size)


@dataclass(frozen=True)
class LoadPlan:
    qps: list[int]
    step_s: float = 5.0
    max_requests: int = 500
    zipf: float = 1.1
    seed: int = 0
    concurrency: int = 32
    timeout_s: float = 10.0
    max_batch: int = 32
    max_wait_ms: float = 5.0
    cache_size: int = 1000

    def configs(self) -> list[ServerConfig]:
        """The three standard configurations with this plan's knobs."""
        return [ServerConfig("plain"),
                ServerConfig("batch", self.max_batch, self.max_wait_ms),
                ServerConfig("batch+lru", self.max_batch, self.max_wait_ms, self.cache_size)]


def sweep(target: Target, data: Collection, plan: LoadPlan,
          cache: CacheProbe | None = None) -> list[StepResult]:
    """One step per QPS; the query stream and arrivals are seeded per step (so every
    configuration sees the same traffic). `cache` adds the server LRU's hits per step."""
    sender, queries, steps = Sender(target), list(data.queries.values()), []
    for i, qps in enumerate(plan.qps):
        rng = np.random.default_rng([plan.seed, i])
        offsets = poisson_offsets(qps, plan.step_s, plan.max_requests, rng)
        stream = zipf_stream(queries, len(offsets), plan.zipf, rng)
        before = cache() if cache else (0, 0)
        step = run_step(sender, stream, offsets, qps, plan.concurrency)
        if cache:
            after = cache()
            step = dataclasses.replace(step, cache_hits=after[0] - before[0],
                                       cache_lookups=after[1] - before[1])
        steps.append(step)
    return steps


def run_load(embedder: Embedder, data: Collection, plan: LoadPlan,
             configs: list[ServerConfig] | None = None, quality: bool = True) -> dict[str, Any]:
    """Every configuration in turn against an in-process server; figures and quality."""
    local = _local_quality(embedder, data) if quality else None
    out: dict[str, Any] = {"plan": asdict(plan), "configs": {}}
    for config in configs or plan.configs():
        out["configs"][config.name] = _one_config(embedder, data, plan, config, local)
    return out


def _one_config(embedder: Embedder, data: Collection, plan: LoadPlan, config: ServerConfig,
                local: dict[str, Any] | None) -> dict[str, Any]:
    chain = config.serving().wrap(embedder.encode)
    server = OpenAIEmbeddingsServer(chain.encode, embedder.info.dim, "served",
                                    serialise=chain.batcher is None)
    try:
        with server:
            target = Target.of(server.base_url, "served", plan.timeout_s)
            t0 = time.perf_counter()
            steps = sweep(target, data, plan, _probe(chain))
            wall = time.perf_counter() - t0
            stats = _chain_stats(chain)  # before the quality pass adds its own requests
            served = _served_quality(Sender(target), data, local) if local else None
    finally:
        chain.close()
    return {"knobs": asdict(config), "steps": [asdict(s) for s in steps], "wall_s": wall,
            "server": stats, "quality": served}


def _probe(chain: Chain) -> CacheProbe | None:
    cache = chain.cache
    if cache is None:
        return None
    return lambda: (cache.stats.hits, cache.stats.hits + cache.stats.misses)


def _chain_stats(chain: Chain) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if chain.batcher is not None:
        out["batcher"] = asdict(chain.batcher.stats)
    if chain.cache is not None:
        out["cache"] = asdict(chain.cache.stats)
    return out


def _local_quality(embedder: Embedder, data: Collection) -> dict[str, Any]:
    qids = list(data.queries)
    docs = embedder.encode(data.doc_texts, "passage")
    queries = np.asarray(embedder.encode([data.queries[q] for q in qids], "query"))
    return {"qids": qids, "docs": docs, "queries": queries,
            "ndcg": _ndcg(docs, queries, qids, data)}


def _served_quality(sender: Sender, data: Collection, local: dict[str, Any]) -> dict[str, Any]:
    """nDCG@10 of the served query vectors against the local passages, vs all-local; and
    whether the served vectors equal the local ones (batching and the LRU must not alter
    them)."""
    qids = local["qids"]
    texts = [data.queries[q] for q in qids]
    rows = [v for i in range(0, len(texts), 32) for v in sender.embed(texts[i:i + 32])]
    vectors = np.asarray(rows, dtype=np.float32)
    served = _ndcg(local["docs"], vectors, qids, data)
    diff = float(np.max(np.abs(vectors - local["queries"]))) if len(qids) else 0.0
    return {"metric": QUALITY_METRIC, "local": local["ndcg"], "served": served,
            "delta": served - local["ndcg"], "n_queries": len(qids), "max_abs_diff": diff}


def _ndcg(docs: np.ndarray, queries: np.ndarray, qids: list[str], data: Collection) -> float:
    scores, idx = exact_search(docs, queries, 10)
    spec = parse_metric(QUALITY_METRIC)
    return mean(per_query([spec], data.qrels, to_run(qids, data.doc_ids, scores, idx))[spec.name])

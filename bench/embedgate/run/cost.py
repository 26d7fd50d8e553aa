"""Cost per 1,000 queries (suite `cost:`): count query tokens, measure query-encode CPU, price.

For each embedder with vectors and each costed dataset the runner gets one `TierResult` of tier
"cost" with rows in USD per 1,000 queries (total and its api / cpu / ram components, all lower
is better) plus the two measured inputs (tokens and CPU-seconds per query); its details hold
every input of the formulas (algorithms/cost.py), so `compare` and `report` need only the JSON.

Measured here:
- tokens per query: the mean over the dataset's evaluated queries, prefix included, counted by
  the model's tokenizer or estimated (embedders/tokens.py; the details say which);
- CPU-seconds per query: process CPU time (`time.process_time`, every thread of this process)
  around one `embedder.encode` of the first `cpu_sample_queries` queries, after one warm-up
  query. It bypasses the encode pipeline so the embedding cache cannot hide it (a warm run
  therefore loads the model). An embedder billed per token (a price is set) is not probed.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from embedgate.algorithms.cost import CostInputs, CostPer1k, per_1k_queries
from embedgate.embedders.base import Embedder, Retriever
from embedgate.embedders.registry import BuildEnv
from embedgate.embedders.tokens import count_tokens
from embedgate.inputs.beir import Collection
from embedgate.results.schema import MetricRow, TierResult
from embedgate.suite import CostSpec, EmbedderCostSpec, EmbedderSpec
from embedgate.suite.cost import UNPRICED_KINDS

log = logging.getLogger("embedgate")

TIER = "cost"
TOTAL = "usd_per_1k_queries"
CPU_METHOD = ("process CPU time (time.process_time, all threads) around embedder.encode of the "
              "sampled queries in one call, after one warm-up query; cache bypassed")


def measure(embedder: Embedder | Retriever, spec: EmbedderSpec, env: BuildEnv, cost: CostSpec,
            datasets: dict[str, Collection]) -> list[TierResult]:
    """Cost rows of one embedder on every costed dataset; [] for systems without vectors."""
    if spec.kind in UNPRICED_KINDS or isinstance(embedder, Retriever):
        return []
    own = cost.embedders.get(spec.id, EmbedderCostSpec())
    out = []
    for ds in cost.datasets or list(datasets):
        out.append(_one(embedder, spec, env, cost, own, datasets[ds]))
    return out


def _one(embedder: Embedder, spec: EmbedderSpec, env: BuildEnv, cost: CostSpec,
         own: EmbedderCostSpec, data: Collection) -> TierResult:
    info = embedder.info
    queries = list(data.queries.values())
    tokens = count_tokens(spec, env, [info.query_prefix + q for q in queries],
                          info.max_seq_length)
    billed = own.price_usd_per_million_tokens is not None
    probe = None if billed else cpu_probe(embedder, queries[:cost.cpu_sample_queries])
    inputs = CostInputs(
        tokens_per_query=tokens.mean(),
        price_usd_per_million_tokens=own.price_usd_per_million_tokens,
        cpu_s_per_query=None if probe is None else probe["cpu_s_per_query"],
        cpu_usd_per_hour=cost.cpu_usd_per_hour, n_vectors=len(data.doc_ids),
        bytes_per_vector=own.bytes_per_vector or info.dim * 4,
        ram_usd_per_gb_month=cost.ram_usd_per_gb_month, queries_per_month=cost.queries_per_month)
    usd = per_1k_queries(inputs)
    details = {"inputs": {**vars(inputs), "bytes_per_vector_source":
                          "cost.embedders" if own.bytes_per_vector else "dim × 4 (float32)"},
               "billing": "per token (price given)" if billed else "self-hosted (CPU measured)",
               "tokens_method": tokens.method, "tokens_measured": tokens.measured,
               "cpu": probe or {"method": "not measured: billed per token"},
               "note": own.note.strip(), "usd_per_1k_queries": {
                   "api": usd.api, "cpu": usd.cpu, "ram": usd.ram, "total": usd.total}}
    return TierResult(tier=TIER, embedder=spec.id, dataset=data.id,
                      metrics=rows(spec.id, data.id, len(queries), usd, inputs),
                      details=details)


def rows(embedder: str, dataset: str, n: int, usd: CostPer1k,
         inputs: CostInputs) -> list[MetricRow]:
    """Total and components (USD per 1,000 queries) and the measured inputs; lower is better."""
    values: list[tuple[str, float | None, str]] = [
        (TOTAL, usd.total, "USD"), ("api_usd_per_1k_queries", usd.api, "USD"),
        ("cpu_usd_per_1k_queries", usd.cpu, "USD"), ("ram_usd_per_1k_queries", usd.ram, "USD"),
        ("tokens_per_query", inputs.tokens_per_query, "tokens"),
        ("cpu_s_per_query", inputs.cpu_s_per_query, "s")]
    return [MetricRow(embedder=embedder, tier=TIER, dataset=dataset, metric=m, value=v,
                      higher_is_better=False, n_queries=n, unit=unit)
            for m, v, unit in values if v is not None]


def cpu_probe(embedder: Embedder, queries: list[str]) -> dict[str, Any] | None:
    """CPU-seconds per query of encoding `queries` (None when there are none)."""
    if not queries:
        return None
    embedder.encode(queries[:1], "query")  # loads a lazy model; warms caches and threads
    cpu0, wall0 = time.process_time(), time.perf_counter()
    embedder.encode(queries, "query")
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    log.info("cost: %s encoded %d queries in %.3f CPU-s (%.3f s wall)", embedder.info.id,
             len(queries), cpu, wall)
    return {"method": CPU_METHOD, "queries": len(queries), "cpu_s": cpu, "wall_s": wall,
            "cpu_s_per_query": cpu / len(queries)}

"""Load tier (suite-scoped): latency of served embedders under seeded open-loop traffic.

For each embedder it judges, a QPS sweep (Poisson arrivals, a Zipf stream of a dataset's
queries, each step capped by `step_seconds` and `max_requests`) against a loopback endpoint:

- a local embedder is served in-process on 127.0.0.1 once per listed configuration (plain,
  batch, batch+lru; `embedders.load.configs`), and after each sweep every query goes through
  the server once more, ranked against locally encoded passages: the served-vs-local quality;
- an `openai-compatible` embedder whose base_url is loopback is measured as it runs
  (configuration `endpoint`, no quality check: the parity tier compares it to a local model).

Rows per (configuration, QPS), suffixed ``@<qps>qps[<configuration>]``: latency_p50 / p95 /
p99 (ms, lower is better), error_rate (lower), achieved_qps (higher), cache_hit_rate (higher,
batch+lru only); per configuration, ``served_delta_nDCG@10[<configuration>]`` (served − local)
and ``served_max_abs_diff[<configuration>]`` (0 when the served vectors are the model's own).
Latencies depend on the machine; the details record its load average next to the figures.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass
from typing import Any

from embedgate.embedders.load.configs import LoadPlan, ServerConfig, run_load, sweep
from embedgate.embedders.load.driver import Target, is_loopback
from embedgate.infra.errors import InputError, unknown
from embedgate.inputs.beir import Collection
from embedgate.results.schema import MetricRow, TierResult
from embedgate.suite import LoadedSuite, OpenAICompatibleSpec
from embedgate.suite.tiers_load import LoadTier
from embedgate.tiers import Unit
from embedgate.tiers.context import RunContext
from embedgate.tiers.suite_embedders import build_vector_embedder

log = logging.getLogger("embedgate")

TIER = "load"
SCOPE = "suite"
ENDPOINT = "endpoint"  # the configuration name of an already running server
RANKERS = frozenset({"bm25", "hybrid", "rerank"})  # rank without vectors: nothing to serve


@dataclass(frozen=True)
class LoadData:
    """Checked before any model loads: the query source and the embedders (suite index)."""

    dataset: Collection
    embedders: list[int]


def prepare(params: LoadTier, loaded: LoadedSuite,
            datasets: dict[str, Collection]) -> list[Unit]:
    """Check the dataset and that every judged embedder can be served on loopback."""
    did = params.dataset or next(iter(datasets), None)
    if did is None:
        raise InputError(f'{loaded.where(("tiers", TIER))}: the load tier draws queries from '
                         "a dataset; declare one under datasets:")
    if did not in datasets:
        raise InputError(f'{loaded.where(("tiers", TIER, "dataset"))}: '
                         + unknown("dataset", did, datasets))
    if not datasets[did].queries:
        raise InputError(f'{loaded.where(("tiers", TIER, "dataset"))}: dataset "{did}" has no '
                         "queries; the load tier sends them, pick one with queries")
    chosen = [i for i, e in enumerate(loaded.suite.embedders)
              if params.embedders is None or e.id in params.embedders]
    for i in chosen:
        _check_servable(loaded, i)
    return [(did, LoadData(datasets[did], chosen))]


def _check_servable(loaded: LoadedSuite, index: int) -> None:
    spec = loaded.suite.embedders[index]
    if spec.kind in RANKERS:
        raise InputError(f'{loaded.where(("embedders", index, "kind"))}: {spec.id} ({spec.kind}) '
                         "ranks without vectors; the load tier serves embedders, list others "
                         "under tiers.load.embedders")
    url = getattr(spec, "base_url", None)
    if spec.kind == "openai-compatible" and not is_loopback(str(url)):
        raise InputError(f'{loaded.where(("embedders", index, "base_url"))}: {url}: the load '
                         "tier sends traffic only to http:// on 127.0.0.1, localhost or ::1; "
                         "measure a local copy, or leave this embedder out of "
                         "tiers.load.embedders")


def run_suite(loaded: LoadedSuite, params: LoadTier, units: list[Unit],
              results_so_far: list[TierResult], ctx: RunContext) -> list[TierResult]:
    """One result per embedder: its sweep in every configuration, rows and details."""
    out: list[TierResult] = []
    for _, data in units:
        for index in data.embedders:
            spec = loaded.suite.embedders[index]
            log.info("tier load: %s on %s, qps %s", spec.id, data.dataset.id, params.qps)
            t0 = time.perf_counter()
            report = _measure(loaded, index, data.dataset, params, ctx)
            out.append(TierResult(tier=TIER, embedder=spec.id, dataset=data.dataset.id,
                                  metrics=rows(spec.id, data.dataset.id, report),
                                  details=report, timings={"load_s": time.perf_counter() - t0}))
    return out


def plan_of(params: LoadTier, seed: int) -> LoadPlan:
    return LoadPlan(qps=list(params.qps), step_s=params.step_seconds,  # type: ignore[arg-type]
                    max_requests=params.max_requests, zipf=params.zipf, seed=seed,
                    concurrency=params.concurrency, timeout_s=params.timeout_s)


def server_configs(params: LoadTier) -> list[ServerConfig]:
    return [ServerConfig(c.type, c.max_batch if c.type != "plain" else 1, c.max_wait_ms,
                         c.cache_size if c.type == "batch+lru" else 0)
            for c in params.configurations]


def _measure(loaded: LoadedSuite, index: int, data: Collection, params: LoadTier,
             ctx: RunContext) -> dict[str, Any]:
    spec = loaded.suite.embedders[index]
    plan = plan_of(params, params.seed if params.seed is not None else ctx.seed)
    if isinstance(spec, OpenAICompatibleSpec):
        report = _endpoint(spec, data, plan)
    else:
        embedder = build_vector_embedder(loaded, spec.id, ctx, "the load tier serves "
                                         "embedders that return vectors")
        report = run_load(embedder, data, plan, server_configs(params),
                          params.quality)
        report["served"] = "in-process on 127.0.0.1"
    one, five, _ = os.getloadavg()
    report["machine"] = {"load_1min": one, "load_5min": five, "cpus": os.cpu_count()}
    return report


def _endpoint(spec: OpenAICompatibleSpec, data: Collection, plan: LoadPlan) -> dict[str, Any]:
    """The sweep against an already running loopback server (its own configuration)."""
    key = os.environ.get(spec.api_key_env) if spec.api_key_env else None
    steps = sweep(Target.of(spec.base_url, spec.model, plan.timeout_s, key), data, plan)
    return {"plan": asdict(plan), "served": spec.base_url,
            "configs": {ENDPOINT: {"steps": [asdict(s) for s in steps], "quality": None}}}


def rows(eid: str, dataset: str, report: dict[str, Any]) -> list[MetricRow]:
    """Metric rows of one embedder's load report (see the module docstring for names)."""
    def row(metric: str, value: float, hib: bool, n: int, unit: str) -> MetricRow:
        return MetricRow(embedder=eid, tier=TIER, dataset=dataset, metric=metric,
                         value=value, higher_is_better=hib, n_queries=n, unit=unit)

    out: list[MetricRow] = []
    for name, config in report["configs"].items():
        for s in config["steps"]:
            at, n = f"@{s['qps']:g}qps[{name}]", s["sent"]
            out += [row(f"latency_p{q}{at}", s[f"p{q}_ms"], False, n, "ms") for q in (50, 95, 99)]
            out += [row(f"error_rate{at}", s["errors"] / n if n else float("nan"), False, n,
                        "fraction"),
                    row(f"achieved_qps{at}", s["achieved_qps"], True, n, "qps")]
            if s.get("cache_lookups") is not None:
                lookups = s["cache_lookups"]
                out.append(row(f"cache_hit_rate{at}", s["cache_hits"] / lookups if lookups
                               else float("nan"), True, lookups, "fraction"))
        q = config.get("quality")
        if q:
            out += [row(f"served_delta_{q['metric']}[{name}]", q["delta"], True, q["n_queries"],
                        ""),
                    row(f"served_max_abs_diff[{name}]", q["max_abs_diff"], False,
                        q["n_queries"], "")]
    return out

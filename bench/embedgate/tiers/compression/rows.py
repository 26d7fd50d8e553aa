"""Measurements -> comparisons with the reference, the rule's choice, metric rows.

Every configuration is compared with the fp32 exact reference on the same queries: mean
difference, a paired percentile-bootstrap interval, a paired randomisation test and the
retention (configuration / reference). The rule (non-inferiority) passes a configuration
when the interval's lower bound, in "improvement" units, is at least ``-margin``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from embedgate.algorithms.ir import MetricSpec, mean
from embedgate.algorithms.pareto import Option, cheapest_passing, frontier, non_inferior
from embedgate.algorithms.stats import bootstrap_ci, paired_test
from embedgate.results.schema import MetricRow, PerQuery
from embedgate.suite.tiers import CompressionRule, CompressionTier

TIER = "compression"
Values = Mapping[str, float]


@dataclass(frozen=True)
class Stats:
    """How the reference is compared: confidence, resamples, seed."""

    confidence: float
    n_resamples: int
    seed: int


def versus(current: Values, ref: Values, higher_is_better: bool, st: Stats) -> dict[str, Any]:
    """Mean, reference mean, Δ, its interval, the paired p-value and the retention."""
    low, high = bootstrap_ci(current, ref, st.confidence, st.n_resamples, st.seed)
    p = paired_test(current, ref, "randomization", st.n_resamples, st.seed).p_value
    cur_mean, ref_mean = mean(current), mean(ref)
    sign = 1.0 if higher_is_better else -1.0
    return {"mean": cur_mean, "reference": ref_mean, "delta": cur_mean - ref_mean,
            "ci": [low, high], "ci_improvement_low": min(sign * low, sign * high), "p": p,
            "retention": cur_mean / ref_mean if ref_mean else None}


def decide(configs: list[dict[str, Any]], rule: CompressionRule | None,
           headline: str) -> dict[str, Any] | None:
    """Mark the Pareto frontier and the passing configurations; return the rule's outcome."""
    metric = rule.metric if rule is not None else headline
    points = [(c["bytes_per_vector"], c["quality"][metric]["mean"]) for c in configs]
    on_front = set(frontier(points))
    for i, c in enumerate(configs):
        c["pareto"] = i in on_front
        c["passes"] = (non_inferior(c["quality"][metric]["ci_improvement_low"], rule.margin)
                       if rule is not None else None)
    if rule is None:
        return None
    chosen = cheapest_passing([Option(c["id"], c["bytes_per_vector"], c["latency"]["p50"],
                                      bool(c["passes"])) for c in configs])
    return {"metric": metric, "margin": rule.margin, "chosen": chosen.id if chosen else None,
            "passing": [c["id"] for c in configs if c["passes"]],
            "ranked_by": "bytes per vector, then search p50 latency"}


def metric_name(base: str, config_id: str) -> str:
    return f"{base}[{config_id}]"


def rows(eid: str, dataset: str, config: Mapping[str, Any], values: Mapping[str, Values],
         specs: list[MetricSpec]) -> tuple[list[MetricRow], list[PerQuery]]:
    """One configuration's rows: quality and retention per metric, size, latency, build time."""
    cid = config["id"]

    def row(metric: str, value: float, hib: bool, n: int, unit: str = "") -> MetricRow:
        return MetricRow(embedder=eid, tier=TIER, dataset=dataset, metric=metric_name(metric, cid),
                         value=value, higher_is_better=hib, n_queries=n, unit=unit)

    out: list[MetricRow] = []
    pqs: list[PerQuery] = []
    for s in specs:
        q = config["quality"][s.name]
        out.append(row(s.name, q["mean"], s.higher_is_better, len(values[s.name])))
        if q["retention"] is not None and math.isfinite(q["retention"]):
            out.append(row(f"retention_{s.name}", 100.0 * q["retention"], True,
                           len(values[s.name]), "%"))
        pqs.append(PerQuery(embedder=eid, tier=TIER, dataset=dataset,
                            metric=metric_name(s.name, cid), values=dict(values[s.name])))
    lat = config["latency"]
    out += [row("bytes_per_vector", config["bytes_per_vector"], False, 0, "B"),
            row("index_bytes", float(config["index_bytes"]), False, 0, "B"),
            row("search_p50", lat["p50"], False, int(lat["n"]), "ms"),
            row("search_p95", lat["p95"], False, int(lat["n"]), "ms"),
            row("build", config["build_s"], False, 0, "s")]
    return out, pqs


def stats_for(params: CompressionTier, run_seed: int) -> Stats:
    return Stats(params.confidence, params.n_resamples,
                 params.seed if params.seed is not None else run_seed)

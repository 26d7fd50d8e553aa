"""What every section builder reads: the run, an optional baseline run, and the report's caps.

Tier data lives in `RunResult.details` under "tier/embedder/dataset" keys ("-" when a tier
has no dataset); metric rows in `metrics`; per-query values in `per_query`. Builders read only
these, so a report can be rendered from results JSON on any machine.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from embedgate.results.schema import MetricRow, RunResult
from embedgate.algorithms.stats import bootstrap_ci


@dataclass(frozen=True)
class ReportOptions:
    """Caps that keep a report small on big runs, and the resampling settings of its CIs."""

    drilldown_rows: int = 20  # regressed queries shown per comparison
    failure_rows: int = 15  # synonym failures shown per embedder and pair set
    qa_rows: int = 24  # questions shown per embedder, dataset and reader
    misclassified_rows: int = 12
    map_points: int = 160  # points drawn per map (seeded sources are already capped)
    mining_samples: int = 3
    bootstrap_resamples: int = 10_000
    confidence: float = 0.95


@dataclass(frozen=True)
class Inputs:
    result: RunResult
    baseline: RunResult | None = None
    baseline_label: str = ""  # where the baseline came from, for the reader
    options: ReportOptions = field(default_factory=ReportOptions)

    @property
    def seed(self) -> int:
        return int(self.result.provenance.get("seed", 0) or 0)


@dataclass(frozen=True)
class TierData:
    """One tier's details for one embedder and dataset."""

    embedder: str
    dataset: str
    data: Mapping[str, Any]


def tier_details(result: RunResult, tier: str) -> list[TierData]:
    """Every details entry of `tier`, in the run's order."""
    out: list[TierData] = []
    for key, data in result.details.items():
        parts = key.split("/", 2)
        if len(parts) == 3 and parts[0] == tier and isinstance(data, Mapping):
            out.append(TierData(parts[1], parts[2], data))
    return out


def by_dataset(items: list[TierData]) -> dict[str, list[TierData]]:
    out: dict[str, list[TierData]] = {}
    for item in items:
        out.setdefault(item.dataset, []).append(item)
    return out


T = TypeVar("T")


def per_dataset(inputs: Inputs, tier: str,
                make: Callable[[Inputs, str, list[TierData]], T]) -> list[T] | None:
    """One view per dataset (or source) of `tier`, in the run's order; None without data."""
    grouped = by_dataset(tier_details(inputs.result, tier))
    return [make(inputs, ds, items) for ds, items in grouped.items()] or None


def metric_rows(result: RunResult, tier: str, dataset: str,
                embedder: str) -> dict[str, MetricRow]:
    return {r.metric: r for r in result.metrics
            if (r.tier, r.dataset, r.embedder) == (tier, dataset, embedder)}


def value_of(result: RunResult, embedder: str, tier: str, dataset: str,
             metric: str) -> float | None:
    row = result.metric(embedder, tier, dataset, metric)
    return row.value if row is not None else None


def tier_metrics(result: RunResult, tier: str) -> Iterator[MetricRow]:
    return (r for r in result.metrics if r.tier == tier)


def embedder_order(result: RunResult) -> list[str]:
    return list(result.embedders)


def finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def mean_ci(values: Mapping[str, float], inputs: Inputs) -> tuple[float, float] | None:
    """Seeded percentile-bootstrap interval of the mean of per-query values (None: < 2)."""
    if len(values) < 2 or not all(finite(v) for v in values.values()):
        return None
    zeros = {q: 0.0 for q in values}
    opts = inputs.options
    return bootstrap_ci(values, zeros, opts.confidence, opts.bootstrap_resamples, inputs.seed)


def diff_ci(current: Mapping[str, float], reference: Mapping[str, float],
            inputs: Inputs) -> tuple[float, float] | None:
    """Interval of mean(current - reference) over shared queries (None: not pairable)."""
    shared = set(current) & set(reference)
    if len(shared) < 2 or set(current) != set(reference):
        return None
    opts = inputs.options
    return bootstrap_ci(current, reference, opts.confidence, opts.bootstrap_resamples, inputs.seed)


def evenly(n: int, k: int) -> list[int]:
    """`k` indices spread evenly over range(n), first and last included (all when n <= k)."""
    if n <= k:
        return list(range(n))
    if k <= 1:
        return [0][:k]
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})

"""Metrics of tiers without a section of their own (e.g. a plugin's tier): one table each."""
from __future__ import annotations

from dataclasses import dataclass

from embedgate.report.tables import Column, Table, num, text
from embedgate.report.sections.common import Inputs, value_of

KNOWN = frozenset({"retrieval", "intrinsic", "intent", "space_map", "qa", "perf",
                   "compression", "parity", "cost", "language_bias", "load"})


@dataclass(frozen=True)
class OtherView:
    tables: list[tuple[str, Table]]


def build(inputs: Inputs) -> OtherView | None:
    groups: dict[tuple[str, str], list[str]] = {}
    for r in inputs.result.metrics:
        if r.tier not in KNOWN:
            metrics = groups.setdefault((r.tier, r.dataset), [])
            if r.metric not in metrics:
                metrics.append(r.metric)
    if not groups:
        return None
    tables = []
    for (tier, dataset), metrics in groups.items():
        embedders = list(dict.fromkeys(r.embedder for r in inputs.result.metrics
                                       if (r.tier, r.dataset) == (tier, dataset)))
        rows = [[text(e)] + [num(value_of(inputs.result, e, tier, dataset, m)) for m in metrics]
                for e in embedders]
        tables.append((f"{tier} · {dataset}", Table(
            [Column("embedder")] + [Column(m, True) for m in metrics], rows,
            key=f"other-{tier}-{dataset}")))
    return OtherView(tables)

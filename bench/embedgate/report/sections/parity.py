"""Serving parity: each candidate against its reference — cosine of the same text, top-k
overlap and the quality delta with its interval — and the texts that drifted most.

Reads `details.parity/<candidate>/<dataset>` (cosine, overlap, delta, worst) only.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from embedgate.report.sections.common import Inputs, TierData, per_dataset
from embedgate.report.tables import Cell, Column, Table, num, signed, text

TIER = "parity"


@dataclass(frozen=True)
class DatasetView:
    dataset: str
    table: Table
    worst: list[tuple[str, Table]]  # (pair label, lowest-cosine texts)


def build(inputs: Inputs) -> list[DatasetView] | None:
    return per_dataset(inputs, TIER, _dataset)


def _dataset(inputs: Inputs, dataset: str, items: list[TierData]) -> DatasetView:
    first = items[0].data
    metric, k = str(first.get("delta", {}).get("metric", "")), first.get("k", 10)
    cols = [Column("candidate"), Column("reference"), Column("texts", True),
            Column("cosine mean", True), Column("cosine p1", True), Column("cosine min", True),
            Column("below min", True, "texts whose cosine is under the tier's min_cosine"),
            Column(f"overlap@{k}", True, f"mean |top-{k} ∩ top-{k}| / {k} over queries"),
            Column(f"ref {metric}", True), Column(f"cand {metric}", True),
            Column(f"Δ {metric}", True, "candidate − reference, mean over queries"),
            Column("CI of Δ", True, "paired percentile bootstrap over queries")]
    table = Table(cols, [_row(it.embedder, it.data) for it in items], key=f"parity-{dataset}")
    worst = [(f"{it.embedder} vs {it.data.get('reference')}", _worst(it)) for it in items]
    return DatasetView(dataset, table, worst)


def _row(eid: str, d: Mapping[str, Any]) -> list[Cell]:
    cos, delta = d.get("cosine", {}), d.get("delta", {})
    low, high = (list(delta.get("ci", [])) + [float("nan")] * 2)[:2]
    below = cos.get("below")
    return [text(eid), text(d.get("reference")), num(cos.get("n"), 0), num(cos.get("mean"), 5),
            num(cos.get("p1"), 5), num(cos.get("min"), 5),
            num(below, 0, "num bad" if below else "num"),
            num(d.get("overlap", {}).get("overlap"), 3), num(delta.get("reference")),
            num(delta.get("candidate")), signed(delta.get("delta")),
            Cell(f"[{low:+.4f}, {high:+.4f}]", low, "num")]


def _worst(item: TierData) -> Table:
    cols = [Column("text id"), Column("cosine", True), Column("text")]
    rows = [[text(w.get("id")), num(w.get("cosine"), 5), text(w.get("text"), limit=90)]
            for w in item.data.get("worst", []) if isinstance(w, Mapping)]
    return Table(cols, rows, key=f"parity-worst-{item.embedder}-{item.dataset}",
                 note="q: a query, d: a passage; the lowest cosines of the pair")

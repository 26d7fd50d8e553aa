"""Perf: latency per batch size (e.g. FP32 vs INT8), throughput, memory, size, quality delta.

Reads the perf tier's details (one entry per variant: per-batch-size latency percentiles and
throughput, load / memory / size figures, and under "vs" the comparison with its reference:
cosine drift and the retrieval-quality delta measured in the same run).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from embedgate.results.schema import RunResult
from embedgate.report import charts
from embedgate.report.tables import Cell, Column, Table, num, pct, signed, text
from embedgate.report.sections.common import Inputs, TierData, per_dataset

TIER = "perf"


@dataclass(frozen=True)
class PerfView:
    dataset: str
    facts: list[tuple[str, str]]
    latency: Markup | None
    throughput: Markup | None
    variants: Table
    batches: Table
    pairs: Table | None
    quality: Table | None


def build(inputs: Inputs) -> list[PerfView] | None:
    return per_dataset(inputs, TIER, _dataset)


def _sizes(items: list[TierData]) -> list[int]:
    sizes = {int(bs) for it in items for bs in it.data.get("batches", {})}
    return sorted(sizes)


def _label(result: RunResult, eid: str) -> str:
    info = result.embedders.get(eid, {})
    parts = [str(info[k]) for k in ("backend", "precision") if info.get(k)]
    return f"{eid} ({', '.join(parts)})" if parts else eid


def _dataset(inputs: Inputs, dataset: str, items: list[TierData]) -> PerfView:
    result = inputs.result
    first = items[0].data
    facts = [("threads", str(first.get("threads", "?"))), ("rounds", str(first.get("rounds", "?"))),
             ("texts", str(first.get("sample", first.get("n_texts", "?")))),
             ("throughput", str(first.get("throughput", "")))]
    sizes = _sizes(items)
    return PerfView(dataset, facts,
                    _line(items, sizes, "p50_ms", "median latency per batch", "ms / batch"),
                    _line(items, sizes, "texts_per_s", "throughput", "texts / s"),
                    _variants(result, items), _batches(result, items, sizes), _pairs(items),
                    _quality(items))


def _line(items: list[TierData], sizes: list[int], key: str, title: str,
          unit: str) -> Markup | None:
    if not sizes:
        return None
    series = [charts.Series(it.embedder, [_get(it.data, bs, key) for bs in sizes]) for it in items]
    return charts.lines([float(s) for s in sizes], series, title, "batch size", unit)


def _get(data: Mapping[str, Any], bs: int, key: str) -> float | None:
    value = data.get("batches", {}).get(str(bs), {}).get(key)
    return float(value) if isinstance(value, int | float) else None


def _variants(result: RunResult, items: list[TierData]) -> Table:
    cols = [Column("variant"), Column("load s", True), Column("weights in RAM MB", True,
            "RSS after load minus before"), Column("RSS after load MB", True),
            Column("peak RSS encoding MB", True), Column("on disk MB", True)]
    rows = []
    for it in items:
        load = it.data.get("load", {})
        rows.append([text(_label(result, it.embedder)), num(load.get("load_s"), 2),
                     num(load.get("weight_mb"), 1), num(load.get("rss_after_load_mb"), 1),
                     num(it.data.get("peak_rss_encode_mb"), 1), num(load.get("size_mb"), 1)])
    return Table(cols, rows, key="perf-variants")


def _batches(result: RunResult, items: list[TierData], sizes: list[int]) -> Table:
    cols = [Column("variant"), Column("batch", True), Column("p50 ms", True),
            Column("p95 ms", True), Column("p99 ms", True), Column("texts/s", True),
            Column("tokens/s", True)]
    rows = []
    for it in items:
        for bs in sizes:
            b = it.data.get("batches", {}).get(str(bs))
            if b:
                rows.append([text(it.embedder), num(bs, 0), num(b.get("p50_ms"), 1),
                             num(b.get("p95_ms"), 1), num(b.get("p99_ms"), 1),
                             num(b.get("texts_per_s"), 1), num(b.get("tokens_per_s"), 0)])
    return Table(cols, rows, key="perf-batches")


def _pairs(items: list[TierData]) -> Table | None:
    """Candidate vs reference: speed-up, size and memory ratios, drift, quality delta."""
    by_id = {it.embedder: it.data for it in items}
    cols = [Column("candidate"), Column("reference"), Column("batch", True),
            Column("speed-up", True), Column("size ratio", True), Column("weights RAM ratio", True),
            Column("cosine to reference: mean", True), Column("p5", True), Column("min", True)]
    rows = []
    for cand, data in by_id.items():
        for ref, vs in data.get("vs", {}).items():
            other = by_id.get(ref, {})
            for bs in sorted(int(b) for b in data.get("batches", {})):
                rows.append(_pair_row(cand, ref, bs, data, other, vs))
    return Table(cols, rows, key="perf-pairs") if rows else None


def _ratio(a: Any, b: Any) -> float | None:
    if isinstance(a, int | float) and isinstance(b, int | float) and b:
        return float(a) / float(b)
    return None


def _pair_row(cand: str, ref: str, bs: int, data: Mapping[str, Any], other: Mapping[str, Any],
              vs: Mapping[str, Any]) -> list[Cell]:
    speed = _ratio(_get(data, bs, "texts_per_s"), _get(other, bs, "texts_per_s"))
    size = _ratio(data.get("load", {}).get("size_mb"), other.get("load", {}).get("size_mb"))
    weights = _ratio(data.get("load", {}).get("weight_mb"), other.get("load", {}).get("weight_mb"))
    drift = vs.get("drift", {})
    return [text(cand), text(ref), num(bs, 0),
            Cell(f"{speed:.2f}×", speed, "num good" if speed > 1 else "num bad") if speed
            else Cell("–", None, "num missing"),
            num(size, 2), num(weights, 2), num(drift.get("mean"), 4), num(drift.get("p5"), 4),
            num(drift.get("min"), 4)]


def _quality(items: list[TierData]) -> Table | None:
    """Retrieval quality of candidate vs reference, measured by this run's retrieval tier."""
    cols = [Column("candidate"), Column("reference"), Column("dataset"), Column("metric"),
            Column("candidate", True), Column("reference", True), Column("Δ", True),
            Column("relative Δ", True)]
    rows = []
    for it in items:
        for ref, vs in it.data.get("vs", {}).items():
            for ds, per in vs.get("quality", {}).items():
                for metric, q in per.items():
                    rel = q.get("relative")
                    rows.append([text(it.embedder), text(ref), text(ds), text(metric),
                                 num(q.get("candidate")), num(q.get("reference")),
                                 signed(q.get("absolute")),
                                 pct(rel, 2, cls="num bad" if isinstance(rel, float) and rel < 0
                                     else "num")])
    return Table(cols, rows, key="perf-quality") if rows else None


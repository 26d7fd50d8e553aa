"""Compression: each configuration of the sweep against fp32 exact search (quality with paired
intervals, retention, bytes, latency, build time), the Pareto chart and the rule's choice.

Reads `details.compression/<embedder>/<dataset>` (configs, rule, reference) only.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from embedgate.report.charts_tradeoff import TradeOff, tradeoff
from embedgate.report.sections.common import Inputs, TierData, per_dataset
from embedgate.report.tables import Cell, Column, Table, num, pct, pvalue, signed, text

TIER = "compression"


@dataclass(frozen=True)
class EmbedderView:
    embedder: str
    facts: list[tuple[str, str]]
    verdict: str  # the rule's outcome in one sentence ("" without a rule)
    chosen: bool  # whether the rule found a configuration
    chart: Markup
    table: Table


@dataclass(frozen=True)
class DatasetView:
    dataset: str
    embedders: list[EmbedderView]


def build(inputs: Inputs) -> list[DatasetView] | None:
    return per_dataset(inputs, TIER, _dataset)


def _dataset(inputs: Inputs, dataset: str, items: list[TierData]) -> DatasetView:
    return DatasetView(dataset, [_embedder(it.embedder, dataset, it.data) for it in items])


def _embedder(eid: str, dataset: str, d: Mapping[str, Any]) -> EmbedderView:
    metric = str(d.get("headline", ""))
    rule = d.get("rule") if isinstance(d.get("rule"), Mapping) else None
    configs = [c for c in d.get("configs", []) if isinstance(c, Mapping)]
    chosen = rule.get("chosen") if rule else None
    facts = [("reference", str(d.get("reference"))), ("documents", str(d.get("n_docs"))),
             ("queries", str(d.get("n_queries"))), ("top_k", str(d.get("top_k"))),
             ("confidence", f"{d.get('confidence', 0):.0%}"),
             ("latency", f"one query at a time, {d.get('latency_threads', 1)} faiss thread(s)"),
             ("rescoring", str(d.get("rescore_with", "")))]
    points = [TradeOff(str(c["id"]), float(c["bytes_per_vector"]),
                       float(c["quality"][metric]["mean"]), c.get("passes"),
                       bool(c.get("pareto")), c["id"] == chosen) for c in configs]
    chart = tradeoff(points, f"{eid} · {dataset}: bytes per vector vs {metric}",
                     "index bytes per vector (log)", metric)
    return EmbedderView(eid, facts, _verdict(rule), chosen is not None, chart,
                        _table(eid, configs, metric, chosen))


def _verdict(rule: Mapping[str, Any] | None) -> str:
    if rule is None:
        return ""
    head = (f"non-inferiority on {rule['metric']}, margin {rule['margin']:g} (the interval's "
            f"lower bound of Δ vs the reference ≥ −{rule['margin']:g}); "
            f"{len(rule.get('passing', []))} configuration(s) pass")
    if rule.get("chosen") is None:
        return head + "; none passes"
    return head + f"; the cheapest ({rule.get('ranked_by')}): {rule['chosen']}"


def _table(eid: str, configs: list[Mapping[str, Any]], metric: str, chosen: str | None) -> Table:
    cols = [Column("configuration"), Column("bytes / vector", True,
                                            "index bytes per added vector, measured"),
            Column("index MB", True), Column(metric, True), Column("Δ vs fp32", True),
            Column("95% CI of Δ", True), Column("p", True, "paired randomisation test"),
            Column("retention", True), Column("p50 ms", True), Column("p95 ms", True),
            Column("build s", True), Column("rule")]
    rows = [_row(c, metric, chosen) for c in configs]
    note = ("Pareto: no other configuration is as small and as good. Rescoring reads the full "
            "fp32 vectors, stored beside the index (rescore bytes / vector in results.json).")
    return Table(cols, rows, note=note, key=f"compression-{eid}")


def _row(c: Mapping[str, Any], metric: str, chosen: str | None) -> list[Cell]:
    q = c["quality"][metric]
    low, high = q["ci"]
    lat = c.get("latency", {})
    label = str(c["id"]) + (" ★" if c.get("pareto") else "")
    return [text(label, "best" if c["id"] == chosen else ""),
            num(c.get("bytes_per_vector"), 1), num(c.get("index_bytes", 0) / 1e6, 3),
            num(q["mean"]), signed(q["delta"]),
            Cell(f"[{low:+.4f}, {high:+.4f}]", low, "num"), pvalue(q.get("p")),
            pct(q.get("retention"), 1), num(lat.get("p50"), 3), num(lat.get("p95"), 3),
            num(c.get("build_s"), 3), _rule_cell(c.get("passes"), c["id"] == chosen)]


def _rule_cell(passes: bool | None, chosen: bool) -> Cell:
    if passes is None:
        return text("–", "muted")
    if chosen:
        return Cell("chosen", 2, "good")
    return Cell("passes", 1, "good") if passes else Cell("fails", 0, "bad")

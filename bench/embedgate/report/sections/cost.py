"""Cost per 1,000 queries beside quality: a table per dataset and a quality-vs-cost chart.

Reads only results JSON: the "cost" rows and the inputs recorded in `details["cost/…"]`
(run/cost.py), and the retrieval tier's headline metric on the same dataset for quality.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from embedgate.algorithms.pareto import frontier
from embedgate.report.charts_cost import cost_quality
from embedgate.report.charts_tradeoff import TradeOff
from embedgate.report.sections.common import Inputs, TierData, per_dataset, value_of
from embedgate.report.sections.leaderboard import headline_metrics
from embedgate.report.tables import Cell, Column, Table, num, text
from embedgate.report.values import value_text

TIER = "cost"


@dataclass(frozen=True)
class CostDataset:
    dataset: str
    facts: list[tuple[str, str]]
    table: Table
    chart: Markup | None  # None without a quality metric on this dataset


def build(inputs: Inputs) -> list[CostDataset] | None:
    return per_dataset(inputs, TIER, _dataset)


def _dataset(inputs: Inputs, dataset: str, items: list[TierData]) -> CostDataset:
    params = inputs.result.params.get("cost", {})
    quality = headline_metrics(inputs.result.params).get("retrieval", ("",))[0]
    scores = {i.embedder: value_of(inputs.result, i.embedder, "retrieval", dataset, quality)
              for i in items}
    rows = [_row(i, scores[i.embedder]) for i in items]
    cols = COLUMNS + ([Column(f"{quality} ↑", True)] if quality else [])
    table = Table(cols, [r if quality else r[:-1] for r in rows], key=f"cost-{dataset}")
    facts = [("CPU", f"{params.get('cpu_usd_per_hour')} USD per CPU-hour"),
             ("RAM", f"{params.get('ram_usd_per_gb_month')} USD per GB-month"),
             ("traffic", f"{params.get('queries_per_month'):,.0f} queries per month")]
    return CostDataset(dataset, facts, table, _chart(dataset, items, scores, quality))


def _usd(data: dict[str, Any], part: str) -> Cell:
    value = float(data.get("usd_per_1k_queries", {}).get(part, 0.0))
    return Cell(value_text(value, "USD"), value, "num")


def _row(item: TierData, score: float | None) -> list[Cell]:
    d, inp = item.data, item.data.get("inputs", {})
    cpu = d.get("cpu", {})
    cpu_s = cpu.get("cpu_s_per_query")
    gb = inp.get("n_vectors", 0) * inp.get("bytes_per_vector", 0) / 1e9
    billing = text(d.get("billing", ""), title=d.get("note", ""))
    return [text(item.embedder), billing, _usd(d, "total"), _usd(d, "api"), _usd(d, "cpu"),
            _usd(d, "ram"),
            num(inp.get("tokens_per_query"), 1, title=str(d.get("tokens_method", ""))),
            num(None if cpu_s is None else cpu_s * 1000, 2, title=str(cpu.get("method", ""))),
            num(gb, 6), num(score)]


COLUMNS = [Column("embedder"), Column("billing"), Column("USD / 1k queries ↓", True),
           Column("API", True), Column("CPU", True), Column("RAM", True),
           Column("tokens / query", True, "hover a value: tokenizer or estimate"),
           Column("CPU-ms / query", True, "measured: process CPU time"),
           Column("index GB", True)]


def _chart(dataset: str, items: list[TierData], scores: dict[str, float | None],
           quality: str) -> Markup | None:
    known = [(i.embedder, float(i.data["usd_per_1k_queries"]["total"]), s) for i in items
             if (s := scores[i.embedder]) is not None]
    if len(known) < 2:
        return None
    front = set(frontier([(c, q) for _, c, q in known]))
    points = [TradeOff(e, c, q, frontier=k in front) for k, (e, c, q) in enumerate(known)]
    return cost_quality(points, f"{dataset}: {quality} against USD per 1,000 queries", quality)

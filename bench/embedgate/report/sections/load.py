"""Load: latency of served embedders under open-loop traffic, per configuration and QPS.

Reads `details.load/<embedder>/<dataset>` only: the steps of each configuration (plain, batch,
batch+lru or an already running `endpoint`), the server's batcher / LRU stats, the
served-vs-local quality and the machine's load average at the time (latencies depend on it).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from embedgate.report import charts
from embedgate.report.sections.common import Inputs, TierData, tier_details
from embedgate.report.tables import Cell, Column, Table, num, pct, signed, text

TIER = "load"


@dataclass(frozen=True)
class LoadView:
    embedder: str
    dataset: str
    facts: list[tuple[str, str]]
    chart: Markup | None
    steps: Table
    quality: Table | None


def build(inputs: Inputs) -> list[LoadView] | None:
    return [_view(it) for it in tier_details(inputs.result, TIER)] or None


def _configs(item: TierData) -> dict[str, Mapping[str, Any]]:
    configs = item.data.get("configs", {})
    return {str(k): v for k, v in configs.items() if isinstance(v, Mapping)}


def _view(item: TierData) -> LoadView:
    configs, plan = _configs(item), item.data.get("plan", {})
    machine = item.data.get("machine", {})
    facts = [("served", str(item.data.get("served", ""))),
             ("steps", f"≤ {plan.get('step_s', '?')} s / {plan.get('max_requests', '?')} "
                       f"requests, Poisson arrivals, Zipf {plan.get('zipf', '?')}, "
                       f"seed {plan.get('seed', '?')}"),
             ("machine", f"load average {machine.get('load_1min', float('nan')):.2f} on "
                         f"{machine.get('cpus', '?')} CPUs (latencies depend on it)")]
    return LoadView(item.embedder, item.dataset, facts, _chart(item.embedder, configs),
                    _steps(item, configs), _quality(item, configs))


def _chart(eid: str, configs: dict[str, Mapping[str, Any]]) -> Markup | None:
    xs = sorted({float(s["qps"]) for c in configs.values() for s in c.get("steps", [])})
    if not xs:
        return None
    series = []
    for name, c in configs.items():
        p95 = {float(s["qps"]): s.get("p95_ms") for s in c.get("steps", [])}
        series.append(charts.Series(name, [p95.get(x) for x in xs]))
    return charts.lines(xs, series, f"{eid}: p95 latency vs offered load", "offered QPS",
                        "p95 latency (ms)")


def _steps(item: TierData, configs: dict[str, Mapping[str, Any]]) -> Table:
    plain = {s["qps"]: s for s in configs.get("plain", {}).get("steps", [])}
    cols = [Column("configuration"), Column("QPS", True), Column("sent", True),
            Column("error rate", True), Column("p50 ms", True), Column("p95 ms", True),
            Column("p99 ms", True), Column("p95 / plain", True, "same QPS, this run"),
            Column("achieved QPS", True), Column("cache hit rate", True, "query LRU, this step")]
    rows = [_step_row(name, s, plain.get(s["qps"]))
            for name, c in configs.items() for s in c.get("steps", [])]
    return Table(cols, rows, key=f"load-{item.embedder}-{item.dataset}",
                 note="latency from each request's scheduled send time (open loop)")


def _step_row(name: str, s: Mapping[str, Any], base: Mapping[str, Any] | None) -> list[Cell]:
    sent, errors = s.get("sent", 0), s.get("errors", 0)
    ratio = s["p95_ms"] / base["p95_ms"] if base and base.get("p95_ms") else None
    lookups = s.get("cache_lookups")
    return [text(name), num(s.get("qps"), 0), num(sent, 0),
            pct(errors / sent if sent else None, cls="num bad" if errors else "num"),
            num(s.get("p50_ms"), 1), num(s.get("p95_ms"), 1), num(s.get("p99_ms"), 1),
            num(ratio, 2), num(s.get("achieved_qps"), 2),
            pct(s.get("cache_hits", 0) / lookups if lookups else None)]


def _quality(item: TierData, configs: dict[str, Mapping[str, Any]]) -> Table | None:
    rows = [[text(name), num(q.get("n_queries"), 0), num(q.get("local")), num(q.get("served")),
             signed(q.get("delta")), num(q.get("max_abs_diff"), 6)]
            for name, c in configs.items() if isinstance(q := c.get("quality"), Mapping)]
    if not rows:
        return None
    metric = next(str(c["quality"].get("metric", "")) for c in configs.values()
                  if isinstance(c.get("quality"), Mapping))
    cols = [Column("configuration"), Column("queries", True), Column(f"local {metric}", True),
            Column(f"served {metric}", True), Column("Δ served − local", True),
            Column("max |served − local|", True, "largest difference of one vector component")]
    return Table(cols, rows, key=f"load-quality-{item.embedder}-{item.dataset}")

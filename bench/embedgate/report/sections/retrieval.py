"""Retrieval: metric tables with bootstrap confidence intervals, and deltas against a baseline.

Intervals are seeded percentile bootstraps over the per-query values (embedgate.stats), at the
report's confidence level; a delta's interval resamples the paired per-query differences.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from embedgate.results.schema import RunResult
from embedgate.report import charts
from embedgate.report.tables import Cell, Column, Table, num, signed, text
from embedgate.report.sections.common import Inputs, diff_ci, mean_ci, tier_details
from embedgate.report.sections.holes import add_judged

TIER = "retrieval"


@dataclass(frozen=True)
class DatasetView:
    dataset: str
    facts: list[tuple[str, str]]
    table: Table
    chart: Markup | None
    delta: Table | None


@dataclass(frozen=True)
class RetrievalView:
    confidence: float
    datasets: list[DatasetView]
    baseline_label: str


def primary_metric(result: RunResult) -> str | None:
    """The first metric the suite lists for retrieval (what its gates usually judge)."""
    metrics = (result.params.get("tiers", {}).get(TIER) or {}).get("metrics") or []
    if metrics:
        return str(metrics[0])
    return next((r.metric for r in result.metrics if r.tier == TIER), None)


def build(inputs: Inputs) -> RetrievalView | None:
    result = inputs.result
    datasets = list(dict.fromkeys(r.dataset for r in result.metrics if r.tier == TIER))
    if not datasets:
        return None
    return RetrievalView(inputs.options.confidence,
                         [_dataset(inputs, d) for d in datasets], inputs.baseline_label)


def labelled(metric: str) -> bool:
    """A chunking strategy's row (`nDCG@10[clauses800/max]`): the chunking section shows it."""
    return metric.endswith("]") and "[" in metric


def _metrics(result: RunResult, dataset: str) -> list[str]:
    return list(dict.fromkeys(r.metric for r in result.metrics
                              if r.tier == TIER and r.dataset == dataset and not labelled(r.metric)))


def _dataset(inputs: Inputs, dataset: str) -> DatasetView:
    result = inputs.result
    metrics = _metrics(result, dataset)
    embedders = list(dict.fromkeys(r.embedder for r in result.metrics
                                   if r.tier == TIER and r.dataset == dataset))
    cis: dict[tuple[str, str], tuple[float, float] | None] = {}
    for e in embedders:
        for m in metrics:
            values = result.values(e, TIER, dataset, m)
            cis[(e, m)] = mean_ci(values, inputs) if values else None
    table = _table(result, dataset, embedders, metrics, cis, inputs.options.confidence)
    primary = primary_metric(result)
    chart = _chart(result, dataset, embedders, primary, cis, inputs.options.confidence) \
        if primary in metrics else None
    delta = _delta_table(inputs, dataset, embedders, metrics) if inputs.baseline else None
    return DatasetView(dataset, _facts(result, dataset), table, chart, delta)


def _facts(result: RunResult, dataset: str) -> list[tuple[str, str]]:
    info = result.datasets.get(dataset, {})
    search = next((d.data for d in tier_details(result, TIER) if d.dataset == dataset), {})
    facts = [("documents", str(info.get("n_docs", search.get("n_docs", "?")))),
             ("queries evaluated", str(info.get("n_queries_evaluated", search.get("n_queries", "?"))))]
    dropped = [(label, info.get(key)) for key, label in (
        ("n_queries_without_qrels", "queries without qrels"),
        ("n_queries_empty_text", "empty queries"),
        ("n_qrels_unknown_doc_dropped", "qrels of unknown docs dropped"))]
    facts += [(label, str(v)) for label, v in dropped if v]
    if search:
        facts.append(("search", str(search.get("search", "?"))))
        recall: Any = search.get("index_recall")
        if isinstance(recall, dict):
            facts.append((str(recall.get("metric", "ANN recall")),
                          (f"mean {recall.get('mean', float('nan')):.4f}, min "
                           f"{recall.get('min', float('nan')):.4f} vs exact search")))
    return facts


def _ci_cell(value: float | None, ci: tuple[float, float] | None, best: bool) -> Cell:
    """The mean, with its interval in small print after it."""
    if value is None:
        return Cell("–", None, "num missing")
    sub = f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci is not None else ""
    return Cell(f"{value:.4f}", value, "num best" if best else "num", sub=sub)


def _table(result: RunResult, dataset: str, embedders: list[str], metrics: list[str],
           cis: dict[tuple[str, str], tuple[float, float] | None], confidence: float) -> Table:
    cols = [Column("embedder")]
    for m in metrics:
        row0 = next(r for r in result.metrics if (r.tier, r.dataset, r.metric) == (TIER, dataset, m))
        cols.append(Column(f"{m} {'↑' if row0.higher_is_better else '↓'}", True,
                           f"mean {m} [{confidence:.0%} bootstrap interval]"))
    best = _best(result, dataset, embedders, metrics)
    rows = []
    for e in embedders:
        cells = [text(e)]
        for m in metrics:
            row = result.metric(e, TIER, dataset, m)
            ci = cis.get((e, m))
            cells.append(_ci_cell(row.value if row else None, ci, best.get(m) == e))
        rows.append(cells)
    add_judged(result, dataset, embedders, cols, rows)
    n = next((r.n_queries for r in result.metrics
              if r.tier == TIER and r.dataset == dataset and r.metric in metrics), 0)
    return Table(cols, rows, note=f"{n} queries; mean [{confidence:.0%} bootstrap interval]; "
                 "bold: best per metric",
                 key=f"retrieval-{dataset}")


def _best(result: RunResult, dataset: str, embedders: list[str],
          metrics: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in metrics:
        rows = [r for e in embedders if (r := result.metric(e, TIER, dataset, m)) is not None]
        if len(rows) > 1:
            pick = max if rows[0].higher_is_better else min
            out[m] = pick(rows, key=lambda r: r.value).embedder
    return out


def _chart(result: RunResult, dataset: str, embedders: list[str], metric: str | None,
           cis: dict[tuple[str, str], tuple[float, float] | None], confidence: float) -> Markup | None:
    rows = []
    for i, e in enumerate(embedders):
        row = result.metric(e, TIER, dataset, metric or "")
        ci = cis.get((e, metric or ""))
        if row is not None and ci is not None:
            rows.append(charts.Interval(e, row.value, ci[0], ci[1], charts.color(i)))
    if not rows:
        return None
    return charts.intervals(rows, f"{metric} on {dataset} with {confidence:.0%} bootstrap CI",
                            str(metric))


def _delta_table(inputs: Inputs, dataset: str, embedders: list[str],
                 metrics: list[str]) -> Table | None:
    """Current minus baseline for every embedder the baseline also ran on this dataset."""
    base = inputs.baseline
    assert base is not None
    cols = [Column("embedder"), Column("metric"), Column("current", True),
            Column("baseline", True), Column("Δ", True),
            Column(f"{inputs.options.confidence:.0%} CI of Δ", True), Column("reading")]
    rows = []
    for e in embedders:
        for m in metrics:
            cur, ref = inputs.result.metric(e, TIER, dataset, m), base.metric(e, TIER, dataset, m)
            if cur is None or ref is None:
                continue
            a, b = inputs.result.values(e, TIER, dataset, m), base.values(e, TIER, dataset, m)
            ci = diff_ci(a, b, inputs) if a and b else None
            rows.append([text(e), text(m), num(cur.value), num(ref.value),
                         signed(cur.value - ref.value, higher_is_better=cur.higher_is_better),
                         Cell(f"[{ci[0]:+.4f}, {ci[1]:+.4f}]", ci[0], "num ci") if ci
                         else Cell("–", None, "num missing"),
                         _reading(ci, cur.higher_is_better)])
    return Table(cols, rows, key=f"retrieval-delta-{dataset}") if rows else None


def _reading(ci: tuple[float, float] | None, higher_is_better: bool) -> Cell:
    if ci is None:
        return Cell("not paired", 2, "muted")
    if ci == (0.0, 0.0):
        return Cell("identical", 1, "muted")
    lo, hi = ci if higher_is_better else (-ci[1], -ci[0])
    if lo > 0:
        return Cell("better", 0, "good")
    if hi < 0:
        return Cell("worse", 3, "bad")
    return Cell("no clear change", 1, "")

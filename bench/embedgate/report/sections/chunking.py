"""Chunked retrieval: per embedder and dataset, one row per chunking strategy against whole documents.

Values are the run's metric rows (`metric[label]`, tiers/chunked.py); chunk counts, Δ vs the
unchunked search and its paired bootstrap interval come from `details.retrieval/<embedder>/
<dataset>.chunking`, so the table shows what the tier computed and recomputes nothing.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from embedgate.report.sections.common import Inputs, TierData, finite, tier_details
from embedgate.report.tables import Cell, Column, Table, num, signed, text
from embedgate.results.schema import RunResult

TIER = "retrieval"
CLAUSE_HIT = "clause-hit@1"  # tiers.chunked.CLAUSE_HIT; report reads JSON, never tiers
DASH = Cell("–", None, "num missing")


@dataclass(frozen=True)
class UnitView:
    embedder: str
    dataset: str
    facts: list[tuple[str, str]]
    table: Table


def build(inputs: Inputs) -> list[UnitView] | None:
    items = [it for it in tier_details(inputs.result, TIER)
             if isinstance(it.data.get("chunking"), Mapping)]
    return [_unit(inputs.result, it) for it in items] or None


def _unit(result: RunResult, item: TierData) -> UnitView:
    info: Mapping[str, Any] = item.data["chunking"]
    strategies = [s for s in info.get("strategies", []) if isinstance(s, Mapping)]
    metrics = list(dict.fromkeys(m for s in strategies for m in s.get("metrics", {})
                                 if m != CLAUSE_HIT))
    clauses = any(CLAUSE_HIT in s.get("metrics", {}) for s in strategies)
    facts = [("reference", str(info.get("reference", "unchunked"))),
             ("chunk search", str(info.get("search", "?")))]
    if "tokenizer" in info:
        facts.append(("tokenizer", str(info["tokenizer"])))
    if isinstance(info.get("clause_qrels"), Mapping):
        cq = info["clause_qrels"]
        facts.append(("clause qrels", f"{cq.get('file')} ({cq.get('n_queries')} queries)"))
    return UnitView(item.embedder, item.dataset, facts,
                    _table(result, item, strategies, metrics, clauses,
                           float(info.get("confidence", 0.95))))


def _arrow(result: RunResult, item: TierData, metric: str) -> str:
    row = result.metric(item.embedder, TIER, item.dataset, metric)
    return "" if row is None else (" ↑" if row.higher_is_better else " ↓")


def _table(result: RunResult, item: TierData, strategies: list[Mapping[str, Any]],
           metrics: list[str], clauses: bool, confidence: float) -> Table:
    cols = [Column("strategy"), Column("chunks", True), Column("mean chars", True),
            Column("depth", True, "chunks searched per query")]
    for m in metrics:
        cols += [Column(m + _arrow(result, item, m), True, f"mean {m}"),
                 Column(f"Δ {m} vs whole", True,
                        f"strategy minus whole documents [{confidence:.0%} paired bootstrap]")]
    if clauses:
        cols.append(Column(f"{CLAUSE_HIT} ↑", True, "best chunk of the relevant document "
                                                    "overlaps its clause"))
    rows = [_whole(result, item, metrics, clauses)]
    rows += [_row(result, item, s, metrics, clauses) for s in strategies]
    note = (f"Δ: strategy minus whole documents on the same queries, "
            f"[{confidence:.0%} paired bootstrap interval]")
    return Table(cols, rows, note=note, key=f"chunking-{item.embedder}-{item.dataset}")


def _whole(result: RunResult, item: TierData, metrics: list[str], clauses: bool) -> list[Cell]:
    """The unchunked search's own rows, the reference every Δ is taken against."""
    cells = [text("whole documents", "muted"), DASH, DASH, DASH]
    for m in metrics:
        row = result.metric(item.embedder, TIER, item.dataset, m)
        cells += [num(row.value if row else None), DASH]
    return cells + ([DASH] if clauses else [])


def _row(result: RunResult, item: TierData, s: Mapping[str, Any], metrics: list[str],
         clauses: bool) -> list[Cell]:
    label = str(s.get("label", "?"))
    cells = [text(label), num(s.get("n_chunks"), 0), num(s.get("mean_chunk_chars"), 0),
             num(s.get("depth"), 0)]
    for m in metrics:
        row = result.metric(item.embedder, TIER, item.dataset, f"{m}[{label}]")
        cells += [num(row.value if row else None),
                  _delta(s.get("metrics", {}).get(m, {}), row.higher_is_better if row else True)]
    if clauses:
        hit = result.metric(item.embedder, TIER, item.dataset, f"{CLAUSE_HIT}[{label}]")
        cells.append(num(hit.value if hit else None))
    return cells


def _delta(vs: Mapping[str, Any], higher_is_better: bool) -> Cell:
    """Δ vs whole documents, coloured only when its interval excludes zero."""
    delta, ci = vs.get("delta"), vs.get("ci")
    if not finite(delta) or not isinstance(ci, list) or len(ci) != 2:
        return DASH
    low, high = float(ci[0]), float(ci[1])
    clear = low > 0 or high < 0
    cell = signed(float(delta), higher_is_better=higher_is_better) if clear \
        else Cell(f"{float(delta):+.4f}", float(delta), "num")
    return Cell(cell.text, cell.sort, cell.cls, sub=f"[{low:+.4f}, {high:+.4f}]")

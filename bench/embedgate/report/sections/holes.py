"""Holes in the qrels: per dataset, each system's Judged@10, bpref and count of unjudged
documents in its top 10, every retrieval metric under the three treatments of the holes
(today's value, unjudged counted relevant, condensed), and per metric whether the leader is
robust to holes (judge/holes.py). Absent for results files written before the holes existed.
"""
from __future__ import annotations

from dataclasses import dataclass

from embedgate.judge.holes import HolesNote, hole_details, holes_note, judged_of
from embedgate.report.sections.common import Inputs
from embedgate.report.tables import Cell, Column, Table, num, text
from embedgate.results.schema import MetricRow, RunResult


def add_judged(result: RunResult, dataset: str, systems: list[str], cols: list[Column],
               rows: list[list[Cell]]) -> None:
    """A Judged@10 column on a retrieval table (rows in ``systems`` order), when the run has
    the holes block (results files written before it have none)."""
    judged = [judged_of(result, s, dataset) for s in systems]
    if all(j is None for j in judged):
        return
    cols.append(Column("Judged@10", True, "share of the top 10 that has a judgment; "
                                          "see the holes section"))
    for cells, j in zip(rows, judged):
        cells.append(num(j, 3))


@dataclass(frozen=True)
class DatasetHoles:
    dataset: str
    table: Table
    verdicts: list[tuple[str, HolesNote]]  # (metric, note) for boards of two or more systems
    warning: str | None


def build(inputs: Inputs) -> list[DatasetHoles] | None:
    result = inputs.result
    rows = [r for r in result.metrics if r.tier == "retrieval" and r.bounds is not None]
    if not rows:
        return None
    return [_dataset(result, d, [r for r in rows if r.dataset == d])
            for d in sorted({r.dataset for r in rows})]


def _dataset(result: RunResult, dataset: str, rows: list[MetricRow]) -> DatasetHoles:
    systems = list(dict.fromkeys(r.embedder for r in rows))
    metrics = list(dict.fromkeys(r.metric for r in rows))
    cols = [Column("system"), Column("Judged@10", True), Column("unjudged in top 10", True),
            Column("bpref", True)] + [
        Column(f"{m} {t}", True, title) for m in metrics for t, title in (
            ("", "unjudged = not relevant (the usual value)"),
            ("holes relevant", "unjudged retrieved documents counted relevant"),
            ("′ condensed", "unjudged documents removed before scoring"))]
    body = []
    for s in systems:
        holes = hole_details(result, s, dataset) or {}
        cells: list[Cell] = [text(s), num(holes.get("judged@10"), 3),
                             num(holes.get("unjudged@10"), 0), num(holes.get("bpref"), 4)]
        for m in metrics:
            row = next((r for r in rows if (r.embedder, r.metric) == (s, m)), None)
            b = row.bounds if row is not None else None
            cells += [num(row.value if row else None), num(b.unjudged_relevant if b else None),
                      num(b.condensed if b else None)]
        body.append(cells)
    verdicts = []
    for m in metrics if len(systems) > 1 else []:
        mrows = [r for r in rows if r.metric == m]
        verdicts.append((m, holes_note([(r.embedder, r.value, r.bounds,
                                         judged_of(result, r.embedder, dataset)) for r in mrows],
                                       mrows[0].higher_is_better)))
    warning = verdicts[0][1].warning if verdicts else None
    return DatasetHoles(dataset, Table(cols, body, key=f"holes-{dataset}"), verdicts, warning)

"""How many queries are enough: per retrieval dataset and metric, each embedder against the best.

The figures are `embedgate power` 's (judge/power.py: the paired two-sided t-test at α 0.05
and power 0.8): the minimum detectable effect at the run's number of queries, the observed
difference and the queries it would need. Slices (``metric[slice]``) are left to the CLI.
"""
from __future__ import annotations

from dataclasses import dataclass

from embedgate.judge.power import PairPower, board_powers, queries_text, with_values
from embedgate.report.sections.common import Inputs
from embedgate.report.tables import Cell, Column, Table, num, text
from embedgate.results.schema import RunResult

TIER = "retrieval"
ALPHA, POWER = 0.05, 0.8


@dataclass(frozen=True)
class PowerView:
    intro: str
    table: Table


def build(inputs: Inputs) -> PowerView | None:
    rows = [pair for ds, metric in _boards(inputs.result)
            for pair in board_powers(inputs.result, TIER, ds, metric, alpha=ALPHA, power=POWER)]
    if not rows:
        return None
    return PowerView(_INTRO, Table(COLUMNS, [_row(r) for r in rows], key="power"))


def _boards(result: RunResult) -> list[tuple[str, str]]:
    """(dataset, metric) pairs of the tier that two or more embedders have per-query values for."""
    keys = dict.fromkeys((pq.dataset, pq.metric) for pq in result.per_query
                         if pq.tier == TIER and "[" not in pq.metric)
    return [k for k in keys if len(with_values(result, TIER, *k)) >= 2]


_INTRO = (f"Paired two-sided t-test on the per-query differences (other − best), α = {ALPHA:g}, "
          f"target power {POWER:g}. MDE: the smallest difference these queries detect with that "
          "power. Power: at the observed difference (a restatement of its p-value; a sizing "
          "hint, not evidence). Queries needed: to detect the observed difference; “never” "
          "when it is zero. embedgate power results.json --delta 0.01 sizes other "
          "differences.")

COLUMNS = [Column("dataset"), Column("metric"), Column("best"), Column("other"),
           Column("queries", True), Column("Δ (other − best)", True), Column("SD of Δ", True),
           Column("power", True), Column("MDE", True), Column("queries needed", True)]


def _row(r: PairPower) -> list[Cell]:
    head = [text(r.dataset), text(r.metric), text(r.base), text(r.other)]
    a = r.analysis
    if a is None:
        return head + [Cell("–", None, "num missing", r.problem)] * (len(COLUMNS) - len(head))
    enough = a.n >= (a.needed_observed or a.n + 1)
    needed = Cell(queries_text(a.needed_observed), a.needed_observed,
                  "num good" if enough else "num warn",
                  "the run has enough queries" if enough else "more queries needed")
    return head + [num(a.n, 0), num(a.delta), num(a.sd), num(a.achieved_power, 2),
                   num(a.mde), needed]

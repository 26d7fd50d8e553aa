"""User satisfaction: per QA system (embedder/reader) and source, human ratings beside the
automatic metrics — NPS with its bootstrap interval, mean rating, agreement between raters
(Krippendorff's alpha, interval) and Spearman's rho of ratings with EM / F1 / accuracy."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from embedgate.report.sections.common import Inputs, tier_details
from embedgate.report.tables import Cell, Column, Table, num, text

AUTOMATIC = ("EM", "F1", "accuracy")


@dataclass(frozen=True)
class SatisfactionView:
    intro: str
    table: Table


def build(inputs: Inputs) -> SatisfactionView | None:
    rows = [row for item in tier_details(inputs.result, "qa")
            for row in _rows(item.dataset, item.data.get("satisfaction", {}))]
    if not rows:
        return None
    return SatisfactionView(_INTRO, Table(COLUMNS, rows, key="satisfaction"))


_INTRO = ("Human ratings (0–10) of each system's answers. NPS: % promoters (9–10) − % detractors "
          "(0–6), with its 95% bootstrap interval resampling questions. α: Krippendorff's alpha "
          "(interval) between raters; 1 is perfect agreement, 0 chance. ρ: Spearman's rank "
          "correlation of a question's mean rating with the automatic metric, n questions. "
          "Unused: ratings of questions this reader did not answer in this run (another source, "
          "outside a sample), left out of every figure.")

COLUMNS = [Column("system"), Column("source"), Column("ratings", True),
           Column("unused", True, "ratings of questions not answered in this run"),
           Column("raters", True), Column("NPS", True), Column("NPS 95% CI"),
           Column("mean rating", True), Column("α (raters)", True),
           *(Column(f"ρ {m}", True) for m in AUTOMATIC)]


def _rows(source: str, summary: dict[str, Any]) -> list[list[Cell]]:
    """One row per rated system, and one per system whose every rating went unused here."""
    systems, unused = summary.get("systems", {}), summary.get("ratings_unused", {})
    rows = [_row(system, source, sat) for system, sat in systems.items()]
    rows += [[text(system), text(source), num(0, 0), num(n, 0), *_missing(len(COLUMNS) - 4)]
             for system, n in unused.items() if system not in systems]
    return rows


def _interval(low: float | None, high: float | None) -> Cell:
    """NPS's bootstrap interval; NaN (no rating) may arrive as null from results JSON."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return num(None)
    return Cell(f"[{low:.1f}, {high:.1f}]", sort=low, cls="num")


def _missing(n: int) -> list[Cell]:
    return [num(None) for _ in range(n)]


def _row(system: str, source: str, sat: dict[str, Any]) -> list[Cell]:
    low, high = sat["nps_ci"]
    rhos = []
    for m in AUTOMATIC:
        got = sat["spearman_with"].get(m, {})
        cell = num(got.get("rho"), 2)
        rhos.append(Cell(cell.text, cell.sort, cell.cls, sub=f"n={got.get('n', 0)}"))
    raters = num(len(sat["raters"]), 0, title=", ".join(sat["raters"]))
    return [text(system), text(source), num(sat["n_ratings"], 0),
            num(sat.get("n_ratings_unused", 0), 0), raters, num(sat["nps"], 1),
            _interval(low, high), num(sat["mean_rating"], 2),
            num(sat["alpha_interval"], 3), *rhos]

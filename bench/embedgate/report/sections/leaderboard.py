"""Bake-off leaderboard: the run's embedders ranked per metric, with paired significance marks.

The boards are `embedgate.compare.compare` of this results file with its default settings, so
the numbers match `embedgate compare results.json` and the run's compare.md. Each board is a
row (embedders as columns, marks beside the values): the headline boards (the metric a tier is
usually judged by) in view, every other board (slices, secondary metrics) collapsed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from embedgate.judge.compare import Board, CompareReport, compare
from embedgate.infra.errors import InputError
from embedgate.results.schema import RunResult
from embedgate.report.tables import Cell, Column, Table, text
from embedgate.report.values import value_text
from embedgate.report.sections.common import Inputs

WINNER, TIED, WORSE = "★", "≈", "▼"
_METHOD = {"randomization": "paired Fisher randomisation test", "t-test": "paired t-test"}
_HEADLINE_FIXED = {"intrinsic": ("mrr", "auc"), "intent": ("probe_accuracy", "knn_accuracy"),
                   "perf": (), "cost": ("usd_per_1k_queries",)}


@dataclass(frozen=True)
class LeaderboardView:
    intro: str
    headline: Table | None
    others: Table | None
    n_boards: int
    problem: str = ""  # why there are no boards, when compare() refused the run


TIER_ORDER = ("retrieval", "cost", "qa", "intrinsic", "intent", "space_map", "perf")


def build(inputs: Inputs) -> LeaderboardView | None:
    result = inputs.result
    if len(result.embedders) < 2:
        return None
    try:
        report = compare([(result.suite.name, testable(result))])
    except InputError as exc:  # e.g. nothing two embedders share: say so rather than vanish
        return LeaderboardView("", None, None, 0, str(exc))
    wanted = headline_metrics(result.params)
    boards = sorted(report.boards, key=_tier_rank)
    systems = list(report.sources)
    head = [b for b in boards if _is_headline(b, wanted)]
    rest = [b for b in boards if not _is_headline(b, wanted)]
    return LeaderboardView(_intro(report),
                           _matrix(head, systems, report.alpha, "leaderboard") if head else None,
                           _matrix(rest, systems, report.alpha, "all-boards") if rest else None,
                           len(report.boards))


def testable(result: RunResult) -> RunResult:
    """The run without per-query values too few to test (a slice with one anchor): compare()
    refuses those, and would drop every board with them; their boards show "not tested"."""
    keep = [pq for pq in result.per_query if len(pq.values) >= 2]
    return result if len(keep) == len(result.per_query) else \
        result.model_copy(update={"per_query": keep})


def _tier_rank(board: Board) -> int:
    return TIER_ORDER.index(board.tier) if board.tier in TIER_ORDER else len(TIER_ORDER)


def headline_metrics(params: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """The metric(s) each tier is read by first: retrieval's first configured metric, etc."""
    tiers = params.get("tiers", {})
    out = dict(_HEADLINE_FIXED)
    retrieval = tiers.get("retrieval") or {}
    if retrieval.get("metrics"):
        out["retrieval"] = (retrieval["metrics"][0],)
    qa = tiers.get("qa") or {}
    if qa:
        out["qa"] = (f"answer@{qa.get('top_k', 5)}",)
    return out


def _is_headline(board: Board, wanted: dict[str, tuple[str, ...]]) -> bool:
    if board.tier in wanted:
        return board.metric in wanted[board.tier] or (
            board.tier == "qa" and board.metric.endswith(":accuracy"))
    return board.tier == "space_map" or "[" not in board.metric and "@" not in board.metric


def _intro(report: CompareReport) -> str:
    method = _METHOD.get(report.method, report.method)
    return (f"{method[0].upper()}{method[1:]} ({report.n_resamples} resamples, seed "
            f"{report.seed}) between every pair of embedders; p-values Holm-corrected within "
            f"each row; α = {report.alpha:g}. Marks: {WINNER} winner (significantly better "
            f"than every other embedder); {TIED} not significantly different from the best; "
            f"{WORSE} significantly worse than the best; none: not tested (no per-query "
            "values). Bold: best value. Small letters: tie groups, embedders not "
            "significantly different from their group's best (the best embedder without a "
            "group opens the next letter).")


def _cell(board: Board, system: str, alpha: float) -> Cell:
    entry = next((e for e in board.entries if e.system == system), None)
    if entry is None:
        return Cell("–", None, "num missing")
    p = entry.p_vs_best
    if entry.rank == 1:
        mark = WINNER if board.winner else (TIED if board.comparisons else "")
        title = "winner" if board.winner else "best value"
    elif p is None:
        mark, title = "", "not tested (no per-query values)"
    else:
        mark = WORSE if p < alpha else TIED
        diff = value_text(entry.diff_to_best or 0.0, board.unit, True)
        title = f"rank {entry.rank}; Δ vs best {diff}; Holm-adjusted p = {p:.3g}"
    cls = "num best" if entry.rank == 1 else "num"
    if mark == WORSE:
        cls += " worse"
    if entry.group:
        title += f"; tie group {entry.group}"
    return Cell(f"{value_text(entry.value, board.unit)} {mark}".strip(), entry.value, cls, title,
                entry.group or "")


def _matrix(boards: list[Board], systems: list[str], alpha: float, key: str) -> Table:
    """One row per board, one column per embedder, the conclusion last."""
    cols = [Column("tier"), Column("dataset"), Column("metric")] + [
        Column(s, True) for s in systems] + [Column("conclusion")]
    rows = []
    for b in boards:
        arrow = "↑" if b.higher_is_better else "↓"
        unit = f" [{b.unit}]" if b.unit else ""
        why = b.conclusion + (f"; holes: {b.holes.text}" if b.holes and b.holes.text else "")
        verdict = (Cell(f"{WINNER} {b.winner}", b.winner or "", "good", why) if b.winner
                   else Cell("no winner" if b.comparisons else "not tested", "~", "muted", why))
        rows.append([text(b.tier), text(b.dataset), text(f"{b.metric}{unit} {arrow}")] +
                    [_cell(b, s, alpha) for s in systems] + [verdict])
    return Table(cols, rows, key=key)

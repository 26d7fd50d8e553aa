"""Markdown for a CompareReport: short enough for a pull-request comment."""
from __future__ import annotations

from embedgate.judge.compare import Board, CompareReport
from embedgate.report.holes_markdown import holes_lines
from embedgate.report.values import value_text

_METHOD = {"randomization": "paired Fisher randomisation test", "t-test": "paired t-test"}


def to_markdown(report: CompareReport) -> str:
    method = _METHOD.get(report.method, report.method)
    resamples = (f" ({report.n_resamples} resamples, seed {report.seed})"
                 if report.method == "randomization" else "")
    intro = (f"{method[0].upper()}{method[1:]}{resamples} between every pair of systems; "
             f"p-values Holm-corrected within each table; α = {report.alpha:g}. A winner is "
             "named only when it is significantly better than every other system.")
    lines = ["## embedgate compare", "", intro, ""]
    for board in report.boards:
        lines += [board_markdown(board), ""]
    if report.weakest_links:
        lines += ["**Weakest links** (a second stage that buys nothing measurable here): "
                  + "; ".join(_cell(w) for w in report.weakest_links), ""]
    lines += ["Systems: " + "; ".join(f"`{_cell(k)}` = {_cell(v)}"
                                      for k, v in report.sources.items()), ""]
    return "\n".join(lines)


def board_markdown(board: Board) -> str:
    direction = "higher is better" if board.higher_is_better else "lower is better"
    unit = f" [{board.unit}]" if board.unit else ""
    out = [f"### {board.tier} · {board.dataset} · {board.metric}{unit} ({direction})", "",
           f"| rank | system | {_cell(board.metric)} | Δ vs best | p vs best (Holm) |",
           "|---:|---|---:|---:|---:|"]
    for e in board.entries:
        diff = "—" if e.diff_to_best is None else value_text(e.diff_to_best, board.unit, True)
        p = "—" if e.p_vs_best is None else f"{e.p_vs_best:.3g}"
        out.append(f"| {e.rank} | {_cell(e.system)} | {value_text(e.value, board.unit)} | {diff} "
                   f"| {p} |")
    verdict = f"**Winner: {_cell(board.winner)}**: " if board.winner else "**No winner**: "
    out += ["", verdict + board.conclusion, *holes_lines(board)]
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")

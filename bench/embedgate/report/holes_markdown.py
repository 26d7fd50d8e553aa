"""Markdown lines for a retrieval board's holes: Judged@10, bounds, robustness, warning."""
from __future__ import annotations

from embedgate.judge.compare import Board


def holes_lines(board: Board) -> list[str]:
    """[] for boards without a holes note (non-retrieval tiers, old results files)."""
    note = board.holes
    if note is None or not (note.judged or note.bounds):
        return []
    out = ["", f"| system | Judged@10 | {board.metric} holes relevant | {board.metric}′ "
               "condensed |", "|---|---:|---:|---:|"]
    for e in board.entries:
        j = note.judged.get(e.system)
        b = note.bounds.get(e.system)
        out.append(f"| {e.system} | {'—' if j is None else f'{j:.3f}'} | "
                   f"{'—' if b is None else f'{b.unjudged_relevant:.4f}'} | "
                   f"{'—' if b is None else f'{b.condensed:.4f}'} |")
    if note.text:
        out += ["", ("**Robust to holes**: " if note.robust else "**Could flip**: ") + note.text]
    if note.warning:
        out += ["", f"⚠ {note.warning}"]
    return out

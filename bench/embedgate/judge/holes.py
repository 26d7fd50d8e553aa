"""Could the holes in the qrels flip a leaderboard? Read from results JSON only.

A retrieval row carries `bounds` (tiers/holes.py): its value with unjudged documents counted
relevant and the condensed value (unjudged removed). The leader is **robust to holes** when it
stays ahead under every treatment: in the worst case for it (its own holes not relevant, every
other system's holes relevant: leader's value > the other's `unjudged_relevant`) and on the
condensed lists. For P@k, RR and Success@k the first test is exact: no completion of the
judgments can make another system beat a robust leader. For nDCG, recall and AP the
normalisers move with the qrels, so it is strong evidence, not a proof (docs/holes.md).

>>> rows = [("a", 0.6, Bounds(unjudged_relevant=0.7, condensed=0.8), 0.9),
...         ("b", 0.4, Bounds(unjudged_relevant=0.5, condensed=0.6), 0.9)]
>>> note = holes_note(rows, higher_is_better=True)
>>> note.robust, note.text
(True, 'a is robust to holes: ahead even if only the others’ unjudged documents were relevant, and on condensed lists')
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from embedgate.algorithms.holes import JUDGED_GAP, JUDGED_K
from embedgate.results.schema import Bounds, RunResult

JUDGED_KEY = f"judged@{JUDGED_K}"

# (system label, value, bounds or None, Judged@10 or None), in any order
HoleRow = tuple[str, float, Bounds | None, float | None]


class HolesNote(BaseModel):
    """What a leaderboard says about its unjudged documents."""

    model_config = ConfigDict(extra="forbid")
    judged: dict[str, float] = Field(default_factory=dict)  # system -> Judged@10
    bounds: dict[str, Bounds] = Field(default_factory=dict)  # system -> its row's bounds
    robust: bool | None = None  # None: a row without bounds, so not assessed
    text: str = ""
    warning: str | None = None  # Judged@10 gap between the systems above JUDGED_GAP


def hole_details(run: RunResult, embedder: str, dataset: str) -> dict[str, Any] | None:
    """The retrieval tier's holes block for one system and dataset, if the run has one."""
    details = run.details.get(f"retrieval/{embedder}/{dataset}")
    holes = details.get("holes") if isinstance(details, dict) else None
    return holes if isinstance(holes, dict) else None


def judged_of(run: RunResult, embedder: str, dataset: str) -> float | None:
    holes = hole_details(run, embedder, dataset)
    value = holes.get(JUDGED_KEY) if holes else None
    return float(value) if isinstance(value, (int, float)) else None


def holes_note(rows: Sequence[HoleRow], higher_is_better: bool) -> HolesNote:
    """Robustness of the leader and the Judged@10 warning for one board's rows."""
    judged = {label: j for label, _, _, j in rows if j is not None}
    warning = judged_warning(judged)
    if len(rows) < 2 or any(b is None for _, _, b, _ in rows):
        return HolesNote(judged=judged, warning=warning)
    note = _verdict(rows, higher_is_better)
    bounds = {label: b for label, _, b, _ in rows if b is not None}
    return note.model_copy(update={"judged": judged, "warning": warning, "bounds": bounds})


def _verdict(rows: Sequence[HoleRow], higher_is_better: bool) -> HolesNote:
    """Robust, or the first challenger that could overtake the leader."""
    sign = 1.0 if higher_is_better else -1.0
    ordered = sorted(rows, key=lambda r: -sign * r[1])
    leader, value, lb, _ = ordered[0]
    assert lb is not None
    for label, _, b, _ in ordered[1:]:
        assert b is not None
        if sign * (value - b.unjudged_relevant) <= 0:
            return HolesNote(robust=False, text=(
                f"{leader} could flip: {label} scores {b.unjudged_relevant:.4g} if its unjudged "
                f"documents were relevant (leader: {value:.4g} with its holes not relevant)"))
        if sign * (lb.condensed - b.condensed) <= 0:
            return HolesNote(robust=False, text=(
                f"{leader} could flip: on condensed lists {label} scores {b.condensed:.4g} "
                f"vs the leader's {lb.condensed:.4g}"))
    return HolesNote(robust=True, text=(
        f"{leader} is robust to holes: ahead even if only the others’ unjudged documents were "
        "relevant, and on condensed lists"))


def judged_warning(judged: dict[str, float]) -> str | None:
    """One line when the systems' Judged@10 differ by more than JUDGED_GAP, else None."""
    if len(judged) < 2:
        return None
    low = min(judged, key=judged.__getitem__)
    high = max(judged, key=judged.__getitem__)
    if judged[high] - judged[low] <= JUDGED_GAP:
        return None
    return (f"Judged@{JUDGED_K} differs by {judged[high] - judged[low]:.2f} (> {JUDGED_GAP}): "
            f"{low} {judged[low]:.2f} vs {high} {judged[high]:.2f}; unjudged documents count as "
            f"misses, so {low} may be underrated (see the hole bounds, `embedgate pool`)")


def robust_leader(rows: Sequence[HoleRow], higher_is_better: bool = True) -> str | None:
    """The leader's label when it is robust to holes, else None."""
    note = holes_note(rows, higher_is_better)
    if not note.robust:
        return None
    sign = 1.0 if higher_is_better else -1.0
    return min(rows, key=lambda r: -sign * r[1])[0]

"""Table view models: what the template's sortable-table macro draws.

A `Cell` carries the text shown, the value the table sorts by (numbers sort as numbers,
missing values last) and a CSS class for emphasis. Building cells here keeps formatting and
sorting rules in Python, where they are tested, and the template a dumb loop.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

Tone = str  # "", "good", "bad", "warn", "best", "muted", "num"


@dataclass(frozen=True)
class Cell:
    text: str
    sort: float | str | None = None  # None: sort by the text
    cls: str = ""
    title: str = ""  # hover text
    sub: str = ""  # secondary text shown smaller after the main one (e.g. an interval)


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = False
    title: str = ""


@dataclass(frozen=True)
class Table:
    columns: Sequence[Column]
    rows: Sequence[Sequence[Cell]]
    caption: str = ""
    note: str = ""  # shown under the table (e.g. "showing 20 of 311")
    sortable: bool = True
    cls: str = ""
    key: str = field(default="")  # a stable id, for tests and deep links


def num(value: float | None, digits: int = 4, cls: str = "num", title: str = "") -> Cell:
    """A right-aligned number; NaN / None show as an en dash and sort last."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return Cell("–", sort=None, cls=f"{cls} missing".strip(), title=title)
    return Cell(f"{value:.{digits}f}", sort=float(value), cls=cls, title=title)


def signed(value: float | None, digits: int = 4, higher_is_better: bool = True,
           threshold: float = 0.0) -> Cell:
    """A difference, coloured by whether it is good news in the metric's direction."""
    if value is None or not math.isfinite(value):
        return Cell("–", sort=None, cls="num missing")
    good = value > threshold if higher_is_better else value < -threshold
    bad = value < -threshold if higher_is_better else value > threshold
    tone = "good" if good else "bad" if bad else ""
    return Cell(f"{value:+.{digits}f}", sort=float(value), cls=f"num {tone}".strip())


def pct(value: float | None, digits: int = 1, cls: str = "num") -> Cell:
    if value is None or not math.isfinite(value):
        return Cell("–", sort=None, cls="num missing")
    return Cell(f"{value:.{digits}%}", sort=float(value), cls=cls)


def text(value: object, cls: str = "", title: str = "", limit: int | None = None) -> Cell:
    """A text cell, optionally shortened (the full text stays in the hover title)."""
    s = "" if value is None else str(value)
    if limit is not None and len(s) > limit:
        return Cell(s[:limit - 1] + "…", sort=s, cls=cls, title=title or s)
    return Cell(s, sort=s, cls=cls, title=title)


def pvalue(value: float | None) -> Cell:
    """A p-value with three significant digits (0.0001, not 0.000)."""
    if value is None or not math.isfinite(value):
        return Cell("–", sort=None, cls="num missing")
    return Cell(f"{value:.3g}", sort=float(value), cls="num")

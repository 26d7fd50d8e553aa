"""A cost / quality (Pareto) chart in the style of `charts`: inline SVG, every text escaped.

Each point is one configuration: x its cost (log-scaled when it spans more than 20×), y its
quality. Points that pass a rule are filled, failing ones hollow; the Pareto frontier is a
step line; the chosen configuration wears a ring.

>>> svg = tradeoff([TradeOff("a", 4, 0.5, True, True), TradeOff("b", 1536, 0.6, True, True)],
...                "demo", "bytes", "nDCG@10")
>>> svg.startswith("<svg") and "</svg>" in svg
True
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from embedgate.report.charts import (NEGATIVE, PALETTE, Frame, _axes, _legend, _n, _svg, fmt,
                                     nice_ticks)

PASS, NEUTRAL, FRONT = PALETTE[4], PALETTE[0], "#5b6472"


@dataclass(frozen=True)
class TradeOff:
    """One configuration: label, cost (x), quality (y), whether it passes the rule (None: no
    rule), whether it is on the frontier, whether the rule chose it."""

    label: str
    cost: float
    quality: float
    passes: bool | None = None
    frontier: bool = False
    chosen: bool = False


def _x_range(costs: Sequence[float]) -> tuple[float, float, bool, list[float]]:
    lo, hi = min(costs), max(costs)
    if lo > 0 and hi / lo > 20:
        a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        b = max(b, a + 1)
        return 10.0 ** a, 10.0 ** b, True, [10.0 ** e for e in range(a, b + 1)]
    ticks = nice_ticks(min(0.0, lo), hi, 5)
    return ticks[0], ticks[-1], False, ticks


def _point(f: Frame, p: TradeOff, unit: str = "B") -> str:
    col = NEUTRAL if p.passes is None else PASS if p.passes else NEGATIVE
    fill = col if p.passes is not False else "#fff"
    status = "" if p.passes is None else " · passes" if p.passes else " · fails"
    ring = (f'<circle cx="{_n(f.x(p.cost))}" cy="{_n(f.y(p.quality))}" r="8" fill="none" '
            f'stroke="#111" stroke-width="1.5"/>') if p.chosen else ""
    return (ring + f'<circle cx="{_n(f.x(p.cost))}" cy="{_n(f.y(p.quality))}" r="4" '
            f'fill="{fill}" stroke="{col}" stroke-width="1.5"><title>{escape(p.label)}: '
            f"{escape(fmt(p.cost))} {escape(unit)}, {p.quality:.4f}{escape(status)}"
            f"{' · chosen' if p.chosen else ''}</title></circle>")


def _front_line(f: Frame, points: Sequence[TradeOff]) -> str:
    front = sorted((p for p in points if p.frontier), key=lambda p: (p.cost, p.quality))
    if len(front) < 2:
        return ""
    coords: list[str] = []
    for a, b in zip(front, front[1:]):  # a staircase: cost rises, then quality
        coords += [f"{_n(f.x(a.cost))},{_n(f.y(a.quality))}",
                   f"{_n(f.x(b.cost))},{_n(f.y(a.quality))}"]
    coords.append(f"{_n(f.x(front[-1].cost))},{_n(f.y(front[-1].quality))}")
    return (f'<polyline points="{" ".join(coords)}" fill="none" stroke="{FRONT}" '
            'stroke-width="1.2" stroke-dasharray="4 3"/>')


def tradeoff(points: Sequence[TradeOff], title: str, x_label: str, y_label: str,
             width: float = 560, height: float = 320, unit: str = "B") -> Markup:
    """Cost (x) against quality (y), passing / failing points, the frontier, the choice."""
    x0, x1, log_x, xticks = _x_range([p.cost for p in points])
    qualities = [p.quality for p in points]
    yticks = nice_ticks(min(qualities), max(qualities), 4)
    f = Frame(width, height, x0, x1, yticks[0], yticks[-1], log_x=log_x, top=46, right=20)
    parts = _axes(f, xticks, yticks, x_label, y_label, grid_x=True)
    parts.append(_front_line(f, points))
    parts += [_point(f, p, unit) for p in sorted(points, key=lambda p: p.chosen)]
    names, colors = ["frontier"], [FRONT]
    if any(p.passes is not None for p in points):
        names, colors = ["passes", "fails", "frontier"], [PASS, NEGATIVE, FRONT]
    parts += _legend(names + (["chosen (ring)"] if any(p.chosen for p in points) else []),
                     colors + ["#111"], f.left, 34, width - 12)
    return _svg(width, height, title, parts)

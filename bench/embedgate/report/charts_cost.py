"""Quality against cost per 1,000 queries: one labelled point per embedder, the frontier marked.

Drawn with the axes of `charts_tradeoff` (cost on x, log-scaled past 20×; quality on y). A
point on the Pareto frontier (no other embedder both cheaper-or-equal and better-or-equal) is
filled, a dominated one hollow; the frontier is the dashed staircase. Every text is escaped.

>>> svg = cost_quality([TradeOff("a", 0.0002, 0.5, frontier=True),
...                     TradeOff("b", 0.0009, 0.4)], "domain", "nDCG@10")
>>> svg.startswith("<svg") and ">a<" in svg and "</svg>" in svg
True
"""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from embedgate.report.charts import Frame, _axes, _legend, _n, _svg, fmt, nice_ticks
from embedgate.report.charts_tradeoff import FRONT, NEUTRAL, TradeOff, _front_line, _x_range
from embedgate.report.values import value_text


def _dot(f: Frame, p: TradeOff, y_label: str) -> str:
    x, y = _n(f.x(p.cost)), _n(f.y(p.quality))
    fill = NEUTRAL if p.frontier else "#fff"
    where = "on the frontier" if p.frontier else "dominated"
    return (f'<circle cx="{x}" cy="{y}" r="4" fill="{fill}" stroke="{NEUTRAL}" '
            f'stroke-width="1.5"><title>{escape(p.label)}: {value_text(p.cost, "USD")} USD per '
            f"1k queries, {escape(y_label)} {p.quality:.4f} ({where})</title></circle>"
            f'<text class="tick" x="{_n(f.x(p.cost) + 7)}" y="{_n(f.y(p.quality) - 6)}">'
            f"{escape(p.label[:24])}</text>")


def cost_quality(points: Sequence[TradeOff], title: str, y_label: str,
                 width: float = 560, height: float = 320) -> Markup:
    """Cost per 1,000 queries (x, USD) against quality (y)."""
    x0, x1, log_x, xticks = _x_range([p.cost for p in points])
    qualities = [p.quality for p in points]
    yticks = nice_ticks(min(qualities), max(qualities), 4)
    f = Frame(width, height, x0, x1, yticks[0], yticks[-1], log_x=log_x, top=46, right=90)
    parts = _axes(f, xticks, yticks, "USD per 1,000 queries (lower is better)", y_label,
                  xfmt=fmt, grid_x=True)
    parts.append(_front_line(f, points))
    parts += [_dot(f, p, y_label) for p in points]
    parts += _legend(["Pareto frontier (filled)", "dominated (hollow)"], [FRONT, NEUTRAL],
                     f.left, 34, width - 12)
    return _svg(width, height, title, parts)

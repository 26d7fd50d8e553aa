"""Inline SVG charts for the report: no library, no network, every text escaped.

Each function returns a `Markup` string (an `<svg>` element sized by its viewBox, so it scales
with the page). Text from results files (labels, hover texts) is untrusted and goes through
`markupsafe.escape`; numbers are formatted here. Coordinates are rounded to one decimal to
keep the report small.

>>> svg = bars(["a", "b"], [Series("x", [0.5, 0.75])], title="demo", y_label="F1")
>>> svg.startswith("<svg") and "</svg>" in svg
True
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Observable's categorical palette: distinct hues, readable on white, fine for colour-blind
# readers in the first few entries (the ones most charts use).
PALETTE = ("#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2",
           "#97bbf5", "#9c6b4e", "#9498a0", "#1b7f79", "#c5622e")
POSITIVE, NEGATIVE = "#2a9d8f", "#e76f51"  # matched pairs vs negatives, in every histogram

Num = float | int


@dataclass(frozen=True)
class Series:
    """One named line / bar group / histogram; `None` values are gaps."""

    name: str
    values: Sequence[Num | None]
    color: str = ""


@dataclass(frozen=True)
class Interval:
    """One row of an interval (forest) plot: a point estimate and its interval."""

    label: str
    value: float
    low: float
    high: float
    color: str = ""


@dataclass(frozen=True)
class Point:
    """One scatter point; `group` picks its colour, `label` is its hover text."""

    x: float
    y: float
    group: str
    label: str = ""


@dataclass(frozen=True)
class Frame:
    """Maps data coordinates into the plot area of a `width` x `height` viewBox."""

    width: float
    height: float
    x0: float
    x1: float
    y0: float
    y1: float
    left: float = 52.0
    right: float = 12.0
    top: float = 28.0
    bottom: float = 40.0
    log_x: bool = False

    def x(self, v: float) -> float:
        lo, hi, v = (math.log10(t) for t in (self.x0, self.x1, v)) if self.log_x \
            else (self.x0, self.x1, v)
        span = (hi - lo) or 1.0
        return self.left + (v - lo) / span * (self.width - self.left - self.right)

    def y(self, v: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return self.height - self.bottom - (v - self.y0) / span * (
            self.height - self.top - self.bottom)


def color(i: int, given: str = "") -> str:
    return given or PALETTE[i % len(PALETTE)]


def fmt(v: float) -> str:
    """Short tick / value label: 0.25, 1.2k, 3e-05."""
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 10_000:
        return f"{v / 1000:.0f}k"
    if a >= 1000:
        return f"{v / 1000:.1f}k".replace(".0k", "k")
    if a < 0.001:
        return f"{v:.0e}"
    return f"{v:.3g}"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About `n` round tick values covering [lo, hi] (1, 2, 2.5 or 5 times a power of ten)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-6:
        ticks.append(round(t, 12))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(t, 12))
    return ticks


def _n(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _svg(frame_w: float, frame_h: float, title: str, parts: list[str], cls: str = "") -> Markup:
    head = (f'<svg class="chart {cls}" viewBox="0 0 {_n(frame_w)} {_n(frame_h)}" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(title)}</title>")
    caption = (f'<text class="ctitle" x="{_n(frame_w / 2)}" y="16" text-anchor="middle">'
               f"{escape(title)}</text>")
    return Markup(head + caption + "".join(parts) + "</svg>")


def _axes(f: Frame, xticks: Sequence[float], yticks: Sequence[float], x_label: str,
          y_label: str, xfmt: Callable[[float], str] = fmt, grid_x: bool = False) -> list[str]:
    out = ['<g class="axis">']
    x_left, x_right = f.left, f.width - f.right
    for t in yticks:
        y = f.y(t)
        out.append(f'<line class="grid" x1="{_n(x_left)}" x2="{_n(x_right)}" y1="{_n(y)}" '
                   f'y2="{_n(y)}"/><text x="{_n(x_left - 5)}" y="{_n(y + 3.5)}" '
                   f'text-anchor="end">{escape(fmt(t))}</text>')
    base = f.height - f.bottom
    for t in xticks:
        x = f.x(t)
        if grid_x:
            out.append(f'<line class="grid" x1="{_n(x)}" x2="{_n(x)}" y1="{_n(f.top)}" '
                       f'y2="{_n(base)}"/>')
        out.append(f'<text x="{_n(x)}" y="{_n(base + 14)}" text-anchor="middle">'
                   f"{escape(xfmt(t))}</text>")
    out.append(f'<line class="base" x1="{_n(x_left)}" x2="{_n(x_right)}" y1="{_n(base)}" '
               f'y2="{_n(base)}"/>')
    if x_label:
        out.append(f'<text class="label" x="{_n((x_left + x_right) / 2)}" y="{_n(f.height - 6)}" '
                   f'text-anchor="middle">{escape(x_label)}</text>')
    if y_label:
        cy = (f.top + base) / 2
        out.append(f'<text class="label" transform="translate(12 {_n(cy)}) rotate(-90)" '
                   f'text-anchor="middle">{escape(y_label)}</text>')
    out.append("</g>")
    return out


def _legend(names: Sequence[str], colors: Sequence[str], x: float, y: float,
            width: float) -> list[str]:
    """One row of swatches; wraps to further rows when it would overflow `width`."""
    out, cx, cy = ['<g class="legend">'], x, y
    for name, col in zip(names, colors):
        w = _legend_width(name)
        if cx + w > width and cx > x:
            cx, cy = x, cy + 14
        out.append(f'<rect x="{_n(cx)}" y="{_n(cy - 8)}" width="10" height="10" rx="2" '
                   f'fill="{col}"/><text x="{_n(cx + 14)}" y="{_n(cy + 1)}">'
                   f"{escape(name[:28])}</text>")
        cx += w
    out.append("</g>")
    return out


def _legend_width(name: str) -> float:
    """Swatch + text + gap; CJK characters are about twice as wide as Latin ones."""
    shown = name[:28]
    return 28 + sum(11.0 if ord(ch) > 0x2E80 else 6.6 for ch in shown)


def _legend_rows(names: Sequence[str], width: float, x: float) -> int:
    rows, cx = 1, x
    for name in names:
        w = _legend_width(name)
        if cx + w > width and cx > x:
            rows, cx = rows + 1, x
        cx += w
    return rows


# ---------------------------------------------------------------------------- charts


def histogram(edges: Sequence[float], series: Sequence[Series], title: str, x_label: str,
              bins: tuple[int, int] | None = None, width: float = 420,
              height: float = 230) -> Markup:
    """Overlaid histograms on shared bins, each normalised to its share of its own items
    (positives and negatives differ in count; shares make their shapes comparable). Only the
    bins `bins` (first, last) are drawn: by default the occupied ones plus one either side;
    pass the same range to charts that should share an axis."""
    shares = [_shares(s.values) for s in series]
    lo_i, hi_i = bins or occupied(shares)
    edges, shares = edges[lo_i:hi_i + 2], [sh[lo_i:hi_i + 1] for sh in shares]
    top = max((max(sh, default=0.0) for sh in shares), default=0.0) or 1.0
    yticks = nice_ticks(0, top, 4)
    f = Frame(width, height, edges[0], edges[-1], 0.0, yticks[-1], top=44)
    parts = _axes(f, [t for t in nice_ticks(edges[0], edges[-1], 6) if edges[0] <= t <= edges[-1]],
                  yticks, x_label, "share")
    for i, (s, sh) in enumerate(zip(series, shares)):
        col = color(i, s.color)
        for lo, hi, v in zip(edges[:-1], edges[1:], sh):
            if v <= 0:
                continue
            x, y = f.x(lo), f.y(v)
            parts.append(f'<rect class="bar" x="{_n(x)}" y="{_n(y)}" '
                         f'width="{_n(max(0.5, f.x(hi) - x - 0.5))}" height="{_n(f.y(0) - y)}" '
                         f'fill="{col}" fill-opacity="0.55"><title>{escape(s.name)} '
                         f"[{lo:.2f}, {hi:.2f}): {v:.1%}</title></rect>")
    parts += _legend([s.name for s in series], [color(i, s.color) for i, s in enumerate(series)],
                     f.left, 32, width - f.right)
    return _svg(width, height, title, parts)


def _shares(counts: Sequence[Num | None]) -> list[float]:
    total = sum(v or 0 for v in counts)
    return [(v or 0) / total if total else 0.0 for v in counts]


def occupied(counts: Sequence[Sequence[Num | None]]) -> tuple[int, int]:
    """First and last bin any series uses, widened by one bin each side (within range)."""
    n_bins = max((len(c) for c in counts), default=0)
    used = [i for i in range(n_bins) if any((c[i] or 0) > 0 for c in counts if i < len(c))]
    if not used:
        return 0, n_bins - 1
    return max(0, used[0] - 1), min(n_bins - 1, used[-1] + 1)


def bars(categories: Sequence[str], series: Sequence[Series], title: str, y_label: str,
         y_range: tuple[float, float] | None = None, width: float = 640,
         height: float = 290) -> Markup:
    """Grouped vertical bars: one group per category, one bar per series."""
    values = [v for s in series for v in s.values if v is not None and math.isfinite(v)]
    lo, hi = y_range or (min(0.0, min(values, default=0.0)), max(values, default=1.0) or 1.0)
    yticks = nice_ticks(lo, hi, 4)
    lo, hi = min(lo, yticks[0]), max(hi, yticks[-1])
    n_leg = _legend_rows([s.name for s in series], width - 12, 52)
    rotated = _long(categories)
    f = Frame(width, height, 0, max(1, len(categories)), lo, hi, top=30 + 14 * n_leg,
              left=84 if rotated else 52, bottom=20 + (64 if rotated else 0))
    parts = _axes(f, [], yticks, "", y_label)
    slot = (f.x(1) - f.x(0))
    bar_w = slot * 0.8 / max(1, len(series))
    for ci, cat in enumerate(categories):
        for si, s in enumerate(series):
            v = s.values[ci] if ci < len(s.values) else None
            if v is None or not math.isfinite(v):
                continue
            x = f.x(ci) + slot * 0.1 + si * bar_w
            y0, y1 = sorted((f.y(0 if lo <= 0 <= hi else lo), f.y(v)))
            parts.append(f'<rect class="bar" x="{_n(x)}" y="{_n(y0)}" width="{_n(bar_w - 1)}" '
                         f'height="{_n(max(0.5, y1 - y0))}" fill="{color(si, s.color)}">'
                         f"<title>{escape(s.name)} · {escape(cat)}: {escape(fmt(v))}</title></rect>")
        parts.append(_category_label(f.x(ci) + slot / 2, f.height - f.bottom, cat, rotated))
    parts += _legend([s.name for s in series], [color(i, s.color) for i, s in enumerate(series)],
                     f.left, 34, width - 12)
    return _svg(width, height, title, parts)


def _long(categories: Sequence[str]) -> bool:
    return len(categories) > 4 or any(len(c) > 10 for c in categories)


def _category_label(x: float, base: float, text: str, rotate: bool) -> str:
    limit = 18 if rotate else 22
    short = text if len(text) <= limit else text[:limit - 1] + "…"
    if rotate:
        return (f'<text class="cat" transform="translate({_n(x + 3)} {_n(base + 10)}) rotate(-30)" '
                f'text-anchor="end">{escape(short)}</text>')
    return (f'<text class="cat" x="{_n(x)}" y="{_n(base + 14)}" text-anchor="middle">'
            f"{escape(short)}</text>")


def lines(xs: Sequence[float], series: Sequence[Series], title: str, x_label: str, y_label: str,
          log_x: bool = True, width: float = 520,
          height: float = 260) -> Markup:
    """Lines with markers over shared x values (log-scaled x by default: batch sizes)."""
    values = [v for s in series for v in s.values if v is not None and v > 0]
    n_leg = _legend_rows([s.name for s in series], width - 12, 52)
    yticks = nice_ticks(0.0, max(values, default=1.0), 4)
    f = Frame(width, height, min(xs), max(xs), 0.0, yticks[-1], log_x=log_x and min(xs) > 0,
              top=30 + 14 * n_leg, right=20)
    parts = _axes(f, list(xs), yticks, x_label, y_label, grid_x=True)
    for i, s in enumerate(series):
        col = color(i, s.color)
        pts = [(f.x(x), f.y(v), x, v) for x, v in zip(xs, s.values) if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{_n(px)},{_n(py)}" for px, py, _, _ in pts)
            parts.append(f'<polyline class="line" points="{path}" stroke="{col}" fill="none"/>')
        for px, py, x, v in pts:
            parts.append(f'<circle cx="{_n(px)}" cy="{_n(py)}" r="3.5" fill="{col}">'
                         f"<title>{escape(s.name)} · {escape(fmt(x))}: {escape(fmt(v))}</title>"
                         "</circle>")
    parts += _legend([s.name for s in series], [color(i, s.color) for i, s in enumerate(series)],
                     f.left, 34, width - 12)
    return _svg(width, height, title, parts)


def scatter(points: Sequence[Point], title: str, links: Sequence[tuple[int, int]] = (),
            groups: Sequence[str] | None = None, width: float = 460,
            height: float = 380) -> Markup:
    """2-D points coloured by group (legend in `groups` order), optional link lines."""
    names = list(groups) if groups is not None else list(dict.fromkeys(p.group for p in points))
    index = {g: i for i, g in enumerate(names)}
    xs, ys = [p.x for p in points], [p.y for p in points]
    pad_x = (max(xs) - min(xs)) * 0.04 or 1.0
    pad_y = (max(ys) - min(ys)) * 0.04 or 1.0
    n_leg = _legend_rows(names, width - 12, 12)
    f = Frame(width, height, min(xs) - pad_x, max(xs) + pad_x, min(ys) - pad_y, max(ys) + pad_y,
              left=12, right=12, top=30 + 14 * n_leg, bottom=12)
    parts = [(f'<rect class="plotbg" x="{_n(f.left)}" y="{_n(f.top)}" '
              f'width="{_n(width - f.left - f.right)}" height="{_n(height - f.top - f.bottom)}"/>')]
    for a, b in links:
        pa, pb = points[a], points[b]
        parts.append(f'<line class="link" x1="{_n(f.x(pa.x))}" y1="{_n(f.y(pa.y))}" '
                     f'x2="{_n(f.x(pb.x))}" y2="{_n(f.y(pb.y))}"/>')
    for p in points:
        col = color(index.get(p.group, len(names)))
        parts.append(f'<circle cx="{_n(f.x(p.x))}" cy="{_n(f.y(p.y))}" r="3.2" fill="{col}">'
                     f"<title>{escape(p.group)}: {escape(p.label)}</title></circle>")
    parts += _legend(names, [color(i) for i in range(len(names))], f.left, 34, width - 12)
    return _svg(width, height, title, parts, cls="scatter")


def stacked(rows: Sequence[tuple[str, Sequence[float]]], parts_names: Sequence[str],
            colors: Sequence[str], title: str, width: float = 640) -> Markup:
    """Horizontal 100 % stacked bars: one row per (label, counts by part)."""
    row_h, left = 24.0, 170.0
    height = 52 + row_h * len(rows) + 16
    parts: list[str] = []
    span = width - left - 16
    for ri, (label, counts) in enumerate(rows):
        total = sum(counts) or 1.0
        y = 48 + ri * row_h
        parts.append(f'<text class="cat" x="{_n(left - 6)}" y="{_n(y + 14)}" text-anchor="end">'
                     f"{escape(label[:30])}</text>")
        x = left
        for name, c, col in zip(parts_names, counts, colors):
            w = span * c / total
            if w <= 0:
                continue
            parts.append(f'<rect x="{_n(x)}" y="{_n(y + 2)}" width="{_n(w)}" height="{_n(row_h - 6)}" '
                         f'fill="{col}"><title>{escape(label)} · {escape(name)}: {c:g} '
                         f"({c / total:.0%})</title></rect>")
            if w > 34:
                parts.append(f'<text class="inbar" x="{_n(x + w / 2)}" y="{_n(y + 15)}" '
                             f'text-anchor="middle">{c / total:.0%}</text>')
            x += w
    parts += _legend(parts_names, colors, left, 34, width - 12)
    return _svg(width, height, title, parts)


def intervals(rows: Sequence[Interval], title: str, x_label: str, zero: bool = False,
              width: float = 560) -> Markup:
    """Forest plot: a dot and an interval bar per row on one shared axis."""
    row_h, left = 22.0, 150.0
    height = 40 + row_h * len(rows) + 36
    lows = [r.low for r in rows] + ([0.0] if zero else [])
    highs = [r.high for r in rows] + ([0.0] if zero else [])
    lo, hi = min(lows), max(highs)
    pad = (hi - lo) * 0.05 or 0.05
    ticks = nice_ticks(lo - pad, hi + pad, 5)
    f = Frame(width, height, ticks[0], ticks[-1], 0, 1, left=left, right=16, top=30, bottom=36)
    parts = _axes(f, ticks, [], x_label, "", grid_x=True)
    if zero:
        parts.append(f'<line class="zero" x1="{_n(f.x(0))}" x2="{_n(f.x(0))}" y1="{_n(f.top)}" '
                     f'y2="{_n(height - f.bottom)}"/>')
    for i, r in enumerate(rows):
        y = 40 + i * row_h + row_h / 2
        col = color(i, r.color)
        parts.append(f'<text class="cat" x="{_n(left - 8)}" y="{_n(y + 4)}" text-anchor="end">'
                     f"{escape(r.label[:24])}</text>"
                     f'<line class="ci" x1="{_n(f.x(r.low))}" x2="{_n(f.x(r.high))}" y1="{_n(y)}" '
                     f'y2="{_n(y)}" stroke="{col}"/><circle cx="{_n(f.x(r.value))}" cy="{_n(y)}" '
                     f'r="4.5" fill="{col}"><title>{escape(r.label)}: {r.value:.4f} '
                     f"[{r.low:.4f}, {r.high:.4f}]</title></circle>")
    return _svg(width, height, title, parts)

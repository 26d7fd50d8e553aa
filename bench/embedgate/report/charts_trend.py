"""A small inline SVG of one metric over the stored runs, the current run marked.

>>> svg = trend([0.5, None, 0.52, 0.49], 3, "nDCG@10")
>>> svg.startswith("<svg") and "this run" in svg
True
"""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from embedgate.report.charts import PALETTE, fmt

W, H, PAD = 320.0, 90.0, 18.0
CURRENT = "#e76f51"


def trend(values: Sequence[float | None], current: int, title: str) -> Markup:
    """Values oldest first; `current` indexes the run this report is of."""
    known = [v for v in values if v is not None]
    lo, hi = (min(known), max(known)) if known else (0.0, 1.0)
    span = (hi - lo) or 1.0
    step = (W - 2 * PAD) / max(1, len(values) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return PAD + i * step, H - PAD - (v - lo) / span * (H - 2 * PAD)

    pts = [(i, *xy(i, v)) for i, v in enumerate(values) if v is not None]
    parts = [f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="1.5" points="'
             + " ".join(f"{x:.1f},{y:.1f}" for _, x, y in pts) + '"/>']
    for i, x, y in pts:
        mark = i == current
        label = "this run: " if mark else f"run {i + 1}: "
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{4 if mark else 2.5}" fill="'
                     f'{CURRENT if mark else PALETTE[0]}"><title>{escape(label)}'
                     f'{fmt(values[i] or 0.0)}</title></circle>')
    parts.append(f'<text x="{PAD}" y="12" font-size="10">{escape(title)}</text>')
    parts.append(f'<text x="{W - PAD}" y="12" font-size="9" text-anchor="end">'
                 f'{fmt(lo)} – {fmt(hi)}; ● this run</text>')
    return Markup(f'<svg class="trend" viewBox="0 0 {W:.0f} {H:.0f}" role="img" '
                  f'aria-label="{escape(title)}">' + "".join(parts) + "</svg>")

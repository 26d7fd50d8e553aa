"""Semantic-space map: 2-D scatter per embedder and source, with silhouettes.

Points are coloured by the first labelling with at most `MAX_COLOURS` distinct labels (scored
labellings first: intents by label, dataset maps by role, pair maps by domain); query–passage
links are drawn as lines. Large maps are thinned for the page by whole linked units, evenly
over the source's order; the silhouettes are the tier's, computed over every point in the
full embedding space, not over the picture.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from embedgate.algorithms.graph import components
from embedgate.report import charts
from embedgate.report.tables import Column, Table, num, text
from embedgate.report.sections.common import Inputs, TierData, evenly, per_dataset

TIER = "space_map"
MAX_COLOURS = 12


@dataclass(frozen=True)
class MapView:
    id: str
    facts: list[tuple[str, str]]
    silhouettes: Table
    charts: list[Markup]
    colour_by: str


def build(inputs: Inputs) -> list[MapView] | None:
    return per_dataset(inputs, TIER, _map)


def colour_labelling(data: Mapping[str, Any]) -> str | None:
    labellings: Mapping[str, Sequence[str]] = data.get("labellings", {})
    scored = [n for n, s in data.get("silhouette", {}).items() if s.get("higher_is_better")]
    order = [n for n in scored if n in labellings] + [n for n in labellings if n not in scored]
    for name in order:
        if 1 < len(set(labellings[name])) <= MAX_COLOURS:
            return name
    return None


def _map(inputs: Inputs, source: str, items: list[TierData]) -> MapView:
    cap = inputs.options.map_points
    first = items[0].data
    colour_by = colour_labelling(first) or ""
    n = int(first.get("n_points", len(first.get("points", {}).get("x", []))))
    keep = thin(n, [tuple(link) for link in first.get("links", [])], cap)
    facts = [("kind", str(first.get("kind", "?"))), ("projection", str(first.get("method", "?"))),
             ("points", f"{n} ({len(keep)} drawn)" if len(keep) < n else str(n)),
             ("colour", colour_by or "none")]
    evr = first.get("explained_variance_ratio")
    if evr:
        facts.append(("variance explained", " + ".join(f"{v:.1%}" for v in evr)))
    return MapView(source, facts, _silhouettes(items),
                   [c for it in items if (c := _scatter(it, colour_by, keep)) is not None],
                   colour_by)


def thin(n: int, links: Sequence[tuple[int, ...]], cap: int) -> list[int]:
    """Indices to draw: whole linked components, spread evenly, at most ~`cap` points."""
    if n <= cap:
        return list(range(n))
    pairs = [(int(link[0]), int(link[1])) for link in links if len(link) == 2 and max(link) < n]
    units: dict[str, list[int]] = {}
    for i, label in enumerate(components(n, pairs)):
        units.setdefault(label, []).append(i)
    ordered = sorted(units.values(), key=lambda u: u[0])
    per_unit = n / len(ordered)
    chosen = [ordered[i] for i in evenly(len(ordered), max(1, int(cap / per_unit)))]
    return sorted(i for unit in chosen for i in unit)


def _scatter(item: TierData, colour_by: str, keep: list[int]) -> Markup | None:
    pts = item.data.get("points", {})
    xs, ys = pts.get("x", []), pts.get("y", [])
    if not xs:
        return None
    texts = pts.get("text", [""] * len(xs))
    groups = item.data.get("labellings", {}).get(colour_by) or pts.get("role") or [""] * len(xs)
    index = {old: new for new, old in enumerate(keep) if old < len(xs)}
    points = [charts.Point(float(xs[i]), float(ys[i]), str(groups[i]), str(texts[i]))
              for i in index]
    links = [(index[a], index[b]) for a, b in (tuple(k) for k in item.data.get("links", []))
             if a in index and b in index]
    order = sorted({str(g) for g in groups})
    sil = item.data.get("silhouette", {}).get(colour_by, {}).get("value") if colour_by else None
    title = item.embedder + (f" · silhouette({colour_by}) {sil:.3f}" if sil is not None else "")
    return charts.scatter(points, title, links, order)


def _silhouettes(items: list[TierData]) -> Table:
    names = list(dict.fromkeys(n for it in items for n in it.data.get("silhouette", {})))
    cols = [Column("embedder")] + [Column(f"silhouette · {n}", True) for n in names]
    rows = [[text(it.embedder)] + [num(it.data.get("silhouette", {}).get(n, {}).get("value"))
                                   for n in names] for it in items]
    return Table(cols, rows, note="cosine silhouette in the full embedding space (−1…1; "
                 "higher: the labelling's groups are tighter and further apart)",
                 key=f"map-{items[0].dataset}")

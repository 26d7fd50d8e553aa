"""Inline SVG charts: scales, well-formed markup with escaped text, histogram shares, thinning."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from embedgate.report import charts
from embedgate.report.sections.space_map import thin

from tests.helpers.report import XSS

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("lo,hi,n,want", [
    (0.0, 1.0, 5, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    (0.03, 0.97, 4, [0.0, 0.25, 0.5, 0.75, 1.0]),
    (-0.2, 0.35, 4, [-0.2, 0.0, 0.2, 0.4]),
    (12.0, 870.0, 4, [0.0, 250.0, 500.0, 750.0, 1000.0]),
])
def test_nice_ticks_cover_the_range_with_round_steps(lo: float, hi: float, n: int,
                                                     want: list[float]) -> None:
    assert charts.nice_ticks(lo, hi, n) == pytest.approx(want)


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # fails on malformed markup, e.g. an unescaped "<" in a label


def test_every_chart_is_well_formed_svg_with_escaped_text() -> None:
    made = [
        charts.histogram([0.0, 0.25, 0.5, 0.75, 1.0],
                         [charts.Series(XSS, [0, 2, 6, 2]), charts.Series("neg", [4, 4, 1, 0])],
                         title=XSS, x_label="cosine"),
        charts.bars([XSS, "b"], [charts.Series("e1", [0.5, None]), charts.Series(XSS, [1.0, 0.2])],
                    title="f1", y_label="F1", y_range=(0.0, 1.0)),
        charts.lines([1, 8, 32], [charts.Series(XSS, [3.0, 12.0, 40.0])], "lat", "batch", "ms"),
        charts.scatter([charts.Point(0, 0, XSS, XSS), charts.Point(1, 2, "b", "t")], "map",
                       links=[(0, 1)]),
        charts.stacked([(XSS, [3, 1, 1])], ["ok", "miss", "err"], ["#0a0", "#aa0", "#a00"], "qa"),
        charts.intervals([charts.Interval(XSS, 0.5, 0.4, 0.6)], "ci", "nDCG", zero=True),
    ]
    for svg in made:
        root = _parse(svg)
        assert root.tag == f"{SVG}svg" and root.get("viewBox")
        assert XSS not in svg and "&lt;script&gt;" in svg


def test_histogram_bars_are_shares_of_each_series() -> None:
    svg = charts.histogram([0.0, 0.5, 1.0], [charts.Series("pos", [1, 3]),
                                             charts.Series("neg", [8, 0])], "h", "cosine")
    titles = [t.text for t in _parse(svg).iter(f"{SVG}title")]
    assert "pos [0.00, 0.50): 25.0%" in titles and "pos [0.50, 1.00): 75.0%" in titles
    assert "neg [0.00, 0.50): 100.0%" in titles


def test_histogram_trims_empty_bins_but_keeps_a_margin() -> None:
    edges = [i / 10 for i in range(-10, 11)]  # 20 bins over [-1, 1]
    counts = [0] * 15 + [2, 5, 0, 0, 0]  # only [0.5, 0.7) used
    svg = charts.histogram(edges, [charts.Series("pos", counts)], "h", "cosine")
    ticks = [t.text for t in _parse(svg).iter(f"{SVG}text")]
    assert "-1" not in ticks and "0.5" in ticks


def test_thinning_keeps_linked_units_whole() -> None:
    links = [(2 * i, 2 * i + 1) for i in range(50)]  # 50 query-passage pairs, 100 points
    keep = thin(100, links, 20)
    assert 16 <= len(keep) <= 20 and len(keep) % 2 == 0
    assert all((a in keep) == (b in keep) for a, b in links)
    assert thin(10, [], 20) == list(range(10))

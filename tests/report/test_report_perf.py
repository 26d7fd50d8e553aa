"""The report's perf section on a real FP32-vs-INT8 run (tests/golden/perf.json)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from embedgate.report.charts import fmt
from embedgate.report.render import render
from embedgate.results.schema import RunResult

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "perf.json"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def run() -> RunResult:
    return RunResult.load(GOLDEN)


@pytest.fixture(scope="module")
def html(run: RunResult) -> str:
    return render(run)


def _section(html: str, sid: str) -> str:
    start = html.index(f'id="{sid}"')
    return html[start:html.index("</section>", start)]


def test_perf_section_and_no_false_finetune_section(html: str) -> None:
    ids = re.findall(r'<section id="([^"]+)"', html)
    assert "perf" in ids
    # ONNX embedders record their quantisation "recipe" too: that is not a fine-tune recipe.
    assert "finetune" not in ids


def test_latency_chart_has_a_point_per_variant_and_batch_size(run: RunResult, html: str) -> None:
    section = _section(html, "perf")
    svgs = re.findall(r"<svg.*?</svg>", section, flags=re.DOTALL)
    latency = ET.fromstring(next(s for s in svgs if "median latency per batch" in s))
    points = [t.text for c in latency.iter(f"{SVG}circle") for t in c.iter(f"{SVG}title")]
    details = {k.split("/")[1]: v for k, v in run.details.items() if k.startswith("perf/")}
    assert len(points) == sum(len(d["batches"]) for d in details.values()) == 9
    int8 = details["m3e-onnx-int8"]["batches"]["32"]["p50_ms"]
    assert f"m3e-onnx-int8 · 32: {fmt(int8)}" in points


def test_speedup_size_and_quality_come_from_the_run(run: RunResult, html: str) -> None:
    section = _section(html, "perf")
    int8 = run.details["perf/m3e-onnx-int8/domain"]
    fp32 = run.details["perf/m3e-onnx-fp32/domain"]
    speed = int8["batches"]["32"]["texts_per_s"] / fp32["batches"]["32"]["texts_per_s"]
    size = int8["load"]["size_mb"] / fp32["load"]["size_mb"]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", section)]
    cells = next(r for r in rows if r[:3] == ["m3e-onnx-int8", "m3e-onnx-fp32", "32"])
    assert cells[3] == f"{speed:.2f}×" and cells[4] == f"{size:.2f}"
    assert cells[6] == f"{int8['vs']['m3e-onnx-fp32']['drift']['mean']:.4f}"
    quality = int8["vs"]["m3e-onnx-fp32"]["quality"]["domain"]["nDCG@10"]
    assert f"{quality['relative']:.2%}" in section and f"{quality['candidate']:.4f}" in section
    assert f"{int8['load']['size_mb']:.1f}" in section  # memory and size table

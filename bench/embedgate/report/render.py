"""Render results JSON into one self-contained HTML file (jinja2, autoescape, StrictUndefined)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

from .. import atomic
from ..results import RunResult

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("embedgate.report", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["num"] = lambda v, d=4: "–" if v is None or v != v else f"{v:.{d}f}"


def metric_tables(result: RunResult) -> list[dict[str, Any]]:
    """One table per (tier, dataset): rows = embedders, columns = metrics."""
    tables: dict[tuple[str, str], dict[str, Any]] = {}
    for row in result.metrics:
        t = tables.setdefault((row.tier, row.dataset), {"tier": row.tier, "dataset": row.dataset,
                                                        "metrics": [], "up": {}, "rows": {}})
        if row.metric not in t["metrics"]:
            t["metrics"].append(row.metric)
            t["up"][row.metric] = row.higher_is_better
        t["rows"].setdefault(row.embedder, {})[row.metric] = row
    return list(tables.values())


def render(result: RunResult) -> str:
    return _ENV.get_template("report.html.j2").render(
        r=result, tables=metric_tables(result),
        provenance_json=json.dumps(result.provenance, indent=2, ensure_ascii=False))


def render_file(results_path: Path, out: Path) -> Path:
    atomic.write_text(out, render(RunResult.load(results_path)))
    return out

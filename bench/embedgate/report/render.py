"""Render results JSON into one self-contained HTML file (jinja2, autoescape, StrictUndefined).

Everything the page needs is inline: CSS, a few lines of JS (sortable tables), SVG charts.
Nothing is fetched when it is viewed. Corpus and query texts are untrusted: autoescape is on
for every template, charts escape their own text, and the one JSON block meant for scripts
goes through `tojson` (which escapes <, > and &) inside a non-executable
<script type="application/json">. As a second line of defence, a Content-Security-Policy
meta tag allows no network access and only the report's own inline script (by its hash).

>>> html = render(RunResult.load(Path("results.json")))     # doctest: +SKIP
"""
from __future__ import annotations

import base64
import hashlib
import logging
import math
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from embedgate.infra import atomic
from embedgate.results.schema import RunResult
from embedgate.report.sections import Inputs, ReportOptions, Section, build

log = logging.getLogger("embedgate")

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("embedgate.report", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["num"] = lambda v, d=4: "–" if v is None or math.isnan(v) else f"{v:.{d}f}"


def summary(result: RunResult, sections: list[Section]) -> dict[str, Any]:
    """A machine-readable digest embedded in the page (for scripts and scrapers)."""
    verdict = result.verdict
    return {"suite": result.suite.name, "created_at": result.provenance.get("created_at"),
            "git_sha": result.provenance.get("git_sha"),
            "verdict": verdict.status if verdict is not None else None,
            "gates": [{"name": g.name, "status": g.status, "message": g.message()}
                      for g in (verdict.gates if verdict is not None else [])],
            "sections": [s.id for s in sections]}


def render(result: RunResult, baseline: RunResult | None = None, baseline_label: str = "",
           options: ReportOptions | None = None) -> str:
    """The report as one HTML string."""
    inputs = Inputs(result, baseline, baseline_label, options or ReportOptions())
    sections = build(inputs)
    script = _ENV.get_template("_script.js.j2").render()
    return _ENV.get_template("report.html.j2").render(
        r=result, sections=sections, baseline_label=baseline_label,
        summary=summary(result, sections), script=Markup(script), script_hash=csp_hash(script))


def csp_hash(script: str) -> str:
    """The Content-Security-Policy source that allows exactly this inline script and no other:
    even if some text slipped past escaping, an injected <script> would not run."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def default_baseline(result: RunResult) -> Path | None:
    """The baseline the gates used (verdict.baseline), when that file is still readable."""
    if result.verdict is None or not result.verdict.baseline:
        return None
    path = Path(result.verdict.baseline)
    return path if path.is_file() else None


def render_report(result: RunResult, baseline_path: Path | None = None) -> str:
    """The report of `result` against the baseline (given, or the gates' own when readable)."""
    baseline_path = baseline_path or default_baseline(result)
    baseline = RunResult.load(baseline_path) if baseline_path is not None else None
    return render(result, baseline, str(baseline_path or ""))


def render_file(results_path: Path, out: Path, baseline_path: Path | None = None) -> Path:
    """Render `results_path` (and the baseline, given or the gates' own) to `out`, atomically."""
    atomic.write_text(out, render_report(RunResult.load(results_path), baseline_path))
    log.debug("report %s: %d bytes", out, out.stat().st_size)
    return out

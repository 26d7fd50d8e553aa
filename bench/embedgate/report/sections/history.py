"""The gated figures over the stored runs (`run --history` writes them into results.json
`details.history`), each a small trend with this run marked, and the drift gate's lines."""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from embedgate.report.charts_trend import trend
from embedgate.report.sections.common import Inputs


@dataclass(frozen=True)
class HistoryView:
    intro: str
    charts: list[Markup]
    drift: list[str]


def build(inputs: Inputs) -> HistoryView | None:
    history = inputs.result.details.get("history")
    if not isinstance(history, dict) or not history.get("series"):
        return None
    run_id = history.get("run_id")
    charts = []
    for s in history["series"]:
        ids = list(s.get("run_ids", []))
        current = ids.index(run_id) if run_id in ids else len(ids) - 1
        charts.append(trend(s.get("values", []), current, " / ".join(s.get("key", []))))
    intro = (f"The last {len(history['series'][0].get('values', []))} runs of this suite in the "
             f"history store {history.get('store', '')}, oldest left; the marked point is this run.")
    return HistoryView(intro, charts, list(history.get("drift", [])))

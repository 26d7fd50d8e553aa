"""Per-query drill-down: which queries got worse, and what was retrieved instead.

A comparison pairs a current system with a reference on one dataset: the same embedder in
the baseline file, and, in a run of several embedders, every other embedder against the
first one of the suite. Queries are ranked by the change of the suite's first retrieval
metric (worst first, direction-aware); each shows the query, its relevant passages with their
rank before and after, and the top-k retrieved after (and before, collapsed). The data comes
from the retrieval tier's details["drilldown"] (see embedgate.drilldown).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from embedgate.results.schema import RunResult
from embedgate.report.sections.common import Inputs
from embedgate.report.sections.retrieval import TIER, primary_metric

MISSING = "ranks not saved (results written by an older embedgate)"


@dataclass(frozen=True)
class Doc:
    id: str
    text: str
    relevant: bool
    rank_before: str
    rank_after: str


@dataclass(frozen=True)
class QueryRow:
    qid: str
    text: str
    before: float
    after: float
    delta: float
    relevant: list[Doc]
    top_after: list[Doc]
    top_before: list[Doc]


@dataclass(frozen=True)
class Comparison:
    dataset: str
    title: str
    metric: str
    higher_is_better: bool
    worse: int
    better: int
    same: int
    rows: list[QueryRow]
    note: str


@dataclass(frozen=True)
class DrilldownView:
    comparisons: list[Comparison]
    cap: int


@dataclass(frozen=True)
class Side:
    run: RunResult
    embedder: str
    label: str


def build(inputs: Inputs) -> DrilldownView | None:
    metric = primary_metric(inputs.result)
    if metric is None:
        return None
    out: list[Comparison] = []
    for dataset in dict.fromkeys(r.dataset for r in inputs.result.metrics if r.tier == TIER):
        for cur, ref in _pairs(inputs, dataset, metric):
            comp = compare(cur, ref, dataset, metric, inputs.options.drilldown_rows)
            if comp is not None:
                out.append(comp)
    return DrilldownView(out, inputs.options.drilldown_rows) if out else None


def _pairs(inputs: Inputs, dataset: str, metric: str) -> list[tuple[Side, Side]]:
    run = inputs.result
    present = [e for e in run.embedders if run.metric(e, TIER, dataset, metric) is not None]
    pairs: list[tuple[Side, Side]] = []
    base = inputs.baseline
    if base is not None:
        pairs += [(Side(run, e, e), Side(base, e, f"baseline {e}")) for e in present
                  if base.metric(e, TIER, dataset, metric) is not None]
    if len(present) > 1:
        ref = present[0]
        pairs += [(Side(run, e, e), Side(run, ref, ref)) for e in present[1:]]
    return pairs


def _drill(side: Side, dataset: str) -> Mapping[str, Any]:
    data = side.run.details.get(f"{TIER}/{side.embedder}/{dataset}", {})
    drill = data.get("drilldown") if isinstance(data, Mapping) else None
    return drill if isinstance(drill, Mapping) else {}


def compare(cur: Side, ref: Side, dataset: str, metric: str, cap: int) -> Comparison | None:
    a = cur.run.values(cur.embedder, TIER, dataset, metric)
    b = ref.run.values(ref.embedder, TIER, dataset, metric)
    row = cur.run.metric(cur.embedder, TIER, dataset, metric)
    if not a or not b or row is None:
        return None
    sign = 1.0 if row.higher_is_better else -1.0
    shared = sorted(set(a) & set(b))
    deltas = {q: a[q] - b[q] for q in shared}
    worse = sorted((q for q in shared if sign * deltas[q] < 0), key=lambda q: (sign * deltas[q], q))
    better = sum(sign * deltas[q] > 0 for q in shared)
    dc, dr = _drill(cur, dataset), _drill(ref, dataset)
    rows = [_row(q, b[q], a[q], dc, dr) for q in worse[:cap]]
    notes = []
    if rows and (not dc or not dr):
        notes.append(MISSING)
    if len(worse) > cap:
        notes.append(f"showing the {cap} worst of {len(worse)} queries that got worse")
    unpaired = len(set(a) ^ set(b))
    if unpaired:
        notes.append(f"{unpaired} queries are in only one of the two runs and are left out")
    return Comparison(dataset, f"{cur.label} vs {ref.label}", metric, row.higher_is_better,
                      len(worse), better, len(shared) - len(worse) - better, rows, "; ".join(notes))


def _rank(drill: Mapping[str, Any], qid: str, doc: str) -> str:
    entry = drill.get("queries", {}).get(qid)
    if not entry:
        return "?"
    if doc in entry.get("rel", {}):
        rank = entry["rel"][doc]
        return "not retrieved" if rank is None else str(rank)
    top = entry.get("top", [])
    return str(top.index(doc) + 1) if doc in top else "–"


def _text(drills: tuple[Mapping[str, Any], ...], kind: str, key: str) -> str:
    for d in drills:
        value = d.get(kind, {}).get(key)
        if value is not None:
            return str(value)
    return ""


def _docs(ids: list[str], qid: str, rel: set[str], after: Mapping[str, Any],
          before: Mapping[str, Any]) -> list[Doc]:
    return [Doc(d, _text((after, before), "doc_text", d), d in rel, _rank(before, qid, d),
                _rank(after, qid, d)) for d in ids]


def _row(qid: str, before: float, after: float, dc: Mapping[str, Any],
         dr: Mapping[str, Any]) -> QueryRow:
    entry_c = dc.get("queries", {}).get(qid, {})
    entry_r = dr.get("queries", {}).get(qid, {})
    rel_ids = list(dict.fromkeys(list(entry_c.get("rel", {})) + list(entry_r.get("rel", {}))))
    rel = set(rel_ids)
    return QueryRow(qid, _text((dc, dr), "query_text", qid), before, after, after - before,
                    _docs(rel_ids, qid, rel, dc, dr),
                    _docs(list(entry_c.get("top", [])), qid, rel, dc, dr),
                    _docs(list(entry_r.get("top", [])), qid, rel, dc, dr))

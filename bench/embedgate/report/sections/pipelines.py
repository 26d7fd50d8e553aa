"""Pipelines: what each retrieval system's stages cost per query next to what the pipeline
buys over its best input (the weakest-link check), from `details.retrieval/<id>/<ds>.pipeline`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from embedgate.report.tables import Cell, Column, Table, num, pvalue, signed, text
from embedgate.report.sections.common import Inputs, tier_details


@dataclass(frozen=True)
class PipelineView:
    embedder: str
    dataset: str
    settings: str
    stages: Table
    versus: Table | None
    weakest: list[str]


def build(inputs: Inputs) -> list[PipelineView] | None:
    # Database systems (pgvector, qdrant) have their own section: vs exact, not a weakest link.
    views = [_view(d.embedder, d.dataset, d.data["pipeline"])
             for d in tier_details(inputs.result, "retrieval")
             if isinstance(d.data.get("pipeline"), Mapping)
             and d.data["pipeline"].get("settings", {}).get("kind") not in ("pgvector", "qdrant")]
    return views or None


def _view(embedder: str, dataset: str, p: Mapping[str, Any]) -> PipelineView:
    settings = ", ".join(f"{k}: {_setting(v)}" for k, v in p.get("settings", {}).items()
                         if k not in ("tuning", "tune"))
    tuning = p.get("settings", {}).get("tuning")
    if isinstance(tuning, Mapping):
        settings += (f"; weight tuned on {tuning.get('dataset')} ({tuning.get('n_queries')} "
                     f"queries, {tuning.get('metric')})")
    pairs = p.get("counts", {}).get("pairs_scored")
    if pairs is not None:  # a reranker's second-stage work, next to what it buys
        settings += f"; {pairs:,.0f} (query, passage) pairs scored"
    return PipelineView(embedder, dataset, settings, _stages(embedder, p.get("stages", {})),
                        _versus(embedder, p), list(p.get("weakest_link", [])))


def _setting(value: Any) -> str:
    """A setting as one short phrase: a nested record (a reranker's recipe) by its name and,
    for a trained one, its training-set loss; the whole record stays in results.json."""
    if not isinstance(value, Mapping):
        return str(value)
    text = str(value.get("name", "…"))
    stages = (value.get("recipe") or {}).get("stages") or [{}]
    before, after = stages[-1].get("train_set_loss_before"), stages[-1].get("train_set_loss_after")
    if isinstance(before, float) and isinstance(after, float):
        text += f" (training-set loss {before:.3f} → {after:.3f})"
    return text


def _stages(embedder: str, stages: Mapping[str, Mapping[str, float]]) -> Table:
    cols = [Column("stage"), Column("p50 ms", True), Column("p95 ms", True),
            Column("mean ms", True), Column("queries timed", True)]
    rows = [[text(name), num(s.get("p50"), 2),
             num(s.get("p95"), 2), num(s.get("mean"), 2), num(s.get("n"), 0)]
            for name, s in stages.items()]
    note = ("one query at a time, after a warm-up; a dense stage's encode is a live model call "
            "(no cache). total: the stages' per-query sum, i.e. run one after the other")
    return Table(cols, rows, note=note, sortable=False, key=f"pipeline-stages-{embedder}")


def _versus(embedder: str, p: Mapping[str, Any]) -> Table | None:
    vs = p.get("vs_best_input")
    if not isinstance(vs, Mapping):
        return None
    cols = [Column("metric"), Column("best input"), Column("input", True),
            Column(embedder, True), Column("Δ", True), Column("95% CI", True),
            Column("p (paired randomisation)", True), Column("verdict")]
    rows = []
    for metric, v in vs.items():
        low, high = v.get("ci95", [None, None])
        verdict = ("better" if v.get("better") else "not better: weakest link")
        rows.append([text(metric), text(v.get("input")), num(v.get("best_input")),
                     num(v.get("pipeline")), signed(v.get("diff")),
                     text(f"[{low:+.4f}, {high:+.4f}]" if low is not None else "–"),
                     pvalue(v.get("p")),
                     Cell(verdict, verdict, "good" if v.get("better") else "bad")])
    return Table(cols, rows, sortable=False, key=f"pipeline-versus-{embedder}")

"""Fine-tune: every recipe embedder against its base in the same run, and how it was trained.

A recipe embedder (kind "recipe") records its training in `embedders[id].extra.recipe`:
stages with their loss before / after on the training set and, for supervised stages with
mining, per-strategy counts and a sample of mined negatives. Its base is the run's embedder
whose model reference (or id) equals the recipe's `base`. Base vs tuned is judged on every
metric both report, with a paired randomisation test over per-query values.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from embedgate.results.schema import MetricRow, RunResult
from embedgate.algorithms.stats import paired_test
from embedgate.report import charts
from embedgate.report.tables import Cell, Column, Table, num, pvalue, signed, text
from embedgate.report.sections.common import Inputs, value_of

STRATEGY_FIELDS = ("mined", "dropped_false_negative", "duplicate", "kept", "unused")
HEADLINE_TIERS = ("retrieval", "intent", "qa", "intrinsic")
# Intrinsic reports descriptive statistics too (mean cosines, anisotropy); judge by these.
INTRINSIC = ("top1", "mrr", "margin", "auc", "auc_hard")


@dataclass(frozen=True)
class Sample:
    query: str
    positive: str
    positive_score: float | None
    threshold: float | None
    candidates: Table


@dataclass(frozen=True)
class RecipeView:
    embedder: str
    name: str
    base_ref: str
    base: str | None
    facts: list[tuple[str, str]]
    versus: Table | None
    chart: Markup | None
    stages: Table
    mining: list[tuple[str, Table, list[Sample]]]


def build(inputs: Inputs) -> list[RecipeView] | None:
    result = inputs.result
    views = [_recipe(inputs, eid, info["extra"]["recipe"]) for eid, info in result.embedders.items()
             if info.get("kind") == "recipe"
             and isinstance(info.get("extra", {}).get("recipe"), Mapping)]
    return views or None


def find_base(result: RunResult, base_ref: str, tuned: str) -> str | None:
    for eid, info in result.embedders.items():
        if eid == tuned:
            continue
        refs = {eid, str(info.get("extra", {}).get("model_ref", "")), str(info.get("name", ""))}
        if base_ref in refs or base_ref.removeprefix("packaged:") in refs:
            return eid
    return None


def _recipe(inputs: Inputs, eid: str, rec: Mapping[str, Any]) -> RecipeView:
    base_ref = str(rec.get("base", "?"))
    base = find_base(inputs.result, base_ref, eid)
    data = rec.get("data", {})
    facts = [("recipe", f"{rec.get('file', '?')} (sha256 {str(rec.get('sha256', ''))[:12]})"),
             ("stage judged", str(rec.get("stage", "?"))), ("seed", str(rec.get("seed", "?"))),
             ("trained in this run", ", ".join(map(str, rec.get("trained_this_run") or []))
              or "nothing (cached model)"),
             ("training data", ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in data.items())
              if isinstance(data, Mapping) else str(data))]
    stages = rec.get("stages", [])
    mining = [(str(s.get("stage", "?")), _strategies(s["mining"]),
               _samples(s["mining"], inputs.options.mining_samples))
              for s in stages if isinstance(s.get("mining"), Mapping)]
    return RecipeView(eid, str(rec.get("name", eid)), base_ref, base, facts,
                      _versus(inputs, base, eid) if base else None,
                      _chart(inputs.result, base, eid) if base else None, _stages(stages), mining)


def _headline_rows(result: RunResult, tuned: str) -> list[MetricRow]:
    return [r for r in result.metrics if r.embedder == tuned and r.tier in HEADLINE_TIERS
            and "[" not in r.metric and (r.tier != "intrinsic" or r.metric in INTRINSIC)]


def _chart(result: RunResult, base: str, tuned: str) -> Markup | None:
    """Base and tuned side by side on the retrieval metrics (all in [0, 1])."""
    pairs = [(f"{r.metric} · {r.dataset}", b, r.value)
             for r in _headline_rows(result, tuned) if r.tier == "retrieval"
             and (b := value_of(result, base, r.tier, r.dataset, r.metric)) is not None]
    if not pairs:
        return None
    return charts.bars([label for label, _, _ in pairs],
                       [charts.Series(base, [b for _, b, _ in pairs]),
                        charts.Series(tuned, [t for _, _, t in pairs])],
                       f"retrieval: {base} vs {tuned}", "score", y_range=(0.0, 1.0))


def _versus(inputs: Inputs, base: str, tuned: str) -> Table | None:
    result = inputs.result
    cols = [Column("tier"), Column("dataset"), Column("metric"), Column("base", True),
            Column("tuned", True), Column("Δ", True), Column("relative Δ", True),
            Column("p (paired randomisation)", True)]
    rows = []
    for row in _headline_rows(result, tuned):
        ref = result.metric(base, row.tier, row.dataset, row.metric)
        if ref is None:
            continue
        rows.append([text(row.tier), text(row.dataset), text(row.metric), num(ref.value),
                     num(row.value), signed(row.value - ref.value, higher_is_better=row.higher_is_better),
                     _relative(row.value, ref.value, row.higher_is_better),
                     pvalue(_p_value(result, base, tuned, row, inputs.seed))])
    return Table(cols, rows, key=f"finetune-{tuned}") if rows else None


def _relative(value: float, base: float, higher_is_better: bool) -> Cell:
    """Δ / |base| (a base near zero makes a relative change meaningless: shown as –)."""
    if abs(base) < 0.01:
        return Cell("–", None, "num missing")
    rel = (value - base) / abs(base)
    cell = signed(rel, higher_is_better=higher_is_better)
    return Cell(f"{rel:+.1%}", rel, cell.cls)


def _p_value(result: RunResult, base: str, tuned: str, row: MetricRow, seed: int) -> float | None:
    a = result.values(tuned, row.tier, row.dataset, row.metric)
    b = result.values(base, row.tier, row.dataset, row.metric)
    if not a or not b or set(a) != set(b) or len(a) < 2:
        return None
    return paired_test(a, b, seed=seed).p_value


def _stages(stages: list[Mapping[str, Any]]) -> Table:
    cols = [Column("stage"), Column("kind"), Column("loss"), Column("examples", True),
            Column("steps", True), Column("train-set loss before", True),
            Column("after", True), Column("seconds", True)]
    rows = []
    for s in stages:
        loss = s.get("loss", {})
        desc = str(loss.get("class", "?")) + (f", τ = {loss['temperature']:.3g}"
                                              if isinstance(loss.get("temperature"), float) else "")
        before, after = s.get("train_set_loss_before"), s.get("train_set_loss_after")
        rows.append([text(s.get("stage")), text(s.get("kind")), text(desc),
                     num(s.get("examples", {}).get("rows"), 0), num(s.get("steps"), 0),
                     num(before, 4), num(after, 4, cls="num good" if _lower(after, before) else "num"),
                     num(s.get("seconds"), 1)])
    return Table(cols, rows, sortable=False, key="finetune-stages")


def _lower(a: Any, b: Any) -> bool:
    return isinstance(a, int | float) and isinstance(b, int | float) and a < b


def _strategies(mining: Mapping[str, Any]) -> Table:
    cols = [Column("strategy")] + [Column(f.replace("_", " "), True) for f in STRATEGY_FIELDS]
    rows = [[text(name)] + [num(stats.get(f), 0) for f in STRATEGY_FIELDS]
            for name, stats in mining.get("per_strategy", {}).items()]
    note = (f"{mining.get('negatives_kept', '?')} negatives kept for {mining.get('queries', '?')} "
            f"queries; {mining.get('queries_without_negative', 0)} queries got none")
    return Table(cols, rows, note=note, sortable=False, key="finetune-mining")


def _samples(mining: Mapping[str, Any], cap: int) -> list[Sample]:
    out = []
    for s in mining.get("sample", [])[:cap]:
        cols = [Column("strategy"), Column("candidate"), Column("cosine", True), Column("decision")]
        rows = [[text(c.get("strategy")), text(c.get("text"), limit=70), num(c.get("score"), 4),
                 Cell(str(c.get("status", "")), str(c.get("status", "")),
                      "good" if c.get("status") == "kept" else "muted")]
                for c in s.get("candidates", [])]
        out.append(Sample(str(s.get("query", "")), str(s.get("positive", "")),
                          s.get("positive_score"), s.get("guard_threshold"),
                          Table(cols, rows, sortable=False, key="finetune-sample")))
    return out

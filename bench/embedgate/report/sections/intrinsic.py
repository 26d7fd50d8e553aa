"""Intrinsic: cosine histograms of matched pairs vs negatives, metrics, synonym failures."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from embedgate.results.schema import RunResult
from embedgate.report import charts
from embedgate.report.tables import Column, Table, num, text
from embedgate.report.sections.common import Inputs, TierData, per_dataset, value_of

TIER = "intrinsic"
HEADLINE = ("top1", "mrr", "margin", "auc", "auc_hard", "ks", "cos_pos_mean", "cos_neg_mean",
            "anisotropy")
SLICE_METRICS = ("top1", "mrr", "auc")


@dataclass(frozen=True)
class Failures:
    embedder: str
    count: int
    anchors: int
    table: Table | None


@dataclass(frozen=True)
class PairSetView:
    id: str
    source: str
    facts: list[tuple[str, str]]
    metrics: Table
    slices: Table | None
    histograms: list[Markup]
    failures: list[Failures]


def build(inputs: Inputs) -> list[PairSetView] | None:
    return per_dataset(inputs, TIER, _pair_set)


def _pair_set(inputs: Inputs, dataset: str, items: list[TierData]) -> PairSetView:
    first = items[0].data
    source: Mapping[str, Any] = first.get("source", {})
    describe = f"{source.get('type', '?')} {source.get('package') or source.get('path', '')}"
    if source.get("license"):
        describe += f" ({source['license']})"
    facts = [("groups", str(first.get("n_groups", "?"))), ("pairs", str(first.get("n_pairs", "?"))),
             ("texts", str(first.get("n_texts", "?"))), ("role", str(first.get("role", "?")))]
    if source.get("sample"):
        facts.append(("sample", (f"{source['sample']} of {source.get('groups_available', '?')} "
                                 f"groups, seed {source.get('seed', '?')}")))
    return PairSetView(dataset, describe.strip(), facts,
                       _metrics(inputs.result, dataset, [i.embedder for i in items]),
                       _slices(inputs.result, dataset, items),
                       _histograms(items),
                       [_failures(item, inputs.options.failure_rows) for item in items])


def _metrics(result: RunResult, dataset: str, embedders: list[str]) -> Table:
    rows_by = {(r.embedder, r.metric): r for r in result.metrics
               if r.tier == TIER and r.dataset == dataset}
    up = {m: r.higher_is_better for (_, m), r in rows_by.items()}
    present = [m for m in HEADLINE if m in up]
    cols = [Column("embedder")] + [Column(f"{m} {'↑' if up[m] else '↓'}", True) for m in present]
    rows = [[text(e)] + [num(rows_by[(e, m)].value if (e, m) in rows_by else None)
                         for m in present] for e in embedders]
    return Table(cols, rows, key=f"intrinsic-{dataset}")


def _slices(result: RunResult, dataset: str, items: list[TierData]) -> Table | None:
    keys = sorted({k for it in items for k in it.data.get("slices", {}) if k != "all"})
    if not keys:
        return None
    cols = [Column("slice"), Column("embedder"), Column("groups", True)] + [
        Column(m, True) for m in SLICE_METRICS]
    rows = []
    for key in keys:
        for it in items:
            info = it.data.get("slices", {}).get(key)
            if info is None:
                continue
            rows.append([text(key), text(it.embedder), num(info.get("n_groups"), 0)] +
                        [num(value_of(result, it.embedder, TIER, dataset, f"{m}[{key}]"))
                         for m in SLICE_METRICS])
    return Table(cols, rows, key=f"intrinsic-slices-{dataset}")


def _histograms(items: list[TierData]) -> list[Markup]:
    """One histogram per embedder, all on the same cosine range so they compare at a glance."""
    hists = [h for it in items if (h := it.data.get("slices", {}).get("all", {}).get("histogram"))]
    bins = charts.occupied([c for h in hists for c in (h["positive"], h["negative"])]) \
        if hists else None
    return [m for it in items if (m := _histogram(it, bins)) is not None]


def _histogram(item: TierData, bins: tuple[int, int] | None) -> Markup | None:
    whole = item.data.get("slices", {}).get("all", {})
    hist = whole.get("histogram")
    if not hist or not hist.get("edges"):
        return None
    cos = whole.get("cosines", {})
    pos, neg = cos.get("positive", {}), cos.get("negative", {})
    return charts.histogram(
        hist["edges"],
        [charts.Series(f"matched (n={pos.get('n', sum(hist['positive']))})", hist["positive"],
                       charts.POSITIVE),
         charts.Series(f"negatives (n={neg.get('n', sum(hist['negative']))})", hist["negative"],
                       charts.NEGATIVE)],
        title=item.embedder, x_label="cosine", bins=bins)


def _failures(item: TierData, cap: int) -> Failures:
    data = item.data.get("failures", {})
    items = data.get("items", [])
    cols = [Column("anchor"), Column("matched"), Column("cos", True), Column("beaten by"),
            Column("kind"), Column("cos", True), Column("margin", True),
            Column("negatives ≥", True, "negatives scoring at or above the matched text"),
            Column("slice")]
    rows = [[text(f["anchor"], limit=60), text(f["positive"], limit=60), num(f["positive_cos"], 3),
             text(f["negative"], limit=60), text(f["negative_label"]), num(f["negative_cos"], 3),
             num(f["margin"], 3, cls="num bad"), num(f["negatives_at_or_above"], 0),
             text(f.get("slice", ""))] for f in items[:cap]]
    note = f"showing the {cap} worst of {len(items)}" if len(items) > cap else ""
    table = Table(cols, rows, note=note, key=f"failures-{item.dataset}-{item.embedder}") \
        if rows else None
    return Failures(item.embedder, int(data.get("count", len(items))),
                    int(data.get("anchors", 0)), table)

"""Intent: kNN and linear-probe accuracy, per-class F1, confusion matrices, misclassified."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from embedgate.report import charts
from embedgate.report.tables import Column, Table, num, text
from embedgate.report.sections.common import Inputs, TierData, per_dataset, value_of

TIER = "intent"
METHODS = ("probe", "knn")
METRICS = ("knn_accuracy", "knn_macro_f1", "probe_accuracy", "probe_macro_f1")


@dataclass(frozen=True)
class ConfusionCell:
    count: int
    share: float  # of the true label's row
    diagonal: bool
    title: str

    @property
    def style(self) -> str:
        """Shade by share of the row: blue on the diagonal (right), red off it (confusions)."""
        rgb = "51,87,199" if self.diagonal else "214,69,65"
        ink = "; color: #fff" if self.share > 0.55 else ""
        return f"background: rgba({rgb},{self.share * 0.85:.2f}){ink}"


@dataclass(frozen=True)
class Confusion:
    embedder: str
    method: str
    labels: list[str]
    rows: list[list[ConfusionCell]]


@dataclass(frozen=True)
class SourceView:
    id: str
    facts: list[tuple[str, str]]
    metrics: Table
    f1_chart: Markup | None
    per_class: Table
    confusions: list[Confusion]
    misclassified: list[tuple[str, Table]]


def build(inputs: Inputs) -> list[SourceView] | None:
    return per_dataset(inputs, TIER, _source)


def _source(inputs: Inputs, source: str, items: list[TierData]) -> SourceView:
    first = items[0].data
    labels = [str(lb) for lb in first.get("labels", [])]
    facts = [("protocol", str(first.get("protocol", "?"))),
             ("utterances", f"{first.get('n_evaluated', '?')} evaluated of {first.get('n_items', '?')}"),
             ("labels", str(len(labels))), ("kNN k", str(first.get("knn_k", "?"))),
             ("probe", f"{first.get('probe_model', '?')}, C = {first.get('probe_c', '?')}")]
    support = first.get("evaluated_support", {})
    if support:
        facts.append(("support per label", f"{min(support.values())}–{max(support.values())}"))
    return SourceView(source, facts, _metrics(inputs, source, items), _f1_chart(items, labels),
                      _per_class(items, labels), [c for it in items if (c := _confusion(it, "probe"))],
                      _misclassified(items, inputs.options.misclassified_rows))


def _metrics(inputs: Inputs, source: str, items: list[TierData]) -> Table:
    cols = [Column("embedder")] + [Column(m.replace("_", " "), True) for m in METRICS]
    rows = []
    for it in items:
        rows.append([text(it.embedder)] + [num(value_of(inputs.result, it.embedder, TIER, source, m))
                                           for m in METRICS])
    return Table(cols, rows, key=f"intent-{source}")


def _f1_chart(items: list[TierData], labels: list[str]) -> Markup | None:
    if not labels:
        return None
    series = [charts.Series(it.embedder, [_f1(it.data, "probe", lb) for lb in labels])
              for it in items]
    return charts.bars(labels, series, "per-class F1 (linear probe)", "F1", y_range=(0.0, 1.0))


def _f1(data: Mapping[str, Any], method: str, label: str) -> float | None:
    value = data.get(method, {}).get("per_class", {}).get(label, {}).get("f1")
    return float(value) if isinstance(value, int | float) else None


def _per_class(items: list[TierData], labels: list[str]) -> Table:
    cols = [Column("label"), Column("embedder"), Column("method"), Column("precision", True),
            Column("recall", True), Column("F1", True), Column("support", True)]
    rows = []
    for label in labels:
        for it in items:
            for method in METHODS:
                pc = it.data.get(method, {}).get("per_class", {}).get(label)
                if pc:
                    rows.append([text(label), text(it.embedder), text(method),
                                 num(pc.get("precision"), 3), num(pc.get("recall"), 3),
                                 num(pc.get("f1"), 3), num(pc.get("support"), 0)])
    return Table(cols, rows, key="intent-per-class")


def _confusion(item: TierData, method: str) -> Confusion | None:
    conf = item.data.get(method, {}).get("confusion")
    if not conf or not conf.get("matrix"):
        return None
    labels = [str(lb) for lb in conf.get("labels", [])]
    rows = []
    for i, counts in enumerate(conf["matrix"]):
        total = sum(counts) or 1
        rows.append([ConfusionCell(int(c), c / total, i == j,
                                   f"{labels[i]} → {labels[j]}: {c} ({c / total:.0%} of the row)")
                     for j, c in enumerate(counts)])
    return Confusion(item.embedder, method, labels, rows)


def _misclassified(items: list[TierData], cap: int) -> list[tuple[str, Table]]:
    out = []
    for it in items:
        wrong = it.data.get("probe", {}).get("misclassified", {})
        shown = wrong.get("items", [])[:cap]
        if not shown:
            continue
        cols = [Column("utterance"), Column("true label"), Column("predicted"), Column("line", True)]
        rows = [[text(w.get("text"), limit=90), text(w.get("label")), text(w.get("predicted"), cls="bad"),
                 num(w.get("line"), 0)] for w in shown]
        note = f"{len(shown)} of {wrong.get('count', len(shown))} misclassified by the probe"
        out.append((it.embedder, Table(cols, rows, note=note,
                                       key=f"intent-wrong-{it.dataset}-{it.embedder}")))
    return out

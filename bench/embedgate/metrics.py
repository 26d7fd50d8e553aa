"""Retrieval metrics: ir-measures names with a declared direction, per-query values kept.

Metric code is ir-measures (pytrec_eval underneath); this module only parses names, attaches a
direction and keeps the per-query values that significance tests and drill-downs need.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ir_measures

from .errors import did_you_mean

Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Mapping[str, float]]

# Measures we accept, with their direction. Every one here is a "more is better" measure;
# count-style measures (NumRet, NumQ) are not offered because they do not judge an embedder.
SUPPORTED: dict[str, bool] = {
    "nDCG": True,
    "R": True,
    "P": True,
    "RR": True,
    "AP": True,
    "Success": True,
    "Rprec": True,
    "Judged": True,
}


@dataclass(frozen=True)
class MetricSpec:
    """A parsed metric: canonical ir-measures name, direction and rank cutoff."""

    name: str
    higher_is_better: bool
    cutoff: int | None
    measure: object  # the ir_measures measure object

    def __str__(self) -> str:
        return self.name


def parse_metric(text: str) -> MetricSpec:
    """Parse an ir-measures string such as ``nDCG@10`` or ``RR@10``.

    >>> parse_metric("MRR@10").name
    'RR@10'

    Raises ValueError with a "did you mean" hint for unknown names.
    """
    base = text.split("@", 1)[0].split("(", 1)[0]
    canonical = {"NDCG": "nDCG", "Recall": "R", "Precision": "P", "MRR": "RR", "MAP": "AP"}
    base = canonical.get(base, base)
    if base not in SUPPORTED:
        hint = did_you_mean(base, list(SUPPORTED) + list(canonical))
        raise ValueError(
            f'unknown metric "{text}"{hint}; use ir-measures syntax, one of '
            f"{', '.join(sorted(SUPPORTED))} with a cutoff, e.g. nDCG@10"
        )
    try:
        measure = ir_measures.parse_measure(text)
    except (NameError, ValueError, TypeError) as exc:
        raise ValueError(f'cannot parse metric "{text}": {exc}; e.g. nDCG@10, R@5, RR@10') from None
    cutoff = getattr(measure, "params", {}).get("cutoff")
    return MetricSpec(name=str(measure), higher_is_better=SUPPORTED[base],
                      cutoff=int(cutoff) if cutoff is not None else None, measure=measure)


def per_query(metrics: Iterable[MetricSpec], qrels: Qrels, run: Run) -> dict[str, dict[str, float]]:
    """Per-query values {metric name: {qid: value}} for every judged query.

    pytrec_eval skips queries absent from the run; a judged query that retrieved nothing
    scores 0 here rather than vanishing from the average.
    """
    specs = list(metrics)
    out: dict[str, dict[str, float]] = {m.name: {} for m in specs}
    by_measure = {str(m.measure): m.name for m in specs}
    evaluator = ir_measures.evaluator([m.measure for m in specs], dict(qrels))
    for row in evaluator.iter_calc(dict(run)):
        out[by_measure[str(row.measure)]][row.query_id] = float(row.value)
    for values in out.values():
        for qid in qrels:
            values.setdefault(qid, 0.0)
    return out


def mean(values: Mapping[str, float]) -> float:
    return float(sum(values.values()) / len(values)) if values else float("nan")

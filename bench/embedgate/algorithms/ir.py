"""Retrieval metrics: ir-measures names with a declared direction, per-query values kept.

Metric code is ir-measures (pytrec_eval underneath); this module only parses names, attaches a
direction and keeps the per-query values that significance tests and drill-downs need.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ir_measures

from embedgate.infra.errors import did_you_mean

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


MAX_CUTOFF = 10_000  # the retrieval tier's largest top_k
MAX_REL = 1_000
_CANONICAL = {"NDCG": "nDCG", "Recall": "R", "Precision": "P", "MRR": "RR", "MAP": "AP"}
# Name, optional (k=v, ...), optional @cutoff; checked before ir-measures feeds it to ast.parse.
_SHAPE = re.compile(r"^[A-Za-z]+(\([A-Za-z0-9_=,.\s'-]*\))?(@[^@]+)?$")
# Left out: `dcg` (exp-log2 needs a perl provider that is not installed) and `gains` (the
# canonical name drops gains equal to the level, so re-parsing the name changes the metric).
_PARAMS = {"cutoff", "rel", "judged_only"}
_EXAMPLES = "e.g. nDCG@10, R@100, RR@10, P(rel=2)@5"


def parse_metric(text: str) -> MetricSpec:
    """Parse an ir-measures string such as ``nDCG@10`` or ``RR@10``.

    >>> parse_metric("MRR@10").name
    'RR@10'

    Raises ValueError with a "did you mean" hint for unknown names, and for parameters the
    measure does not take or values it cannot compute (``nDCG@0``, ``Rprec@10``,
    ``P(rel=x)@5``), so nothing malformed ever reaches pytrec_eval.
    """
    text = str(text)
    base = text.split("@", 1)[0].split("(", 1)[0].strip()
    base = _CANONICAL.get(base, base)
    if base not in SUPPORTED:
        hint = did_you_mean(base, list(SUPPORTED) + list(_CANONICAL))
        raise ValueError(
            f'unknown metric "{_clip(text)}"{hint}; use ir-measures syntax, one of '
            f"{', '.join(sorted(SUPPORTED))} with a cutoff, {_EXAMPLES}"
        )
    if len(text) > 200 or not _SHAPE.match(text):
        raise ValueError(f'cannot parse metric "{_clip(text)}": expected Measure@cutoff or '
                         f"Measure(param=value, ...)@cutoff; {_EXAMPLES}")
    try:
        measure = ir_measures.parse_measure(text)
    except (NameError, ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        raise ValueError(f'cannot parse metric "{_clip(text)}": expected Measure@cutoff or '
                         f"Measure(param=value, ...)@cutoff; {_EXAMPLES}") from None
    params = dict(getattr(measure, "params", {}))
    _check_params(text, base, params, set(measure.SUPPORTED_PARAMS) & _PARAMS)
    cutoff = params.get("cutoff")
    return MetricSpec(name=str(measure), higher_is_better=SUPPORTED[base],
                      cutoff=int(cutoff) if cutoff is not None else None, measure=measure)


def _check_params(text: str, base: str, params: dict[str, object], accepted: set[str]) -> None:
    """Every parameter is one the measure takes, with a value pytrec_eval can compute."""
    for key, value in params.items():
        if key not in accepted:
            if key == "cutoff":
                raise ValueError(f'metric "{text}": {base} takes no @cutoff; write {base}')
            takes = ", ".join(sorted(accepted - {"cutoff"})) or "none"
            takes += ", and @cutoff" if "cutoff" in accepted else ""
            raise ValueError(f'metric "{_clip(text)}": {base} has no parameter "{_clip(key)}"'
                             f"{did_you_mean(key, accepted)}; its parameters: {takes}")
        problem = _bad_value(key, value)
        if problem:
            raise ValueError(f'metric "{_clip(text)}": {problem}; {_EXAMPLES}')


def _bad_value(key: str, value: object) -> str | None:
    """What is wrong with one parameter value, or None when pytrec_eval can compute it."""
    got = f"(got {_clip(repr(value))})"
    if key == "cutoff" and not _whole_in(value, 1, MAX_CUTOFF):
        return f"the cutoff must be a whole number from 1 to {MAX_CUTOFF} {got}"
    if key == "rel" and not _whole_in(value, 1, MAX_REL):
        return f"rel must be a whole relevance level from 1 to {MAX_REL} {got}"
    if key == "judged_only" and not isinstance(value, bool):
        return f"judged_only must be True or False {got}"
    return None


def _whole_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class Evaluator:
    """Metrics parsed once and one ir-measures evaluator over one qrels, reused for every run
    scored against them (as ``ir_measures.evaluator`` is meant to be: its qrels are indexed
    once). A tier builds one per dataset in `prepare`.

    >>> ev = Evaluator([parse_metric("RR@10")], {"q1": {"d2": 1}})
    >>> ev.per_query({"q1": {"d1": 2.0, "d2": 1.0}})
    {'RR@10': {'q1': 0.5}}
    """

    def __init__(self, specs: Iterable[MetricSpec], qrels: Qrels) -> None:
        self.specs = tuple(specs)
        self.qrels = qrels
        self._by_measure = {str(m.measure): m.name for m in self.specs}
        self._evaluator = ir_measures.evaluator([m.measure for m in self.specs], dict(qrels))

    def per_query(self, run: Run) -> dict[str, dict[str, float]]:
        """Per-query values {metric name: {qid: value}} for every judged query.

        pytrec_eval skips queries absent from the run; a judged query that retrieved nothing
        scores 0 here rather than vanishing from the average.
        """
        out: dict[str, dict[str, float]] = {m.name: {} for m in self.specs}
        for row in self._evaluator.iter_calc(dict(run)):
            out[self._by_measure[str(row.measure)]][row.query_id] = float(row.value)
        for values in out.values():
            for qid in self.qrels:
                values.setdefault(qid, 0.0)
        return out


def per_query(metrics: Iterable[MetricSpec], qrels: Qrels, run: Run) -> dict[str, dict[str, float]]:
    """`Evaluator.per_query` for one run (build an `Evaluator` to score several)."""
    return Evaluator(metrics, qrels).per_query(run)


def mean(values: Mapping[str, float]) -> float:
    return float(sum(values.values()) / len(values)) if values else float("nan")

"""Holes in the qrels: what a metric would be if the unjudged documents a run retrieved were
relevant, or were never ranked at all. Pure transforms of qrels and runs; the metric code stays
ir-measures (algorithms/ir.py).

Three treatments of an unjudged document (one with no qrels entry for that query, not even 0):
- today's value: unjudged = not relevant (what every standard metric does);
- ``unjudged_relevant``: every unjudged document the metric can see (within its cutoff; the
  whole ranking when it has none) gets the collection's highest grade. For measures whose
  normaliser does not depend on the qrels (P@k, RR, Success@k) this is an exact upper bound
  of the value under any completion of the judgments; for nDCG, recall and AP the added
  documents also enter the normaliser, so it is a what-if, not a bound;
- ``condensed``: unjudged documents are removed from the ranking before scoring (nDCG′ of
  Sakai 2007 for nDCG; the same for every measure). bpref (Buckley & Voorhees 2004) ignores
  unjudged documents by definition and is reported beside them.

>>> q = {"q1": {"d1": 1, "d2": 0}}
>>> r = {"q1": {"d9": 3.0, "d1": 2.0, "d2": 1.0}}
>>> unjudged_relevant_qrels(q, r, cutoff=1, grade=1)["q1"]
{'d1': 1, 'd2': 0, 'd9': 1}
>>> condensed_run(q, r)["q1"]
{'d1': 2.0, 'd2': 1.0}
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ir_measures

from embedgate.algorithms.ir import MetricSpec, Qrels, Run, per_query

JUDGED_K = 10  # the depth at which Judged@k is reported everywhere
JUDGED_GAP = 0.1  # compared systems differing more than this in Judged@10 get a warning


def ranked(docs: dict[str, float] | object) -> list[str]:
    """Doc ids best first; ties by doc id descending, as trec_eval breaks them."""
    items = dict(docs).items()  # type: ignore[call-overload]
    return [d for d, _ in sorted(items, key=lambda kv: (kv[1], kv[0]), reverse=True)]


def max_grade(qrels: Qrels) -> int:
    """The collection's highest relevance grade (at least 1): the grade a hole gets in the
    upper treatment, so that graded measures are bounded too, not only binary ones."""
    return max([1, *(g for docs in qrels.values() for g in docs.values())])


def unjudged_relevant_qrels(qrels: Qrels, run: Run, cutoff: int | None,
                            grade: int) -> dict[str, dict[str, int]]:
    """Qrels where each unjudged document in the run's top ``cutoff`` of that query has
    ``grade``. Only documents the metric can see: counting relevant a document below the
    cutoff would only grow recall's and nDCG's normalisers, pushing the value down."""
    out = {q: dict(docs) for q, docs in qrels.items()}
    for q, docs in out.items():
        seen = ranked(run.get(q, {}))
        for d in seen if cutoff is None else seen[:cutoff]:
            docs.setdefault(d, grade)
    return out


def condensed_run(qrels: Qrels, run: Run) -> dict[str, dict[str, float]]:
    """The run with every unjudged document removed (the rest keep their order)."""
    return {q: {d: s for d, s in docs.items() if d in qrels.get(q, {})}
            for q, docs in run.items()}


@dataclass(frozen=True)
class HoleValues:
    """Per-query values {metric name: {qid: value}} under the two other treatments."""

    unjudged_relevant: dict[str, dict[str, float]]
    condensed: dict[str, dict[str, float]]


def hole_values(specs: Iterable[MetricSpec], qrels: Qrels, run: Run) -> HoleValues:
    """Every metric under the unjudged-relevant and the condensed treatment (ir-measures)."""
    specs = list(specs)
    grade = max_grade(qrels)
    upper: dict[str, dict[str, float]] = {}
    for spec in specs:  # each cutoff sees its own holes, so each metric gets its own qrels
        upper.update(per_query([spec], unjudged_relevant_qrels(qrels, run, spec.cutoff, grade),
                               run))
    return HoleValues(unjudged_relevant=upper, condensed=per_query(specs, qrels,
                                                                   condensed_run(qrels, run)))


def judged_at(qrels: Qrels, run: Run, k: int = JUDGED_K) -> dict[str, float]:
    """Judged@k per judged query (ir-measures): the share of the top k that has a judgment.
    A judged query that retrieved nothing scores 0."""
    return _measure(ir_measures.parse_measure(f"Judged@{k}"), qrels, run)


def bpref(qrels: Qrels, run: Run) -> dict[str, float]:
    """bpref per judged query (ir-measures; Buckley & Voorhees 2004)."""
    return _measure(ir_measures.parse_measure("Bpref"), qrels, run)


def _measure(measure: object, qrels: Qrels, run: Run) -> dict[str, float]:
    out = {q: 0.0 for q in qrels}
    # a query whose ranking is empty (a filter nothing matched) keeps its 0: ir-measures'
    # Judged@k divides by the length of the ranking
    ranked_runs = {q: docs for q, docs in run.items() if docs}
    for row in ir_measures.iter_calc([measure], dict(qrels), ranked_runs):
        if row.query_id in out:
            out[row.query_id] = float(row.value)
    return out


def unjudged_pairs(qrels: Qrels, run: Run, depth: int) -> dict[str, list[str]]:
    """Per judged query, the unjudged documents in the run's top ``depth``, best first."""
    out: dict[str, list[str]] = {}
    for q, judged in qrels.items():
        holes = [d for d in ranked(run.get(q, {}))[:depth] if d not in judged]
        if holes:
            out[q] = holes
    return out

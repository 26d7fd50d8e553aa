"""The retrieval tier's view of the holes in the qrels: bounds on each metric row, and
Judged@10 and bpref in the details (algorithms/holes.py has the maths, docs/holes.md the why).

Kept out of tiers/retrieval.py so that tier only calls `with_holes` on its rows.
"""
from __future__ import annotations

from collections.abc import Sequence

from embedgate.algorithms.holes import (JUDGED_K, bpref, hole_values, judged_at, max_grade,
                                        unjudged_pairs)
from embedgate.algorithms.ir import MetricSpec, Qrels, Run, mean
from embedgate.results.schema import Bounds, MetricRow


def with_holes(rows: Sequence[MetricRow], specs: Sequence[MetricSpec], qrels: Qrels,
               run: Run) -> tuple[list[MetricRow], dict[str, object]]:
    """Rows with `bounds` filled in (rows of other metrics pass unchanged), and the
    details block: Judged@10, bpref, the grade a hole gets and how many holes the top 10 has.

    Means are over the same judged queries as the row's value (a query that retrieved nothing
    scores 0 under every treatment).
    """
    values = hole_values(specs, qrels, run)
    out = []
    for row in rows:
        upper = values.unjudged_relevant.get(row.metric)
        cond = values.condensed.get(row.metric)
        if upper is None or cond is None:
            out.append(row)
            continue
        bounds = Bounds(unjudged_relevant=mean(upper), condensed=mean(cond))
        out.append(row.model_copy(update={"bounds": bounds}))
    holes = unjudged_pairs(qrels, run, JUDGED_K)
    details: dict[str, object] = {
        f"judged@{JUDGED_K}": mean(judged_at(qrels, run)), "bpref": mean(bpref(qrels, run)),
        "hole_grade": max_grade(qrels), f"unjudged@{JUDGED_K}": sum(map(len, holes.values())),
        "n_queries": len(qrels)}
    return out, details

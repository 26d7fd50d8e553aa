"""A results file built by hand: embedders with given per-query values on one retrieval metric."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from embedgate.results.schema import MetricRow, PerQuery, RunResult, SuiteInfo


def paired_run(values: Mapping[str, Sequence[float]], metric: str = "nDCG@10",
               datasets: Sequence[str] = ("ds",)) -> RunResult:
    """Each embedder's per-query `values` (q0, q1, ...) on every dataset, metric rows = means."""
    rows: list[MetricRow] = []
    per_query: list[PerQuery] = []
    for ds in datasets:
        for emb, vals in values.items():
            per_query.append(PerQuery(embedder=emb, tier="retrieval", dataset=ds, metric=metric,
                                      values={f"q{i}": float(v) for i, v in enumerate(vals)}))
            rows.append(MetricRow(embedder=emb, tier="retrieval", dataset=ds, metric=metric,
                                  value=sum(vals) / len(vals), higher_is_better=True,
                                  n_queries=len(vals)))
    return RunResult(suite=SuiteInfo(name="power", file="power.yaml", sha256="0" * 64),
                     provenance={"seed": 0}, embedders={e: {} for e in values},
                     datasets={ds: {} for ds in datasets},
                     params={"tiers": {"retrieval": {"metrics": [metric]}}},
                     metrics=rows, per_query=per_query)

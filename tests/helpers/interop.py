"""A one-embedder SciFact-shaped results file for the interop tests (export, published rows)."""
from __future__ import annotations

from pathlib import Path

from embedgate.results.schema import MetricRow, PerQuery, RunResult, SuiteInfo

SCORES = {"nDCG@10": 0.6512, "RR@10": 0.6123, "R@100": 0.9321, "AP@100": 0.6011, "P@5": 0.1867,
          "Rprec": 0.55}


def scifact_run(values: dict[str, float] | None = None, embedder: str = "candidate",
                dataset: str = "scifact") -> RunResult:
    """`embedder` on `dataset` (split test); per-query nDCG@10 over three queries."""
    scores = values or SCORES
    rows = [MetricRow(embedder=embedder, tier="retrieval", dataset=dataset, metric=m, value=v,
                      higher_is_better=True, n_queries=3) for m, v in scores.items()]
    base = scores.get("nDCG@10", 0.5)
    per_query = [PerQuery(embedder=embedder, tier="retrieval", dataset=dataset,
                          metric="nDCG@10",
                          values={"q1": base - 0.1, "q2": base, "q3": base + 0.1})]
    return RunResult(
        suite=SuiteInfo(name="interop", file="suite.yaml", sha256="0" * 64),
        provenance={"created_at": "2026-12-06T10:00:00+00:00"},
        embedders={embedder: {"id": embedder, "name": "org/candidate-small", "dim": 384,
                              "max_seq_length": 256, "weights_sha256": "ab" * 32}},
        datasets={dataset: {"split": "test", "sha256": "cd" * 32, "n_queries_evaluated": 3}},
        params={}, metrics=rows, per_query=per_query)


def save(run: RunResult, path: Path) -> Path:
    run.save(path)
    return path

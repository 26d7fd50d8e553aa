"""What a retrieval pipeline's results add: per-stage latency and the weakest-link check.

For a fusion (or reranker) over inputs, each input's own ranking is scored on the same
queries, and the pipeline is tested against the best input per metric (paired randomisation
test, two-sided, α 0.05, with a bootstrap interval of the difference). A pipeline that is not
significantly better than its best input is flagged: it costs a second stage and buys nothing
measurable on this data.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from embedgate.algorithms.ir import Evaluator, MetricSpec, mean
from embedgate.algorithms.search import to_run
from embedgate.algorithms.stats import bootstrap_ci, paired_test, percentiles
from embedgate.embedders.base import Ranking
from embedgate.inputs.beir import Collection

ALPHA = 0.05


def pipeline_details(ranking: Ranking, evaluator: Evaluator, data: Collection,
                     qids: list[str], values: dict[str, dict[str, float]],
                     seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {"settings": ranking.settings, "stages": stage_latency(ranking),
                           "counts": ranking.counts}
    if not ranking.inputs:
        return out
    specs = evaluator.specs
    inputs = {name: evaluator.per_query(to_run(qids, data.doc_ids, r.scores, r.idx))
              for name, r in ranking.inputs.items()}
    out["inputs"] = {name: {m: mean(v) for m, v in vals.items()} for name, vals in inputs.items()}
    out["vs_best_input"] = {s.name: _versus_best(s, values[s.name], inputs, seed) for s in specs}
    out["weakest_link"] = [m for m, v in out["vs_best_input"].items() if not v["better"]]
    return out


def _versus_best(spec: MetricSpec, mine: dict[str, float],
                 inputs: dict[str, dict[str, dict[str, float]]], seed: int) -> dict[str, Any]:
    sign = 1.0 if spec.higher_is_better else -1.0
    best = max(inputs, key=lambda name: sign * mean(inputs[name][spec.name]))
    theirs = inputs[best][spec.name]
    test = paired_test(mine, theirs, seed=seed)
    low, high = bootstrap_ci(mine, theirs, seed=seed)
    better = test.p_value < ALPHA and sign * test.diff > 0
    return {"input": best, "pipeline": test.mean_a, "best_input": test.mean_b,
            "diff": test.diff, "ci95": [low, high], "p": test.p_value, "better": better}


def stage_latency(ranking: Ranking) -> dict[str, dict[str, float]]:
    """p50/p95/mean ms per stage, and their per-query sum (a sequential pipeline's cost)."""
    stages = {name: ms for name, ms in ranking.latency_ms.items() if ms}
    out = {name: percentiles(ms) for name, ms in stages.items()}
    n = min((len(ms) for ms in stages.values()), default=0)
    if len(stages) > 1 and n:
        total = np.sum([np.asarray(ms[:n]) for ms in stages.values()], axis=0)
        out["total"] = percentiles(total.tolist())
    return out

"""What one run leaves in the history store: whole-set metrics with their per-query values.

Probe vectors and tier details stay in results.json; the store keeps what trends and the drift
gate need (a metric's value, its direction and the per-query values behind its interval).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from embedgate.results.schema import RunResult

Key = tuple[str, str, str, str]  # embedder, tier, dataset, metric


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    suite: str
    created_at: str
    git_sha: str | None
    verdict: str | None
    source: str
    payload: dict[str, Any]  # {"metrics": [[e, t, d, m, value, higher_is_better]], "per_query": …}

    def value(self, key: Key) -> float | None:
        for e, t, d, m, v, _ in self.payload.get("metrics", []):
            if (e, t, d, m) == key:
                return float(v)
        return None

    def higher_is_better(self, key: Key) -> bool:
        for e, t, d, m, _, hib in self.payload.get("metrics", []):
            if (e, t, d, m) == key:
                return bool(hib)
        return True

    def per_query(self, key: Key) -> dict[str, float] | None:
        found = self.payload.get("per_query", {}).get("|".join(key))
        return dict(found) if found is not None else None


def from_result(result: RunResult, source: str) -> RunRecord:
    """A record of a results file; its id is a hash of the file's identity, so importing the
    same results twice adds it once."""
    metrics = [[r.embedder, r.tier, r.dataset, r.metric, r.value, r.higher_is_better]
               for r in result.metrics if "[" not in r.metric]
    per_query = {"|".join((p.embedder, p.tier, p.dataset, p.metric)): p.values
                 for p in result.per_query if "[" not in p.metric}
    created = str(result.provenance.get("created_at", ""))
    # The file's own identity: two runs within one second differ at least in their timings.
    ident = json.dumps([result.suite.name, created, result.suite.sha256, metrics,
                        result.timings], sort_keys=True)
    return RunRecord(run_id=hashlib.sha256(ident.encode()).hexdigest()[:16],
                     suite=result.suite.name, created_at=created,
                     git_sha=result.provenance.get("git_sha"),
                     verdict=result.verdict.status if result.verdict else None, source=source,
                     payload={"metrics": metrics, "per_query": per_query,
                              "gated": [list(k) for k in gated_keys(result)],
                              "datasets": {k: v.get("sha256") for k, v in result.datasets.items()}})


def gated_keys(result: RunResult) -> list[Key]:
    """The figures the run's gates judged (every whole-set metric when it had no gates)."""
    if result.verdict is not None and result.verdict.gates:
        return list(dict.fromkeys((g.embedder, g.tier, g.dataset, g.metric)
                                  for g in result.verdict.gates))
    return [(r.embedder, r.tier, r.dataset, r.metric) for r in result.metrics
            if "[" not in r.metric]

"""A cross-encoder as a relevance judge (`judge: {type: rerank, …}`): the `/v1/rerank` client
or a local CrossEncoder scores each (query, passage); a score at or above the threshold is the
judge scale's top grade (3, relevant), below it 0. Pairs are scored per query in one call.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from embedgate.infra.errors import InfraError
from embedgate.labels.llm_judge import TOP
from embedgate.retrievers.scorers import EndpointScorer, LocalScorer
from embedgate.suite.judge import RerankJudgeSpec


class RerankJudge:
    def __init__(self, spec: RerankJudgeSpec) -> None:
        self.spec = spec
        if spec.endpoint is not None:
            self.scorer: EndpointScorer | LocalScorer = EndpointScorer(spec.endpoint)
            self.name = f"judge:rerank:{spec.endpoint.model}"
        else:
            assert spec.model is not None
            self.scorer = LocalScorer(spec.model, spec.max_length, spec.batch_size,
                                      {"name": spec.model.name})
            self.name = f"judge:rerank:{spec.model.name}"

    def grades(self, pairs: Sequence[tuple[str, str]]) -> list[int]:
        """0 or 3 per (query, passage), in order."""
        queries = list(dict.fromkeys(q for q, _ in pairs))
        passages = [[p for q2, p in pairs if q2 == q] for q in queries]
        scores = dict(zip(queries, self.scorer.score_many(queries, passages)))
        taken = {q: 0 for q in queries}
        out = []
        for q, _ in pairs:
            score = float(scores[q][taken[q]])
            taken[q] += 1
            if not np.isfinite(score):
                raise InfraError(f"{self.name}: a non-finite relevance score; the original "
                                 "qrels' results are unchanged")
            out.append(TOP if score >= self.spec.threshold else 0)
        return out

"""Hard-negative mining: semantic neighbours, BM25 look-alikes, boundary cases, and a guard.

For each training query every strategy proposes candidates from the passage pool, never its
positives or anything judged relevant for it:

- semantic: the passages ranked `rank_window` = [first, last] by cosine among non-positives;
- lexical: BM25 (bm25s) top_k with a score > 0, i.e. sharing at least one token;
- boundary: passages whose cosine lies within `margin` of the positive's, closest first.

The false-negative guard drops a candidate whose cosine exceeds `false_negative_ratio` times
the positive's cosine (the lowest among the query's positives, the conservative choice): a
passage the model already ranks next to a known positive is often an unjudged relevant one.
Each strategy keeps at most `per_query` survivors not already taken by an earlier strategy.
Counts per strategy: mined (proposed), dropped (guard), duplicate, kept, unused.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from embedgate.embedders.base import Role
from embedgate.recipes.data import TrainingData
from embedgate.recipes.recipe import MiningSpec
from embedgate.algorithms.lexical import bm25_tokens

STRATEGIES = ("semantic", "lexical", "boundary")


class Encoder(Protocol):
    """What mining needs of an embedder: L2-normalised vectors per role."""

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray: ...


@dataclass
class StrategyStats:
    mined: int = 0
    dropped_false_negative: int = 0
    duplicate: int = 0
    kept: int = 0
    unused: int = 0


@dataclass(frozen=True)
class Negative:
    doc_id: str
    strategy: str
    score: float  # cosine to the query
    positive_score: float


@dataclass
class MiningResult:
    negatives: dict[str, list[Negative]]  # qid -> kept negatives, strategy order
    stats: dict[str, StrategyStats]
    sample: list[dict[str, Any]] = field(default_factory=list)
    queries_without_negative: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"per_strategy": {k: asdict(v) for k, v in self.stats.items()},
                "queries": len(self.negatives),
                "queries_without_negative": self.queries_without_negative,
                "negatives_kept": sum(len(v) for v in self.negatives.values()),
                "sample": self.sample}


@dataclass
class _Query:
    """Per-query state while the strategies run."""

    qid: str
    scores: np.ndarray  # cosine to every pool passage
    allowed: np.ndarray  # bool mask: not a positive, not judged
    ranked: list[int]  # allowed pool indices by cosine, best first
    positive_score: float
    threshold: float
    taken: list[Negative] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)


def mine(data: TrainingData, embedder: Encoder, spec: MiningSpec, seed: int = 0) -> MiningResult:
    """Mine negatives for every training query; deterministic for a given embedder and seed."""
    qids = list(data.queries)
    q_vecs = embedder.encode([data.queries[q] for q in qids], "query")
    d_vecs = embedder.encode(data.doc_texts, "passage")
    cosines = q_vecs @ d_vecs.T
    lexical = _bm25_ranking(data, qids, spec.lexical.top_k) if spec.lexical else None
    sampled = _sample_qids(qids, spec.sample_size, seed)
    result = MiningResult(negatives={}, stats={s: StrategyStats() for s in STRATEGIES
                                               if getattr(spec, s) is not None})
    for i, qid in enumerate(qids):
        state = _query_state(data, qid, cosines[i], spec.false_negative_ratio)
        for name in result.stats:
            candidates = _candidates(name, state, spec, lexical[i] if lexical else [])
            _take(name, candidates, state, getattr(spec, name).per_query, result.stats[name], data)
        result.negatives[qid] = state.taken
        result.queries_without_negative += not state.taken
        if qid in sampled:
            result.sample.append(_sample_entry(data, state))
    return result


def _query_state(data: TrainingData, qid: str, scores: np.ndarray, ratio: float) -> _Query:
    excluded = data.excluded(qid)
    allowed = np.array([d not in excluded for d in data.doc_ids], dtype=bool)
    pos = float(min(scores[data.index(d)] for d in data.positives[qid]))
    # Stable sort on -score: equal scores keep pool order, so runs are reproducible.
    ranked = [int(j) for j in np.argsort(-scores, kind="stable") if allowed[j]]
    return _Query(qid=qid, scores=scores, allowed=allowed, ranked=ranked, positive_score=pos,
                  threshold=ratio * pos)


def _candidates(name: str, q: _Query, spec: MiningSpec, lexical: Sequence[int]) -> list[int]:
    """Pool indices the strategy proposes, best first (positives already excluded)."""
    if name == "semantic":
        assert spec.semantic is not None
        first, last = spec.semantic.rank_window
        return q.ranked[first - 1:last]
    if name == "lexical":
        return [j for j in lexical if q.allowed[j]]
    assert spec.boundary is not None
    band = [j for j in q.ranked if abs(q.scores[j] - q.positive_score) <= spec.boundary.margin]
    return sorted(band, key=lambda j: (abs(q.scores[j] - q.positive_score), j))


def _take(name: str, candidates: list[int], q: _Query, per_query: int, stats: StrategyStats,
          data: TrainingData) -> None:
    taken_ids = {n.doc_id for n in q.taken}
    kept = 0
    for j in candidates:
        doc_id, score = data.doc_ids[j], float(q.scores[j])
        stats.mined += 1
        if score > q.threshold:
            stats.dropped_false_negative += 1
            status = "dropped: false-negative guard"
        elif doc_id in taken_ids:
            stats.duplicate += 1
            status = "duplicate"
        elif kept < per_query:
            kept += 1
            stats.kept += 1
            q.taken.append(Negative(doc_id, name, score, q.positive_score))
            taken_ids.add(doc_id)
            status = "kept"
        else:
            stats.unused += 1
            continue
        q.log.append({"strategy": name, "doc_id": doc_id, "score": round(score, 4),
                      "status": status})


def _bm25_ranking(data: TrainingData, qids: list[str], top_k: int) -> list[list[int]]:
    """Per query, pool indices ranked by BM25 score (> 0 only), top_k + room for positives."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index([bm25_tokens(t) for t in data.doc_texts], show_progress=False)
    k = min(len(data.doc_ids), top_k + max(len(data.excluded(q)) for q in qids))
    idx, scores = retriever.retrieve([bm25_tokens(data.queries[q]) for q in qids], k=k,
                                     show_progress=False)
    out: list[list[int]] = []
    for qi, qid in enumerate(qids):
        excluded = data.excluded(qid)
        hits = [int(j) for j, s in zip(idx[qi], scores[qi])
                if s > 0 and data.doc_ids[int(j)] not in excluded]
        out.append(hits[:top_k])
    return out


def _sample_qids(qids: list[str], size: int, seed: int) -> set[str]:
    if size >= len(qids):
        return set(qids)
    rng = np.random.default_rng(seed)
    return {qids[i] for i in rng.choice(len(qids), size=size, replace=False)}


def _sample_entry(data: TrainingData, q: _Query) -> dict[str, Any]:
    """One query's mining decisions, with short texts, for the report."""
    def short(text: str) -> str:
        return text if len(text) <= 60 else text[:60] + "…"

    return {"qid": q.qid, "query": data.queries[q.qid],
            "positive": short(data.text(data.positives[q.qid][0])),
            "positive_score": round(q.positive_score, 4),
            "guard_threshold": round(q.threshold, 4),
            "candidates": [{**c, "text": short(data.text(c["doc_id"]))} for c in q.log]}

"""Training examples per stage, as column dicts that become a `datasets.Dataset`.

Column order matters to sentence-transformers: the first column is the anchor, then the
positive, then negatives; a column named `label` is the target (distillation).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embedgate.infra.errors import InputError
from embedgate.recipes.data import TrainingData
from embedgate.recipes.mining import MiningResult


@dataclass
class Examples:
    columns: dict[str, list[Any]]
    notes: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))


def unique_texts(texts: Sequence[str]) -> list[str]:
    """Distinct non-empty texts in first-seen order (a duplicate in a batch is a false negative)."""
    return list(dict.fromkeys(t for t in texts if t.strip()))


def simcse(data: TrainingData, max_texts: int | None, seed: int) -> Examples:
    """(text, text) pairs over the passage pool; dropout makes the two views differ."""
    texts = unique_texts(data.doc_texts)
    if max_texts is not None and len(texts) > max_texts:
        keep = np.sort(np.random.default_rng(seed).choice(len(texts), max_texts, replace=False))
        texts = [texts[i] for i in keep]
    return Examples({"anchor": texts, "positive": list(texts)}, {"texts": len(texts)})


def pairs(data: TrainingData) -> Examples:
    """(query, positive) rows: in-batch negatives only."""
    rows = data.pairs()
    return Examples({"anchor": [data.queries[q] for q, _ in rows],
                     "positive": [data.text(d) for _, d in rows]}, {"pairs": len(rows)})


def labelled(data: TrainingData) -> Examples:
    """(text, label) rows for batch triplet losses; labels as integers in sorted-name order."""
    names = sorted(set(data.labels.values()))
    index = {name: i for i, name in enumerate(names)}
    qids = list(data.queries)
    return Examples({"text": [data.queries[q] for q in qids],
                     "label": [index[data.labels[q]] for q in qids]},
                    {"utterances": len(qids), "labels": len(names)})


def triplets(data: TrainingData, mined: MiningResult, seed: int) -> Examples:
    """(query, positive, negative) rows, one per kept negative of the query (triplet loss).

    A query for which every candidate was dropped gets one random non-judged passage as its
    negative, so that it still trains; these are counted.
    """
    rng = np.random.default_rng(seed)
    cols: dict[str, list[Any]] = {"anchor": [], "positive": [], "negative": []}
    random_fill = 0
    for qid, doc_id in data.pairs():
        negatives = [n.doc_id for n in mined.negatives.get(qid, [])]
        if not negatives:
            negatives = _random_negatives(data, qid, [], 1, rng)
            random_fill += 1
        for neg in negatives:
            cols["anchor"].append(data.queries[qid])
            cols["positive"].append(data.text(doc_id))
            cols["negative"].append(data.text(neg))
    return Examples(cols, {"pairs": len(data.pairs()), "random_negatives": random_fill})


def tuples(data: TrainingData, mined: MiningResult, seed: int) -> Examples:
    """(query, positive, negative_1..k) rows, one per pair (InfoNCE with mined negatives).

    Every row needs the same k (the most negatives kept for any query); a query with fewer
    is topped up with random non-judged passages, counted in `random_negatives`. Encoding each
    query and positive once per pair, not once per negative, keeps CPU training short.
    """
    rng = np.random.default_rng(seed)
    k = max((len(v) for v in mined.negatives.values()), default=0) or 1
    cols: dict[str, list[Any]] = {"anchor": [], "positive": [],
                                  **{f"negative_{i + 1}": [] for i in range(k)}}
    filled = 0
    for qid, doc_id in data.pairs():
        negatives = [n.doc_id for n in mined.negatives.get(qid, [])]
        extra = _random_negatives(data, qid, negatives, k - len(negatives), rng)
        filled += len(extra)
        cols["anchor"].append(data.queries[qid])
        cols["positive"].append(data.text(doc_id))
        for i, neg in enumerate(negatives + extra):
            cols[f"negative_{i + 1}"].append(data.text(neg))
    return Examples(cols, {"pairs": len(data.pairs()), "negatives_per_row": k,
                           "random_negatives": filled})


def _random_negatives(data: TrainingData, qid: str, taken: list[str], n: int,
                      rng: np.random.Generator) -> list[str]:
    """`n` distinct random pool passages that are not judged for `qid` nor already taken."""
    if n <= 0:
        return []
    excluded = data.excluded(qid) | set(taken)
    allowed = [d for d in data.doc_ids if d not in excluded]
    if len(allowed) < n:
        raise InputError(f"training query {qid}: the passage pool has only {len(allowed)} "
                         f"unjudged passages, {n} negatives are needed; add passages or widen "
                         "data.where")
    return [allowed[int(i)] for i in rng.choice(len(allowed), size=n, replace=False)]


def distillation_texts(data: TrainingData) -> list[str]:
    """What the student imitates the teacher on: training queries and pool passages."""
    return unique_texts(list(data.queries.values()) + data.doc_texts)

"""User satisfaction in the QA tier: human ratings of each system's answers beside its metrics.

A system is "<embedder>/<reader>". For each system of one embedder and source, from the ratings
of the questions that reader answered here (`tiers.qa.ratings`, inputs/ratings.py):
- ``r:NPS`` (promoters 9-10 minus detractors 0-6, points), its seeded bootstrap interval over
  questions in the details;
- ``r:rating``: the mean rating (per-query value: the question's mean over raters);
- ``r:rater_alpha``: Krippendorff's alpha (interval) between raters, with pairwise Spearman in
  the details;
- ``r:rating_rho_<m>``: Spearman's rho of a question's mean rating with the tier's automatic
  per-question metric m (EM, F1, accuracy), n in the row's n_queries.
All rows are higher-is-better. Ratings of questions the reader did not answer in this run (a
sample, another source) are left out of the rows and counted: `details.satisfaction.
ratings_unused` (system -> count) and each system's ``n_ratings_unused``.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np

from embedgate.algorithms.agreement import (
    krippendorff_alpha_interval, nps, nps_ci, pairwise_spearman, spearman,
)
from embedgate.inputs.ratings import Rating, RatingSet
from embedgate.results.schema import MetricRow, PerQuery, TierResult
from embedgate.tiers.qa.files import system_id

AUTOMATIC = ("EM", "F1", "accuracy")  # per-question QA metrics correlated with ratings
N_RESAMPLES, CONFIDENCE = 10_000, 0.95


def attach(result: TierResult, ratings: RatingSet, answered: Mapping[str, tuple[str, ...]],
           seed: int) -> TierResult:
    """The QA result with satisfaction rows, per-question mean ratings and details added.

    ``answered`` maps each reader id to the question ids it answered in this result. Ratings of
    this embedder's systems for other questions are counted in ``ratings_unused`` per system.
    """
    values = {pq.metric: pq.values for pq in result.per_query}
    rows, pqs, details, unused = [], [], {}, {}
    for rid, qids in _with_unrun(answered, ratings, result.embedder).items():
        sid, asked = system_id(result.embedder, rid), set(qids)
        theirs = ratings.for_system(sid)
        mine = [r for r in theirs if r.question in asked]
        if len(theirs) > len(mine):
            unused[sid] = len(theirs) - len(mine)
        if not mine:
            continue
        r_rows, r_pq, details[sid] = _system(result, rid, mine, values, seed)
        details[sid]["n_ratings_unused"] = unused.get(sid, 0)
        rows += r_rows
        pqs.append(r_pq)
    if not details and not unused:
        return result
    summary = {"path": str(ratings.path), "sha256": ratings.sha256, "systems": details,
               "ratings_unused": unused, "confidence": CONFIDENCE, "n_resamples": N_RESAMPLES}
    return result.model_copy(update={"metrics": result.metrics + rows,
                                     "per_query": result.per_query + pqs,
                                     "details": {**result.details, "satisfaction": summary}})


def _with_unrun(answered: Mapping[str, tuple[str, ...]], ratings: RatingSet,
                embedder: str) -> dict[str, tuple[str, ...]]:
    """`answered` plus, with no question, the readers rated for this embedder but not run here
    (`ratings_other_readers: unused`), so that their ratings are counted as unused."""
    out = dict(answered)
    for r in ratings.ratings:
        owner, _, reader = r.system.partition("/")
        if owner == embedder:
            out.setdefault(reader, ())
    return out


def _system(result: TierResult, rid: str, mine: list[Rating],
            values: Mapping[str, Mapping[str, float]], seed: int
            ) -> tuple[list[MetricRow], PerQuery, dict[str, Any]]:
    by_q: dict[str, dict[str, float]] = defaultdict(dict)
    for r in mine:
        by_q[r.question][r.rater] = r.rating
    mean_q = {q: float(np.mean(list(v.values()))) for q, v in by_q.items()}
    flat = [r.rating for r in mine]
    low, high = nps_ci({q: list(v.values()) for q, v in by_q.items()}, CONFIDENCE, N_RESAMPLES,
                       seed)
    by_rater: dict[str, dict[str, float]] = defaultdict(dict)
    for r in mine:
        by_rater[r.rater][r.question] = r.rating
    rho = {m: spearman(mean_q, values.get(f"{rid}:{m}", {})) for m in AUTOMATIC}
    figures = {"NPS": (nps(flat), len(by_q)), "rating": (float(np.mean(flat)), len(by_q)),
               "rater_alpha": (krippendorff_alpha_interval(by_q), len(by_q)),
               **{f"rating_rho_{m}": r for m, r in rho.items()}}
    rows = [_row(result, f"{rid}:{name}", value, n) for name, (value, n) in figures.items()]
    pq = PerQuery(embedder=result.embedder, tier=result.tier, dataset=result.dataset,
                  metric=f"{rid}:rating", values=mean_q)
    detail = {"n_ratings": len(mine), "n_questions": len(by_q), "raters": sorted(by_rater),
              "nps": figures["NPS"][0], "nps_ci": [low, high], "mean_rating": figures["rating"][0],
              "promoters": sum(x >= 9 for x in flat), "detractors": sum(x <= 6 for x in flat),
              "alpha_interval": figures["rater_alpha"][0],
              "pairwise_spearman": {k: {"rho": v, "n": n}
                                    for k, (v, n) in pairwise_spearman(by_rater).items()},
              "spearman_with": {m: {"rho": v, "n": n} for m, (v, n) in rho.items()}}
    return rows, pq, detail


def _row(result: TierResult, metric: str, value: float, n: int) -> MetricRow:
    return MetricRow(embedder=result.embedder, tier=result.tier, dataset=result.dataset,
                     metric=metric, value=value, higher_is_better=True, n_queries=n)

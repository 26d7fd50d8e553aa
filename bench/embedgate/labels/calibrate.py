"""Measure a relevance judge against the humans before its labels are used.

A seeded sample of already-judged (query, document) pairs is labelled by the judge; Cohen's
kappa on relevant / not relevant (grade ≥ 1 on the dataset's scale) and the confusion matrix of
grades are reported, and a kappa below the floor (or undefined) refuses the judge. Collections
that judge only relevant documents (BEIR) give kappa nothing to measure, so there the sample is
completed with as many documents drawn at random from the corpus outside the query's qrels,
counted *presumed* not relevant, and the report says how many were presumed.
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from embedgate.algorithms.kappa import cohen_kappa, confusion
from embedgate.inputs.beir import Collection

Grader = Callable[[Sequence[tuple[str, str]]], list[int]]  # (query, doc) -> dataset grades


@dataclass(frozen=True)
class Calibration:
    kappa: float
    floor: float
    n_pairs: int
    n_presumed_negative: int
    labels: list[int]
    confusion: list[list[int]]  # rows: humans' grade, columns: judge's grade
    items: list[dict[str, object]] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not math.isnan(self.kappa) and self.kappa >= self.floor

    def line(self, judge: str) -> str:
        kappa = "undefined" if math.isnan(self.kappa) else f"{self.kappa:.3f}"
        presumed = (f", {self.n_presumed_negative} of them random documents presumed not "
                    "relevant" if self.n_presumed_negative else "")
        verdict = "accepted" if self.accepted else "refused: its labels are not used"
        return (f"{judge}: Cohen's kappa {kappa} vs the human qrels on {self.n_pairs} judged "
                f"pairs{presumed} (floor {self.floor:g}); {verdict}")


def sample_pairs(data: Collection, n: int, seed: int) -> list[tuple[str, str, int, bool]]:
    """(query, doc, human grade, presumed) for up to ``n`` judged pairs, seeded."""
    rng = random.Random(seed)
    judged = sorted((q, d, g) for q, docs in data.qrels.items() for d, g in docs.items())
    picked = [(q, d, g, False) for q, d, g in rng.sample(judged, min(n, len(judged)))]
    if any(g <= 0 for _, _, g, _ in picked):
        return picked
    for q, _, _, _ in list(picked)[: max(1, len(picked) // 2)]:  # BEIR: no judged negatives
        d = rng.choice(data.doc_ids)
        if d not in data.qrels[q]:
            picked.append((q, d, 0, True))
    return picked


def calibrate(data: Collection, grade: Grader, n: int, seed: int, floor: float) -> Calibration:
    """The judge's agreement with the qrels on a seeded sample (see the module docstring)."""
    pairs = sample_pairs(data, n, seed)
    texts = dict(zip(data.doc_ids, data.doc_texts))
    judge = grade([(data.queries[q], texts[d]) for q, d, _, _ in pairs])
    human = [max(0, g) for _, _, g, _ in pairs]
    labels = sorted(set(human) | set(judge))
    kappa = cohen_kappa([int(h > 0) for h in human], [int(j > 0) for j in judge])
    items = [{"query_id": q, "doc_id": d, "human": h, "judge": j, "presumed": p}
             for (q, d, _, p), h, j in zip(pairs, human, judge)]
    return Calibration(kappa, floor, len(pairs), sum(p for *_, p in pairs), labels,
                       confusion(human, judge, labels), items)

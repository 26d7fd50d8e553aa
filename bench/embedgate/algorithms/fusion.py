"""Fusing two ranked lists per query: reciprocal rank fusion and normalised convex combination.

Inputs are the (scores, idx) arrays of two systems over the same queries, best first, with -1
padding. RRF (Cormack et al. 2009) scores a document sum 1/(k + rank) over the lists it is in.
The convex combination w·a + (1-w)·b works on scores normalised per query and per list
(min-max to [0, 1], or z-scores); a document absent from one list gets that list's minimum
normalised score, i.e. it is treated as ranked just below the list's last entry. The output is
the top `top_k` by fused score; ties go to the lower document index, so it is deterministic.
"""
from __future__ import annotations

from typing import Literal

import numpy as np

Normalise = Literal["minmax", "zscore"]


def _entries(scores: np.ndarray, idx: np.ndarray) -> list[tuple[int, float]]:
    return [(int(j), float(s)) for s, j in zip(scores, idx) if j >= 0]


def normalised(values: np.ndarray, how: Normalise) -> np.ndarray:
    """Per-list normalisation; a constant list maps to 1 (min-max) or 0 (z-score)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    if how == "minmax":
        span = values.max() - values.min()
        return (values - values.min()) / span if span > 0 else np.ones_like(values)
    std = values.std()
    return (values - values.mean()) / std if std > 0 else np.zeros_like(values)


def _top(fused: dict[int, float], top_k: int) -> tuple[np.ndarray, np.ndarray]:
    ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
    scores = np.full(top_k, -np.inf, dtype=np.float32)
    idx = np.full(top_k, -1, dtype=np.int64)
    for r, (j, s) in enumerate(ranked):
        scores[r], idx[r] = s, j
    return scores, idx


def rrf_one(a: list[tuple[int, float]], b: list[tuple[int, float]], k: int,
            top_k: int) -> tuple[np.ndarray, np.ndarray]:
    """One query's RRF over two ranked lists of (doc index, score), best first."""
    fused: dict[int, float] = {}
    for entries in (a, b):
        for rank, (j, _) in enumerate(entries, 1):
            fused[j] = fused.get(j, 0.0) + 1.0 / (k + rank)
    return _top(fused, top_k)


def convex_one(a: list[tuple[int, float]], b: list[tuple[int, float]], weight: float,
               how: Normalise, top_k: int) -> tuple[np.ndarray, np.ndarray]:
    """One query's w·norm(a) + (1-w)·norm(b); a document missing from a list gets its minimum."""
    na = dict(zip((j for j, _ in a), normalised(np.array([s for _, s in a]), how)))
    nb = dict(zip((j for j, _ in b), normalised(np.array([s for _, s in b]), how)))
    floor_a = min(na.values(), default=0.0)
    floor_b = min(nb.values(), default=0.0)
    fused = {j: weight * na.get(j, floor_a) + (1.0 - weight) * nb.get(j, floor_b)
             for j in na.keys() | nb.keys()}
    return _top(fused, top_k)


def fuse(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray],
         top_k: int, method: Literal["rrf", "convex"], k: int = 60, weight: float = 0.5,
         how: Normalise = "minmax") -> tuple[np.ndarray, np.ndarray]:
    """Fuse two systems' (scores, idx) for every query; returns (scores, idx) of `top_k`."""
    n = first[0].shape[0]
    out_s = np.full((n, top_k), -np.inf, dtype=np.float32)
    out_i = np.full((n, top_k), -1, dtype=np.int64)
    for q in range(n):
        a = _entries(first[0][q], first[1][q])
        b = _entries(second[0][q], second[1][q])
        out_s[q], out_i[q] = (rrf_one(a, b, k, top_k) if method == "rrf"
                              else convex_one(a, b, weight, how, top_k))
    return out_s, out_i

"""Intrinsic metrics on cosine scores and embedding geometry (numpy / scipy only, pure).

Functions take plain arrays and return plain numbers, so tests can check them on hand-made
vectors. Vectors are assumed L2-normalised (the embedder contract); cosine = dot product.

>>> roc_auc([0.9, 0.4], [0.5, 0.1])
0.75
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ArrayLike = Sequence[float] | np.ndarray
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
# Fixed bin edges over the whole cosine range, so histograms of different embedders line up.
HIST_BINS = 40


def _arr(values: ArrayLike) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).ravel()


def distribution(values: ArrayLike) -> dict[str, object]:
    """Mean, population std, n and quantiles (p05 … p95) of a set of cosines.

    Empty input gives None values (not NaN: this lands in JSON, which has no NaN).
    """
    x = _arr(values)
    if x.size == 0:
        return {"n": 0, "mean": None, "std": None, "quantiles": {_q(q): None for q in QUANTILES}}
    qs = np.quantile(x, QUANTILES)
    return {"n": int(x.size), "mean": float(x.mean()), "std": float(x.std()),
            "quantiles": {_q(q): float(v) for q, v in zip(QUANTILES, qs)}}


def _q(q: float) -> str:
    return f"p{round(q * 100):02d}"


def histogram(values: ArrayLike, bins: int = HIST_BINS, lo: float = -1.0,
              hi: float = 1.0) -> dict[str, list[float] | list[int]]:
    """Counts over `bins` equal bins on [lo, hi]; values outside are clipped into the end bins."""
    x = np.clip(_arr(values), lo, hi)
    counts, edges = np.histogram(x, bins=bins, range=(lo, hi))
    return {"edges": [round(float(e), 6) for e in edges], "counts": [int(c) for c in counts]}


def roc_auc(pos: ArrayLike, neg: ArrayLike) -> float:
    """P(score of a random positive > score of a random negative), ties counting one half.

    Rank-based (Mann–Whitney U / (n_pos · n_neg)) with average ranks for ties.
    NaN when either side is empty.
    """
    from scipy.stats import rankdata  # scipy.stats: ~0.3 s to import, paid by intrinsic runs only

    p, n = _arr(pos), _arr(neg)
    if p.size == 0 or n.size == 0:
        return float("nan")
    ranks = rankdata(np.concatenate([p, n]), method="average")
    u = ranks[: p.size].sum() - p.size * (p.size + 1) / 2.0
    return float(u / (p.size * n.size))


def ks_statistic(pos: ArrayLike, neg: ArrayLike) -> float:
    """Two-sample Kolmogorov–Smirnov statistic: max |F_pos(x) − F_neg(x)| over all x."""
    p, n = np.sort(_arr(pos)), np.sort(_arr(neg))
    if p.size == 0 or n.size == 0:
        return float("nan")
    grid = np.concatenate([p, n])
    f_p = np.searchsorted(p, grid, side="right") / p.size
    f_n = np.searchsorted(n, grid, side="right") / n.size
    return float(np.max(np.abs(f_p - f_n)))


@dataclass(frozen=True)
class AnchorScore:
    """How one anchor's best positive fares against that anchor's negatives."""

    rank: float  # 1-based rank of the best positive among itself and all negatives (ties averaged)
    top1: float  # 1.0 when no negative scores at or above the best positive
    rr: float  # reciprocal rank, 1 / rank
    margin: float  # best positive cosine − hardest negative cosine


def anchor_score(pos: ArrayLike, neg: ArrayLike) -> AnchorScore:
    """Rank the best positive among the anchor's candidates.

    Other positives of the same anchor are not competitors; a negative tied with the best
    positive counts half a place (so a tie is never a top-1 hit).
    """
    p, n = _arr(pos), _arr(neg)
    if p.size == 0 or n.size == 0:
        raise ValueError("an anchor needs at least one positive and one negative")
    best, hardest = float(p.max()), float(n.max())
    rank = 1.0 + float(np.sum(n > best)) + 0.5 * float(np.sum(n == best))
    return AnchorScore(rank=rank, top1=1.0 if rank == 1.0 else 0.0, rr=1.0 / rank,
                       margin=best - hardest)


def anisotropy(vectors: np.ndarray, rng: np.random.Generator, n_pairs: int = 10_000) -> float:
    """Mean cosine of `n_pairs` random pairs of distinct rows (Ethayarajh 2019); NaN if < 2 rows.

    Near 0 means directions spread out; near 1 means every text points the same way, which
    makes absolute cosine thresholds meaningless for that embedder.
    """
    v = np.asarray(vectors, dtype=np.float64)
    n = v.shape[0]
    if n < 2:
        return float("nan")
    i = rng.integers(0, n, size=n_pairs)
    j = (i + rng.integers(1, n, size=n_pairs)) % n  # uniform over the other n-1 rows
    return float(np.einsum("ij,ij->i", v[i], v[j]).mean())


def alignment(x: np.ndarray, y: np.ndarray, alpha: float = 2.0) -> float:
    """Wang & Isola (2020) alignment: E ||f(x) − f(y)||^α over positive pairs (rows of x, y)."""
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if a.shape[0] == 0:
        return float("nan")
    return float((np.linalg.norm(a - b, axis=1) ** alpha).mean())


def uniformity(vectors: np.ndarray, t: float = 2.0, rng: np.random.Generator | None = None,
               max_rows: int = 8192) -> float:
    """Wang & Isola (2020) uniformity: log E exp(−t ||f(x) − f(y)||²) over distinct pairs.

    Exact over all pairs i ≠ j; above `max_rows` rows a random subset of that size is used
    (needs `rng`). NaN with fewer than 2 rows. Computed in row blocks to bound memory.
    """
    v = np.asarray(vectors, dtype=np.float64)
    if v.shape[0] > max_rows:
        if rng is None:
            raise ValueError(f"uniformity on more than {max_rows} rows needs an rng to subsample")
        v = v[np.sort(rng.choice(v.shape[0], size=max_rows, replace=False))]
    n = v.shape[0]
    if n < 2:
        return float("nan")
    sq = np.sum(v * v, axis=1)
    total = 0.0
    for start in range(0, n, 1024):
        block = v[start:start + 1024]
        d2 = np.maximum(sq[start:start + 1024, None] + sq[None, :] - 2.0 * (block @ v.T), 0.0)
        d2[np.arange(block.shape[0]), np.arange(start, start + block.shape[0])] = np.inf  # i = j
        total += float(np.exp(-t * d2).sum())
    return float(np.log(total / (n * (n - 1))))

"""Human ratings: Net Promoter Score (with a question-resampling bootstrap), Krippendorff's alpha
(interval metric) and Spearman's rank correlation.

Contracts: pure functions of their arguments; randomness only from the seed passed in; NaN (not
an exception) where a statistic is undefined (fewer than two pairable values, no variance).

- NPS = % promoters (rating >= 9) - % detractors (rating <= 6), in points from -100 to 100, over
  every rating. Ratings cluster by question (several raters rate one answer), so the bootstrap
  resamples questions with all their ratings, not single ratings.
- Krippendorff's alpha, interval metric (Krippendorff 2011, "Computing Krippendorff's
  alpha-reliability"): alpha = 1 - D_o / D_e with squared differences; units with one value are
  not pairable and drop out; missing values are allowed.

>>> round(nps([10, 9, 8, 3]), 1)
25.0
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np

PROMOTER, DETRACTOR = 9.0, 6.0  # promoters rate >= 9, detractors <= 6 (0-10 scale)


def nps(ratings: Sequence[float]) -> float:
    """Net Promoter Score of a list of 0-10 ratings, in points (-100..100); NaN when empty."""
    arr = np.asarray(ratings, dtype=np.float64)
    if arr.size == 0:
        return float("nan")
    return float(100.0 * ((arr >= PROMOTER).mean() - (arr <= DETRACTOR).mean()))


def nps_ci(by_question: Mapping[str, Sequence[float]], confidence: float = 0.95,
           n_resamples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the NPS, resampling questions (with all their ratings)."""
    groups = [np.asarray(v, dtype=np.float64) for v in by_question.values() if len(v)]
    if not groups:
        return float("nan"), float("nan")
    promoters = np.array([(g >= PROMOTER).sum() for g in groups], dtype=np.float64)
    detractors = np.array([(g <= DETRACTOR).sum() for g in groups], dtype=np.float64)
    counts = np.array([g.size for g in groups], dtype=np.float64)
    idx = np.random.default_rng(seed).integers(0, len(groups), size=(n_resamples, len(groups)))
    scores = 100.0 * (promoters[idx].sum(1) - detractors[idx].sum(1)) / counts[idx].sum(1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(scores, [tail, 1.0 - tail])
    return float(low), float(high)


def krippendorff_alpha_interval(units: Mapping[str, Mapping[str, float]]) -> float:
    """Krippendorff's alpha with the interval (squared-difference) metric.

    ``units`` maps a unit (a rated answer) to {rater: value}; missing raters are simply absent.
    D_o = (1/n) sum_u 1/(m_u - 1) sum_{i != j in u} (v_i - v_j)^2 over pairable units (m_u >= 2),
    D_e = 1/(n (n - 1)) sum_{i != j over all pairable values} (v_i - v_j)^2, n = pairable values.
    """
    groups = [np.asarray(list(u.values()), dtype=np.float64) for u in units.values()]
    groups = [g for g in groups if g.size >= 2]
    values = np.concatenate(groups) if groups else np.empty(0)
    n = values.size
    if n < 2:
        return float("nan")
    observed = sum(_ordered_pair_sum(g) / (g.size - 1) for g in groups) / n
    expected = _ordered_pair_sum(values) / (n * (n - 1))
    return float("nan") if expected == 0 else float(1.0 - observed / expected)


def _ordered_pair_sum(v: np.ndarray) -> float:
    """sum over ordered pairs i != j of (v_i - v_j)^2 = 2 (n sum v^2 - (sum v)^2)."""
    return float(2.0 * (v.size * np.square(v).sum() - v.sum() ** 2))


def spearman(x: Mapping[str, float], y: Mapping[str, float]) -> tuple[float, int]:
    """Spearman's rho (average ranks for ties) over the keys both share, and that count n.

    NaN when n < 3 or either side is constant (rho is undefined, not zero).
    """
    from scipy.stats import rankdata  # scipy.stats: ~0.3 s to import, for the QA ratings only

    keys = sorted(set(x) & set(y))
    if len(keys) < 3:
        return float("nan"), len(keys)
    rx = rankdata([x[k] for k in keys])
    ry = rankdata([y[k] for k in keys])
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return float("nan"), len(keys)
    return float(np.corrcoef(rx, ry)[0, 1]), len(keys)


def pairwise_spearman(by_rater: Mapping[str, Mapping[str, float]]) -> dict[str, tuple[float, int]]:
    """Spearman's rho of every pair of raters over the units both rated, keyed "a~b"."""
    return {f"{a}~{b}": spearman(by_rater[a], by_rater[b])
            for a, b in combinations(sorted(by_rater), 2)}

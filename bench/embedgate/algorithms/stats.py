"""Paired significance tests, bootstrap confidence intervals and Holm correction.

Every function takes per-query values as ``{qid: value}`` dicts (the ``per_query`` entries of
results.json) and pairs them on qid. Both sides must cover the same qids: a different set
means the runs judged different queries, and pairing them would compare unlike things, so
that is refused with an InputError naming the difference.

The difference is always ``a - b`` (``a`` = treatment / current run, ``b`` = control /
baseline). Direction (whether larger is better) is the caller's business.

>>> a = {"q1": 0.9, "q2": 0.7, "q3": 0.8, "q4": 0.6}
>>> b = {"q1": 0.5, "q2": 0.6, "q3": 0.7, "q4": 0.6}
>>> t = paired_test(a, b, method="t-test")
>>> round(t.diff, 3), t.n
(0.15, 4)
>>> holm([0.01, 0.04, 0.03])
[0.03, 0.06, 0.06]

Methods, and why they are computed here rather than inside ranx:

* ``"t-test"``: ranx's paired Student's t-test is ``scipy.stats.ttest_rel``; we call scipy
  directly because gates also need one-sided tests against a shifted null (non-inferiority).
  tests/test_stats_*.py checks the two-sided p-value equals ranx's.
* ``"randomization"``: Fisher's paired randomisation test as in ranx (Smucker et al., CIKM '07):
  swapping a pair's two values flips the sign of its difference, so the test draws random sign
  flips. ranx's numba version draws in parallel threads that ignore its seed (the same call gave
  p = 0.005, 0.003, 0.008, 0.003 here), and a CI verdict must be reproducible; this one uses a
  seeded numpy Generator. Its p-value is (b + 1) / (R + 1), never 0 (Phipson & Smyth 2010).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from embedgate.infra.errors import InputError

Method = Literal["randomization", "t-test"]
Alternative = Literal["two-sided", "greater", "less"]
METHODS: tuple[str, ...] = ("randomization", "t-test")

# Resampling works in chunks so memory stays bounded for large query sets (chunk x n floats).
_CHUNK_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class PairedTest:
    """Outcome of a paired test of ``mean(a - b)`` against ``null_diff``."""

    mean_a: float
    mean_b: float
    diff: float  # mean_a - mean_b
    p_value: float
    n: int
    method: str = "randomization"
    alternative: str = "two-sided"
    null_diff: float = 0.0


def paired_arrays(a: Mapping[str, float], b: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``a`` and ``b`` as aligned float arrays (sorted by qid).

    Raises InputError when the qid sets differ, when fewer than 2 queries are shared, or when
    a value is not finite.
    """
    if set(a) != set(b):
        only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        raise InputError(
            f"per-query values are not paired: {len(only_a)} qids only in the first "
            f"({_sample(only_a)}), {len(only_b)} only in the second ({_sample(only_b)}); "
            "compare runs over the same queries")
    qids = sorted(a)
    if len(qids) < 2:
        raise InputError(f"a paired test needs at least 2 queries, got {len(qids)}")
    xa = np.array([a[q] for q in qids], dtype=np.float64)
    xb = np.array([b[q] for q in qids], dtype=np.float64)
    if not (np.isfinite(xa).all() and np.isfinite(xb).all()):
        raise InputError("per-query values contain NaN or infinity; fix the results file")
    return xa, xb


def _sample(qids: list[str], k: int = 3) -> str:
    return ", ".join(qids[:k]) + (", ..." if len(qids) > k else "") if qids else "none"


def paired_test(a: Mapping[str, float], b: Mapping[str, float], method: Method = "randomization",
                n_resamples: int = 10_000, seed: int = 0, alternative: Alternative = "two-sided",
                null_diff: float = 0.0) -> PairedTest:
    """Test whether ``mean(a - b)`` differs from ``null_diff``.

    ``alternative="greater"`` asks whether it is larger (e.g. non-inferiority: current minus
    baseline above ``-margin``), ``"less"`` whether it is smaller. ``n_resamples`` and ``seed``
    only matter for the randomisation test.
    """
    xa, xb = paired_arrays(a, b)
    d = xa - xb - null_diff
    if method == "t-test":
        p = _t_test_p(d, alternative)
    elif method == "randomization":
        p = _randomization_p(d, alternative, _positive(n_resamples, "n_resamples"), seed)
    else:
        raise InputError(f'unknown test method "{method}"; use one of {", ".join(METHODS)}')
    return PairedTest(mean_a=float(xa.mean()), mean_b=float(xb.mean()),
                      diff=float(xa.mean() - xb.mean()), p_value=p, n=len(d), method=method,
                      alternative=alternative, null_diff=null_diff)


def _positive(value: int, name: str) -> int:
    if value < 1:
        raise InputError(f"{name} must be at least 1, got {value}")
    return value


def _t_test_p(d: np.ndarray, alternative: Alternative) -> float:
    from scipy.stats import ttest_1samp

    if np.ptp(d) == 0.0:
        # Constant differences: scipy returns NaN (zero variance). The evidence is then exact:
        # no difference at all, or the same difference on every query.
        return _constant_p(float(d[0]), alternative)
    return float(ttest_1samp(d, 0.0, alternative=alternative).pvalue)


def _constant_p(value: float, alternative: Alternative) -> float:
    if value == 0.0:
        return 1.0
    if alternative == "two-sided":
        return 0.0
    return 0.0 if (value > 0) == (alternative == "greater") else 1.0


def _randomization_p(d: np.ndarray, alternative: Alternative, n_resamples: int,
                     seed: int) -> float:
    """Monte-Carlo sign-flip test of ``mean(d) == 0``; p = (hits + 1) / (R + 1)."""
    rng = np.random.default_rng(seed)
    observed = float(d.mean())
    # Permuted means that equal the observed one up to rounding must count as "as extreme".
    tol = 1e-12 * max(1.0, float(np.abs(d).max()))
    hits = 0
    for rows in _chunks(n_resamples, len(d)):
        signs = rng.integers(0, 2, size=(rows, len(d)), dtype=np.int8) * 2 - 1
        means = (signs * d).mean(axis=1)
        if alternative == "two-sided":
            hits += int((np.abs(means) >= abs(observed) - tol).sum())
        elif alternative == "greater":
            hits += int((means >= observed - tol).sum())
        else:
            hits += int((means <= observed + tol).sum())
    return (hits + 1) / (n_resamples + 1)


def _chunks(total: int, width: int) -> list[int]:
    step = max(1, _CHUNK_ELEMENTS // max(1, width))
    return [min(step, total - start) for start in range(0, total, step)]


def bootstrap_ci(a: Mapping[str, float], b: Mapping[str, float], confidence: float = 0.95,
                 n_resamples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """Two-sided percentile bootstrap interval of ``mean(a - b)`` over queries.

    Queries are resampled with replacement (pairs stay together) ``n_resamples`` times with a
    seeded generator; the interval is the ``(1-c)/2`` and ``(1+c)/2`` quantiles of the
    resampled mean differences.
    """
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")
    xa, xb = paired_arrays(a, b)
    d = xa - xb
    rng = np.random.default_rng(seed)
    means = np.concatenate([
        d[rng.integers(0, len(d), size=(rows, len(d)))].mean(axis=1)
        for rows in _chunks(_positive(n_resamples, "n_resamples"), len(d))])
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order.

    Step-down: the i-th smallest of m p-values is multiplied by (m - i), adjusted values are
    made non-decreasing in that order and capped at 1.

    >>> holm([0.01, 0.02, 0.03, 0.5])
    [0.04, 0.06, 0.06, 0.5]
    """
    ps = [float(p) for p in p_values]
    for p in ps:
        if math.isnan(p) or not 0.0 <= p <= 1.0:
            raise InputError(f"p-values must lie in [0, 1], got {p}")
    m = len(ps)
    adjusted = [0.0] * m
    running = 0.0
    for rank, idx in enumerate(sorted(range(m), key=lambda i: ps[i])):
        running = max(running, min(1.0, (m - rank) * ps[idx]))
        adjusted[idx] = running
    return adjusted


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / mean and count of a latency sample, in its unit."""
    arr = np.asarray(values, dtype=np.float64)
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95)),
            "mean": float(arr.mean()), "n": float(arr.size)}

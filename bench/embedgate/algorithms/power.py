"""How many queries are enough: power analysis of a paired comparison of two systems.

The model is the two-sided paired t-test on per-query differences ``d_i = a_i - b_i`` (the
test ``stats.paired_test(method="t-test")`` runs). With ``n`` queries, a true mean difference
``delta`` and a standard deviation ``sd`` of the differences, the t statistic follows a
noncentral t distribution with ``n - 1`` degrees of freedom and noncentrality
``lambda = delta * sqrt(n) / sd``, so the probability of rejecting ``mean(d) = 0`` is::

    power = P(T'(n-1, lambda) > c) + P(T'(n-1, lambda) < -c),   c = t_{1 - alpha/2}(n - 1)

evaluated exactly with ``scipy.stats.nct`` (no normal approximation). From it:

* ``queries_needed``: the smallest ``n >= 2`` whose power reaches the target. The normal
  approximation ``n0 = ((z_{1-alpha/2} + z_{power}) * sd / delta)**2`` brackets the search
  and an integer bisection on the exact power finishes it (power grows with ``n``).
* ``min_detectable_effect``: the ``delta`` whose power at ``n`` equals the target (a
  Brent root of the exact power, bracketed by doubling the normal approximation).
* ``achieved_power``: the power at the observed ``|mean(d)|`` and ``sd(d)``. This "observed
  power" is a restatement of the p-value (Hoenig & Heisey, The American Statistician 55(1),
  2001): a sizing hint for the next experiment, not evidence about this one.

This is the power-based topic set size design of T. Sakai, "Topic set size design",
Information Retrieval Journal 19(3):256-283, 2016 (paired t-test case; his tools approximate
the noncentral t, here it is computed exactly), in the spirit of W. Webber, A. Moffat and
J. Zobel, "Statistical power in retrieval experimentation", CIKM 2008. The sample ``sd`` of
the observed differences stands in for the population one, as in both papers.

>>> queries_needed(delta=0.5, sd=1.0)   # Cohen's d = 0.5, alpha 0.05, power 0.8 (G*Power: 34)
34
>>> round(min_detectable_effect(sd=1.0, n=34), 3)
0.495
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from embedgate.infra.errors import InputError

# Beyond this many queries a difference is practically zero; searching further only burns time.
MAX_QUERIES = 10**12


@dataclass(frozen=True)
class PowerAnalysis:
    """Power figures of one paired comparison (``delta`` and ``sd`` in the metric's units)."""

    n: int
    delta: float  # observed mean(a - b)
    sd: float  # sample SD of the differences (ddof = 1)
    alpha: float  # two-sided
    power: float  # the target power
    achieved_power: float  # at |delta|, sd and n
    mde: float  # the smallest |delta| detected with the target power at n
    needed_observed: int | None  # queries for |delta|; None: delta = 0 or over MAX_QUERIES
    target_delta: float | None = None
    needed_target: int | None = None  # queries for target_delta (when one is given)


def check_levels(alpha: float, power: float) -> None:
    """Refuse levels outside 0 < alpha < power < 1 (power at delta = 0 is alpha itself)."""
    if not (math.isfinite(alpha) and 0.0 < alpha < 1.0):
        raise InputError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    if not (math.isfinite(power) and alpha < power < 1.0):
        raise InputError(f"power must lie strictly between alpha ({alpha:g}) and 1, got {power}; "
                         "e.g. 0.8")


def _check_sd(sd: float) -> None:
    if not math.isfinite(sd) or sd < 0.0:
        raise InputError(f"the SD of the differences must be a finite number >= 0, got {sd}")
    if sd == 0.0:
        raise InputError("the per-query differences have zero variance (the same difference on "
                         "every query), so a t-test has no noise to size against; nothing to "
                         "estimate")


def _check_n(n: int) -> None:
    if n < 2:
        raise InputError(f"a paired t-test needs at least 2 queries, got {n}")


def _check_delta(delta: float) -> None:
    if not (math.isfinite(delta) and delta > 0.0):
        raise InputError(f"the difference to detect must be a finite number > 0, got {delta}")


def power_at(delta: float, sd: float, n: int, alpha: float = 0.05) -> float:
    """Probability that the two-sided paired t-test at ``alpha`` rejects when the true mean
    difference is ``delta`` (its sign does not matter) with SD ``sd`` over ``n`` queries.

    >>> round(power_at(0.5, 1.0, 34), 4)
    0.8078
    """
    from scipy.stats import nct, t

    _check_sd(sd)
    _check_n(n)
    if not math.isfinite(delta):
        raise InputError(f"the difference must be a finite number, got {delta}")
    df = n - 1
    crit = float(t.ppf(1.0 - alpha / 2.0, df))
    ncp = abs(delta) * math.sqrt(n) / sd
    wrong_side = float(nct.cdf(-crit, df, ncp))
    # scipy's lower tail turns NaN at large ncp, where it lies below 1e-15: count it as 0.
    return min(1.0, float(nct.sf(crit, df, ncp)) + (wrong_side if math.isfinite(wrong_side)
                                                     else 0.0))


def _normal_n(delta: float, sd: float, alpha: float, power: float) -> float:
    """The z-test sample size: a lower bound on the t-test's (t has heavier tails)."""
    from scipy.stats import norm

    z = float(norm.ppf(1.0 - alpha / 2.0) + norm.ppf(power))
    return (z * sd / delta) ** 2


def queries_needed(delta: float, sd: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """The fewest queries (>= 2) with which the paired t-test detects ``delta`` with ``power``.

    Raises InputError when ``delta <= 0``, ``sd`` is 0, or more than MAX_QUERIES are needed.
    """
    check_levels(alpha, power)
    _check_delta(delta)
    _check_sd(sd)
    n0 = _normal_n(delta, sd, alpha, power)
    if n0 > MAX_QUERIES:
        raise InputError(f"detecting {delta:g} with SD {sd:g} needs more than {MAX_QUERIES:.0e} "
                         "queries; the difference is practically zero")
    lo, hi = 1, max(2, math.ceil(n0) + 2)  # power(lo) < target <= power(hi) once hi is found
    while power_at(delta, sd, hi, alpha) < power:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mid >= 2 and power_at(delta, sd, mid, alpha) >= power:
            hi = mid
        else:
            lo = mid
    return hi


def min_detectable_effect(sd: float, n: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest ``|delta|`` the paired t-test over ``n`` queries detects with ``power``."""
    from scipy.optimize import brentq

    check_levels(alpha, power)
    _check_sd(sd)
    _check_n(n)
    hi = math.sqrt(_normal_n(1.0, sd, alpha, power) / n)  # the z-test's MDE, a lower bound
    while power_at(hi, sd, n, alpha) < power:
        hi *= 2.0
    return float(brentq(lambda d: power_at(d, sd, n, alpha) - power, 0.0, hi,
                        xtol=1e-12 * max(hi, 1e-300), rtol=1e-12))


def analyse(diffs: Sequence[float] | np.ndarray, alpha: float = 0.05, power: float = 0.8,
            target_delta: float | None = None) -> PowerAnalysis:
    """Every power figure of one comparison from its per-query differences ``a - b``.

    >>> r = analyse([0.1, 0.3, -0.1, 0.2, 0.0, 0.4, 0.1, 0.2])
    >>> r.n, round(r.delta, 4), r.needed_observed
    (8, 0.15, 12)
    """
    d = np.asarray(diffs, dtype=np.float64)
    _check_n(int(d.size))
    if not np.isfinite(d).all():
        raise InputError("the per-query differences contain NaN or infinity; fix the results file")
    check_levels(alpha, power)
    # Identical differences can leave a rounding-error SD (1e-17); they have none.
    delta, sd = float(d.mean()), 0.0 if np.ptp(d) == 0.0 else float(d.std(ddof=1))
    return PowerAnalysis(
        n=int(d.size), delta=delta, sd=sd, alpha=alpha, power=power,
        achieved_power=power_at(delta, sd, int(d.size), alpha),
        mde=min_detectable_effect(sd, int(d.size), alpha, power),
        needed_observed=_needed_or_none(abs(delta), sd, alpha, power),
        target_delta=target_delta,
        needed_target=None if target_delta is None else queries_needed(target_delta, sd, alpha,
                                                                       power))


def _needed_or_none(delta: float, sd: float, alpha: float, power: float) -> int | None:
    """None for a difference no number of queries up to MAX_QUERIES would detect."""
    if delta == 0.0 or _normal_n(delta, sd, alpha, power) > MAX_QUERIES:
        return None
    return queries_needed(delta, sd, alpha, power)

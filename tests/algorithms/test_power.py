"""embedgate.algorithms.power against published tables, hand-computed values and simulation."""
from __future__ import annotations

import math

import numpy as np
import pytest
from embedgate.algorithms.power import (
    MAX_QUERIES,
    analyse,
    min_detectable_effect,
    power_at,
    queries_needed,
)
from embedgate.infra.errors import InputError
from scipy import stats as sps


@pytest.mark.parametrize(("effect", "want"), [(0.2, 199), (0.5, 34), (0.8, 15)])
def test_queries_needed_matches_the_published_one_sample_t_table(effect: float, want: int) -> None:
    # G*Power / Cohen (1988): one-sample (paired) t-test, two-sided alpha 0.05, power 0.8.
    assert queries_needed(effect, 1.0) == want
    assert queries_needed(effect * 0.1, 0.1) == want  # only delta / sd matters


def test_queries_needed_is_the_first_n_that_reaches_the_target() -> None:
    n = queries_needed(0.05, 0.2, alpha=0.01, power=0.9)
    assert power_at(0.05, 0.2, n - 1, 0.01) < 0.9 <= power_at(0.05, 0.2, n, 0.01)
    # The z-test size is a lower bound, the t-test adds about z^2 / 2 queries (Guenther 1981).
    z = sps.norm.ppf(0.995) + sps.norm.ppf(0.9)
    n_z = (z * 0.2 / 0.05) ** 2
    assert n_z < n <= math.ceil(n_z + sps.norm.ppf(0.995) ** 2 / 2) + 1


def test_power_by_hand_at_the_null_and_against_the_normal_limit() -> None:
    assert power_at(0.0, 1.0, 10) == pytest.approx(0.05, abs=1e-12)  # the test's size
    assert power_at(-0.5, 1.0, 34) == power_at(0.5, 1.0, 34)  # two-sided: sign-free
    lam, z = 0.03 * math.sqrt(10_000) / 1.0, sps.norm.ppf(0.975)
    normal = sps.norm.cdf(lam - z) + sps.norm.cdf(-lam - z)  # 0.3841 + ~0
    assert power_at(0.03, 1.0, 10_000) == pytest.approx(normal, abs=1e-3)


def test_mde_inverts_power_and_shrinks_with_the_square_root_of_n() -> None:
    for n in (2, 5, 34, 500):
        mde = min_detectable_effect(0.3, n, alpha=0.05, power=0.8)
        assert power_at(mde, 0.3, n) == pytest.approx(0.8, abs=1e-9)
    big = min_detectable_effect(1.0, 40_000)
    z = sps.norm.ppf(0.975) + sps.norm.ppf(0.8)
    assert big == pytest.approx(z / math.sqrt(40_000), rel=1e-3)


def test_analyse_by_hand() -> None:
    diffs = [0.1, 0.3, -0.1, 0.2, 0.0, 0.4, 0.1, 0.2]
    r = analyse(diffs, target_delta=0.05)
    # mean 1.2 / 8 = 0.15; squared deviations sum to 0.18, / 7 -> sd = sqrt(0.025714...)
    assert (r.n, r.delta) == (8, pytest.approx(0.15))
    assert r.sd == pytest.approx(math.sqrt(0.18 / 7))
    assert r.achieved_power == pytest.approx(power_at(0.15, r.sd, 8))
    assert r.mde == pytest.approx(min_detectable_effect(r.sd, 8))
    assert r.needed_observed == queries_needed(0.15, r.sd) == 12
    assert r.needed_target == queries_needed(0.05, r.sd)
    assert analyse([-x for x in diffs]).needed_observed == 12  # direction does not matter


def test_observed_power_at_p_equal_alpha_is_about_one_half() -> None:
    # Hoenig & Heisey (2001): observed power is a function of p; at p = alpha it is ~0.5.
    n = 1_000
    crit = sps.t.ppf(0.975, n - 1)
    assert power_at(crit / math.sqrt(n), 1.0, n) == pytest.approx(0.5, abs=0.01)


def _rejection_rate(delta: float, sd: float, n: int, alpha: float, reps: int, seed: int) -> float:
    """Share of simulated paired t-tests (normal differences) that reject at alpha."""
    rng = np.random.default_rng(seed)
    d = rng.normal(delta, sd, size=(reps, n))
    t = d.mean(axis=1) / (d.std(axis=1, ddof=1) / math.sqrt(n))
    return float((np.abs(t) > sps.t.ppf(1 - alpha / 2, n - 1)).mean())


@pytest.mark.parametrize(("delta", "sd", "alpha", "power"),
                         [(0.02, 0.08, 0.05, 0.8), (0.1, 0.25, 0.01, 0.9), (0.3, 0.2, 0.05, 0.8)])
def test_simulated_t_tests_at_the_computed_n_reject_at_the_target_rate(
        delta: float, sd: float, alpha: float, power: float) -> None:
    n = queries_needed(delta, sd, alpha, power)
    rate = _rejection_rate(delta, sd, n, alpha, reps=4_000, seed=11)
    exact = power_at(delta, sd, n, alpha)
    # Seeded, so it cannot flake; 0.03 is about 4.5 binomial standard errors at 4,000 reps.
    assert exact >= power and rate == pytest.approx(exact, abs=0.03)
    mde = min_detectable_effect(sd, 15, alpha, power)
    assert _rejection_rate(mde, sd, 15, alpha, 4_000, seed=12) == pytest.approx(power, abs=0.03)


def test_simulated_rejection_rate_under_the_null_is_alpha() -> None:
    assert _rejection_rate(0.0, 0.1, 20, 0.05, 4_000, seed=13) == pytest.approx(0.05, abs=0.015)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: analyse([0.1] * 6), "zero variance"),
    (lambda: analyse([0.1]), "at least 2 queries, got 1"),
    (lambda: analyse([0.1, float("nan"), 0.2]), "NaN or infinity"),
    (lambda: min_detectable_effect(0.0, 10), "zero variance"),
    (lambda: min_detectable_effect(0.1, 1), "at least 2 queries"),
    (lambda: power_at(0.1, -1.0, 10), "finite number >= 0"),
    (lambda: queries_needed(0.0, 0.1), "must be a finite number > 0, got 0.0"),
    (lambda: queries_needed(-0.01, 0.1), "> 0, got -0.01"),
    (lambda: queries_needed(1e-9, 1.0), r"more than 1e\+12 queries"),
    (lambda: queries_needed(0.1, 0.1, alpha=0.0), "alpha must lie strictly between 0 and 1"),
    (lambda: queries_needed(0.1, 0.1, power=0.05), "power must lie strictly between alpha"),
    (lambda: queries_needed(0.1, 0.1, power=1.0), "power must lie strictly between alpha"),
])
def test_bad_input_is_one_clear_line(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_undetectable_observed_differences_have_no_query_count() -> None:
    assert analyse([0.1, -0.1, 0.2, -0.2]).needed_observed is None  # delta = 0
    tiny = analyse([1.0, -1.0 + 1e-10, 0.5, -0.5])
    assert tiny.needed_observed is None and MAX_QUERIES == 10**12

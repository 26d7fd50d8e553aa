"""embedgate.stats against scipy, ranx, exact enumeration and hand-computed answers."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from embedgate.infra.errors import InputError
from embedgate.algorithms.stats import bootstrap_ci, holm, paired_arrays, paired_test
from scipy import stats as sps


def _pair(n: int = 40, shift: float = 0.05, seed: int = 3) -> tuple[dict[str, float], dict[str, float]]:
    rng = np.random.default_rng(seed)
    base = rng.random(n)
    cur = np.clip(base + rng.normal(shift, 0.15, n), 0, 1)
    return ({f"q{i}": float(v) for i, v in enumerate(cur)},
            {f"q{i}": float(v) for i, v in enumerate(base)})


def _exact_sign_flip_p(d: np.ndarray) -> float:
    """Two-sided p over all 2^n sign patterns (the exact randomisation distribution)."""
    observed = abs(d.mean())
    hits = sum(abs((np.array(s) * d).mean()) >= observed - 1e-12
               for s in itertools.product((1, -1), repeat=len(d)))
    return hits / 2 ** len(d)


def test_t_test_matches_scipy_ttest_rel() -> None:
    a, b = _pair()
    got = paired_test(a, b, method="t-test")
    qids = sorted(a)
    want = sps.ttest_rel([a[q] for q in qids], [b[q] for q in qids])
    assert got.p_value == pytest.approx(want.pvalue, rel=1e-12)
    assert got.diff == pytest.approx(np.mean([a[q] - b[q] for q in qids]))
    assert got.n == 40 and got.mean_a == pytest.approx(np.mean(list(a.values())))


def test_t_test_matches_ranx() -> None:
    from ranx.statistical_tests import paired_student_t_test

    a, b = _pair(seed=8)
    xa, xb = paired_arrays(a, b)
    want, _ = paired_student_t_test(xb, xa)
    assert paired_test(a, b, method="t-test").p_value == pytest.approx(want, rel=1e-12)


def test_one_sided_shifted_t_test_matches_scipy() -> None:
    a, b = _pair(shift=-0.01)
    xa, xb = paired_arrays(a, b)
    got = paired_test(a, b, method="t-test", alternative="greater", null_diff=-0.05)
    want = sps.ttest_1samp(xa - xb + 0.05, 0.0, alternative="greater").pvalue
    assert got.p_value == pytest.approx(want, rel=1e-12)
    assert got.null_diff == -0.05 and got.alternative == "greater"


def test_hand_computed_randomization_on_four_queries() -> None:
    # Differences 0.4, 0.1, 0.1, 0.0: sign sums are ±0.4 ±0.1 ±0.1, of which 2 of 8 reach
    # |0.6|, so the exact two-sided p is 0.25.
    a = {"q1": 0.9, "q2": 0.7, "q3": 0.8, "q4": 0.6}
    b = {"q1": 0.5, "q2": 0.6, "q3": 0.7, "q4": 0.6}
    got = paired_test(a, b, method="randomization", n_resamples=40_000, seed=1)
    assert got.p_value == pytest.approx(0.25, abs=0.01)
    assert got.diff == pytest.approx(0.15)


def test_randomization_matches_exact_enumeration() -> None:
    a, b = _pair(n=12, shift=0.06, seed=5)
    xa, xb = paired_arrays(a, b)
    exact = _exact_sign_flip_p(xa - xb)
    got = paired_test(a, b, n_resamples=20_000, seed=2).p_value
    # Monte-Carlo standard error is at most 0.5 / sqrt(20000) = 0.0035.
    assert got == pytest.approx(exact, abs=0.015)
    assert 0.0 < exact < 1.0


def test_randomization_one_sided_halves_a_symmetric_two_sided_p() -> None:
    a, b = _pair(n=30, shift=0.04, seed=11)
    two = paired_test(a, b, n_resamples=20_000, seed=4).p_value
    greater = paired_test(a, b, n_resamples=20_000, seed=4, alternative="greater").p_value
    less = paired_test(a, b, n_resamples=20_000, seed=4, alternative="less").p_value
    assert greater == pytest.approx(two / 2, abs=0.01)
    assert less > 0.9


def test_randomization_is_reproducible_and_seed_dependent() -> None:
    a, b = _pair(n=25, shift=0.03)
    first = paired_test(a, b, n_resamples=2000, seed=7).p_value
    assert paired_test(a, b, n_resamples=2000, seed=7).p_value == first
    others = {paired_test(a, b, n_resamples=2000, seed=s).p_value for s in range(5)}
    assert len(others) > 1


def test_randomization_p_is_never_zero() -> None:
    a = {f"q{i}": 1.0 for i in range(30)}
    b = {f"q{i}": 0.0 for i in range(30)}
    assert paired_test(a, b, n_resamples=999, seed=0).p_value == pytest.approx(1 / 1000)


def test_identical_runs_have_p_one_in_both_tests() -> None:
    a, _ = _pair()
    assert paired_test(a, dict(a), method="t-test").p_value == 1.0
    assert paired_test(a, dict(a), n_resamples=500).p_value == 1.0


def test_constant_nonzero_difference_t_test() -> None:
    # Zero variance: scipy returns NaN; the evidence is exact, so p is 0 or 1.
    a = {"x": 1.0, "y": 1.0, "z": 0.5}
    b = {"x": 0.5, "y": 0.5, "z": 0.0}
    assert paired_test(a, b, method="t-test").p_value == 0.0
    assert paired_test(a, b, method="t-test", alternative="greater").p_value == 0.0
    assert paired_test(a, b, method="t-test", alternative="less").p_value == 1.0


def test_bootstrap_ci_matches_scipy_percentile_bootstrap() -> None:
    a, b = _pair(n=60, shift=0.03, seed=9)
    xa, xb = paired_arrays(a, b)
    low, high = bootstrap_ci(a, b, confidence=0.9, n_resamples=20_000, seed=3)
    ref = sps.bootstrap((xa - xb,), np.mean, confidence_level=0.9, n_resamples=20_000,
                        method="percentile", rng=np.random.default_rng(0)).confidence_interval
    assert low == pytest.approx(ref.low, abs=0.004)
    assert high == pytest.approx(ref.high, abs=0.004)
    assert low < float(np.mean(xa - xb)) < high


def test_bootstrap_ci_hand_computed_cases() -> None:
    same = {"a": 0.3, "b": 0.5, "c": 0.9}
    shifted = {k: v - 0.25 for k, v in same.items()}
    low, high = bootstrap_ci(same, shifted, confidence=0.95, n_resamples=500, seed=0)
    assert low == pytest.approx(0.25) and high == pytest.approx(0.25)
    # Two queries with differences 0 and 1: resampled means are 0, 0.5 or 1 with probability
    # 1/4, 1/2, 1/4, so the 30% and 70% quantiles (a 40% interval) both fall on 0.5.
    lo, hi = bootstrap_ci({"x": 1.0, "y": 1.0}, {"x": 1.0, "y": 0.0}, confidence=0.4,
                          n_resamples=4000, seed=1)
    assert lo == pytest.approx(0.5) and hi == pytest.approx(0.5)


def test_bootstrap_ci_is_reproducible_and_widens_with_confidence() -> None:
    a, b = _pair()
    assert bootstrap_ci(a, b, 0.9, 2000, 5) == bootstrap_ci(a, b, 0.9, 2000, 5)
    lo90, hi90 = bootstrap_ci(a, b, 0.9, 4000, 5)
    lo99, hi99 = bootstrap_ci(a, b, 0.99, 4000, 5)
    assert lo99 < lo90 < hi90 < hi99


def test_holm_hand_computed() -> None:
    # Sorted: 0.01*4=0.04, 0.02*3=0.06, 0.03*2=0.06, 0.5*1=0.5.
    assert holm([0.03, 0.5, 0.01, 0.02]) == pytest.approx([0.06, 0.5, 0.04, 0.06])
    # Monotonicity: 0.04*3 = 0.12 carries over the smaller 0.045*2 = 0.09.
    assert holm([0.04, 0.045, 0.9]) == pytest.approx([0.12, 0.12, 0.9])
    assert holm([0.6, 0.7]) == [1.0, 1.0]
    assert holm([]) == []


def test_holm_lies_between_raw_and_bonferroni() -> None:
    # Holm never rejects more than unadjusted testing and never fewer than Bonferroni.
    ps = [0.001, 0.013, 0.02, 0.04, 0.3]
    adj = holm(ps)
    bonferroni = [min(1.0, p * len(ps)) for p in ps]
    assert all(p <= h <= bf for p, h, bf in zip(ps, adj, bonferroni))


def test_mismatched_qids_are_refused() -> None:
    with pytest.raises(InputError, match=r"1 qids only in the first \(q3\), 0 only"):
        paired_test({"q1": 1, "q2": 0, "q3": 1}, {"q1": 1, "q2": 0})
    with pytest.raises(InputError, match="not paired"):
        bootstrap_ci({"q1": 1, "q2": 0}, {"q1": 1, "qX": 0})


@pytest.mark.parametrize("bad", [
    lambda: paired_test({"q1": 1.0}, {"q1": 0.0}),
    lambda: paired_test({"q1": float("nan"), "q2": 0}, {"q1": 0, "q2": 0}),
    lambda: paired_test({"q1": 1, "q2": 0}, {"q1": 0, "q2": 0}, method="wilcoxon"),  # type: ignore[arg-type]
    lambda: bootstrap_ci({"q1": 1, "q2": 0}, {"q1": 0, "q2": 0}, confidence=1.0),
    lambda: holm([0.2, 1.5]),
])
def test_bad_arguments_are_input_errors(bad) -> None:
    with pytest.raises(InputError):
        bad()


@pytest.mark.slow
def test_randomization_agrees_with_ranx_fisher_within_monte_carlo_error() -> None:
    """ranx's numba test is not reproducible, so agreement is checked in distribution."""
    from ranx.statistical_tests import fisher_randomization_test

    a, b = _pair(n=50, shift=0.03, seed=21)
    xa, xb = paired_arrays(a, b)
    ranx_p, _ = fisher_randomization_test(xb, xa, 20_000, 0.05, 42)
    ours = paired_test(a, b, n_resamples=20_000, seed=0).p_value
    assert ours == pytest.approx(ranx_p, abs=0.02)
    assert 0.01 < ours < 0.99

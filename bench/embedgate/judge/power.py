"""Power of the run's comparisons: each system against a base on one tier / dataset / metric.

Reads per-query values from results JSON only (never re-runs a model) and hands the paired
differences ``other - base`` to ``algorithms.power``. Shared by ``embedgate power`` and the
report's "How many queries are enough" section.

>>> rows = board_powers(run, "retrieval", "domain", "nDCG@10")   # doctest: +SKIP
>>> rows[0].analysis.needed_observed                              # doctest: +SKIP
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from embedgate.algorithms.power import PowerAnalysis, analyse, check_levels
from embedgate.algorithms.stats import paired_arrays
from embedgate.infra.errors import InputError, unknown
from embedgate.results.schema import RunResult


@dataclass(frozen=True)
class PairPower:
    """One pair's power figures; ``analysis`` is None when they cannot be computed (``problem``)."""

    tier: str
    dataset: str
    metric: str
    base: str
    other: str
    analysis: PowerAnalysis | None
    problem: str = ""
    damaged: bool = False  # the problem is the results file itself (non-finite values)


def with_values(run: RunResult, tier: str, dataset: str, metric: str) -> list[str]:
    """Embedders with per-query values for this row, in the run's order."""
    return [e for e in run.embedders if run.values(e, tier, dataset, metric) is not None]


def best_embedder(run: RunResult, tier: str, dataset: str, metric: str) -> str:
    """The embedder with the best value (direction-aware) among those with per-query values."""
    rows = [row for e in with_values(run, tier, dataset, metric)
            if (row := run.metric(e, tier, dataset, metric)) is not None]
    if not rows:
        raise InputError(f"{tier}/{dataset}/{metric}: no embedder has per-query values; "
                         "pick a metric with per-query values (retrieval or QA)")
    sign = 1.0 if rows[0].higher_is_better else -1.0
    return max(rows, key=lambda r: sign * r.value).embedder


def pair_power(run: RunResult, tier: str, dataset: str, metric: str, base: str, other: str,
               alpha: float = 0.05, power: float = 0.8,
               target_delta: float | None = None) -> PairPower:
    """Power figures of ``other - base``; data problems (zero variance, unpaired queries)
    become ``problem`` so that one degenerate pair does not hide the others."""
    a, b = run.values(other, tier, dataset, metric), run.values(base, tier, dataset, metric)
    if a is None or b is None:
        missing = other if a is None else base
        return PairPower(tier, dataset, metric, base, other, None,
                         f"no per-query values for {missing}")
    for who, values in ((other, a), (base, b)):
        bad = [q for q, v in values.items() if not math.isfinite(v)]
        if bad:
            return PairPower(tier, dataset, metric, base, other, None,
                             f"{who} has {len(bad)} non-finite per-query values (NaN or "
                             f"infinity; e.g. query {bad[0]}); re-run the suite to rewrite the "
                             "results file", damaged=True)
    try:
        xa, xb = paired_arrays(a, b)
        result = analyse(np.subtract(xa, xb), alpha, power, target_delta)
    except InputError as exc:
        return PairPower(tier, dataset, metric, base, other, None, str(exc))
    return PairPower(tier, dataset, metric, base, other, result)


def board_powers(run: RunResult, tier: str, dataset: str, metric: str, base: str | None = None,
                 others: list[str] | None = None, alpha: float = 0.05, power: float = 0.8,
                 target_delta: float | None = None) -> list[PairPower]:
    """Every other system (or ``others``) against ``base`` (default: the best system)."""
    check_levels(alpha, power)
    base = base or best_embedder(run, tier, dataset, metric)
    if others is not None and base in others:
        raise InputError(f"{tier}/{dataset}/{metric}: {base} is the base, so it cannot be the "
                         "other system too; name another one (or choose the base)")
    wanted = others if others is not None else [e for e in with_values(run, tier, dataset, metric)
                                                if e != base]
    return [pair_power(run, tier, dataset, metric, base, o, alpha, power, target_delta)
            for o in wanted]


def check_choice(value: str, known: list[str], what: str, where: str) -> str:
    """``value`` when it is one of ``known``; otherwise one line with the closest name."""
    if value not in known:
        raise InputError(f"{where}: " + unknown(what, value, known, "the results hold"))
    return value


def queries_text(n: int | None) -> str:
    """A query count for people: thousands separated, "never" for an undetectable difference."""
    return "never" if n is None else f"{n:,}"

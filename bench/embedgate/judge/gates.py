"""Gates: judge a RunResult, optionally against a baseline RunResult. Pure: no I/O.

``evaluate(current, baseline, rules) -> Verdict``. Each rule (a suite's ``gates:`` entry,
`config.GateSpec`) names one metric row and one of three checks:

* ``absolute: ">= 0.55"`` — the current value against a fixed bound;
* ``max_drop: 0.01`` or ``"2%"`` — the current value may be worse than the baseline's by at
  most that much (absolute, or a fraction of the baseline value);
* ``non_inferiority: {margin, confidence, method}`` — on per-query values, paired: pass when the
  whole confidence interval of (current − baseline) lies above −margin, regressed when it lies
  below −margin, inconclusive when it straddles it.

"Worse" always follows the metric row's ``higher_is_better``; nothing is guessed. The baseline
is the same embedder in the baseline file, or another embedder of the same run (``versus``).
A baseline file must be comparable (schema version, dataset hashes, tier parameters, metric
definitions); otherwise InputError names the field that differs. Perf gates (perf tier, or a
time / rate unit) are judged only on matching hardware fingerprints, else inconclusive.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from embedgate.infra.errors import InputError, did_you_mean
from embedgate.results.schema import MetricRow, RunResult
from embedgate.algorithms.stats import bootstrap_ci, paired_test
from embedgate.suite.thresholds import parse_bound, parse_drop
from embedgate.results.verdict import GateOutcome, Status, Verdict

if TYPE_CHECKING:
    from embedgate.suite import GateSpec, NonInferiority

# Units whose values depend on the machine; a gate on them is a perf gate.
_PERF_UNITS = frozenset({"s", "ms", "us", "µs", "ns", "x", "qps"})
# Tier parameters that select what runs, not how it is measured: they may differ between runs.
_SELECTION_PARAMS = frozenset({"embedders", "datasets", "metrics"})
_EPS = 1e-12


@dataclass(frozen=True)
class Reference:
    """Where a gate's baseline numbers come from."""

    run: RunResult
    embedder: str
    label: str
    same_run: bool


def evaluate(current: RunResult, baseline: RunResult | None, rules: Sequence[GateSpec],
             where: Callable[[int], str] | None = None, baseline_label: str = "baseline"
             ) -> Verdict:
    """Judge every rule; fold the outcomes into one Verdict.

    ``where(i)`` locates rule i for messages (suite file:line); ``baseline_label`` names the
    baseline file. Raises InputError for gates that cannot be evaluated as written (unknown
    metric, missing baseline, incomparable runs).
    """
    locate = where or (lambda i: f"gates[{i}]")
    if baseline is not None and baseline.schema_version != current.schema_version:
        raise InputError(f"{baseline_label}: not comparable: schema_version differs (current "
                         f"{current.schema_version}, baseline {baseline.schema_version})")
    outcomes = [judge(rule, current, baseline, locate(i), baseline_label)
                for i, rule in enumerate(rules)]
    return Verdict.of(outcomes, baseline=baseline_label if baseline is not None else None)


def judge(rule: GateSpec, current: RunResult, baseline: RunResult | None, where: str,
          baseline_label: str = "baseline") -> GateOutcome:
    """Evaluate one rule (see module docstring)."""
    row = find_row(current, rule.embedder, rule.tier, rule.dataset, rule.metric, where)
    ref = None if rule.kind == "absolute" else reference(rule, current, baseline, where,
                                                          baseline_label)
    base_row = None
    if ref is not None:
        if not ref.same_run:
            check_comparable(current.datasets, current.params, ref.run, row.tier, row.dataset,
                             where, baseline_label)
        base_row = find_row(ref.run, ref.embedder, row.tier, row.dataset, row.metric,
                            f"{where} ({ref.label})")
        _same_definition(row, base_row, where, ref.label)
    _check_unit(rule, row, where)
    common = _common(rule, row, base_row, ref, where)
    if common["perf"]:
        problem = hardware_problem(rule, current, ref, baseline)
        if problem:
            return GateOutcome(**common, status="inconclusive", threshold=_threshold(rule, row),
                               reason=problem)
    if rule.absolute is not None:
        return _absolute(rule.absolute, row, common)
    assert ref is not None and base_row is not None
    if rule.max_drop is not None:
        return _max_drop(rule.max_drop, row, base_row, common)
    assert rule.non_inferiority is not None
    return _non_inferiority(rule.non_inferiority, row, current, ref, common, where)


def find_row(run: RunResult, embedder: str, tier: str, dataset: str | None, metric: str,
             where: str) -> MetricRow:
    """The one metric row a gate names; InputError with what exists when it is not there."""
    rows = [r for r in run.metrics if (r.embedder, r.tier) == (embedder, tier)]
    if not rows:
        have = sorted({f"{r.embedder}/{r.tier}" for r in run.metrics})
        raise InputError(f"{where}: no results for embedder \"{embedder}\" in tier \"{tier}\"; "
                         f"results have: {', '.join(have) or 'nothing'}")
    if dataset is None:
        datasets = sorted({r.dataset for r in rows})
        if len(datasets) > 1:
            raise InputError(f"{where}: tier \"{tier}\" ran on several datasets "
                             f"({', '.join(datasets)}); name one with `dataset:`")
        dataset = datasets[0]
    in_dataset = [r for r in rows if r.dataset == dataset]
    if not in_dataset:
        names = sorted({r.dataset for r in rows})
        raise InputError(f"{where}: no dataset \"{dataset}\"{did_you_mean(dataset, names)} for "
                         f"{embedder}/{tier}; results have: {', '.join(names)}")
    for r in in_dataset:
        if r.metric == metric:
            return r
    names = sorted(r.metric for r in in_dataset)
    raise InputError(f"{where}: no metric \"{metric}\"{did_you_mean(metric, names)} for "
                     f"{embedder}/{tier}/{dataset}; results have: {', '.join(names)}")


def reference(rule: GateSpec, current: RunResult, baseline: RunResult | None, where: str,
              baseline_label: str) -> Reference:
    """The run and embedder a relative gate compares with."""
    if rule.versus is not None:
        return Reference(current, rule.versus, f"this run, embedder {rule.versus}", True)
    if baseline is None:
        raise InputError(f"{where}: gate \"{rule.label}\" ({rule.kind}) needs a baseline; set "
                         "`baseline:` in the suite, pass --baseline, or use `versus:`")
    return Reference(baseline, rule.embedder, baseline_label, False)


def check_comparable(datasets: Mapping[str, Mapping[str, Any]], params: Mapping[str, Any],
                     baseline: RunResult, tier: str, dataset: str | None, where: str,
                     baseline_label: str = "baseline") -> None:
    """Refuse a baseline measured on other data or with other settings; name the field.

    ``datasets`` and ``params`` are the current run's (results.json fields of the same name);
    taking them rather than a RunResult lets the runner check before any model runs.
    """
    def refuse(field: str, cur: object, base: object) -> InputError:
        return InputError(f"{where}: {baseline_label} is not comparable: {field} differs "
                          f"(current {_short(cur)}, baseline {_short(base)}); re-run the "
                          "baseline with the same data and settings")

    if dataset is not None and (dataset in datasets or dataset in baseline.datasets):
        cur_hash = datasets.get(dataset, {}).get("sha256")
        base_hash = baseline.datasets.get(dataset, {}).get("sha256")
        if cur_hash != base_hash:
            raise refuse(f"datasets.{dataset}.sha256", cur_hash, base_hash)
    cur_params = _tier_params(params, tier)
    base_params = _tier_params(baseline.params, tier)
    for key in sorted(set(cur_params) | set(base_params)):
        if cur_params.get(key) != base_params.get(key):
            raise refuse(f"params.tiers.{tier}.{key}", cur_params.get(key), base_params.get(key))


def _tier_params(params: Mapping[str, Any], tier: str) -> dict[str, Any]:
    selected = params.get("tiers", {}).get(tier, {})
    return {k: v for k, v in selected.items() if k not in _SELECTION_PARAMS}


def _short(value: object) -> str:
    text = "missing" if value is None else str(value)
    return text[:12] + "…" if len(text) > 16 and " " not in text else text


def _same_definition(row: MetricRow, base: MetricRow, where: str, label: str) -> None:
    for field in ("higher_is_better", "unit"):
        if getattr(row, field) != getattr(base, field):
            raise InputError(
                f"{where}: {label} is not comparable: metric definition {row.metric}.{field} "
                f"differs (current {getattr(row, field)!r}, baseline {getattr(base, field)!r})")


def is_perf(rule: GateSpec, row: MetricRow) -> bool:
    """A perf gate: said so, or a perf-tier row, or a time / rate unit."""
    if rule.perf is not None:
        return rule.perf
    return row.tier == "perf" or row.unit in _PERF_UNITS or row.unit.endswith("/s")


def fingerprint(run: RunResult) -> str | None:
    hw = run.provenance.get("hardware")
    return hw.get("fingerprint") if isinstance(hw, dict) else None


def hardware_problem(rule: GateSpec, current: RunResult, ref: Reference | None,
                     baseline: RunResult | None) -> str | None:
    """Why a perf gate cannot be judged here, or None when the machines match."""
    refs: list[tuple[str, RunResult | None, str | None]] = []
    if rule.hardware is not None:
        refs.append(("the gate's `hardware`", None, rule.hardware))
    if ref is not None and not ref.same_run:
        refs.append(("the baseline's", ref.run, fingerprint(ref.run)))
    elif ref is None and rule.hardware is None and baseline is not None:
        refs.append(("the baseline's", baseline, fingerprint(baseline)))
    if ref is not None and ref.same_run and not refs:
        return None  # same run, same machine
    if not refs:
        return ("perf gate without a reference machine: timings only mean something on the "
                "hardware the threshold was set on; add `hardware: <fingerprint>` or a baseline")
    mine = fingerprint(current)
    for name, run, theirs in refs:
        if theirs is None or mine != theirs:
            return (f"hardware differs from {name}: current {_describe(current, mine)} vs "
                    f"{_describe(run, theirs)}; perf gates are judged only on the same machine")
    return None


def _describe(run: RunResult | None, fp: str | None) -> str:
    hw = run.provenance.get("hardware", {}) if run is not None else {}
    bits = [fp or "no fingerprint"]
    if isinstance(hw, dict) and hw.get("cpu_model"):
        bits.append(f"{hw['cpu_model']}, {hw.get('threads')} threads")
    return f"{bits[0]}" + (f" ({bits[1]})" if len(bits) > 1 else "")


def _common(rule: GateSpec, row: MetricRow, base_row: MetricRow | None, ref: Reference | None,
            where: str) -> dict[str, Any]:
    return {"name": rule.label, "embedder": row.embedder, "tier": row.tier,
            "dataset": row.dataset, "metric": row.metric, "kind": rule.kind,
            "value": row.value, "baseline": base_row.value if base_row else None,
            "baseline_source": ref.label if ref else "",
            "higher_is_better": row.higher_is_better, "unit": row.unit,
            "perf": is_perf(rule, row), "where": where}


def _threshold(rule: GateSpec, row: MetricRow) -> str:
    if rule.absolute is not None:
        return rule.absolute
    if rule.max_drop is not None:
        return f"max_drop {parse_drop(rule.max_drop)}"
    assert rule.non_inferiority is not None
    return _threshold_ni(rule.non_inferiority, row.higher_is_better)


def _threshold_ni(ni: NonInferiority, higher_is_better: bool) -> str:
    side, bound = (">", -ni.margin) if higher_is_better else ("<", ni.margin)
    bound = bound or 0.0  # print "+0", not "-0", for a zero margin
    return f"current-baseline {side} {bound:+g} at {ni.confidence:.0%} ({ni.method})"


def _check_unit(rule: GateSpec, row: MetricRow, where: str) -> None:
    bound = parse_bound(rule.absolute) if rule.absolute is not None else None
    if bound is not None and bound.unit and bound.unit != row.unit:
        raise InputError(f"{where}: the bound {bound} is in \"{bound.unit}\" but {row.metric} "
                         f"is measured in \"{row.unit or 'no unit'}\"; use the metric's unit")


def _absolute(text: str, row: MetricRow, common: dict[str, Any]) -> GateOutcome:
    bound = parse_bound(text)
    ok = bound.holds(row.value)
    return GateOutcome(**common, status="pass" if ok else "regressed", threshold=str(bound),
                       reason="" if ok else f"{row.value:.4g} is not {bound}")


def _max_drop(spec: float | str, row: MetricRow, base: MetricRow,
              common: dict[str, Any]) -> GateOutcome:
    drop = parse_drop(spec)
    allowed = drop.allowed(base.value)
    worse_by = (base.value - row.value) if row.higher_is_better else (row.value - base.value)
    limit = base.value - allowed if row.higher_is_better else base.value + allowed
    side = ">=" if row.higher_is_better else "<="
    ok = worse_by <= allowed + _EPS * max(1.0, abs(base.value))
    reason = (f"worse than baseline by {worse_by:.4g}, allowed {allowed:.4g}" if worse_by > 0
              else "not worse than the baseline")
    return GateOutcome(**common, status="pass" if ok else "regressed",
                       threshold=f"{side} {limit:.4g} (max_drop {drop})", reason=reason)


def _non_inferiority(ni: NonInferiority, row: MetricRow, current: RunResult, ref: Reference,
                     common: dict[str, Any], where: str) -> GateOutcome:
    cur = _values(current, row.embedder, row, where)
    base = _values(ref.run, ref.embedder, row, where)
    try:
        ci = bootstrap_ci(cur, base, ni.confidence, ni.n_resamples, ni.seed)
        status, p_value, reason = _ni_decide(ni, row.higher_is_better, cur, base, ci)
    except InputError as exc:
        raise InputError(f"{where}: {row.metric} on {row.dataset}: {exc}") from None
    return GateOutcome(**common, status=status, ci=ci, confidence=ni.confidence,
                       p_value=p_value, reason=reason,
                       threshold=_threshold_ni(ni, row.higher_is_better))


def _values(run: RunResult, embedder: str, row: MetricRow, where: str) -> Mapping[str, float]:
    values = run.values(embedder, row.tier, row.dataset, row.metric)
    if values is None:
        raise InputError(f"{where}: {embedder}/{row.tier}/{row.dataset}/{row.metric} has no "
                         "per-query values; non_inferiority needs them (use max_drop instead)")
    return values


def _ni_decide(ni: NonInferiority, higher_is_better: bool, cur: Mapping[str, float],
               base: Mapping[str, float], ci: tuple[float, float]
               ) -> tuple[Status, float | None, str]:
    """pass / regressed / inconclusive from the interval (bootstrap) or one-sided tests."""
    # Work in "improvement" units: positive is better whatever the metric's direction.
    sign = 1.0 if higher_is_better else -1.0
    low, high = sorted((sign * ci[0], sign * ci[1]))
    if ni.method == "bootstrap":
        status: Status = ("pass" if low > -ni.margin else
                          "regressed" if high < -ni.margin else "inconclusive")
        return status, None, _ni_reason(status, ni.margin, "the interval")
    flip_cur = {q: sign * v for q, v in cur.items()}
    flip_base = {q: sign * v for q, v in base.items()}
    alpha = (1.0 - ni.confidence) / 2.0  # one-sided, matching the two-sided interval's bounds
    tests = {alt: paired_test(flip_cur, flip_base, method=ni.method, n_resamples=ni.n_resamples,
                              seed=ni.seed, alternative=alt, null_diff=-ni.margin).p_value
             for alt in ("greater", "less")}
    status = ("pass" if tests["greater"] < alpha else
              "regressed" if tests["less"] < alpha else "inconclusive")
    p_value = tests["less"] if status == "regressed" else tests["greater"]
    return status, p_value, _ni_reason(status, ni.margin, f"the one-sided {ni.method} "
                                       f"(alpha {alpha:.3g})")


def _ni_reason(status: Status, margin: float, evidence: str) -> str:
    by = f" by {margin:g} or more" if margin else ""
    if status == "pass":
        return (f"{evidence} shows it is not worse than the baseline{by}" if margin
                else f"{evidence} shows it is better than the baseline")
    if status == "regressed":
        return f"{evidence} shows it is worse than the baseline" + (
            f" by more than {margin:g}" if margin else "")
    return (f"{evidence} cannot tell whether it is worse{by}; "
            "widen the margin or judge more queries")

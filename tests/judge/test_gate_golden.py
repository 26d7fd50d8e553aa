"""gate.evaluate on the golden results files (tests/golden, see its README)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from embedgate.suite import GateSpec, load_suite
from embedgate.infra.errors import InputError
from embedgate.judge.gates import evaluate
from embedgate.judge.gating import plan
from embedgate.results.schema import RunResult

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _load(name: str) -> RunResult:
    return RunResult.load(GOLDEN / f"{name}.json")


def _gate(**kw: Any) -> GateSpec:
    base = {"embedder": "m3e-small", "tier": "retrieval", "dataset": "domain", "metric": "nDCG@10"}
    return GateSpec.model_validate({**base, **kw})


def _status(current: str, rule: GateSpec, baseline: str | None = "baseline") -> str:
    verdict = evaluate(_load(current), _load(baseline) if baseline else None, [rule])
    return verdict.gates[0].status


NI = {"margin": 0.05, "confidence": 0.95}


@pytest.mark.parametrize("current,want", [("pass", "pass"), ("regressed", "regressed"),
                                          ("inconclusive", "inconclusive")])
@pytest.mark.parametrize("method", ["bootstrap", "randomization", "t-test"])
def test_non_inferiority_on_golden_files(current: str, want: str, method: str) -> None:
    rule = _gate(non_inferiority={**NI, "method": method, "n_resamples": 4000})
    assert _status(current, rule) == want


def test_golden_suite_verdicts_and_exit_codes() -> None:
    gates = plan(load_suite(GOLDEN / "suite.yaml"))
    expected = {"pass": ("pass", 0), "regressed": ("regressed", 1),
                "inconclusive": ("inconclusive", 3)}
    for name, (status, code) in expected.items():
        verdict = gates.judge(_load(name))
        assert (verdict.status, verdict.exit_code) == (status, code), name
        # m3e vs minilm in the same run is judged without the baseline file, always a pass.
        assert verdict.gates[2].status == "pass" and "this run" in verdict.gates[2].baseline_source


def test_bootstrap_outcome_carries_the_numbers_a_reader_needs() -> None:
    outcome = evaluate(_load("regressed"), _load("baseline"),
                       [_gate(non_inferiority=NI)]).gates[0]
    assert outcome.value == pytest.approx(0.565) and outcome.baseline == pytest.approx(0.735)
    assert outcome.ci is not None and outcome.ci[1] < -0.05 and outcome.confidence == 0.95
    msg = outcome.message()
    for part in ("nDCG@10", "REGRESSED", "value 0.565", "baseline 0.735", "95% CI", "-0.05"):
        assert part in msg, (part, msg)


def test_absolute_bounds_both_directions() -> None:
    assert _status("pass", _gate(absolute=">= 0.74"), None) == "pass"  # equal counts as met
    assert _status("pass", _gate(absolute="> 0.74"), None) == "regressed"
    assert _status("regressed", _gate(absolute=">= 0.6"), None) == "regressed"
    # An upper bound on a negative control: MiniLM must stay poor on Chinese queries.
    assert _status("pass", _gate(embedder="minilm", absolute="<= 0.4"), None) == "pass"


def test_max_drop_absolute_and_relative_follow_direction() -> None:
    # pass.json improves on the baseline; regressed.json drops 0.17 (23% of 0.735).
    assert _status("pass", _gate(max_drop=0.0)) == "pass"
    assert _status("regressed", _gate(max_drop=0.17)) == "pass"
    assert _status("regressed", _gate(max_drop=0.16)) == "regressed"
    assert _status("regressed", _gate(max_drop="24%")) == "pass"
    assert _status("regressed", _gate(max_drop="22%")) == "regressed"
    # Lower is better for latency: 30 ms against 12 ms is a 150% rise.
    lat = {"tier": "perf", "dataset": None, "metric": "latency_p50"}
    assert _status("regressed", _gate(**lat, max_drop="100%")) == "regressed"
    assert _status("pass", _gate(**lat, max_drop="1%")) == "pass"  # 11.5 ms is faster


def test_lower_is_better_non_inferiority_uses_the_metric_direction() -> None:
    # Make per-query "errors" (lower is better) from nDCG: 1 - value. Regressed nDCG means
    # larger errors, which must still be judged regressed.
    def as_error(run: RunResult) -> RunResult:
        rows = [r.model_copy(update={"value": 1 - r.value, "higher_is_better": False})
                for r in run.metrics]
        pqs = [p.model_copy(update={"values": {q: 1 - v for q, v in p.values.items()}})
               for p in run.per_query]
        return run.model_copy(update={"metrics": rows, "per_query": pqs})

    rule = _gate(non_inferiority=NI)
    base = as_error(_load("baseline"))
    for name, want in (("pass", "pass"), ("regressed", "regressed")):
        outcome = evaluate(as_error(_load(name)), base, [rule]).gates[0]
        assert outcome.status == want and not outcome.higher_is_better
    assert "< +0.05" in outcome.threshold


def test_perf_gates_need_matching_hardware() -> None:
    speed = _gate(tier="perf", dataset=None, metric="speedup", absolute=">= 2")
    # Same fingerprint as the baseline: judged.
    assert _status("pass", speed) == "pass"
    assert _status("regressed", speed) == "regressed"
    # Other machine: inconclusive, with the reason.
    outcome = evaluate(_load("inconclusive"), _load("baseline"), [speed]).gates[0]
    assert outcome.status == "inconclusive" and outcome.perf
    assert "hardware differs" in outcome.reason and "ffee000011112222" in outcome.reason
    # No baseline and no pinned fingerprint: no reference machine.
    assert "without a reference machine" in evaluate(_load("pass"), None, [speed]).gates[0].reason
    # A pinned fingerprint replaces the baseline.
    pinned = _gate(tier="perf", dataset=None, metric="speedup", absolute=">= 2",
                   hardware="a1b2c3d4e5f60718")
    assert _status("pass", pinned, None) == "pass"
    # perf: false turns the check off explicitly.
    assert _status("inconclusive", _gate(tier="perf", dataset=None, metric="speedup",
                                         absolute=">= 2", perf=False), None) == "pass"


def test_perf_gate_within_one_run_needs_no_fingerprint() -> None:
    faster = _gate(tier="perf", dataset=None, metric="latency_p50", versus="minilm",
                   max_drop=0.0)
    assert _status("inconclusive", faster, None) == "pass"  # 12 ms vs 20 ms, same machine


@pytest.mark.parametrize("rule,field", [
    (_gate(non_inferiority=NI), "datasets.domain.sha256"),
    (_gate(dataset="domain", max_drop=0.01), "datasets.domain.sha256"),
])
def test_incomparable_baseline_is_refused_naming_the_field(rule: GateSpec, field: str) -> None:
    with pytest.raises(InputError, match=rf"not comparable: {field} differs"):
        evaluate(_load("incomparable"), _load("baseline"), [rule])


def test_incomparable_tier_params_and_schema_are_named() -> None:
    current = _load("incomparable")
    current.datasets["domain"]["sha256"] = "d" * 64
    with pytest.raises(InputError, match=r"params\.tiers\.retrieval\.top_k differs \(current 50, "
                                         r"baseline 100\)"):
        evaluate(current, _load("baseline"), [_gate(max_drop=0.01)])
    old = _load("baseline").model_copy(update={"schema_version": "0.9"})
    with pytest.raises(InputError, match="schema_version differs"):
        evaluate(_load("pass"), old, [_gate(max_drop=0.01)])


def test_metric_definition_change_is_refused() -> None:
    base = _load("baseline")
    rows = [r.model_copy(update={"higher_is_better": False}) if r.metric == "nDCG@10" else r
            for r in base.metrics]
    with pytest.raises(InputError, match=r"nDCG@10\.higher_is_better differs"):
        evaluate(_load("pass"), base.model_copy(update={"metrics": rows}), [_gate(max_drop=0.01)])


def test_absolute_gates_ignore_an_incomparable_baseline() -> None:
    assert _status("incomparable", _gate(absolute=">= 0.7")) == "pass"


@pytest.mark.parametrize("rule,message", [
    (_gate(metric="nDCG@5", absolute=">= 0.5"), r'no metric "nDCG@5" \(did you mean "nDCG@10"\?\)'),
    (_gate(dataset="domian", absolute=">= 0.5"), r'no dataset "domian" \(did you mean "domain"\?\)'),
    (_gate(embedder="e5", absolute=">= 0.5"), r'no results for embedder "e5"'),
    (_gate(max_drop=0.01), r"needs a baseline"),
    (_gate(tier="perf", dataset=None, metric="latency_p50", absolute="<= 20 s"),
     r'in "s" but latency_p50 is measured in "ms"'),
])
def test_gates_that_cannot_be_evaluated_are_bad_input(rule: GateSpec, message: str) -> None:
    with pytest.raises(InputError, match=message):
        evaluate(_load("pass"), None, [rule], where=lambda i: f"suite.yaml:{10 + i}")


def test_non_inferiority_needs_per_query_values() -> None:
    rule = _gate(tier="perf", dataset=None, metric="latency_p50", perf=False,
                 non_inferiority=NI)
    with pytest.raises(InputError, match="no per-query values"):
        evaluate(_load("pass"), _load("baseline"), [rule])


def test_verdict_folding() -> None:
    rules = [_gate(absolute=">= 0.6"), _gate(name="speed", tier="perf", dataset=None,
                                             metric="speedup", absolute=">= 2")]
    assert evaluate(_load("inconclusive"), _load("baseline"), rules).status == "inconclusive"
    rules.append(_gate(name="hard", absolute=">= 0.9"))
    assert evaluate(_load("inconclusive"), _load("baseline"), rules).status == "regressed"
    assert evaluate(_load("pass"), None, []).status == "pass"

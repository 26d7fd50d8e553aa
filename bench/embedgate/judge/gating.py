"""Glue between suites, results files and the pure `gate.evaluate`.

Finds and loads the baseline a suite (or the command line) names, checks it is comparable
before any model runs, and attaches the verdict to a finished RunResult. Used by the runner,
`embedgate gate` and the pytest plugin, so all three judge the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from embedgate.suite import LoadedSuite
from embedgate.infra.errors import InputError
from embedgate.judge.gates import check_comparable, evaluate
from embedgate.results.schema import RunResult
from embedgate.results.verdict import Verdict


@dataclass(frozen=True)
class GatePlan:
    """A suite's gates with their baseline, ready to judge a run."""

    loaded: LoadedSuite
    baseline: RunResult | None
    baseline_label: str | None

    def where(self, index: int) -> str:
        return f"{self.loaded.where(('gates', index))} (gate \"{self.loaded.suite.gates[index].label}\")"

    def judge(self, result: RunResult) -> Verdict:
        return evaluate(result, self.baseline, self.loaded.suite.gates, where=self.where,
                        baseline_label=self.baseline_label or "baseline")


def baseline_path(loaded: LoadedSuite, override: Path | None = None) -> Path | None:
    """The baseline results file: the override (command line) or the suite's `baseline:`."""
    if override is not None:
        return override
    configured = loaded.suite.baseline
    return loaded.resolve(configured) if configured is not None else None


def plan(loaded: LoadedSuite, override: Path | None = None) -> GatePlan:
    """Load the configured baseline (relative gates compare with it; absolute perf gates take
    its hardware fingerprint as the reference machine)."""
    path = baseline_path(loaded, override)
    if path is None or not loaded.suite.gates:
        return GatePlan(loaded, None, None)
    if not path.is_file():
        where = loaded.where(("baseline",)) if override is None else "--baseline"
        raise InputError(f"{where}: baseline results {path} not found; create it with "
                         f"`embedgate run {loaded.doc.path} --no-gates --out DIR` and copy "
                         "DIR/results.json there, or remove the gates that need it")
    return GatePlan(loaded, RunResult.load(path), str(path))


def without_gates(loaded: LoadedSuite) -> LoadedSuite:
    """The same suite with no gates and no baseline (`embedgate run --no-gates`), e.g. to
    produce the first baseline of a suite whose gates need one."""
    suite = loaded.suite.model_copy(update={"gates": [], "baseline": None})
    return LoadedSuite(suite, loaded.doc, loaded.sha256)


def preflight(gates: GatePlan, datasets: dict[str, dict[str, object]]) -> None:
    """Refuse an incomparable baseline before any model runs (datasets and tier parameters).

    ``datasets`` maps dataset id to at least ``{"sha256": ...}`` as results.json records it.
    """
    if gates.baseline is None:
        return
    params = {"tiers": gates.loaded.suite.tiers.model_dump(mode="json", exclude_none=True)}
    for i, rule in enumerate(gates.loaded.suite.gates):
        if rule.kind != "absolute" and rule.versus is None:
            check_comparable(datasets, params, gates.baseline, rule.tier, rule.dataset,
                             gates.where(i), gates.baseline_label or "baseline")


def attach(gates: GatePlan, result: RunResult) -> RunResult:
    """The result with its verdict (None when the suite has no gates)."""
    if not gates.loaded.suite.gates:
        return result
    return result.model_copy(update={"verdict": gates.judge(result)})


def print_verdict(verdict: Verdict | None) -> None:
    """The verdict on stdout: one line per gate, then the summary."""
    if verdict is None:
        return
    for outcome in verdict.gates:
        print(f"gate {outcome.name}: {outcome.message()}")
    print(verdict.summary())


def gated_rows(verdict: Verdict | None) -> list[tuple[str, str, str, str]]:
    """The figures the gates compared with the baseline file (not with another embedder)."""
    if verdict is None:
        return []
    return list(dict.fromkeys((g.embedder, g.tier, g.dataset, g.metric) for g in verdict.gates
                              if g.baseline is not None
                              and not g.baseline_source.startswith("this run")))

"""Why a figure moved between two results files, from their fingerprints alone.

For each metric both runs report (whole-set rows), the move is measured (paired bootstrap
interval over the shared queries where per-query values exist) and attributed:

- ``data``: the dataset's corpus, queries or judgements differ (what and how many);
- ``model``: the embedder's weights hash differs;
- ``data+model``: both; the two cannot be told apart from these files;
- ``environment``: same weights, other probe vectors; the differing factors are named;
- ``settings``: the tier's parameters differ;
- ``noise``: nothing recorded differs and the interval includes zero;
- ``unexplained``: nothing recorded differs yet the interval excludes zero;
- ``unknown``: a file has no fingerprint (written before fingerprints existed).

Example::

    explanation = explain(RunResult.load(cur), RunResult.load(base))
    print("\\n".join(explanation.lines()))
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from embedgate.algorithms.stats import bootstrap_ci
from embedgate.infra.errors import InputError
from embedgate.judge.fingerprint_diff import (DataDiff, EmbedderDiff, diff_dataset,
                                              diff_embedder, factor_text)
from embedgate.results.schema import MetricRow, RunResult
from embedgate.results.verdict import Verdict

CONFIDENCE = 0.95
N_RESAMPLES = 2000
SEPARATE = ("to separate them, run the baseline's embedder on the current data (or the current "
            "embedder on the baseline's data) and explain each against its pair")


@dataclass(frozen=True)
class Move:
    """One metric's change and its attributed cause."""

    embedder: str
    tier: str
    dataset: str
    metric: str
    baseline: float
    current: float
    ci: tuple[float, float] | None
    cause: str
    why: str
    shared: int | None = None  # queries the interval pairs, when fewer than either run has

    @property
    def delta(self) -> float:
        return self.current - self.baseline

    @property
    def moved(self) -> bool:
        """Beyond its interval (the interval excludes 0), or any change where none exists."""
        if self.ci is None:
            return abs(self.delta) > 1e-12
        return self.ci[0] > 0 or self.ci[1] < 0

    def line(self) -> str:
        over = f" over the {self.shared} shared queries" if self.shared is not None else ""
        ci = (f", {CONFIDENCE:.0%} CI{over} [{self.ci[0]:+.4f}, {self.ci[1]:+.4f}]"
              if self.ci is not None else ", no per-query values for an interval")
        state = "moved" if self.moved else "within its interval"
        return (f"{self.embedder} / {self.tier} / {self.dataset} / {self.metric}: "
                f"{self.baseline:.4f} -> {self.current:.4f} ({self.delta:+.4f}{ci}) {state}: "
                f"{self.cause} — {self.why}")


@dataclass(frozen=True)
class Explanation:
    data: dict[str, DataDiff]
    embedders: dict[str, EmbedderDiff]
    moves: list[Move] = field(default_factory=list)

    @property
    def causes(self) -> list[str]:
        """The causes of the moves beyond their interval (``noise`` when none moved)."""
        found = sorted({m.cause for m in self.moves if m.moved})
        return found or ["noise"]

    def lines(self, only_moved: bool = False) -> list[str]:
        out = ["data:"] + [f"  {d.describe()}" for d in self.data.values()]
        out += ["model:"] + [f"  {e.describe_weights()}" for e in self.embedders.values()]
        vectors = [f"  {e.describe_vectors()}" for e in self.embedders.values()
                   if e.known and not e.weights_changed]
        out += ["vectors:"] + vectors if vectors else []
        shown = [m for m in self.moves if m.moved or not only_moved]
        out += ["moves:"] + [f"  {m.line()}" for m in shown] if shown else []
        out.append(f"attribution: {self.summary()}")
        return out

    def summary(self) -> str:
        """The causes of what moved; for a run within its intervals, what differs anyway."""
        if any(m.moved for m in self.moves):
            return ", ".join(self.causes)
        seen = sorted({m.cause for m in self.moves} - {"noise"})
        if not seen:
            return "noise (no figure moved beyond its interval and nothing recorded differs)"
        return (f"no figure moved beyond its interval (noise at this sample size); the runs "
                f"differ in: {', '.join(seen)}")


def check_same_suite(current: RunResult, baseline: RunResult) -> None:
    """Two runs of different suites (or schema versions) cannot be explained against each other."""
    if current.schema_version != baseline.schema_version:
        raise InputError(f"the results have different schema versions ({current.schema_version}"
                         f" vs baseline {baseline.schema_version}); re-run one of them")
    if current.suite.name != baseline.suite.name:
        raise InputError(f"the results come from different suites ({current.suite.name!r} vs "
                         f"baseline {baseline.suite.name!r}); explain compares runs of one suite")


def explain(current: RunResult, baseline: RunResult,
            rows: list[tuple[str, str, str, str]] | None = None) -> Explanation:
    """Attribute every shared whole-set metric (or only `rows`) of `current` vs `baseline`."""
    check_same_suite(current, baseline)
    cf, bf = current.fingerprint, baseline.fingerprint
    names = sorted(set(current.datasets) | set(baseline.datasets))
    data = {d: diff_dataset(d, baseline.datasets.get(d), current.datasets.get(d),
                            bf.get("datasets", {}).get(d), cf.get("datasets", {}).get(d))
            for d in names}
    env_b, env_c = baseline.provenance, current.provenance
    embedders = {e: diff_embedder(e, bf.get("embedders", {}).get(e),
                                  cf.get("embedders", {}).get(e), env_b, env_c)
                 for e in current.embedders if e in baseline.embedders}
    moves = []
    for row in current.metrics:
        key = (row.embedder, row.tier, row.dataset, row.metric)
        base = baseline.metric(*key)
        if base is None or row.embedder not in embedders or "[" in row.metric:
            continue
        if rows is not None and key not in rows:
            continue
        moves.append(_move(row, base, current, baseline, data, embedders[row.embedder]))
    return Explanation(data, embedders, moves)


def _move(row: MetricRow, base: MetricRow, current: RunResult, baseline: RunResult,
          data: dict[str, DataDiff], emb: EmbedderDiff) -> Move:
    ci, shared = _interval(row, current, baseline)
    draft = Move(row.embedder, row.tier, row.dataset, row.metric, base.value, row.value, ci, "", "")
    settings = _tier_params(current, row.tier) != _tier_params(baseline, row.tier)
    cause, why = attribute(data.get(row.dataset), emb, row.tier if settings else None,
                           draft.moved)
    return Move(row.embedder, row.tier, row.dataset, row.metric, base.value, row.value, ci,
                cause, why, shared)


def attribute(data: DataDiff | None, emb: EmbedderDiff, settings: str | None,
              moved: bool) -> tuple[str, str]:
    """The cause and one sentence of why, from what differs (see the module docstring)."""
    if not emb.known:
        return "unknown", "a results file has no fingerprint (re-run it with this version)"
    data_changed = data is not None and data.changed
    if data_changed and emb.weights_changed:
        assert data is not None
        return "data+model", (f"the data ({data.describe()}) and the model weights both changed;"
                              f" they cannot be told apart: {SEPARATE}")
    if data_changed and emb.vectors_changed:
        assert data is not None
        return "data+environment", (f"the data ({data.describe()}) and the vectors (probe cosine"
                                    f" min {emb.cos_min:.4f}) both changed; {SEPARATE}")
    if data_changed:
        assert data is not None
        return "data", data.describe()
    if emb.weights_changed:
        return "model", emb.describe_weights()
    if emb.vectors_changed:
        return "environment", (f"same weights, other vectors (probe cosine min {emb.cos_min:.4f}"
                               f", mean {emb.cos_mean:.4f}); {factor_text(emb.factors)}")
    if settings:
        return "settings", f"the {settings} tier's parameters differ between the runs"
    if moved:
        return "unexplained", ("nothing recorded differs, yet the interval excludes 0 "
                               "(a non-deterministic tier, or an unrecorded factor)")
    return "noise", "nothing recorded differs and the interval includes 0"


def _tier_params(run: RunResult, tier: str) -> object:
    return run.params.get("tiers", {}).get(tier)


def _interval(row: MetricRow, current: RunResult, baseline: RunResult
              ) -> tuple[tuple[float, float] | None, int | None]:
    """The paired interval over the queries both runs judged, and their count when that is
    fewer than either run has (queries added or removed: the interval pairs only the rest)."""
    cur = current.values(row.embedder, row.tier, row.dataset, row.metric)
    base = baseline.values(row.embedder, row.tier, row.dataset, row.metric)
    if not cur or not base:
        return None, None
    shared = set(cur) & set(base)
    if len(shared) < 2:
        return None, None
    a = {q: cur[q] for q in shared}
    b = {q: base[q] for q in shared}
    partial = len(shared) if len(shared) < max(len(cur), len(base)) else None
    return bootstrap_ci(a, b, CONFIDENCE, N_RESAMPLES, seed=0), partial


def gate_rows(verdict: Verdict | None) -> list[tuple[str, str, str, str]]:
    """The gated figures that need explaining: a gate did not pass, or its interval excludes 0."""
    if verdict is None:
        return []
    out = []
    for g in verdict.gates:
        # a `versus` gate's interval compares two embedders of this run: not a move
        moved = (g.ci is not None and (g.ci[0] > 0 or g.ci[1] < 0)
                 and not g.baseline_source.startswith("this run"))
        if g.status != "pass" or moved:
            out.append((g.embedder, g.tier, g.dataset, g.metric))
    return out


def gate_section(current: RunResult, baseline: RunResult | None) -> list[str]:
    """`explain`'s lines for the gate output and the report, or [] when nothing needs it."""
    rows = gate_rows(current.verdict)
    if baseline is None or not rows:
        return []
    try:
        explanation = explain(current, baseline, rows)
    except InputError as exc:
        return [f"why: cannot explain against the baseline: {exc}"]
    return ["why the gated figures moved:"] + [f"  {x}" for x in explanation.lines()]


def verdict_baseline(result: RunResult) -> RunResult | None:
    """The baseline file the run's gates used, when it is still there and readable."""
    if result.verdict is None or not result.verdict.baseline:
        return None
    path = Path(result.verdict.baseline)
    try:
        return RunResult.load(path) if path.is_file() else None
    except InputError:
        return None

"""A control run: the baseline's embedder re-encoded here and now, to split a gated move.

The baseline results record each embedder's spec (kind, model reference, max_seq_length,
batch size, prefixes). Rebuilt on today's machine, libraries and data it gives a control run;
then, per gated figure with a baseline,
- current − control is the model's effect (same data, same environment), and
- control − baseline is the environment's effect (plus the data's, when the data changed),
each with a paired bootstrap interval. Runnable when the kind can be rebuilt from its record
(sentence-transformers) and its model files still hash to the baseline's weights.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embedgate.algorithms.stats import bootstrap_ci
from embedgate.infra.errors import InputError
from embedgate.results.schema import RunResult
from embedgate.suite import LoadedSuite, SentenceTransformersSpec
from embedgate.run.runner import run_suite

log = logging.getLogger("embedgate")

Row = tuple[str, str, str, str]


@dataclass(frozen=True)
class Effect:
    name: str
    delta: float
    ci: tuple[float, float] | None

    def text(self) -> str:
        ci = f", 95% CI [{self.ci[0]:+.4f}, {self.ci[1]:+.4f}]" if self.ci else ""
        return f"{self.name} {self.delta:+.4f}{ci}"


@dataclass(frozen=True)
class Split:
    row: Row
    baseline: float
    control: float
    current: float
    model: Effect
    environment: Effect

    def line(self) -> str:
        return (f"{' / '.join(self.row)}: baseline {self.baseline:.4f}, control {self.control:.4f}"
                f", current {self.current:.4f}; {self.model.text()}; {self.environment.text()}")


def rebuild_spec(embedder_id: str, record: dict[str, Any]) -> SentenceTransformersSpec:
    """The baseline's spec from its results record, or InputError when it cannot be rebuilt."""
    extra = record.get("extra", {})
    if record.get("kind") != "sentence-transformers" or not extra.get("model_ref"):
        raise InputError(f"control: embedder {embedder_id!r} of kind {record.get('kind')!r} "
                         "cannot be rebuilt from the baseline's record (only sentence-transformers)")
    return SentenceTransformersSpec.model_validate({
        "id": embedder_id, "kind": "sentence-transformers", "model": extra["model_ref"],
        "max_seq_length": record.get("max_seq_length"), "batch_size": extra.get("batch_size", 32),
        "max_tokens_per_batch": extra.get("max_tokens_per_batch"),
        "query_prefix": record.get("query_prefix", ""),
        "passage_prefix": record.get("passage_prefix", "")})


def control_suite(loaded: LoadedSuite, baseline: RunResult, rows: list[Row]) -> LoadedSuite:
    """The current suite with the baseline's embedders and only the gated tiers, no gates."""
    ids = sorted({r[0] for r in rows})
    missing = [e for e in ids if e not in baseline.embedders]
    if missing:
        raise InputError(f"control: the baseline has no embedder {missing[0]!r}")
    specs = [rebuild_spec(e, baseline.embedders[e]) for e in ids]
    tiers = loaded.suite.tiers
    keep = {r[1] for r in rows}
    tiers = tiers.model_copy(update={name: None for name, _ in tiers.enabled() if name not in keep})
    suite = loaded.suite.model_copy(update={"embedders": specs, "tiers": tiers, "gates": [],
                                            "baseline": None, "cost": None})
    return LoadedSuite(suite, loaded.doc, loaded.sha256)


def split(current: RunResult, control: RunResult, baseline: RunResult, rows: list[Row]) -> list[Split]:
    out = []
    for row in rows:
        cur, ctl, base = (r.metric(*row) for r in (current, control, baseline))
        if cur is None or ctl is None or base is None:
            continue
        out.append(Split(row, base.value, ctl.value, cur.value,
                         Effect("model effect (current − control)", cur.value - ctl.value,
                                _ci(current, control, row)),
                         Effect("environment effect (control − baseline)", ctl.value - base.value,
                                _ci(control, baseline, row))))
    return out


def _ci(a: RunResult, b: RunResult, row: Row) -> tuple[float, float] | None:
    va, vb = a.values(*row), b.values(*row)
    if not va or not vb:
        return None
    shared = set(va) & set(vb)
    if len(shared) < 2:
        return None
    return bootstrap_ci({q: va[q] for q in shared}, {q: vb[q] for q in shared}, 0.95, 2000, seed=0)


def run_control(loaded: LoadedSuite, current: RunResult, baseline: RunResult, rows: list[Row],
                out: Path, threads: int | None = None) -> list[str]:
    """Run the control and return its lines (the splits, or why it could not run)."""
    rows = [r for r in rows if r[0] in current.embedders]
    if not rows:
        return ["control run: no gate compares a figure with the baseline file; nothing to split"]
    control, _ = run_suite(control_suite(loaded, baseline, rows), out=out, threads=threads,
                           progress=False)
    lines = [f"control run: the baseline's embedders re-encoded here ({out / 'results.json'})"]
    for e in sorted({r[0] for r in rows}):
        want = baseline.embedders[e].get("weights_sha256")
        got = control.embedders.get(e, {}).get("weights_sha256")
        if want != got:
            return lines + [f"  {e}: the model files no longer hash to the baseline's weights "
                            f"({str(want)[:12]} vs {str(got)[:12]}); no control possible"]
    return lines + [f"  {s.line()}" for s in split(current, control, baseline, rows)]

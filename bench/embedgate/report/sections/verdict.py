"""Verdict banner: the gates' outcome first, with what failed and why."""
from __future__ import annotations

from dataclasses import dataclass

from embedgate.results.verdict import GateOutcome
from embedgate.report.tables import Cell, Column, Table, num, pvalue, text
from embedgate.report.sections.common import Inputs

_HEADLINE = {
    "pass": "PASS — every gate held",
    "regressed": "REGRESSED — at least one gate failed",
    "inconclusive": "INCONCLUSIVE — the evidence cannot tell either way",
}
_ORDER = {"regressed": 0, "inconclusive": 1, "pass": 2}


@dataclass(frozen=True)
class Problem:
    name: str
    status: str
    subject: str
    message: str
    where: str


@dataclass(frozen=True)
class VerdictView:
    status: str
    headline: str
    counts: dict[str, int]
    problems: list[Problem]
    table: Table | None
    baseline: str | None


def build(inputs: Inputs) -> VerdictView | None:
    """None for a run without gates (the page header says "no gates")."""
    verdict = inputs.result.verdict
    if verdict is None:
        return None
    gates = sorted(verdict.gates, key=lambda g: _ORDER[g.status])
    counts = {s: sum(g.status == s for g in gates) for s in ("pass", "regressed", "inconclusive")}
    headline = _HEADLINE[verdict.status] if gates else "PASS — the suite has no gates"
    problems = [Problem(g.name, g.status, _subject(g), g.message(), g.where)
                for g in gates if g.status != "pass"]
    return VerdictView(verdict.status, headline, counts, problems,
                       _table(gates) if gates else None, verdict.baseline)


def _subject(g: GateOutcome) -> str:
    return f"{g.embedder} / {g.tier} / {g.dataset} / {g.metric}"


def _table(gates: list[GateOutcome]) -> Table:
    cols = [Column("gate"), Column("status"), Column("why"), Column("embedder · metric"),
            Column("value", True), Column("threshold"), Column("baseline", True),
            Column("CI of Δ", True, "confidence interval of current − baseline"),
            Column("p", True)]
    rows = []
    for g in gates:
        ci = Cell("–", None, "num missing") if g.ci is None else Cell(
            f"[{g.ci[0]:+.3f}, {g.ci[1]:+.3f}]", g.ci[0], "num",
            f"{g.confidence:.0%} interval" if g.confidence else "")
        unit = f" {g.unit}" if g.unit else ""
        why = g.reason or ("higher is better" if g.higher_is_better else "lower is better")
        rows.append([text(g.name, cls="gate", title=g.where),
                     Cell(g.status.upper(), _ORDER[g.status], f"status {g.status}"),
                     text(why, cls="why"),
                     Cell(g.embedder, g.embedder, sub=f"{g.tier} · {g.dataset} · {g.metric}"),
                     num(g.value, title=unit.strip()), text(g.threshold, cls="threshold"),
                     num(g.baseline, title=g.baseline_source), ci, pvalue(g.p_value)])
    return Table(cols, rows, key="gates")

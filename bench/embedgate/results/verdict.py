"""The outcome of gates: one GateOutcome per gate, folded into a Verdict with an exit code.

Lives apart from gate.py so results.py can carry a verdict without importing the gate logic.
Exit codes (also in README and cli.py): 0 pass, 1 regressed, 3 inconclusive; 2 (bad input)
and 4 (infrastructure) come from errors, never from a verdict.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["pass", "regressed", "inconclusive"]
EXIT_CODES: dict[str, int] = {"pass": 0, "regressed": 1, "inconclusive": 3}


class GateOutcome(BaseModel):
    """What one gate decided, with every number a reader needs to trust it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    embedder: str
    tier: str
    dataset: str
    metric: str
    kind: Literal["absolute", "max_drop", "non_inferiority"]
    status: Status
    value: float | None = None
    threshold: str = ""
    baseline: float | None = None
    baseline_source: str = ""  # "file <path> embedder X" or "this run, embedder Y"
    ci: tuple[float, float] | None = None  # interval of (current - baseline), metric units
    confidence: float | None = None
    p_value: float | None = None
    higher_is_better: bool = True
    unit: str = ""
    perf: bool = False
    reason: str = ""
    where: str = ""  # suite file:line of the gate

    def message(self) -> str:
        """One line: metric, value, threshold, baseline, interval and why."""
        unit = f" {self.unit}" if self.unit else ""
        parts = [f"{self.embedder} / {self.tier} / {self.dataset} / {self.metric}:",
                 self.status.upper()]
        if self.value is not None:
            parts.append(f"value {self.value:.4g}{unit}")
        parts.append(f"threshold {self.threshold}")
        if self.baseline is not None:
            parts.append(f"baseline {self.baseline:.4g}{unit}" +
                         (f" ({self.baseline_source})" if self.baseline_source else ""))
        if self.ci is not None:
            level = f"{self.confidence:.0%} " if self.confidence is not None else ""
            parts.append(f"{level}CI of current-baseline [{self.ci[0]:+.4g}, {self.ci[1]:+.4g}]")
        if self.p_value is not None:
            parts.append(f"p={self.p_value:.3g}")
        parts.append("higher is better" if self.higher_is_better else "lower is better")
        text = ", ".join(parts[1:])
        return f"{parts[0]} {text}" + (f" — {self.reason}" if self.reason else "")


class Verdict(BaseModel):
    """All gates of a run. Regressed beats inconclusive beats pass; no gates is a pass."""

    model_config = ConfigDict(extra="forbid")

    status: Status
    gates: list[GateOutcome] = Field(default_factory=list)
    baseline: str | None = None  # the baseline results file, when one was used

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @classmethod
    def of(cls, gates: list[GateOutcome], baseline: str | None = None) -> Verdict:
        statuses = {g.status for g in gates}
        status: Status = ("regressed" if "regressed" in statuses
                          else "inconclusive" if "inconclusive" in statuses else "pass")
        return cls(status=status, gates=gates, baseline=baseline)

    def summary(self) -> str:
        counts = {s: sum(g.status == s for g in self.gates) for s in EXIT_CODES}
        if not self.gates:
            return "verdict: pass (no gates)"
        return (f"verdict: {self.status} ({counts['pass']} pass, {counts['regressed']} regressed, "
                f"{counts['inconclusive']} inconclusive)")

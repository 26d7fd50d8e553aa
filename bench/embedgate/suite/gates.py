"""The `gates:` key: one GateSpec per gated metric row, and its NonInferiority test."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from embedgate.suite.base import Seed, Spec
from embedgate.suite.thresholds import parse_bound, parse_drop


class NonInferiority(Spec):
    """Current may be worse than the baseline by at most `margin`, shown at `confidence`."""

    margin: float = Field(ge=0, le=1e9)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    method: Literal["bootstrap", "randomization", "t-test"] = "bootstrap"
    n_resamples: int = Field(default=10_000, ge=100, le=1_000_000)
    seed: Seed = 0


class GateSpec(Spec):
    """One gate on one metric row (embedder / tier / dataset / metric); see docs/gates.md."""

    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@+-]*$",
                             max_length=120)
    embedder: str
    tier: str
    dataset: str | None = None  # None: the tier's only dataset (or a tier without datasets)
    metric: str
    absolute: str | None = None  # ">= 0.55", "<= 120 ms"
    max_drop: float | str | None = None  # 0.01 (metric units) or "2%" (of the baseline)
    non_inferiority: NonInferiority | None = None
    versus: str | None = None  # baseline = this embedder of the same run, not a baseline file
    perf: bool | None = None  # None: perf tier or a time / rate unit makes it a perf gate
    hardware: str | None = None  # fingerprint an absolute perf threshold was set on

    @field_validator("absolute", mode="before")
    @classmethod
    def _absolute_parses(cls, value: object) -> str | None:
        return None if value is None else str(parse_bound(value))

    @field_validator("max_drop", mode="before")  # before: pydantic would turn true into 1.0
    @classmethod
    def _drop_parses(cls, value: float | str | None) -> float | str | None:
        if value is not None:
            parse_drop(value)
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> GateSpec:
        kinds = [k for k in ("absolute", "max_drop", "non_inferiority") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a gate needs exactly one of absolute, max_drop, non_inferiority"
                             f" (got {', '.join(kinds) or 'none'})")
        if self.versus is not None and self.absolute is not None:
            raise ValueError("versus compares with another embedder; use it with max_drop or"
                             " non_inferiority, not with absolute")
        return self

    @property
    def kind(self) -> str:
        return ("absolute" if self.absolute is not None
                else "max_drop" if self.max_drop is not None else "non_inferiority")

    @property
    def label(self) -> str:
        parts = [self.embedder, self.tier, self.dataset or "", self.metric, self.kind]
        return self.name or "-".join(p for p in parts if p)

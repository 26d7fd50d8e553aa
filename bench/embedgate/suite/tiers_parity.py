"""The `tiers.parity:` key: reference / candidate pairs of one suite and the drift thresholds.

A pair names two embedders of the suite that should give the same vectors (a local model and
the same model behind an endpoint, an ONNX or INT8 export); the tier compares them text by
text and query by query. `min_cosine` adds a gateable count of texts below it.
"""
from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from embedgate.algorithms.ir import parse_metric
from embedgate.suite.base import Ident, MetricName, Seed, Spec, TierSpec


class ParityPair(Spec):
    """Two embedders of the suite expected to agree; deltas are candidate minus reference."""

    reference: str = Ident
    candidate: str = Ident

    @model_validator(mode="after")
    def _distinct(self) -> ParityPair:
        if self.reference == self.candidate:
            raise ValueError(f'reference and candidate are both "{self.reference}"; '
                             "name two different embedders")
        return self


class ParityTier(TierSpec):
    """Serving parity: cosine of the same text, top-k overlap and the quality delta."""

    pairs: list[ParityPair] = Field(min_length=1)
    datasets: list[str] | None = None  # default: every dataset of the suite
    passages: int = Field(default=256, ge=0, le=100_000)  # sampled passages in the cosines
    min_cosine: float | None = Field(default=None, gt=-1, le=1)
    k: int = Field(default=10, ge=1, le=1000)  # overlap@k of the two rankings
    metric: MetricName = "nDCG@10"
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    n_resamples: int = Field(default=10_000, ge=100, le=1_000_000)
    seed: Seed | None = None  # None: the suite's seed

    @field_validator("metric")
    @classmethod
    def _shallow(cls, value: str) -> str:
        cutoff = parse_metric(value).cutoff
        if cutoff is not None and cutoff > 1000:
            raise ValueError(f"metric {value} looks deeper than 1000; use a cutoff <= 1000")
        return value

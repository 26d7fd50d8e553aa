"""The `tiers.language_bias:` key: which collections to judge, and mixed collections built from
two (or more) sources with id prefixes (e.g. CMRC 2018 contexts + a SciFact sample)."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from embedgate.algorithms.ir import parse_metric
from embedgate.suite.base import Ident, MetricName, Spec, TierSpec, require_unique


class MixedPart(Spec):
    """One source of a mixed collection; its ids become "<prefix>:<id>".

    beir: queries of `split` with judgements; squad: each question, judged relevant to its own
    context. `max_queries` draws a seeded sample; `max_docs` keeps the relevant documents of the
    kept queries plus a seeded sample of the others, up to that many.
    """

    prefix: str = Ident
    format: Literal["beir", "squad"]
    path: Path  # beir: the folder; squad: the JSON file
    split: str = "test"
    max_queries: int | None = Field(default=None, gt=0, le=10_000_000)
    max_docs: int | None = Field(default=None, gt=0, le=100_000_000)


class MixedSource(Spec):
    id: str = Ident
    parts: list[MixedPart] = Field(min_length=2)

    @field_validator("parts")
    @classmethod
    def _unique_prefixes(cls, value: list[MixedPart]) -> list[MixedPart]:
        require_unique([p.prefix for p in value], "mixed part prefix")
        return value


class LanguageBiasTier(TierSpec):
    """Quality per query language × target language, and where the top-k comes from."""

    datasets: list[str] | None = None  # suite datasets (default: all of them)
    mixed: list[MixedSource] = Field(default_factory=list)
    metric: MetricName = "nDCG@10"
    top_k: int = Field(default=10, gt=0, le=1000)  # the shares are of the top_k
    cjk_share: float = Field(default=0.3, gt=0, lt=1)  # zh when CJK / (CJK + Latin) >= this

    @model_validator(mode="after")
    def _consistent(self) -> LanguageBiasTier:
        cutoff = parse_metric(self.metric).cutoff
        if cutoff is not None and cutoff > self.top_k:
            raise ValueError(f"metric {self.metric} looks deeper than top_k={self.top_k}; "
                             "raise top_k")
        require_unique([m.id for m in self.mixed], "mixed collection")
        return self

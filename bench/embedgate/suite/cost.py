"""The `cost:` key: prices that turn a run's measurements into USD per 1,000 queries.

Absent, a run writes no cost rows. Present, every embedder with vectors gets a cost per corpus
(see algorithms/cost.py for the formulas, docs/cost.md for what is measured and what estimated).
Prices are the user's: embedgate ships none, so a figure never silently ages.

    cost:
      cpu_usd_per_hour: 0.05          # one vCPU-hour
      ram_usd_per_gb_month: 4.0       # one GB (10^9 bytes) of RAM for a month
      queries_per_month: 1000000      # the traffic the index RAM is spread over
      embedders:
        openai-small: {price_usd_per_million_tokens: 0.02}
"""
from __future__ import annotations

import math

from pydantic import Field, field_validator

from embedgate.infra.errors import InputError, check_known
from embedgate.suite.base import Spec
from embedgate.suite.yamlsrc import YamlDoc

# Kinds that have no vectors of their own (a ranking system) or whose price only the user knows.
UNPRICED_KINDS = frozenset({"bm25", "hybrid", "rerank"})
API_KINDS = frozenset({"openai-compatible"})


class EmbedderCostSpec(Spec):
    """Per-embedder overrides. A price makes the embedder billed per token (as an API is);
    on a local model that is a "what if it were billed like an API" figure: say so in `note`."""

    price_usd_per_million_tokens: float | None = Field(default=None, ge=0, le=1e6)
    bytes_per_vector: float | None = Field(default=None, gt=0, le=1 << 24)  # default dim × 4
    note: str = Field(default="", max_length=200)


class CostSpec(Spec):
    cpu_usd_per_hour: float = Field(ge=0, le=1e4)
    ram_usd_per_gb_month: float = Field(ge=0, le=1e5)
    queries_per_month: float = Field(gt=0, le=1e15)
    # Queries encoded (after one warm-up query) while the process CPU time is measured.
    cpu_sample_queries: int = Field(default=256, gt=0, le=100_000)
    datasets: list[str] | None = None  # default: every dataset of the suite
    embedders: dict[str, EmbedderCostSpec] = Field(default_factory=dict)

    @field_validator("queries_per_month")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("queries_per_month must be a finite number")
        return value


def check_cost(cost: CostSpec | None, embedders: dict[str, str], datasets: list[str],
               doc: YamlDoc) -> None:
    """Names in `cost:` are declared; an API embedder has a price; there is a corpus to cost.

    ``embedders`` maps each declared embedder id to its kind.
    """
    if cost is None:
        return
    check_known(cost.embedders, sorted(embedders), "embedder",
                lambda _, ref: f"{doc.where(('cost', 'embedders', ref))}: cost.embedders")
    check_known(cost.datasets or [], datasets, "dataset",
                lambda j, _: f"{doc.where(('cost', 'datasets', j))}: cost.datasets")
    if not datasets:
        raise InputError(f"{doc.where(('cost',))}: cost: needs a corpus to price; declare one "
                         "under datasets:")
    _check_api_prices(cost, embedders, doc)


def _check_api_prices(cost: CostSpec, embedders: dict[str, str], doc: YamlDoc) -> None:
    for ident, kind in embedders.items():
        spec = cost.embedders.get(ident)
        if kind in API_KINDS and (spec is None or spec.price_usd_per_million_tokens is None):
            raise InputError(f"{doc.where(('cost',))}: embedder \"{ident}\" is an API "
                             f"({kind}); give cost.embedders.{ident}.price_usd_per_million_tokens"
                             " (the vendor's list price)")

"""Tiers: one module (or package) each, found by the name of its field in `suite.Tiers`.

A per-embedder tier satisfies `EmbedderTier`:
- ``prepare(params, loaded, datasets) -> list[Unit]``: load and check its inputs once, before
  any model runs (bad input fails in seconds); a Unit is (dataset id or None, data);
- ``run(embedder, data, params, ctx) -> TierResult``: pure; called once per embedder and unit.

A suite-scoped tier (`SuiteTier`, module constant ``SCOPE = "suite"``, e.g. perf, which needs
every variant at once) provides ``run_suite(loaded, params, units, results_so_far, ctx)``
instead of ``run``; the runner calls it once, after all per-embedder tiers. Tier modules are
imported only when a suite enables them (the QA tier pulls in transformers).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

if TYPE_CHECKING:
    from embedgate.embedders.base import Embedder
    from embedgate.results.schema import TierResult
    from embedgate.suite import LoadedSuite
    from embedgate.tiers.context import RunContext

Data = TypeVar("Data")
Unit = tuple[str | None, Any]  # (dataset id or None, the tier's prepared data)

_MODULES = {  # tier name (its field in Tiers) -> module
    "retrieval": "embedgate.tiers.retrieval",
    "intrinsic": "embedgate.tiers.intrinsic",
    "intent": "embedgate.tiers.intent",
    "space_map": "embedgate.tiers.space_map.tier",
    "qa": "embedgate.tiers.qa.tier",
    "perf": "embedgate.tiers.perf.tier",
    "compression": "embedgate.tiers.compression.tier",
    "language_bias": "embedgate.tiers.language_bias.tier",
    "parity": "embedgate.tiers.parity",
    "load": "embedgate.tiers.serve_load",  # not tiers.load: that would shadow load()
}


class EmbedderTier(Protocol, Generic[Data]):
    """A tier run once per embedder and prepared unit."""

    TIER: str

    def prepare(self, params: Any, loaded: LoadedSuite, datasets: Any) -> list[Unit]: ...

    def run(self, embedder: Embedder, data: Data, params: Any, ctx: RunContext) -> TierResult: ...


class SuiteTier(Protocol):
    """A tier run once per suite, after the per-embedder tiers, with all their results."""

    TIER: str
    SCOPE: str

    def prepare(self, params: Any, loaded: LoadedSuite, datasets: Any) -> list[Unit]: ...

    def run_suite(self, loaded: LoadedSuite, params: Any, units: list[Unit],
                  results: list[TierResult], ctx: RunContext) -> list[TierResult]: ...


def names() -> list[str]:
    return list(_MODULES)


def load(name: str) -> EmbedderTier[Any] | SuiteTier:
    """The tier module behind a `Tiers` field name."""
    return cast("EmbedderTier[Any] | SuiteTier", importlib.import_module(_MODULES[name]))


def accepts_retrievers(tier: EmbedderTier[Any] | SuiteTier) -> bool:
    """Whether a tier can judge a retrieval system without vectors (module constant
    ``ACCEPTS_RETRIEVERS = True``; today the retrieval tier)."""
    return bool(getattr(tier, "ACCEPTS_RETRIEVERS", False))


def is_suite_scoped(tier: EmbedderTier[Any] | SuiteTier) -> bool:
    return getattr(tier, "SCOPE", "embedder") == "suite"

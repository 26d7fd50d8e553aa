"""Tiers: one module (or package) each, registered under the name of its field in `suite.Tiers`.

A per-embedder tier satisfies `EmbedderTier`:
- ``prepare(params, loaded, datasets) -> list[Unit]``: load and check its inputs once, before
  any model runs (bad input fails in seconds); a Unit is (dataset id or None, data);
- ``run(embedder, data, params, ctx) -> TierResult``: pure; called once per embedder and unit.

A suite-scoped tier (`SuiteTier`, module constant ``SCOPE = "suite"``, e.g. perf, which needs
every variant at once) provides ``run_suite(loaded, params, units, results_so_far, ctx)``
instead of ``run``; the runner calls it once, after all per-embedder tiers. A tier whose units
are not a dataset's queries (pair sets, labelled utterances) also provides
``judged_texts(unit_id, data) -> JudgedTexts``: what it judges, for the recipes' leak guard;
other tiers judge the queries of their dataset. The composition
root (`run/catalog.py`) imports every built-in tier module and registers it with
`register_tier`; a tier module keeps heavy libraries (transformers) inside its functions.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from embedgate.infra.errors import InfraError
from embedgate.infra.registry import Registry

if TYPE_CHECKING:
    from embedgate.embedders.base import Embedder
    from embedgate.results.schema import TierResult
    from embedgate.suite import LoadedSuite
    from embedgate.tiers.context import RunContext

Data = TypeVar("Data")
Unit = tuple[str | None, Any]  # (dataset id or None, the tier's prepared data)

@dataclass(frozen=True)
class JudgedTexts:
    """The texts a tier judges on one unit, as the leak guard compares them with training data.

    `folder` is the collection the ids come from when they are comparable with a training
    set's ids (None: only texts compare); `with_positives`: a training positive counts as
    seen too (a synonym trained as a positive is as seen as one trained as an anchor).
    """

    texts: dict[str, str]
    split: str
    what: str
    folder: Path | None = None
    with_positives: bool = False


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


TIERS: Registry[EmbedderTier[Any] | SuiteTier] = Registry("tier")


def register_tier(name: str, tier: EmbedderTier[Any] | SuiteTier) -> None:
    """Make the tier behind the `Tiers` field `name` runnable (the catalog calls this)."""
    TIERS.register(name, tier)


def names() -> list[str]:
    return TIERS.kinds()


def load(name: str) -> EmbedderTier[Any] | SuiteTier:
    """The tier registered under a `Tiers` field name."""
    tier = TIERS.get(name)
    if tier is None:  # the schema knows the name, so nothing registered it: a packaging fault
        raise InfraError(f'tier "{name}" is not registered; embedgate.run.catalog.install() '
                         "registers the built-in tiers")
    return tier


def accepts_retrievers(tier: EmbedderTier[Any] | SuiteTier) -> bool:
    """Whether a tier can judge a retrieval system without vectors (module constant
    ``ACCEPTS_RETRIEVERS = True``; today the retrieval tier)."""
    return bool(getattr(tier, "ACCEPTS_RETRIEVERS", False))


def judged_texts(tier: EmbedderTier[Any] | SuiteTier, unit_id: str | None,
                 data: Any) -> JudgedTexts | None:
    """What a tier judges on a unit when it says so itself (``judged_texts``), else None."""
    fn = getattr(tier, "judged_texts", None)
    return None if fn is None else fn(unit_id, data)  # type: ignore[no-any-return]


def is_suite_scoped(tier: EmbedderTier[Any] | SuiteTier) -> bool:
    return getattr(tier, "SCOPE", "embedder") == "suite"

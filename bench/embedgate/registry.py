"""Name → factory registries for embedder kinds (third-party kinds arrive via entry points)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .embedders.base import Embedder

EmbedderFactory = Callable[[Any, str, bool], Embedder]

_EMBEDDERS: dict[str, EmbedderFactory] = {}


def register_embedder(kind: str, factory: EmbedderFactory) -> None:
    _EMBEDDERS[kind] = factory


def embedder_factory(kind: str) -> EmbedderFactory:
    _builtins()
    return _EMBEDDERS[kind]


def _builtins() -> None:
    if "sentence-transformers" not in _EMBEDDERS:
        from .embedders.st import SentenceTransformerEmbedder

        register_embedder("sentence-transformers", SentenceTransformerEmbedder)


def build_embedder(spec: Any, where: str, progress: bool = True) -> Embedder:
    """Instantiate the embedder a validated spec describes."""
    return embedder_factory(spec.kind)(spec, where, progress)

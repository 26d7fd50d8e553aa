"""QA readers: turn a question and retrieved passages into an answer string.

A reader has an `id`, a `fingerprint` (what makes its answers differ: weights hash, decoding
settings, endpoint + model) and ``answer(requests, encode) -> list[str]``. `encode` is the
embedder of the run (extractive readers use it; generative readers ignore it). Reader types
are registered by the composition root (`run/catalog.py`) with `register_reader`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from embedgate.infra.errors import InfraError
from embedgate.infra.registry import Registry
from embedgate.tiers.qa.gencache import GenerationCache
from embedgate.tiers.qa.readers.base import Reader


class ReaderFactory(Protocol):
    """Constructs (does not load) a reader from its validated spec."""

    def __call__(self, spec: Any, where: str, base_dir: Path,
                 cache: GenerationCache) -> Reader: ...


READERS: Registry[ReaderFactory] = Registry("reader")


def register_reader(kind: str, factory: ReaderFactory) -> None:
    READERS.register(kind, factory)


def build_reader(spec: Any, where: str, base_dir: Path, cache_path: Path | None) -> Reader:
    """Construct (not load) the reader a validated spec describes; `where` locates it for errors.

    Generative readers with `cache: true` get their own handle on the cache file at
    `cache_path` (so hit counts are per reader); others cache in memory only.
    """
    factory = READERS.get(spec.type)
    if factory is None:  # the schema admits the type, so nothing registered it
        raise InfraError(f'reader type "{spec.type}" is not registered; '
                         "embedgate.run.catalog.install() registers the built-in readers")
    cache = GenerationCache(cache_path if getattr(spec, "cache", False) else None)
    return factory(spec, where, base_dir, cache)

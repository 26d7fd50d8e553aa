"""Embedders that describe themselves from files and load their model on the first encode.

The embedding cache is keyed by `info` alone, so a re-run whose vectors are all cached needs
no model: `build_lazy` asks the kind's factory for ``describe(spec, env) -> EmbedderInfo |
None`` (an optional attribute beside the registry's ``factory(spec, env)`` contract) and
returns a `LazyEmbedder` that builds the real embedder only when `encode` is first called,
i.e. when some vector is missing. A kind without `describe`, or one whose files do not say
(None), is built at once as before. The real embedder's info must equal the described one:
the cache entries read before the load were keyed by it.

Example::

    embedder = build_lazy(spec, env)   # reads config files and hashes weights, no torch
    embedder.info.dim                  # known already
    embedder.encode(["a text"], "query")   # loads the model now, once
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from embedgate.embedders.base import Embedder, EmbedderInfo, Role
from embedgate.embedders.registry import BuildEnv, embedder_factory
from embedgate.infra.errors import InfraError
from embedgate.suite import EmbedderSpec

log = logging.getLogger("embedgate")


class LazyEmbedder:
    """An `Embedder` whose `info` is known up front and whose model loads on the first encode."""

    def __init__(self, info: EmbedderInfo, load: Callable[[], Embedder]) -> None:
        self.info = info
        self.load_s = 0.0  # seconds spent building the real embedder (0 while not loaded)
        self._load = load
        self._real: Embedder | None = None

    @property
    def loaded(self) -> bool:
        return self._real is not None

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        return self.real().encode(texts, role)

    def real(self) -> Embedder:
        """The real embedder, built now if it was not yet."""
        if self._real is None:
            log.info("loading embedder %s (some vectors are not cached)", self.info.id)
            t0 = time.perf_counter()
            real = self._load()
            self.load_s = time.perf_counter() - t0
            _check_same(self.info, real.info)
            self._real = real
        return self._real


def build_lazy(spec: EmbedderSpec, env: BuildEnv) -> Embedder:
    """A `LazyEmbedder` when the kind can describe itself from files, else the real one."""
    factory = embedder_factory(spec.kind)
    describe = getattr(factory, "describe", None)
    info = describe(spec, env) if callable(describe) else None
    if info is None:
        return factory(spec, env)
    return LazyEmbedder(info, partial(factory, spec, env))


def model_loaded(embedder: Embedder) -> bool:
    """Whether the embedder's model is in memory (always, for an embedder built eagerly)."""
    return embedder.loaded if isinstance(embedder, LazyEmbedder) else True


def _check_same(described: EmbedderInfo, loaded: EmbedderInfo) -> None:
    if described == loaded:
        return
    fields = [k for k, v in described.to_dict().items() if loaded.to_dict().get(k) != v]
    raise InfraError(f"embedder {described.id}: the model reports other {', '.join(fields)} "
                     "than its files said (a bug in reading them); cached vectors may not "
                     "match. Report it, and run with --no-cache meanwhile")

"""`kind: truncate`: the first `dim` dimensions of another embedder's vectors, re-normalised.

Matryoshka training (a fine-tune's `matryoshka_dims`) makes a prefix of the vector an embedding of
its own; this kind judges that prefix like any other embedder. The source is built lazily
from its own spec, and the encode pipeline asks it for the full vectors through the cache
(`derived_from`), so a truncated view of an embedder that already ran costs no encoding.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from embedgate.embedders.base import Embedder, EmbedderInfo, Role, l2_normalise
from embedgate.embedders.registry import BuildEnv
from embedgate.infra.errors import InputError
from embedgate.suite import TruncateSpec
from embedgate.embedders.lazy import build_lazy


def truncate(vectors: np.ndarray, dim: int) -> np.ndarray:
    """The first `dim` columns, each row L2-normalised again (cosine = dot product)."""
    return l2_normalise(np.ascontiguousarray(vectors[:, :dim], dtype=np.float32))


class TruncatedEmbedder:
    """A view of `from:` that keeps `dim` leading dimensions."""

    def __init__(self, spec: TruncateSpec, env: BuildEnv) -> None:
        source_spec = env.specs.get(spec.from_)
        if source_spec is None:  # the suite loader checks this too; a direct caller may not
            raise InputError(f'{env.where}: from: "{spec.from_}" is not an embedder of this suite')
        self.source: Embedder = build_lazy(source_spec, replace(env, progress=False))
        full = self.source.info.dim
        if spec.dim >= full:
            raise InputError(f"{env.where}: dim {spec.dim} is not below the {full} dimensions "
                             f'of "{spec.from_}"; give a smaller dim (a prefix of the vector)')
        self.dim = spec.dim
        self.info: EmbedderInfo = _info(spec, self.source.info)

    @property
    def derived_from(self) -> Embedder:
        """The embedder whose (cached) vectors this one is computed from."""
        return self.source

    def derive(self, vectors: np.ndarray) -> np.ndarray:
        return truncate(vectors, self.dim)

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        return self.derive(self.source.encode(texts, role))


def _info(spec: TruncateSpec, source: EmbedderInfo) -> EmbedderInfo:
    extra = {"from": spec.from_, "source_dim": source.dim, "source_name": source.name,
             "cache_salt": f"truncate:{spec.dim}"}
    return replace(source, id=spec.id, kind="truncate", name=f"{source.name}[:{spec.dim}]",
                   dim=spec.dim, extra=extra)

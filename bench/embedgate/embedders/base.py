"""The embedder contract every backend satisfies (a Protocol: no base class needed)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

Role = Literal["query", "passage"]


@dataclass(frozen=True)
class EmbedderInfo:
    """What an embedder is, read from the artifact itself; goes into results provenance."""

    id: str
    kind: str
    name: str
    backend: str
    precision: str
    dim: int
    max_seq_length: int | None
    weights_sha256: str
    pooling: str = "unknown"
    normalize: bool = True
    query_prefix: str = ""
    passage_prefix: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class Embedder(Protocol):
    info: EmbedderInfo

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Return a (len(texts), dim) float32 array of L2-normalised rows."""
        ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Row-normalise to unit length in float32; zero rows stay zero instead of NaN."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))

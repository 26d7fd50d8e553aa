"""The embedder contract every backend satisfies (a Protocol: no base class needed)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
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


@dataclass
class Ranking:
    """What a retrieval system returns for a list of queries: the top-k of each, per stage
    timings, and (for a fusion or a reranker) the rankings of its inputs.

    `idx` rows index the collection's documents (-1 pads a short list); `latency_ms` holds the
    per-query milliseconds of each stage over a timing sample; `counts` other per-run figures
    (e.g. pairs a reranker scored).
    """

    scores: np.ndarray  # (n_queries, k) float32, best first
    idx: np.ndarray  # (n_queries, k) int64
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)
    inputs: dict[str, Ranking] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    # Further per-query metrics in query order, higher is better (a database's ANN-recall@k).
    query_metrics: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class QueryFilters:
    """Metadata filters for a system that searches among matching documents only (a vector
    database; algorithms/filters.py): each document's metadata, aligned with the doc ids, and
    each query's filter, aligned with the queries (None: unfiltered)."""

    doc_meta: list[dict[str, Any]]
    per_query: list[dict[str, list[str]] | None]

    @property
    def n_filtered(self) -> int:
        return sum(1 for f in self.per_query if f)


class RankContext(Protocol):
    """The part of a tier's run context a retrieval system uses (encode through the cache)."""

    seed: int
    datasets: Mapping[str, Any]  # the suite's loaded collections by id (a hybrid's dev split)

    def encode(self, embedder: Embedder, texts: Sequence[str], role: Role) -> np.ndarray: ...

    def rng(self, salt: str = "") -> np.random.Generator: ...


@runtime_checkable
class Retriever(Protocol):
    """A retrieval system that ranks a collection itself (BM25, a fusion, a reranker) rather
    than handing vectors to faiss; the retrieval and QA tiers accept one in place of an
    embedder. Tiers that need vectors (intrinsic, intent, space_map, perf) skip it."""

    info: EmbedderInfo

    def retrieve(self, doc_ids: Sequence[str], doc_texts: Sequence[str],
                 queries: Sequence[str], top_k: int, ctx: RankContext) -> Ranking: ...

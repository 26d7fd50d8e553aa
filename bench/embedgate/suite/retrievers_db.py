"""Embedder specs for retrieval systems backed by vector databases (pgvector, Qdrant) and for
asymmetric query/corpus pairs; plus the expansion of a setting sweep into one system per value.

A sweep (`ef_search: [20, 40, 100]`) becomes one system row per value, with the id
`<id>@ef40` (`@probes4`, `@ef64-os2`): every retrieval metric then gets its own paired interval
against exact search of the same vectors. `@` cannot appear in a suite's own ids, so
`sweep_base` recovers the declared id.
"""
from __future__ import annotations

import re
from itertools import product
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, field_validator, model_validator

from embedgate.suite.base import Ident, MetricName, Spec
from embedgate.suite.http import ENV_NAME_PATTERN

SQL_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"  # a plain PostgreSQL identifier
QDRANT_NAME = r"^[A-Za-z0-9_.\-]{1,255}$"  # a collection name that needs no URL escaping
# scheme://host:port[/prefix] (a reverse proxy's path), no user:password@
SERVER_URL = r"^https?://[^\s/@:]+:[0-9]{1,5}(/[A-Za-z0-9._~\-/]*)?$"
SqlName = Annotated[str, Field(pattern=SQL_NAME)]


def rising(value: list[Any]) -> list[Any]:
    """A sweep's values, distinct and sorted: it runs (and is read) in rising search effort."""
    return sorted(set(value))

class NonInferiorityRule(Spec):
    """A setting holds when the lower end of the 95% interval of (setting - exact) on `metric`
    is not below -`margin`; the report names the cheapest setting that holds."""

    metric: MetricName = "nDCG@10"
    margin: float = Field(default=0.01, ge=0.0, le=1.0)


class _DbSpec(Spec):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    id: str = Ident
    from_: str = Field(alias="from")  # the dense embedder whose vectors are stored / queried
    noninferiority: NonInferiorityRule | None = None
    batch_size: int = Field(default=2048, gt=0, le=1_000_000)  # vectors per write batch
    latency_queries: int = Field(default=32, ge=0, le=10_000)  # live single-query encodes


class PgvectorSpec(_DbSpec):
    """PostgreSQL + pgvector: `dsn: embedded` (a local server from the wheel, one per run) or
    `dsn_env:` (the variable holding a deployed server's DSN; the DSN never enters a suite).

    `load: suite` writes the source's corpus vectors into a table it creates (a unique name
    unless `table:` is given; an existing table of that name is refused unless `replace:
    true`) and drops afterwards. `load: existing` only reads `table` (`id_column`,
    `vector_column`), in a read-only session, and encodes only the queries; queries' metadata
    filters are searched through `attribute_columns` (attribute -> column, compared as text)
    and/or `metadata_column` (a jsonb column whose keys are the attributes).
    """

    kind: Literal["pgvector"]
    dsn: Literal["embedded"] | None = None
    dsn_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    load: Literal["suite", "existing"] = "suite"
    table: str | None = Field(default=None, pattern=SQL_NAME)
    replace: bool = False
    id_column: str = Field(default="id", pattern=SQL_NAME)
    vector_column: str = Field(default="embedding", pattern=SQL_NAME)
    index: Literal["exact", "hnsw", "ivfflat"] = "exact"
    m: int = Field(default=16, ge=2, le=100)
    ef_construction: int = Field(default=64, ge=4, le=1000)
    ef_search: list[int] = Field(default_factory=lambda: [40], min_length=1)
    lists: int = Field(default=100, ge=1, le=32768)
    probes: list[int] = Field(default_factory=lambda: [1], min_length=1)
    storage: Literal["vector", "halfvec", "bit"] = "vector"
    rerank: int = Field(default=4, ge=1, le=100)  # bit: re-rank the top k x rerank by vectors
    # maintenance_work_mem of the index build: an HNSW graph above it builds far slower
    build_memory_mb: int = Field(default=1024, ge=64, le=1_048_576)
    # load: existing: where a query filter's attributes live in the deployed table
    attribute_columns: dict[Annotated[str, Field(min_length=1, max_length=200)], SqlName] = \
        Field(default_factory=dict)
    metadata_column: SqlName | None = None

    _rising = field_validator("ef_search", "probes")(rising)

    @model_validator(mode="after")
    def _consistent(self) -> PgvectorSpec:
        if (self.dsn is None) == (self.dsn_env is None):
            raise ValueError("give exactly one of dsn: embedded (a local server) or dsn_env: "
                             "(the environment variable holding the DSN)")
        if self.load == "existing" and self.table is None:
            raise ValueError("load: existing needs table: (and id_column:, vector_column:)")
        if self.load != "existing" and (self.attribute_columns or self.metadata_column):
            raise ValueError("attribute_columns: and metadata_column: map a deployed table's "
                             "columns and need load: existing (load: suite stores the corpus "
                             "metadata itself)")
        if any(v < 1 or v > 1000 for v in [*self.ef_search, *self.probes]):
            raise ValueError("ef_search and probes values lie in 1..1000")
        return self


class QdrantSpec(_DbSpec):
    """Qdrant: without `url:` the engine in-process (qdrant-edge-py), a shard in a temporary
    folder filled with the source's corpus vectors and removed afterwards; with `url:` a Qdrant
    server through qdrant-client (`api_key_env:` names the variable holding its key; with
    `grpc_port:` every call goes over the server's gRPC port, as `prefer_grpc` does).
    `index: exact` searches without the HNSW graph; quantization keeps int8 (scalar) or 1-bit
    (binary) codes beside the vectors, searched with `oversampling` and, with `rescore`,
    re-scored by full vectors.

    On a server, `load: suite` writes the source's vectors into a collection it creates (a
    unique name unless `collection:` is given; an existing one is refused unless `replace:
    true`) and deletes afterwards; `load: existing` only reads `collection` (its vector
    `vector_name`, the document id in payload key `id_payload_key` or else the point id), with
    the collection's own index and quantization, and encodes only the queries.
    """

    kind: Literal["qdrant"]
    url: str | None = None
    api_key_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    grpc_port: int | None = Field(default=None, ge=1, le=65535)  # Qdrant's default is 6334
    load: Literal["suite", "existing"] = "suite"
    collection: str | None = Field(default=None, pattern=QDRANT_NAME)
    replace: bool = False
    vector_name: str | None = Field(default=None, min_length=1, max_length=255)
    id_payload_key: str | None = Field(default=None, min_length=1, max_length=255)
    timeout_s: float = Field(default=60.0, gt=0, le=3600)  # one request to the server
    index_timeout_s: float = Field(default=3600.0, gt=0, le=86400)  # the server's indexing
    index: Literal["exact", "hnsw"] = "hnsw"
    m: int = Field(default=16, ge=2, le=100)
    ef_construct: int = Field(default=100, ge=4, le=1000)
    hnsw_ef: list[int] = Field(default_factory=lambda: [64], min_length=1)
    quantization: Literal["none", "scalar", "binary"] = "none"
    rescore: bool = True
    oversampling: list[float] = Field(default_factory=lambda: [1.0], min_length=1)

    _rising = field_validator("hnsw_ef", "oversampling")(rising)

    @field_validator("url")
    @classmethod
    def _server_url(cls, url: str | None) -> str | None:
        if url is not None and "@" in url:
            raise ValueError("url: carries no user:password@ (a secret in the suite); put the "
                             "key in an environment variable and name it in api_key_env:")
        if url is not None and not re.fullmatch(SERVER_URL, url):
            raise ValueError("url: is the server's http(s)://host:port, with a path only for a "
                             "reverse proxy's prefix, e.g. http://localhost:6333 (the port is "
                             "required: qdrant-client would otherwise assume 6333)")
        return url

    @model_validator(mode="after")
    def _ranges(self) -> QdrantSpec:
        if any(v < 1 or v > 10_000 for v in self.hnsw_ef):
            raise ValueError("hnsw_ef values lie in 1..10000")
        if any(v < 1.0 or v > 100.0 for v in self.oversampling):
            raise ValueError("oversampling values lie in 1..100")
        server_only = sorted(k for k in ("api_key_env", "grpc_port", "collection", "replace",
                                         "vector_name", "id_payload_key")
                             if k in self.model_fields_set)
        if self.url is None and (server_only or self.load == "existing"):
            raise ValueError(f"{', '.join(server_only) or 'load: existing'} needs a server: "
                             "give url: (without it the engine runs in-process, in a "
                             "temporary folder)")
        if self.grpc_port is not None and urlsplit(self.url or "").path.strip("/"):
            raise ValueError("grpc_port: gRPC takes no path prefix (qdrant-client sends it to "
                             "host:grpc_port); drop the path from url: or drop grpc_port:")
        if self.load == "existing":
            if self.collection is None:
                raise ValueError("load: existing needs collection: (and vector_name: for a "
                                 "named vector, id_payload_key: when the point id is not the "
                                 "document id)")
            own = sorted(k for k in ("m", "ef_construct", "quantization", "replace")
                         if k in self.model_fields_set)
            if own:
                raise ValueError(f"{', '.join(own)}: a load: existing collection keeps its own "
                                 "index and quantization; drop these keys")
        elif "id_payload_key" in self.model_fields_set:
            raise ValueError("id_payload_key is for load: existing (load: suite writes the "
                             "document row as the point id)")
        return self


class AsymmetricSpec(Spec):
    """Queries encoded by `query`, the corpus by `corpus` (two embedders of the suite with the
    same dimension, vectors from the cache): what swapping only the query encoder costs
    before re-indexing. Exact search."""

    id: str = Ident
    kind: Literal["asymmetric"]
    query: str
    corpus: str
    latency_queries: int = Field(default=32, ge=0, le=10_000)


def sweep_base(embedder_id: str) -> str:
    """The declared id of a sweep's system row (`pg-hnsw@ef40` -> `pg-hnsw`)."""
    return embedder_id.split("@", 1)[0]


S = TypeVar("S", bound=Spec)


def sweep_variants(spec: S) -> list[S]:
    """One spec per value of a setting sweep (unchanged when nothing sweeps)."""
    if isinstance(spec, PgvectorSpec):
        if spec.index == "hnsw" and len(spec.ef_search) > 1:
            return [spec.model_copy(update={"id": f"{spec.id}@ef{v}", "ef_search": [v]})
                    for v in spec.ef_search]
        if spec.index == "ivfflat" and len(spec.probes) > 1:
            return [spec.model_copy(update={"id": f"{spec.id}@probes{v}", "probes": [v]})
                    for v in spec.probes]
    if isinstance(spec, QdrantSpec):
        efs = spec.hnsw_ef if spec.index == "hnsw" else spec.hnsw_ef[:1]
        quantized = spec.quantization != "none" or spec.load == "existing"  # its own, if any
        overs = spec.oversampling if quantized else spec.oversampling[:1]
        if len(efs) * len(overs) > 1:
            return [spec.model_copy(update={"id": _qdrant_id(spec.id, ef, o, len(efs) > 1,
                                                             len(overs) > 1),
                                            "hnsw_ef": [ef], "oversampling": [o]})
                    for ef, o in product(efs, overs)]
    return [spec]


def _qdrant_id(base: str, ef: int, over: float, by_ef: bool, by_over: bool) -> str:
    parts = ([f"ef{ef}"] if by_ef else []) + ([f"os{over:g}"] if by_over else [])
    return f"{base}@{'-'.join(parts)}"

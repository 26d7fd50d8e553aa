"""`kind: qdrant` with `url:`: a Qdrant server through qdrant-client (REST, or gRPC with
`grpc_port:`).

`load: suite` creates a collection (unique name unless the suite names one; an existing one is
refused unless `replace: true`), upserts the cached corpus vectors a batch at a time, waits
until the server's optimizer has indexed them (status green), searches every query alone and
deletes the collection whatever happens. `load: existing` reads a deployed collection only
(collection info and queries: no write request is ever sent), checks that its vectors have the
query encoder's dimension, and takes the server's own exact search (`exact: true`) with the
same filter as the reference.

The key comes from the variable `api_key_env` names and never appears in a message, a result
or the report. Unreachable server, refused key, a server error or a connection lost mid-run:
one line, exit 4 (no results file); a missing collection or the wrong dimension: exit 2.
"""
from __future__ import annotations

import logging
import os
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from embedgate.algorithms.filters import Filter, as_text
from embedgate.embedders.base import QueryFilters
from embedgate.infra.errors import InfraError, InputError
from embedgate.infra.http_client import read_api_key
from embedgate.infra.pool import ResourcePool, shared
from embedgate.infra.urls import origin
from embedgate.retrievers.db_eval import SearchFn, Searched, batches, search_each
from embedgate.suite import QdrantSpec, sweep_base

log = logging.getLogger("embedgate")
POLL_S = 0.2  # how often the server's indexing status is read
IDLE_S = 10.0  # green this long with the indexed count unchanged: the server is done


@dataclass
class Server:
    """A connected client, where it points (host:port, for messages and results), the
    server's version and the transport ("rest" or "grpc")."""

    client: Any
    host: str
    version: str
    spec: QdrantSpec
    transport: str = "rest"


def connect(spec: QdrantSpec, where: str) -> Server:
    """A client for `spec.url` with the key from the environment; the server answers its
    version now, so an unreachable server or a refused key fails before any work."""
    assert spec.url is not None  # only server-mode specs get here
    # gRPC's C core logs to the process's stderr (e.g. "Got goaway" when a server goes away)
    # beside our one line; errors only, unless the user asks for more. Read at its first use.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    from qdrant_client import QdrantClient

    key = read_api_key(spec.api_key_env)
    scheme, hostname, port = origin(spec.url)
    host = f"{hostname}:{port}{urlsplit(spec.url).path.rstrip('/')}"  # the prefix, if any
    use_grpc = spec.grpc_port is not None
    if use_grpc:
        host = f"{hostname}:{spec.grpc_port}"  # where every call goes
    with warnings.catch_warnings():
        # qdrant-client warns of a key over http; loopback (the tests, serve-qdrant) is fine and
        # any other host gets our own warning below, once.
        warnings.filterwarnings("ignore", message="Api key is used with an insecure connection")
        client = QdrantClient(url=spec.url, api_key=key, timeout=int(max(1, spec.timeout_s)),
                              check_compatibility=False, prefer_grpc=use_grpc,
                              grpc_port=spec.grpc_port or 6334)
    if key and scheme == "http" and hostname not in ("127.0.0.1", "localhost", "::1"):
        log.warning("qdrant %s: the API key travels unencrypted to %s (http://); use https://",
                    spec.id, host)
    server = Server(client, host, "?", spec, "grpc" if use_grpc else "rest")
    with guard(server, where):
        server.version = str(client.info().version)
    return server


@contextmanager
def guard(server: Server, where: str) -> Iterator[None]:
    """The client's failures as one line (exit 4), naming the host, never the key."""
    import grpc
    from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

    sid = server.spec.id
    try:
        yield
    except grpc.RpcError as exc:
        raise InfraError(_grpc_line(exc, server, where)) from None
    except UnexpectedResponse as exc:
        if exc.status_code in (401, 403):
            raise InfraError(f"{where}: qdrant {sid}: {server.host} refused the API key (HTTP "
                             f"{exc.status_code}); check the variable "
                             f"{server.spec.api_key_env or '(none: set api_key_env)'}") from None
        raise InfraError(f"{where}: qdrant {sid}: {server.host} answered HTTP "
                         f"{exc.status_code}: {_reason(exc)}") from None
    except (ResponseHandlingException, OSError) as exc:
        raise InfraError(f"{where}: qdrant {sid}: cannot reach {server.host} (or lost the "
                         f"connection mid-run): {_cause(exc)}") from None


def _grpc_line(exc: Any, server: Server, where: str) -> str:
    """A gRPC failure's line: a refused key, an unreachable port, or the server's status."""
    import grpc

    code = exc.code() if callable(getattr(exc, "code", None)) else None
    head = f"{where}: qdrant {server.spec.id}: {server.host}"
    if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        return (f"{head} refused the API key (gRPC {code.name}); check the variable "
                f"{server.spec.api_key_env or '(none: set api_key_env)'}")
    details = " ".join(str(exc.details() if callable(getattr(exc, "details", None))
                           else exc).split())[:300]
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                grpc.StatusCode.CANCELLED, None):
        return (f"{head}: cannot reach the gRPC port (or lost the connection mid-run): "
                f"{details}; is grpc_port the server's gRPC port (6334 by default)?")
    return f"{head} answered gRPC {code.name}: {details}"


def _reason(exc: Any) -> str:
    """The server's own error text ({"status": {"error": ...}}), else the HTTP reason."""
    import json

    try:
        text = json.loads(exc.content)["status"]["error"]
    except Exception:  # not Qdrant's error shape
        text = exc.reason_phrase
    return " ".join(str(text).split())[:300]


def _cause(exc: BaseException) -> str:
    inner = getattr(exc, "source", None) or exc.__cause__ or exc
    return " ".join(str(inner).split())[:300] or type(inner).__name__


# -- load: suite ---------------------------------------------------------------------------
def owned(server: Server, doc_vecs: np.ndarray, query_vecs: np.ndarray, top_k: int,
          filters: QueryFilters | None, where: str, key: str,
          pool: ResourcePool | None) -> tuple[Searched, dict[str, float]]:
    """Search a collection of the corpus vectors at this system's setting; the collection is
    created and indexed by the first setting of a sweep and deleted after the last."""
    with shared(pool, sweep_base(server.spec.id), key + server.host,
                lambda: _build(server, doc_vecs, filters, where), _delete_quietly) as built:
        with guard(server, where):
            searched = search_each(searcher(server, built.name), query_vecs, top_k, filters)
    return searched, dict(built.counts)


@dataclass
class _Collection:
    """A collection this run created on the server, and what filling it measured."""

    server: Server
    name: str
    counts: dict[str, float]


def _build(server: Server, doc_vecs: np.ndarray, filters: QueryFilters | None,
           where: str) -> _Collection:
    """Create, fill and index the collection; on any failure delete it again."""
    spec = server.spec
    built = _Collection(server, spec.collection or _unique_name(spec.id), {})
    created = False
    try:
        with guard(server, where):
            _claim(server, built.name, where)
            _create(server, built.name, int(doc_vecs.shape[1]))
            created = True
            t0 = time.perf_counter()
            for start, rows in batches(doc_vecs, spec.batch_size):
                server.client.upsert(built.name, points=_batch(start, rows, filters), wait=True)
            load_s = time.perf_counter() - t0
            indexed = _wait_indexed(server, built.name, doc_vecs.shape[0])
            build_s = time.perf_counter() - t0 - load_s
    except BaseException:
        if created:
            _delete_quietly(built)
        raise
    log.info("qdrant %s: %d vectors upserted to %s in %.1f s, indexed in %.1f s", spec.id,
             doc_vecs.shape[0], server.host, load_s, build_s)
    built.counts = {"n_vectors": float(doc_vecs.shape[0]), "load_s": load_s,
                    "build_s": build_s, "indexed_vectors": float(indexed)}
    return built


def _unique_name(system_id: str) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in system_id.lower())[:40]
    return f"embedgate_{stem}_{uuid.uuid4().hex[:8]}"


def _claim(server: Server, name: str, where: str) -> None:
    """Refuse a collection of that name unless the suite says `replace: true`."""
    if not server.client.collection_exists(name):
        return
    if not server.spec.replace:
        raise InputError(f"{where}: collection {name!r} already exists on {server.host}; "
                         "name another collection:, or say replace: true to delete it first")
    log.warning("qdrant %s: replacing collection %s on %s", server.spec.id, name, server.host)
    server.client.delete_collection(name)


def _create(server: Server, name: str, dim: int) -> None:
    from qdrant_client import models as m

    spec = server.spec
    params = m.VectorParams(size=dim, distance=m.Distance.DOT)
    quant: Any = None
    if spec.quantization == "scalar":
        quant = m.ScalarQuantization(scalar=m.ScalarQuantizationConfig(
            type=m.ScalarType.INT8, always_ram=True))
    elif spec.quantization == "binary":
        quant = m.BinaryQuantization(binary=m.BinaryQuantizationConfig(always_ram=True))
    # As in-process: index every segment however small (full_scan_threshold and
    # indexing_threshold 1 KB), so the graph is what gets measured, not a full scan.
    server.client.create_collection(
        name, vectors_config={spec.vector_name: params} if spec.vector_name else params,
        hnsw_config=m.HnswConfigDiff(m=spec.m, ef_construct=spec.ef_construct,
                                     full_scan_threshold=1),
        quantization_config=quant,
        optimizers_config=m.OptimizersConfigDiff(indexing_threshold=1,
                                                 default_segment_number=1))


def _batch(start: int, rows: np.ndarray, filters: QueryFilters | None) -> Any:
    from qdrant_client import models as m

    ids = list(range(start, start + rows.shape[0]))
    payloads = ([{k: as_text(v) for k, v in filters.doc_meta[i].items()} for i in ids]
                if filters is not None else None)
    return m.Batch(ids=ids, vectors=rows.tolist(), payloads=payloads)


def _wait_indexed(server: Server, name: str, n: int) -> int:
    """Wait until the optimizer is idle and (for HNSW) every vector is in the graph. A server
    idle (green) with the count unchanged for IDLE_S is taken at its word: whatever it left
    unindexed it searches exactly, and the results record how many vectors the graph holds."""
    spec = server.spec
    deadline = time.monotonic() + spec.index_timeout_s
    idle: tuple[int, float] | None = None  # (indexed count, since when) while green
    while True:
        info = server.client.get_collection(name)
        indexed = int(info.indexed_vectors_count or 0)
        green = str(info.status.value) == "green"
        if green and (spec.index != "hnsw" or indexed >= n):
            return indexed
        idle = (indexed, idle[1]) if green and idle and idle[0] == indexed else \
            ((indexed, time.monotonic()) if green else None)
        if idle and time.monotonic() - idle[1] > IDLE_S:
            log.warning("qdrant %s: %s is idle with %d of %d vectors in the graph; searching "
                        "anyway (it searches the rest exactly)", spec.id, server.host, indexed,
                        n)
            return indexed
        if time.monotonic() > deadline:
            raise InfraError(f"qdrant {spec.id}: {server.host} had indexed {indexed} of {n} "
                             f"vectors after index_timeout_s {spec.index_timeout_s:g} s")
        time.sleep(POLL_S)


def _delete_quietly(built: _Collection) -> None:
    server = built.server
    try:
        server.client.delete_collection(built.name)
    except Exception as exc:  # the server may be gone: say what is left behind
        log.warning("qdrant %s: could not delete collection %s on %s (%s); delete it by hand",
                    server.spec.id, built.name, server.host, type(exc).__name__)


# -- searching (both modes) ----------------------------------------------------------------
def searcher(server: Server, name: str, *, exact: bool = False,
             doc_rows: dict[str, int] | None = None) -> SearchFn:
    """One query through the client; `doc_rows` maps a deployed collection's document ids
    (point id, or the `id_payload_key` payload value) to collection rows, skipping others."""
    from qdrant_client import models as m

    spec = server.spec
    quant = (m.QuantizationSearchParams(rescore=spec.rescore, oversampling=spec.oversampling[0])
             if spec.quantization != "none" or spec.load == "existing" else None)
    params = m.SearchParams(hnsw_ef=spec.hnsw_ef[0], exact=exact or spec.index == "exact",
                            quantization=None if exact else quant)
    key = spec.id_payload_key

    def search(vec: np.ndarray, k: int, flt: Filter | None = None) -> Sequence[tuple[int, float]]:
        found = server.client.query_points(
            name, query=vec.tolist(), using=spec.vector_name, limit=k, search_params=params,
            query_filter=to_filter(flt), with_payload=[key] if key else False).points
        if doc_rows is None:
            return [(int(p.id), float(p.score)) for p in found]
        ids = [str((p.payload or {}).get(key)) if key else str(p.id) for p in found]
        return [(doc_rows[d], float(p.score)) for d, p in zip(ids, found) if d in doc_rows]

    return search


def to_filter(flt: Filter | None) -> Any:
    from qdrant_client import models as m

    if not flt:
        return None
    return m.Filter(must=[m.FieldCondition(key=k, match=m.MatchAny(any=list(v)))
                          for k, v in flt.items()])


# -- load: existing ------------------------------------------------------------------------
def existing(server: Server, doc_ids: Sequence[str], query_vecs: np.ndarray, top_k: int,
             filters: QueryFilters | None, where: str) -> tuple[Searched, Searched,
                                                                dict[str, Any]]:
    """Search the deployed collection, then search it exactly: (found, exact, its settings).
    Reads only: collection info and queries."""
    spec = server.spec
    assert spec.collection is not None  # the spec requires it for load: existing
    with guard(server, where):
        if not server.client.collection_exists(spec.collection):
            raise InputError(f"{where}: collection {spec.collection!r} does not exist on "
                             f"{server.host}; name a deployed collection")
        info = server.client.get_collection(spec.collection)
        _check_dim(info, spec, int(query_vecs.shape[1]), where)
        rows = {d: i for i, d in enumerate(doc_ids)}
        found = search_each(searcher(server, spec.collection, doc_rows=rows), query_vecs,
                            top_k, filters)
        exact = search_each(searcher(server, spec.collection, exact=True, doc_rows=rows),
                            query_vecs, top_k, filters)
    return found, exact, _deployed_settings(info)


def _check_dim(info: Any, spec: QdrantSpec, dim: int, where: str) -> None:
    vectors = info.config.params.vectors
    if vectors is None:
        raise InputError(f"{where}: collection {spec.collection!r} holds no dense vectors; "
                         "name a collection of the query encoder's vectors")
    if isinstance(vectors, dict):
        if spec.vector_name not in vectors:
            raise InputError(f"{where}: collection {spec.collection!r} holds the named vectors "
                             f"{', '.join(sorted(vectors)) or 'none'}; give vector_name: one of "
                             "them")
        vectors = vectors[spec.vector_name]
    elif spec.vector_name is not None:
        raise InputError(f"{where}: collection {spec.collection!r} holds one unnamed vector; "
                         "drop vector_name:")
    if int(vectors.size) != dim:
        raise InputError(f"{where}: collection {spec.collection!r} holds {vectors.size}-d "
                         f"vectors but {spec.from_} encodes {dim}-d queries; name the embedder "
                         "that wrote the collection")


def _deployed_settings(info: Any) -> dict[str, Any]:
    """What the deployed collection's own index and quantization are, for the results."""
    hnsw = info.config.hnsw_config
    quant = info.config.quantization_config
    kind = next(iter(quant.model_dump(exclude_none=True)), "none") if quant else "none"
    return {"points": int(info.points_count or 0), "collection_m": int(hnsw.m),
            "collection_ef_construct": int(hnsw.ef_construct), "collection_quantization": kind}

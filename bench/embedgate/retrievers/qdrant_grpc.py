"""Qdrant's gRPC API in front of the loopback server's collections (`serve-qdrant --grpc-port`).

A Qdrant server answers REST on one port (6333) and gRPC on another (6334); qdrant-client with
`prefer_grpc` sends everything over gRPC. Here each RPC is turned into the REST request it
mirrors: qdrant-client's own converters (GrpcToRest) make the REST models of the request, dumped
to the JSON a REST call carries, and the REST answer goes back through RestToGrpc. Both
transports thus run one implementation (`qdrant_rest`, the real engine behind it) and a test can
compare them result for result.

Implemented RPCs: Qdrant/HealthCheck; Collections/Get, List, Create, Delete, CollectionExists;
Points/Upsert, Query. Any other answers UNIMPLEMENTED (the generated servicer's default).
Authentication as a Qdrant server: the `api-key` metadata, or `authorization: Bearer <key>`.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import grpc
from pydantic import BaseModel
from qdrant_client import grpc as g
from qdrant_client import models as rm
from qdrant_client.conversions.conversion import GrpcToRest, RestToGrpc

from embedgate.infra.errors import InputError
from embedgate.infra.loopback import busy_line, check_free
from embedgate.retrievers.qdrant_rest import RestError

_CODES = {400: grpc.StatusCode.INVALID_ARGUMENT, 401: grpc.StatusCode.UNAUTHENTICATED,
          404: grpc.StatusCode.NOT_FOUND, 409: grpc.StatusCode.ALREADY_EXISTS,
          413: grpc.StatusCode.RESOURCE_EXHAUSTED, 422: grpc.StatusCode.INVALID_ARGUMENT}
# CreateCollection fields and the REST key each becomes (the rest are refused by qdrant_rest)
_CREATE_FIELDS: dict[str, tuple[str, Callable[[Any], Any] | None]] = {
    "vectors_config": ("vectors", GrpcToRest.convert_vectors_config),
    "hnsw_config": ("hnsw_config", GrpcToRest.convert_hnsw_config_diff),
    "quantization_config": ("quantization_config", GrpcToRest.convert_quantization_config),
    "optimizers_config": ("optimizers_config", GrpcToRest.convert_optimizers_config_diff),
    "shard_number": ("shard_number", None), "replication_factor": ("replication_factor", None),
    "write_consistency_factor": ("write_consistency_factor", None),
    "on_disk_payload": ("on_disk_payload", None)}
_IGNORED = {"collection_name", "timeout"}  # the path, and a server-side deadline


class Backend(Protocol):
    """What the gRPC front needs of the loopback server (serve_qdrant.QdrantServer)."""

    def authorised(self, api_key: str | None, bearer: str | None) -> bool: ...

    def log_request(self, method: str, path: str, rpc: str | None = None) -> None: ...

    def answer(self, method: str, path: str, body: Callable[[], Any]) -> Any: ...


def start(backend: Backend, host: str, port: int) -> tuple[grpc.Server, int]:
    """Serve the RPCs on host:port (0: a free port) in threads; (the server, its port). A taken
    port is one line (InputError), checked first: grpcio would log it and raise RuntimeError."""
    check_free(host, port)
    # so_reuseport off: a second server on a taken port must fail, not share it silently
    server = grpc.server(ThreadPoolExecutor(max_workers=8, thread_name_prefix="qdrant-grpc"),
                         options=[("grpc.max_receive_message_length", 256 * 1024 * 1024),
                                  ("grpc.so_reuseport", 0)])
    g.add_QdrantServicer_to_server(_Root(backend), server)
    g.add_CollectionsServicer_to_server(_Collections(backend), server)
    g.add_PointsServicer_to_server(_Points(backend), server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:  # taken between the check and here
        raise InputError(busy_line(host, port)) from None
    server.start()
    return server, bound


def _call(backend: Backend, context: Any, rpc: str, method: str, path: str,
          body: Callable[[], Any] = lambda: None) -> Any:
    """Log, authorise and answer one RPC as the REST route it mirrors; errors as gRPC codes."""
    backend.log_request(method, path, rpc)
    meta = {k.lower(): v for k, v in context.invocation_metadata()}
    if not backend.authorised(meta.get("api-key"), meta.get("authorization")):
        context.abort(grpc.StatusCode.UNAUTHENTICATED,
                      "Must provide an API key or an Authorization bearer token")
    try:
        return backend.answer(method, path, body)
    except RestError as exc:
        context.abort(_CODES.get(exc.status, grpc.StatusCode.INTERNAL), exc.message)


def _json(value: Any) -> Any:
    """REST models (and dicts / lists of them) as the JSON a REST request carries."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


class _Root(g.QdrantServicer):
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def HealthCheck(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC naming
        doc = _call(self.backend, context, "Qdrant/HealthCheck", "GET", "/")
        return g.HealthCheckReply(title=doc["title"], version=doc["version"])


class _Collections(g.CollectionsServicer):
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def Get(self, request: Any, context: Any) -> Any:  # noqa: N802
        t0 = time.perf_counter()
        doc = _call(self.backend, context, "Collections/Get", "GET",
                    f"/collections/{request.collection_name}")
        info = RestToGrpc.convert_collection_info(rm.CollectionInfo.model_validate(doc))
        return g.GetCollectionInfoResponse(result=info, time=time.perf_counter() - t0)

    def List(self, request: Any, context: Any) -> Any:  # noqa: N802
        t0 = time.perf_counter()
        doc = _call(self.backend, context, "Collections/List", "GET", "/collections")
        return g.ListCollectionsResponse(
            collections=[g.CollectionDescription(name=c["name"]) for c in doc["collections"]],
            time=time.perf_counter() - t0)

    def Create(self, request: Any, context: Any) -> Any:  # noqa: N802
        t0 = time.perf_counter()
        ok = _call(self.backend, context, "Collections/Create", "PUT",
                   f"/collections/{request.collection_name}", lambda: _create_body(request))
        return g.CollectionOperationResponse(result=bool(ok), time=time.perf_counter() - t0)

    def Delete(self, request: Any, context: Any) -> Any:  # noqa: N802
        t0 = time.perf_counter()
        ok = _call(self.backend, context, "Collections/Delete", "DELETE",
                   f"/collections/{request.collection_name}")
        return g.CollectionOperationResponse(result=bool(ok), time=time.perf_counter() - t0)

    def CollectionExists(self, request: Any, context: Any) -> Any:  # noqa: N802
        t0 = time.perf_counter()
        doc = _call(self.backend, context, "Collections/CollectionExists", "GET",
                    f"/collections/{request.collection_name}/exists")
        return g.CollectionExistsResponse(result=g.CollectionExists(exists=doc["exists"]),
                                          time=time.perf_counter() - t0)


def _create_body(request: Any) -> dict[str, Any]:
    """The REST create-collection body of a CreateCollection message."""
    body: dict[str, Any] = {}
    for field, value in request.ListFields():
        if field.name in _IGNORED:
            continue
        if field.name not in _CREATE_FIELDS:
            body[field.name] = True  # qdrant_rest refuses it, naming it
            continue
        key, convert = _CREATE_FIELDS[field.name]
        body[key] = _json(convert(value)) if convert else value
    return body


class _Points(g.PointsServicer):
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def Upsert(self, request: Any, context: Any) -> Any:  # noqa: N802
        t0 = time.perf_counter()
        body = {"points": [_json(GrpcToRest.convert_point_struct(p)) for p in request.points]}
        doc = _call(self.backend, context, "Points/Upsert", "PUT",
                    f"/collections/{request.collection_name}/points", lambda: body)
        return g.PointsOperationResponse(
            result=g.UpdateResult(operation_id=doc["operation_id"],
                                  status=g.UpdateStatus.Completed),
            time=time.perf_counter() - t0)

    def Query(self, request: Any, context: Any) -> Any:  # noqa: N802
        t0 = time.perf_counter()
        body = _json(GrpcToRest.convert_query_points(request))
        doc = _call(self.backend, context, "Points/Query", "POST",
                    f"/collections/{request.collection_name}/points/query", lambda: body)
        return g.QueryResponse(result=[RestToGrpc.convert_scored_point(
            rm.ScoredPoint.model_validate(p)) for p in doc["points"]],
            time=time.perf_counter() - t0)

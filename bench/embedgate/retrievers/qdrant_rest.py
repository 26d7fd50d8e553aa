"""Qdrant's REST documents, read and answered by the Qdrant engine in-process (qdrant-edge).

The collection side of `embedgate serve-qdrant`: each collection is an `EdgeShard` in a folder;
the JSON a Qdrant server takes (create collection, upsert points, query points) becomes the
engine's calls, and the engine's results become the JSON a Qdrant server answers (the shapes of
Qdrant's OpenAPI document, which qdrant-client parses with its own models). Writes are applied
at once; indexing runs in the background as in a server, so a collection reads "yellow" until
its optimizer is idle and the client must wait for "green" before timing searches.

Implemented subset: one or several named dense vectors (or one unnamed), Dot / Cosine / Euclid
/ Manhattan, hnsw_config, scalar (int8) and binary quantization, optimizers_config's
indexing_threshold and default_segment_number; points by list or batch, integer or UUID ids;
nearest-vector queries with hnsw_ef, exact, quantization search params, limit / offset, payload
selection and filters of `match: {value | any}` conditions under must / should / must_not.
Anything else is answered 400 naming what is not implemented.
"""
from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UNNAMED = "_"  # the engine's name for a collection's one unnamed vector
DISTANCES = ("Dot", "Cosine", "Euclid", "Manhattan")
HNSW_DEFAULT = {"m": 16, "ef_construct": 100, "full_scan_threshold": 10000}
SETTLE_S = 0.5  # no write for this long: the background indexer starts


class RestError(Exception):
    """A request the server answers with `status` and Qdrant's {"status": {"error": ...}}."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Collection:
    """One collection: its engine shard, the configuration it was created with, its indexer."""

    name: str
    folder: Path
    shard: Any
    config: dict[str, Any]  # the create request, normalised: vectors, hnsw, quantization, ...
    lock: threading.Lock = field(default_factory=threading.Lock)
    _dirty: bool = False
    _indexer: threading.Thread | None = None
    operations: int = 0

    @property
    def status(self) -> str:
        """green when the optimizer is idle, yellow while it (re)indexes, as a server says."""
        busy = self._dirty or (self._indexer is not None and self._indexer.is_alive())
        return "yellow" if busy else "green"

    def schedule_indexing(self) -> None:
        """Index in the background after writes (one indexer thread; repeats while written)."""
        self._dirty = True
        if self._indexer is None or not self._indexer.is_alive():
            self._indexer = threading.Thread(target=self._index, daemon=True,
                                             name=f"qdrant-index-{self.name}")
            self._indexer.start()

    def _index(self) -> None:
        while self._dirty:
            self._dirty = False
            # Let a stream of upserts settle first: the engine's optimize holds the GIL, so
            # starting it between two batches would stall the next upsert's request (a
            # server's optimizer runs beside its request threads) and count indexing as load.
            time.sleep(SETTLE_S)
            if self._dirty:
                continue
            with self.lock:
                self.shard.optimize()

    def close(self) -> None:
        if self._indexer is not None:
            self._indexer.join(timeout=600)
        with self.lock:
            self.shard.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def create(name: str, folder: Path, body: Any) -> Collection:
    """A new collection from a create-collection request body."""
    import qdrant_edge as q

    config = _collection_config(body)
    folder.mkdir(parents=True, exist_ok=False)
    quant = _quantization(config["quantization_config"])
    vectors = {vname: q.EdgeVectorParams(size=p["size"],
                                         distance=getattr(q.Distance, p["distance"]))
               for vname, p in _vector_params(config["vectors"]).items()}
    h = config["hnsw_config"]
    opt = config["optimizers_config"]
    edge = q.EdgeConfig(vectors=vectors, hnsw_config=q.HnswIndexConfig(
        m=h["m"], ef_construct=h["ef_construct"], full_scan_threshold=h["full_scan_threshold"]),
        quantization_config=quant, optimizers=q.EdgeOptimizersConfig(
            indexing_threshold=opt.get("indexing_threshold"),
            default_segment_number=opt.get("default_segment_number")))
    try:
        shard = q.EdgeShard.create(str(folder / "shard"), edge)
    except (RuntimeError, ValueError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise RestError(400, f"Wrong input: {exc}") from None
    return Collection(name, folder, shard, config)


def _collection_config(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or "vectors" not in body:
        raise RestError(400, "Wrong input: a collection needs `vectors`")
    known = {"vectors", "hnsw_config", "quantization_config", "optimizers_config",
             "shard_number", "replication_factor", "write_consistency_factor",
             "on_disk_payload"}
    unknown = sorted(k for k, v in body.items() if k not in known and v is not None)
    if unknown:
        raise RestError(400, f"not implemented by this server: {', '.join(unknown)}")
    _vector_params(body["vectors"])  # validates
    return {"vectors": body["vectors"],
            "hnsw_config": {**HNSW_DEFAULT, **{k: v for k, v in (body.get("hnsw_config") or {})
                                              .items() if v is not None}},
            "quantization_config": body.get("quantization_config"),
            "optimizers_config": {k: v for k, v in (body.get("optimizers_config") or {}).items()
                                  if v is not None}}


def _vector_params(vectors: Any) -> dict[str, dict[str, Any]]:
    """{engine vector name: {size, distance}} from `vectors` (one unnamed, or named)."""
    named = {UNNAMED: vectors} if isinstance(vectors, dict) and "size" in vectors else vectors
    if not isinstance(named, dict) or not named:
        raise RestError(400, "Wrong input: `vectors` must be {size, distance} or named ones")
    for vname, p in named.items():
        if not isinstance(p, dict) or not isinstance(p.get("size"), int) or p["size"] < 1 \
                or p.get("distance") not in DISTANCES:
            raise RestError(400, f"Wrong input: vector {vname!r} needs a positive size and a "
                            f"distance of {', '.join(DISTANCES)}")
    return named


def _quantization(raw: Any) -> Any:
    import qdrant_edge as q

    if not raw:
        return None
    if isinstance(raw, dict) and set(raw) == {"scalar"}:
        return q.ScalarQuantizationConfig(type=q.ScalarType.Int8,
                                          quantile=raw["scalar"].get("quantile"),
                                          always_ram=raw["scalar"].get("always_ram"))
    if isinstance(raw, dict) and set(raw) == {"binary"}:
        return q.BinaryQuantizationConfig(always_ram=raw["binary"].get("always_ram"))
    raise RestError(400, "not implemented by this server: quantization other than scalar or "
                    "binary")


def upsert(col: Collection, body: Any) -> dict[str, Any]:
    """Apply an upsert request ({points: [...]} or {batch: {...}}) and schedule indexing."""
    import qdrant_edge as q

    points = [q.Point(pid, vec, payload) for pid, vec, payload in _points(col, body)]
    with col.lock:
        try:
            col.shard.update(q.UpdateOperation.upsert_points(points))
        except (RuntimeError, ValueError) as exc:
            raise RestError(400, f"Wrong input: {exc}") from None
        col.operations += 1
        op = col.operations
    col.schedule_indexing()
    return {"operation_id": op, "status": "completed"}


def _points(col: Collection, body: Any) -> list[tuple[Any, dict[str, list[float]], Any]]:
    if isinstance(body, dict) and isinstance(body.get("points"), list):
        return [(_point_id(p.get("id")), _vectors(col, p.get("vector")), p.get("payload"))
                for p in body["points"] if isinstance(p, dict)]
    batch = body.get("batch") if isinstance(body, dict) else None
    if not isinstance(batch, dict) or not isinstance(batch.get("ids"), list):
        raise RestError(400, "Wrong input: an upsert needs `points` or `batch`")
    ids, raw = batch["ids"], batch.get("vectors")
    rows = ([{n: v[i] for n, v in raw.items()} for i in range(len(ids))]
            if isinstance(raw, dict) else raw)
    payloads = batch.get("payloads") or [None] * len(ids)
    if not isinstance(rows, list) or len(rows) != len(ids) or len(payloads) != len(ids):
        raise RestError(400, "Wrong input: batch ids, vectors and payloads differ in length")
    return [(_point_id(i), _vectors(col, v), p) for i, v, p in zip(ids, rows, payloads)]


def _point_id(raw: Any) -> Any:
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise RestError(400, f"Wrong input: point id {raw!r} is neither an unsigned integer "
                        "nor a UUID") from None


def _vectors(col: Collection, raw: Any) -> dict[str, list[float]]:
    named = {UNNAMED: raw} if isinstance(raw, list) else raw
    if not isinstance(named, dict):
        raise RestError(400, "Wrong input: a point's vector must be a list or named lists")
    params = _vector_params(col.config["vectors"])
    for vname, vec in named.items():
        want = params.get(vname, {}).get("size")
        if want is None:
            raise RestError(400, f"Wrong input: Not existing vector name error: {vname}")
        if not isinstance(vec, list) or len(vec) != want:
            got = len(vec) if isinstance(vec, list) else "?"
            raise RestError(400, f"Wrong input: Vector dimension error: expected dim: {want}, "
                            f"got {got}")
    return named


def query(col: Collection, body: Any) -> dict[str, Any]:
    """Answer a nearest-vector query request: {"points": [scored points]}."""
    import qdrant_edge as q

    if not isinstance(body, dict):
        raise RestError(400, "Wrong input: the query body must be an object")
    known = {"query", "using", "limit", "offset", "params", "filter", "with_payload",
             "with_vector", "score_threshold", "prefetch", "lookup_from", "shard_key"}
    unknown = sorted(k for k, v in body.items() if k not in known and v is not None)
    extra = sorted(k for k in ("prefetch", "lookup_from", "shard_key") if body.get(k))
    if unknown or extra:
        raise RestError(400, f"not implemented by this server: {', '.join(unknown + extra)}")
    vec = body.get("query")
    vec = vec.get("nearest") if isinstance(vec, dict) else vec
    using = body.get("using") or UNNAMED
    _vectors(col, {using: vec})
    request = q.QueryRequest(limit=int(body.get("limit") or 10), offset=body.get("offset"),
                             query=q.Query.Nearest(vec, using=using),
                             params=_search_params(body.get("params")),
                             filter=to_filter(body.get("filter")),
                             with_payload=bool(body.get("with_payload")),
                             score_threshold=body.get("score_threshold"))
    with col.lock:
        found = col.shard.query(request)
    keep = _payload_keys(body.get("with_payload"))
    return {"points": [{"id": p.id if isinstance(p.id, int) else str(p.id),
                        "version": int(p.version), "score": float(p.score),
                        "payload": _select(p.payload, keep), "vector": None}
                       for p in found]}


def _search_params(raw: Any) -> Any:
    import qdrant_edge as q

    if not raw:
        return None
    quant = raw.get("quantization")
    return q.SearchParams(hnsw_ef=raw.get("hnsw_ef"), exact=bool(raw.get("exact")),
                          indexed_only=bool(raw.get("indexed_only")),
                          quantization=q.QuantizationSearchParams(
                              ignore=bool(quant.get("ignore")), rescore=quant.get("rescore"),
                              oversampling=quant.get("oversampling")) if quant else None)


def to_filter(raw: Any) -> Any:
    """A REST filter of match conditions as the engine's Filter (None for none)."""
    import qdrant_edge as q

    if not raw:
        return None
    if not isinstance(raw, dict) or set(raw) - {"must", "should", "must_not"}:
        raise RestError(400, "not implemented by this server: filters other than must / should "
                        "/ must_not lists of match conditions")
    return q.Filter(**{part: [_condition(c) for c in conds]
                       for part, conds in raw.items() if conds})


def _condition(raw: Any) -> Any:
    import qdrant_edge as q

    match = raw.get("match") if isinstance(raw, dict) else None
    if not isinstance(match, dict) or not isinstance(raw.get("key"), str):
        raise RestError(400, "not implemented by this server: conditions other than "
                        "{key, match: {value | any}}")
    if "any" in match:
        return q.FieldCondition(raw["key"], match=q.MatchAny(any=list(match["any"])))
    if "value" in match:
        return q.FieldCondition(raw["key"], match=q.MatchValue(value=match["value"]))
    raise RestError(400, "not implemented by this server: match other than value / any")


def _payload_keys(raw: Any) -> set[str] | None:
    """None: the whole payload; a set: those keys (with_payload as a list or {include})."""
    if isinstance(raw, list):
        return set(raw)
    if isinstance(raw, dict) and isinstance(raw.get("include"), list):
        return set(raw["include"])
    return None


def _select(payload: Mapping[str, Any] | None, keep: set[str] | None) -> dict[str, Any] | None:
    if payload is None:
        return None
    return dict(payload) if keep is None else {k: v for k, v in payload.items() if k in keep}


def info(col: Collection) -> dict[str, Any]:
    """The collection-info document (GET /collections/{name})."""
    with col.lock:
        stats = col.shard.info()
    cfg = col.config
    return {"status": col.status, "optimizer_status": "ok",
            "indexed_vectors_count": int(stats.indexed_vectors_count),
            "points_count": int(stats.points_count), "segments_count": int(stats.segments_count),
            "config": {"params": {"vectors": cfg["vectors"], "shard_number": 1,
                                  "replication_factor": 1, "write_consistency_factor": 1,
                                  "on_disk_payload": True},
                       "hnsw_config": cfg["hnsw_config"],
                       "optimizer_config": {"deleted_threshold": 0.2,
                                            "vacuum_min_vector_number": 1000,
                                            "default_segment_number": 0, "flush_interval_sec": 5,
                                            **cfg["optimizers_config"]},
                       "wal_config": {"wal_capacity_mb": 32, "wal_segments_ahead": 0},
                       "quantization_config": cfg["quantization_config"]},
            "payload_schema": {}}

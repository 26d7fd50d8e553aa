"""`kind: qdrant`: the Qdrant engine in-process (qdrant-edge-py), or a server (`url:`).

In-process, the source embedder's corpus vectors (from the embedding cache) are upserted a
batch at a time into a shard in a temporary folder, the optimizer builds the HNSW graph (and
quantized codes), every query is issued alone, and the folder is removed afterwards. With
`url:` the same happens on a Qdrant server through qdrant-client (`qdrant_remote`), or, with
`load: existing`, a deployed collection is only read. The reference is exact search of the
same vectors (faiss over the cached vectors; the server's own exact search for a deployed
collection), as for pgvector.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embedgate.algorithms.filters import Filter, as_text
from embedgate.embedders.base import QueryFilters, RankContext, Ranking
from embedgate.embedders.registry import BuildEnv
from embedgate.infra.errors import InfraError
from embedgate.infra.pool import shared
from embedgate.retrievers.db_eval import (SearchFn, batches, build_key, db_info, db_ranking,
                                          exact_reference, search_each, source_embedder)
from embedgate.suite import QdrantSpec, sweep_base

log = logging.getLogger("embedgate")
VECTOR = "v"  # the shard's one named dense vector
QUERY_TIME = {"hnsw_ef", "oversampling", "rescore", "timeout_s"}  # a sweep shares one index


class QdrantRetriever:
    """A `Retriever` over an in-process Qdrant shard of the source embedder's vectors."""

    def __init__(self, spec: QdrantSpec, env: BuildEnv) -> None:
        self.spec = spec
        self.where = env.where
        self.source = source_embedder(spec.from_, env, "from")
        backend = "qdrant-edge" if spec.url is None else "qdrant-client"
        self.info = db_info(spec.id, "qdrant", backend, _name(spec), self.source.info,
                            _settings(spec))

    ACCEPTS_FILTERS = True  # queries' metadata filters become Qdrant payload filters

    def retrieve(self, doc_ids: Sequence[str], doc_texts: Sequence[str],
                 queries: Sequence[str], top_k: int, ctx: RankContext,
                 filters: QueryFilters | None = None) -> Ranking:
        if self.spec.url is not None:
            return self._on_server(doc_ids, doc_texts, queries, top_k, ctx, filters)
        doc_vecs = ctx.encode(self.source, doc_texts, "passage")
        query_vecs = ctx.encode(self.source, queries, "query")
        key = self._key(doc_ids, doc_texts, filters)
        with shared(getattr(ctx, "pool", None), sweep_base(self.spec.id), key,
                    lambda: self._build(doc_vecs, filters), _close) as built:
            with _engine_errors(self.spec.id):
                searched = search_each(_searcher(built.shard, self.spec), query_vecs, top_k,
                                       filters)
        reference = exact_reference(self.source, doc_ids, doc_texts, queries, doc_vecs,
                                    query_vecs, top_k, ctx, filters)
        return db_ranking(self.spec.id, self.source, queries, searched, reference,
                          dict(built.counts), dict(self.info.extra), self.spec.latency_queries)

    def _on_server(self, doc_ids: Sequence[str], doc_texts: Sequence[str],
                   queries: Sequence[str], top_k: int, ctx: RankContext,
                   filters: QueryFilters | None) -> Ranking:
        # qdrant-client (httpx, pydantic models: 0.3 s): only a suite with a server pays it
        from embedgate.retrievers import qdrant_remote as remote

        server = remote.connect(self.spec, self.where)
        settings = {**self.info.extra, "server": server.host, "server_version": server.version}
        query_vecs = ctx.encode(self.source, queries, "query")
        if self.spec.load == "existing":
            searched, exact, deployed = remote.existing(server, doc_ids, query_vecs, top_k,
                                                        filters, self.where)
            reference = (f"{self.spec.id}:exact-scan", Ranking(exact.scores, exact.idx))
            counts: dict[str, float] = {"n_queries": float(len(queries))}
            settings.update(deployed)
        else:
            doc_vecs = ctx.encode(self.source, doc_texts, "passage")
            key = self._key(doc_ids, doc_texts, filters)
            searched, counts = remote.owned(server, doc_vecs, query_vecs, top_k, filters,
                                            self.where, key, getattr(ctx, "pool", None))
            reference = exact_reference(self.source, doc_ids, doc_texts, queries, doc_vecs,
                                        query_vecs, top_k, ctx, filters)
        return db_ranking(self.spec.id, self.source, queries, searched, reference, counts,
                          settings, self.spec.latency_queries)

    def _key(self, doc_ids: Sequence[str], doc_texts: Sequence[str],
             filters: QueryFilters | None) -> str:
        """Equal for the settings of one sweep over the same corpus: they share the index."""
        return build_key(self.spec, QUERY_TIME, self.source, doc_ids, doc_texts,
                         filters is not None) + sweep_base(self.spec.id)

    def _build(self, doc_vecs: np.ndarray, filters: QueryFilters | None) -> _Shard:
        """A shard of the corpus vectors in a temporary folder, optimized (graph and codes)."""
        built = _Shard(Path(tempfile.mkdtemp(prefix="embedgate-qdrant-")), None, {})
        try:
            with _engine_errors(self.spec.id):
                import qdrant_edge as q

                built.shard = q.EdgeShard.create(str(built.folder / "shard"),
                                                 _config(self.spec, doc_vecs.shape[1]))
                t0 = time.perf_counter()
                for start, rows in batches(doc_vecs, self.spec.batch_size):
                    built.shard.update(q.UpdateOperation.upsert_points(
                        [q.Point(start + i, {VECTOR: row}, _payload(filters, start + i))
                         for i, row in enumerate(rows)]))
                load_s = time.perf_counter() - t0
                built.shard.optimize()  # builds the graph and the quantized codes
                build_s = time.perf_counter() - t0 - load_s
                built.counts = {"n_vectors": float(doc_vecs.shape[0]), "load_s": load_s,
                                "build_s": build_s,
                                "indexed_vectors": float(built.shard.info()
                                                         .indexed_vectors_count),
                                **folder_bytes(built.folder)}
        except BaseException:
            _close(built)
            raise
        log.info("qdrant %s: %d vectors upserted in %.1f s, optimized in %.1f s", self.spec.id,
                 doc_vecs.shape[0], load_s, build_s)
        return built


@dataclass
class _Shard:
    """An in-process shard in its temporary folder, and what building it measured."""

    folder: Path
    shard: Any
    counts: dict[str, float]


def _close(built: _Shard) -> None:
    if built.shard is not None:
        built.shard.close()
    shutil.rmtree(built.folder, ignore_errors=True)


@contextmanager
def _engine_errors(system_id: str) -> Iterator[None]:
    """The engine's own failures as one line (exit 4)."""
    try:
        yield
    except (RuntimeError, OSError, ValueError) as exc:
        raise InfraError(f"qdrant {system_id}: the in-process engine failed: "
                         f"{' '.join(str(exc).split())}") from None


def _config(spec: QdrantSpec, dim: int) -> Any:
    import qdrant_edge as q

    quant: Any = None
    if spec.quantization == "scalar":
        quant = q.ScalarQuantizationConfig(type=q.ScalarType.Int8, always_ram=True)
    elif spec.quantization == "binary":
        quant = q.BinaryQuantizationConfig(always_ram=True)
    # indexing_threshold 1 (KB): index every segment, however small (the fixtures are).
    return q.EdgeConfig(
        vectors={VECTOR: q.EdgeVectorParams(size=dim, distance=q.Distance.Dot)},
        hnsw_config=q.HnswIndexConfig(m=spec.m, ef_construct=spec.ef_construct,
                                      full_scan_threshold=1),
        quantization_config=quant,
        optimizers=q.EdgeOptimizersConfig(indexing_threshold=1, default_segment_number=1))


def _searcher(shard: Any, spec: QdrantSpec) -> SearchFn:
    import qdrant_edge as q

    quant = (q.QuantizationSearchParams(rescore=spec.rescore, oversampling=spec.oversampling[0])
             if spec.quantization != "none" else None)
    params = q.SearchParams(hnsw_ef=spec.hnsw_ef[0], exact=spec.index == "exact",
                            quantization=quant)

    def search(vec: np.ndarray, k: int, flt: Filter | None = None) -> Sequence[tuple[int, float]]:
        must = [q.FieldCondition(key, match=q.MatchAny(any=values))
                for key, values in (flt or {}).items()]
        found = shard.query(q.QueryRequest(limit=k, query=q.Query.Nearest(vec, using=VECTOR),
                                           params=params, filter=q.Filter(must=must) if must
                                           else None))
        return [(int(p.id), float(p.score)) for p in found]

    return search


def _payload(filters: QueryFilters | None, row: int) -> dict[str, str] | None:
    """A point's metadata as text values, when queries filter on it."""
    if filters is None:
        return None
    return {k: as_text(v) for k, v in filters.doc_meta[row].items()}


def folder_bytes(folder: Path) -> dict[str, float]:
    """The HNSW graph and quantized codes (index_bytes), and what the shard holds on disk
    (allocated blocks: its WAL and payload files are large but sparse)."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    index = sum(p.stat().st_size for p in files
                if "vector_index" in p.parent.name or p.name.startswith("quantized"))
    disk = sum(p.stat().st_blocks * 512 for p in files)
    return {"index_bytes": float(index), "disk_bytes": float(disk)}


def _settings(spec: QdrantSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "qdrant", "from": spec.from_,
                           "mode": "in-process" if spec.url is None else "server",
                           "index": spec.index, "quantization": spec.quantization}
    if spec.url is not None:
        out.update(load=spec.load, api_key_env=spec.api_key_env,
                   transport="rest" if spec.grpc_port is None else "grpc",
                   **({"collection": spec.collection} if spec.load == "existing" else {}),
                   **({"vector_name": spec.vector_name} if spec.vector_name else {}))
    if spec.index == "hnsw":
        out.update(m=spec.m, ef_construct=spec.ef_construct, hnsw_ef=spec.hnsw_ef[0])
    if spec.quantization != "none" or spec.load == "existing":
        out.update(rescore=spec.rescore, oversampling=spec.oversampling[0])
    if spec.load == "existing":  # the collection's own index and quantization apply
        out.update(quantization="collection's own")
        out.pop("m", None), out.pop("ef_construct", None)
    if spec.noninferiority is not None:
        out["noninferiority"] = spec.noninferiority.model_dump(mode="json")
    return out


def _name(spec: QdrantSpec) -> str:
    knob = f" hnsw_ef={spec.hnsw_ef[0]}" if spec.index == "hnsw" else ""
    quant = (f", {spec.quantization} x{spec.oversampling[0]:g}"
             if spec.quantization != "none" else "")
    where = "" if spec.url is None else (f" on {spec.collection}" if spec.load == "existing"
                                         else " on a server")
    return f"qdrant {spec.index}{knob}{quant}{where} over {spec.from_}"

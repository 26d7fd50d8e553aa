"""`kind: qdrant`: the Qdrant engine in-process (qdrant-edge-py), for local and CI runs.

The source embedder's corpus vectors (from the embedding cache) are upserted a batch at a time
into a shard in a temporary folder, the optimizer builds the HNSW graph (and quantized codes),
every query is issued alone, and the folder is removed afterwards. The reference is faiss
exact search of the same vectors, as for pgvector. A Qdrant server (`url:` through
qdrant-client) is not implemented yet.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedgate.algorithms.filters import Filter, as_text
from embedgate.embedders.base import QueryFilters, RankContext, Ranking
from embedgate.embedders.registry import BuildEnv
from embedgate.infra.errors import InfraError
from embedgate.retrievers.db_eval import (SearchFn, Searched, batches, db_info, db_ranking,
                                          filtered_reference, search_each, source_embedder)
from embedgate.retrievers.ranking import rank
from embedgate.suite import QdrantSpec

log = logging.getLogger("embedgate")
VECTOR = "v"  # the shard's one named dense vector


class QdrantRetriever:
    """A `Retriever` over an in-process Qdrant shard of the source embedder's vectors."""

    def __init__(self, spec: QdrantSpec, env: BuildEnv) -> None:
        self.spec = spec
        self.source = source_embedder(spec.from_, env, "from")
        self.info = db_info(spec.id, "qdrant", "qdrant-edge", _name(spec), self.source.info,
                            _settings(spec))

    ACCEPTS_FILTERS = True  # queries' metadata filters become Qdrant payload filters

    def retrieve(self, doc_ids: Sequence[str], doc_texts: Sequence[str],
                 queries: Sequence[str], top_k: int, ctx: RankContext,
                 filters: QueryFilters | None = None) -> Ranking:
        doc_vecs = ctx.encode(self.source, doc_texts, "passage")
        query_vecs = ctx.encode(self.source, queries, "query")
        searched, counts = self._search(doc_vecs, query_vecs, top_k, filters)
        reference = (f"{self.source.info.id}:exact-filtered",
                     filtered_reference(doc_vecs, query_vecs, filters, top_k)) \
            if filters is not None else (self.source.info.id, rank(
                self.source, doc_ids, doc_texts, queries, top_k, ctx))
        return db_ranking(self.spec.id, self.source, queries, searched, reference, counts,
                          dict(self.info.extra), self.spec.latency_queries)

    def _search(self, doc_vecs: np.ndarray, query_vecs: np.ndarray, top_k: int,
                filters: QueryFilters | None = None) -> tuple[Searched, dict[str, float]]:
        folder = Path(tempfile.mkdtemp(prefix="embedgate-qdrant-"))
        shard: Any = None
        try:
            import qdrant_edge as q

            shard = q.EdgeShard.create(str(folder / "shard"), _config(self.spec,
                                                                      doc_vecs.shape[1]))
            t0 = time.perf_counter()
            for start, rows in batches(doc_vecs, self.spec.batch_size):
                shard.update(q.UpdateOperation.upsert_points(
                    [q.Point(start + i, {VECTOR: row}, _payload(filters, start + i))
                     for i, row in enumerate(rows)]))
            load_s = time.perf_counter() - t0
            shard.optimize()  # builds the graph and the quantized codes
            build_s = time.perf_counter() - t0 - load_s
            counts = {"n_vectors": float(doc_vecs.shape[0]), "load_s": load_s,
                      "build_s": build_s,
                      "indexed_vectors": float(shard.info().indexed_vectors_count),
                      **_folder_bytes(folder)}
            searched = search_each(_searcher(shard, self.spec), query_vecs, top_k, filters)
            log.info("qdrant %s: %d vectors upserted in %.1f s, optimized in %.1f s", self.spec.id,
                     doc_vecs.shape[0], load_s, build_s)
            return searched, counts
        except (RuntimeError, OSError, ValueError) as exc:  # the engine's own failures
            raise InfraError(f"qdrant {self.spec.id}: the in-process engine failed: "
                             f"{' '.join(str(exc).split())}") from None
        finally:
            if shard is not None:
                shard.close()
            shutil.rmtree(folder, ignore_errors=True)


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


def _folder_bytes(folder: Path) -> dict[str, float]:
    """The HNSW graph and quantized codes (index_bytes), and what the shard holds on disk
    (allocated blocks: its WAL and payload files are large but sparse)."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    index = sum(p.stat().st_size for p in files
                if "vector_index" in p.parent.name or p.name.startswith("quantized"))
    disk = sum(p.stat().st_blocks * 512 for p in files)
    return {"index_bytes": float(index), "disk_bytes": float(disk)}


def _settings(spec: QdrantSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "qdrant", "from": spec.from_, "mode": "in-process",
                           "index": spec.index, "quantization": spec.quantization}
    if spec.index == "hnsw":
        out.update(m=spec.m, ef_construct=spec.ef_construct, hnsw_ef=spec.hnsw_ef[0])
    if spec.quantization != "none":
        out.update(rescore=spec.rescore, oversampling=spec.oversampling[0])
    if spec.noninferiority is not None:
        out["noninferiority"] = spec.noninferiority.model_dump(mode="json")
    return out


def _name(spec: QdrantSpec) -> str:
    knob = f" hnsw_ef={spec.hnsw_ef[0]}" if spec.index == "hnsw" else ""
    quant = (f", {spec.quantization} x{spec.oversampling[0]:g}"
             if spec.quantization != "none" else "")
    return f"qdrant {spec.index}{knob}{quant} over {spec.from_}"

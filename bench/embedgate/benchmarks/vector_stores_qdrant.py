"""The vector-store benchmark's Qdrant phase: the engine in-process (qdrant-edge), as `kind:
qdrant` runs it without `url:`. Upserts the memmap a batch at a time into a shard, optimizes
(the HNSW graph), then issues every query alone at each hnsw_ef; run in its own process by
`vector_stores` so its peak memory is its own."""
from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BATCH = 2048


def run(work: Path, p: dict[str, Any], peak_mib: Any) -> dict[str, Any]:
    """{"rows": [...]} in the benchmark's table columns, one row per hnsw_ef."""
    import numpy as np  # not at the top: `embedgate --help` imports the benchmarks
    import qdrant_edge as q

    from embedgate.retrievers.db_eval import recall_vs, search_each
    from embedgate.retrievers.qdrant import folder_bytes

    docs = np.load(work / "docs.npy", mmap_mode="r")
    queries, truth = np.load(work / "queries.npy"), np.load(work / "truth.npy")
    folder = Path(tempfile.mkdtemp(prefix="embedgate-vs-qdrant-", dir=work))
    shard = q.EdgeShard.create(str(folder / "shard"), q.EdgeConfig(
        vectors={"v": q.EdgeVectorParams(size=int(docs.shape[1]), distance=q.Distance.Dot)},
        hnsw_config=q.HnswIndexConfig(m=p["m"], ef_construct=p["ef_construction"],
                                      full_scan_threshold=1),
        optimizers=q.EdgeOptimizersConfig(indexing_threshold=1, default_segment_number=1)))
    try:
        t0 = time.perf_counter()
        for start in range(0, docs.shape[0], BATCH):
            rows = np.ascontiguousarray(docs[start:start + BATCH], dtype=np.float32)
            shard.update(q.UpdateOperation.upsert_points(
                [q.Point(start + i, {"v": row}, None) for i, row in enumerate(rows)]))
        ingest = time.perf_counter() - t0
        shard.optimize()
        build = time.perf_counter() - t0 - ingest
        index_mib = _index_mib(folder, folder_bytes(folder)["index_bytes"])
        out = []
        for ef in p["ef_search"]:
            params = q.SearchParams(hnsw_ef=ef)

            def search(vec: Any, k: int, _p: Any = params) -> Sequence[tuple[int, float]]:
                found = shard.query(q.QueryRequest(limit=k, query=q.Query.Nearest(vec, using="v"),
                                                   params=_p))
                return [(int(pt.id), float(pt.score)) for pt in found]

            searched = search_each(search, queries, p["top_k"])
            ms = searched.search_ms
            out.append(["qdrant", f"HNSW m{p['m']} hnsw_ef {ef}", ingest, build, index_mib,
                        peak_mib(), None,
                        float(np.mean(recall_vs(searched.idx, truth, p["top_k"]))),
                        float(np.percentile(ms, 50)), float(np.percentile(ms, 95))])
        return {"rows": out}
    finally:
        shard.close()
        shutil.rmtree(folder, ignore_errors=True)


def _index_mib(folder: Path, graph_bytes: float) -> float:
    """The HNSW graph plus the indexed segment's vectors (`matrix.dat`): what faiss's
    IndexHNSWFlat and pgvector's HNSW index hold too, so the column compares like with like."""
    vectors = sum(f.stat().st_size for f in folder.rglob("matrix.dat")
                  if f.parent.name.startswith("vector_storage"))
    return (graph_bytes + vectors) / 2**20

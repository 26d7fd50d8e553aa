"""Benchmark: ingest and query of N vectors in embedded pgvector, Qdrant in-process and faiss,
and the evaluation's own overhead against a bare client loop.

Synthetic unit vectors (a mixture of Gaussian clusters, so ANN search has structure to find)
are written to a memmap once; exact top-k by faiss is the ground truth. Then, each in a fresh
process so peak memory is its own:
  faiss     IndexFlatIP (exact) and IndexHNSWFlat (m, ef_construction; each ef_search);
  pgvector  binary COPY a batch at a time from the memmap into a table of the embedded server
            (the corpus is never held twice: one batch is copied at a time), HNSW build, then
            every query alone through psycopg at each ef_search;
  qdrant    upserts a batch at a time into an in-process shard, optimizes (HNSW), every query
            alone at each ef_search as hnsw_ef (`vector_stores_qdrant`).
Reported: ingest (load + build) seconds, peak RSS of the client process, the server's RSS,
index size, recall@k against exact and p50 / p95 query ms at each setting; and, interleaved
over rounds, the suite's search path (`search_each` + recall bookkeeping) against a bare loop
issuing the same SQL (target <= 1.1x).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedgate.benchmarks.common import interleaved, machine_load, print_table
from embedgate.infra import cli_args

if TYPE_CHECKING:
    import numpy as np

ENGINES = ("faiss", "pgvector", "qdrant")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=cli_args.positive_int, default=100_000,
                        help="vectors in the corpus (default 100k)")
    parser.add_argument("--dim", type=cli_args.positive_int, default=384)
    parser.add_argument("--queries", type=cli_args.positive_int, default=200)
    parser.add_argument("--top-k", type=cli_args.positive_int, default=10)
    parser.add_argument("--m", type=cli_args.positive_int, default=16)
    parser.add_argument("--ef-construction", type=cli_args.positive_int, default=64)
    parser.add_argument("--ef-search", type=cli_args.positive_int_list, default="10,40,100")
    parser.add_argument("--build-memory-mb", type=cli_args.positive_int, default=1024,
                        help="pgvector's maintenance_work_mem for the HNSW build (default 1024)")
    parser.add_argument("--rounds", type=cli_args.positive_int, default=3,
                        help="interleaved rounds of suite path vs bare loop")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: temp)")
    parser.add_argument("--engines", type=_engines, default="faiss,pgvector,qdrant",
                        help="which engines to run, comma-separated (default: all three)")


def _engines(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in ENGINES]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"engines are {', '.join(ENGINES)}, not {text!r}")
    return [n for n in ENGINES if n in names]  # always in the table's order


def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="embedgate-vs-", dir=args.dir) as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        _write_data(work, args.n, args.dim, args.queries, args.top_k)
        print(f"vector-stores benchmark: {args.n:,} synthetic {args.dim}-d unit vectors "
              f"({args.n * args.dim * 4 / 2**20:,.0f} MiB fp32), {args.queries} queries, "
              f"top {args.top_k}; data + ground truth in {time.perf_counter() - t0:.1f} s")
        print(machine_load())
        phases = {engine: _phase(engine, work, args) for engine in args.engines}
    print_table(["engine", "setting", "ingest s", "build s", "index MiB", "client peak MiB",
                 "server MiB", f"recall@{args.top_k}", "p50 ms", "p95 ms"],
                [r for phase in phases.values() for r in phase["rows"]])
    if "pgvector" in phases:
        _pgvector_lines(phases["pgvector"])
    return 0


def _pgvector_lines(phase: dict[str, Any]) -> None:
    mem = phase["memory"]
    print(f"pgvector client, ingest of a {mem['corpus_mib']:.0f} MiB corpus: anonymous memory "
          f"{mem['anon_before']:.0f} -> {mem['anon_after']:.0f} MiB; file-backed "
          f"{mem['file_after']:.0f} MiB after (libraries and the corpus memmap's pages, "
          "reclaimable): the corpus is never copied")
    over = phase["overhead"]
    print(f"evaluation vs bare client loop (ef_search {over['ef_search']}, {over['rounds']} "
          f"interleaved rounds): suite {over['suite_s']:.3f} s, bare {over['bare_s']:.3f} s, "
          f"ratio {over['ratio']:.3f}x (target <= 1.1x)")


def _write_data(work: Path, n: int, dim: int, n_queries: int, k: int) -> None:
    """Unit vectors to a memmap, a chunk at a time, with the structure of text embeddings: a
    clustered 32-d latent space mapped into `dim` dimensions plus a little isotropic noise
    (ANN search on i.i.d. Gaussian vectors is far harder than on any model's output); queries
    are perturbed documents; exact top-k by faiss is the ground truth."""
    import numpy as np  # not at the top: `embedgate --help` imports this module
    import faiss

    rng = np.random.default_rng(0)
    latent = 32
    centres = rng.standard_normal((max(n // 500, 8), latent)).astype(np.float32)
    mix = rng.standard_normal((latent, dim)).astype(np.float32) / np.sqrt(latent)
    docs = np.lib.format.open_memmap(work / "docs.npy", mode="w+", dtype=np.float32,
                                     shape=(n, dim))
    for start in range(0, n, 50_000):
        m = min(50_000, n - start)
        z = centres[rng.integers(0, len(centres), m)] + 0.7 * rng.standard_normal(
            (m, latent)).astype(np.float32)
        docs[start:start + m] = _unit(z @ mix + 0.2 * rng.standard_normal((m, dim)).astype(
            np.float32))
    docs.flush()
    picks = rng.integers(0, n, n_queries)
    queries = _unit(np.asarray(docs[picks]) + (0.5 / np.sqrt(dim)) * rng.standard_normal(
        (n_queries, dim)).astype(np.float32))
    np.save(work / "queries.npy", queries)
    index = faiss.IndexFlatIP(dim)
    for start in range(0, n, 50_000):
        index.add(np.ascontiguousarray(docs[start:start + 50_000]))
    np.save(work / "truth.npy", index.search(queries, k)[1])
    del docs


def _unit(x: np.ndarray) -> np.ndarray:
    import numpy as np  # not at the top: `embedgate --help` imports this module
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _phase(engine: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "embedgate.benchmarks.vector_stores", engine, str(work),
           json.dumps({k: getattr(args, k) for k in ("top_k", "m", "ef_construction",
                                                      "ef_search", "rounds",
                                                      "build_memory_mb")})]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _ms(samples: list[float]) -> tuple[float, float]:
    import numpy as np  # not at the top: `embedgate --help` imports this module
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 95))


def _faiss(work: Path, p: dict[str, Any]) -> dict[str, Any]:
    import numpy as np  # not at the top: `embedgate --help` imports this module
    import faiss

    docs = np.load(work / "docs.npy", mmap_mode="r")
    queries, truth = np.load(work / "queries.npy"), np.load(work / "truth.npy")
    n, dim = docs.shape
    rows: list[list[Any]] = []
    t0 = time.perf_counter()
    flat = faiss.IndexFlatIP(dim)
    flat.add(np.ascontiguousarray(docs))
    rows.append(["faiss", "IndexFlatIP (exact)", time.perf_counter() - t0, 0.0,
                 n * dim * 4 / 2**20, None, None, *_faiss_query(flat, queries, truth, p)])
    del flat
    t0 = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dim, p["m"], faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = p["ef_construction"]
    for start in range(0, n, 50_000):
        hnsw.add(np.ascontiguousarray(docs[start:start + 50_000]))
    build = time.perf_counter() - t0
    size = faiss.serialize_index(hnsw).nbytes / 2**20
    for ef in p["ef_search"]:
        hnsw.hnsw.efSearch = ef
        rows.append(["faiss", f"HNSW m{p['m']} ef_search {ef}", 0.0, build, size, None, None,
                     *_faiss_query(hnsw, queries, truth, p)])
    for r in rows:
        r[5] = _peak_mib()
    return {"rows": rows}


def _faiss_query(index: Any, queries: np.ndarray, truth: np.ndarray,
                 p: dict[str, Any]) -> list[float]:
    import numpy as np  # not at the top: `embedgate --help` imports this module
    found, ms = [], []
    for q in queries:
        t0 = time.perf_counter()
        found.append(index.search(q[None, :], p["top_k"])[1][0])
        ms.append((time.perf_counter() - t0) * 1e3)
    from embedgate.retrievers.db_eval import recall_vs

    return [float(np.mean(recall_vs(np.asarray(found), truth, p["top_k"]))), *_ms(ms)]


def _pgvector(work: Path, p: dict[str, Any]) -> dict[str, Any]:
    import numpy as np  # not at the top: `embedgate --help` imports this module
    from embedgate.retrievers import pg_sql
    from embedgate.retrievers.pg_server import connect, embedded_dsn, stop_embedded

    docs = np.load(work / "docs.npy", mmap_mode="r")
    queries, truth = np.load(work / "queries.npy"), np.load(work / "truth.npy")
    conn = connect(embedded_dsn(), "bench")
    try:
        layout = pg_sql.Layout(table="bench_vectors", id_col="id", vec_col="embedding",
                               dim=int(docs.shape[1]))
        pg_sql.create_table(conn, layout, True, "bench")
        before = _rss_split()
        ingest = pg_sql.copy_rows(conn, layout, docs, 2048)
        ingest_rss = _peak_mib()
        after = _rss_split()
        memory = {"corpus_mib": docs.nbytes / 2**20, "anon_before": before["RssAnon"],
                  "anon_after": after["RssAnon"], "file_after": after["RssFile"]}
        build = pg_sql.build_index(conn, layout, "hnsw", {"m": p["m"],
                                                          "ef_construction": p["ef_construction"]},
                                   p["build_memory_mb"])
        index_mib = pg_sql.sizes(conn, layout.table)["index_bytes"] / 2**20
        rows = []
        for ef in p["ef_search"]:
            pg_sql.set_search(conn, "hnsw", ef)
            found = _suite_path(conn, layout, queries, truth, p["top_k"])
            rows.append(["pgvector", f"HNSW m{p['m']} ef_search {ef}", ingest, build, index_mib,
                         ingest_rss, _server_mib(), found[0], *_ms(found[1])])
        overhead = _overhead(conn, layout, queries, truth, p)
    finally:
        conn.close()
        stop_embedded()
    return {"rows": rows, "overhead": overhead, "memory": memory}


def _rss_split() -> dict[str, float]:
    """This process's anonymous (its own heap) and file-backed resident MiB, and its peak
    (VmHWM: unlike getrusage's maxrss it does not carry the forking parent's peak) (Linux)."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(("RssAnon:", "RssFile:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out


def _peak_mib() -> float:
    return _rss_split()["VmHWM"]


def _suite_path(conn: Any, layout: Any, queries: np.ndarray, truth: np.ndarray,
                k: int) -> tuple[float, list[float]]:
    """What a pgvector system does per run: every query alone, timed, and its recall."""
    import numpy as np  # not at the top: `embedgate --help` imports this module
    from embedgate.retrievers import pg_sql
    from embedgate.retrievers.db_eval import recall_vs, search_each

    searched = search_each(pg_sql.searcher(conn, layout), queries, k)
    return float(np.mean(recall_vs(searched.idx, truth, k))), searched.search_ms


def _overhead(conn: Any, layout: Any, queries: np.ndarray, truth: np.ndarray,
              p: dict[str, Any]) -> dict[str, Any]:
    """The suite's search path vs a bare loop of the same statement, interleaved."""
    from embedgate.retrievers import pg_sql

    ef = p["ef_search"][-1]
    pg_sql.set_search(conn, "hnsw", ef)
    stmt = pg_sql.search_sql(layout)
    k = p["top_k"]

    def bare() -> None:
        for q in queries:
            conn.execute(stmt, {"q": q, "k": k, "n": k}).fetchall()

    timings = interleaved({"suite": lambda: _suite_path(conn, layout, queries, truth, k),
                           "bare": bare}, p["rounds"])
    suite, plain = timings["suite"].median, timings["bare"].median
    return {"ef_search": ef, "rounds": p["rounds"], "suite_s": suite, "bare_s": plain,
            "ratio": suite / plain}


def _server_mib() -> float | None:
    """Resident memory of the embedded server's processes (postmaster and backends)."""
    import psutil

    from embedgate.retrievers.pg_server import server_pid

    pid = server_pid()
    if pid is None:
        return None
    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    return sum(pr.memory_info().rss for pr in procs) / 2**20


def _worker(engine: str, work: Path, params: dict[str, Any]) -> None:
    if engine == "qdrant":
        from embedgate.benchmarks import vector_stores_qdrant

        result = vector_stores_qdrant.run(work, params, _peak_mib)
    else:
        result = _faiss(work, params) if engine == "faiss" else _pgvector(work, params)
    print(json.dumps(result, default=float))


if __name__ == "__main__":  # one engine in a fresh process (peak RSS is its own)
    _worker(sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3]))

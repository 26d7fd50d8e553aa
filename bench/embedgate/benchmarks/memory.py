"""Benchmark (d): peak memory vs corpus size through the cache, memmap and index path.

For each corpus size (synthetic texts, default 10k, 100k, 1M) two fresh processes run:
  cold  encode the corpus through an empty cache (each chunk committed) into the output
        array (a memmap under the scratch dir above `memmap_min_mib`, the default 1024 MiB),
        then exact faiss search (blocked IndexFlatIP) for the queries;
  warm  the same with every vector read back from the cache.
The embedder is `synthetic.HashEmbedder` (a hash and a small projection; not a model), so the
figures are the suite's own memory. Peak RSS counts file-backed memmap pages that are resident;
the kernel can drop those under pressure. Requirement: 1M × 512-d within 24 GiB.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from embedgate.infra import cli_args
from embedgate.benchmarks.common import machine_load, peak_rss_mib, print_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", type=cli_args.positive_int_list, default="10000,100000,1000000",
                        help="comma-separated corpus sizes (default 10k,100k,1M)")
    parser.add_argument("--dim", type=cli_args.positive_int, default=512)
    parser.add_argument("--queries", type=cli_args.positive_int, default=100)
    parser.add_argument("--top-k", type=cli_args.positive_int, default=100)
    parser.add_argument("--dir", type=Path, default=None,
                        help="where the cache and scratch files go (default: a temp dir)")


def main(args: argparse.Namespace) -> int:
    rows = []
    with tempfile.TemporaryDirectory(prefix="embedgate-mem-", dir=args.dir) as tmp_dir:
        for n in args.sizes:
            for phase in ("cold", "warm"):
                rows.append(_phase(n, phase, args, Path(tmp_dir) / str(n)))
    print(f"memory benchmark: synthetic HashEmbedder (not a model), dim {args.dim}, "
          f"{args.queries} queries, top_k {args.top_k}, exact search")
    print(machine_load())
    print_table(["texts", "phase", "peak RSS MiB", "encode s", "search s", "computed",
                 "cache hits", "memmap", "cache MiB"],
                [[r["n"], r["phase"], r["peak_rss_mib"], r["encode_s"], r["search_s"],
                  r["computed"], r["cache_hits"], r["memmap"], r["cache_mib"]] for r in rows])
    return 0


def _phase(n: int, phase: str, args: argparse.Namespace, work: Path) -> dict:
    cmd = [sys.executable, "-m", "embedgate.benchmarks.memory", str(n), str(args.dim),
           str(args.queries), str(args.top_k), str(work)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return {"phase": phase, **json.loads(out.strip().splitlines()[-1])}


def _worker(n: int, dim: int, n_queries: int, top_k: int, work: Path) -> dict:
    """One phase in this process: encode through the cache, search, report peak memory."""
    from embedgate.encode.locations import DB_NAME
    from embedgate.encode.pipeline import EncodeOptions, EncodePipeline
    from embedgate.algorithms.search import exact_search
    from embedgate.benchmarks.synthetic import HashEmbedder, synthetic_texts

    emb = HashEmbedder(dim)
    pipe = EncodePipeline.create(EncodeOptions(cache_dir=work / "cache",
                                               scratch_dir=work / "scratch"))
    t0 = time.perf_counter()
    docs = pipe(emb, synthetic_texts(n), "passage")
    queries = pipe(emb, synthetic_texts(n_queries, "query"), "query")
    t1 = time.perf_counter()
    exact_search(docs, queries, top_k)
    t2 = time.perf_counter()
    stats = pipe.stats
    pipe.close()
    cache_bytes = sum(p.stat().st_size for p in (work / "cache").glob(DB_NAME + "*"))
    return {"n": n, "peak_rss_mib": round(peak_rss_mib(), 1), "encode_s": round(t1 - t0, 2),
            "search_s": round(t2 - t1, 2), "computed": stats.computed,
            "cache_hits": stats.cache_hits, "memmap": stats.memmap_calls > 0,
            "cache_mib": round(cache_bytes / (1 << 20), 1)}


if __name__ == "__main__":
    n, dim, q, k, work = sys.argv[1:6]
    print(json.dumps(_worker(int(n), int(dim), int(q), int(k), Path(work))))

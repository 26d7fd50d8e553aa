"""Benchmark (c): a cached re-run of a suite vs the cold run that filled the cache.

Runs one retrieval suite twice with the same (initially empty) cache folder, in this process
(`run_suite`) or, with --process, as two `embedgate run` processes (what a user sees: Python
start-up included). A re-run whose vectors are all cached never loads the model (its cache
key comes from the model's files, `embedders.lazy`); `embedgate bench warm` measures that on a
whole suite. Goal: the re-run >= 20x faster.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from embedgate.benchmarks.common import (
    add_data_arguments, bench_data, machine_load, print_table, set_threads, write_suite,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser, docs=300, queries=100)
    parser.add_argument("--process", action="store_true",
                        help="time each run as its own `embedgate run` process")


def main(args: argparse.Namespace) -> int:
    threads = set_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory(prefix="embedgate-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        data_dir = bench_data(args, tmp, ["test"])
        suite = write_suite(tmp, args.model, args.batch_size, [("data", data_dir, "test")],
                            "  retrieval: {metrics: [nDCG@10, RR@10, R@100], top_k: 100}")
        for name in ("cold", "cached re-run"):
            rows.append(_timed_run(args, suite, tmp, name, threads))
    print(f"cache benchmark: {args.model}, {'full collection' if args.full else 'sample'}, "
          f"batch_size {args.batch_size}, {threads} threads, "
          f"{'one process per run' if args.process else 'both runs in this process'}")
    print(machine_load())
    print_table(["run", "total s", "encode s", "model load s", "computed", "cache hits",
                 "nDCG@10"], rows)
    cold, warm = rows
    print(f"speed-up of the re-run: total {cold[1] / warm[1]:.1f}x, encode {cold[2] / warm[2]:.1f}x"
          f", total without model load {(cold[1] - cold[3]) / (warm[1] - warm[3]):.1f}x "
          "(goal >= 20x)")
    return 0


def _timed_run(args: argparse.Namespace, suite: Path, tmp: Path, name: str,
               threads: int) -> list[object]:
    from embedgate.results.schema import RunResult

    out, cache = tmp / name.replace(" ", "-"), tmp / "cache"
    t0 = time.perf_counter()
    if args.process:
        cmd = [sys.executable, "-m", "embedgate", "run", str(suite), "--out", str(out), "-q",
               "--threads", str(threads), "--cache-dir", str(cache)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        result = RunResult.load(out / "results.json")
    else:
        from embedgate.suite import load_suite
        from embedgate.encode.setup import EncodeOverrides
        from embedgate.run.runner import run_suite

        result, _ = run_suite(load_suite(suite), out=out, threads=threads, progress=False,
                              encode=EncodeOverrides(cache_dir=cache))
    total = time.perf_counter() - t0
    ndcg = result.metric("model", "retrieval", "data", "nDCG@10")
    return [name, total, result.timings["encode_s"], result.embedders["model"].get("load_s", 0.0),
            int(result.timings["encode_computed"]), int(result.timings["encode_cache_hits"]),
            ndcg.value if ndcg else float("nan")]
